// Package incident holds the logic of incident response around a case:
// playbooks (YAML, embedded defaults with per-tenant overrides), the legal
// reporting clocks of each jurisdiction, the automated actions a playbook
// step can run (block an address or disable a user through a signed
// webhook, send e-mail or chat), evidence files kept on disk with their
// SHA-256 and chain of custody, pseudonymisation of personal data for
// reports, and the background job that reminds before a clock expires.
//
// Storage goes through store.CaseStore; the package holds no state of its
// own beyond the evidence directory, and every function takes the tenant
// id it acts for.
package incident
