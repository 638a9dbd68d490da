// Package ioc matches events against indicators of compromise: IP
// addresses, CIDR blocks, domains (with their sub-domains), URLs, file
// hashes, e-mail addresses and file names.
//
// Indicators are validated and normalised by ParseIndicator and compiled by
// Build into an immutable Set. A Set keeps exact values in compact
// open-addressing hash tables keyed by fixed-size binary keys (uint32 for
// IPv4, 16 bytes for IPv6 and MD5, 20 for SHA-1, 32 for SHA-256; a 32-bit tag
// of a seeded 64-bit hash for strings), CIDR blocks in a bart routing table,
// and every string once in a single arena. Per-indicator metadata lives in a
// pointer-free 48-byte record array, so the garbage collector never scans
// it. A bitmap of the IPv4 /20s (IPv6 /24s) that CIDR indicators overlap
// lets most address lookups skip bart, and a small Bloom filter in front of
// each string table answers most absent probes. Domains have a table of
// their own (see domTable): one backwards pass over a name hashes the name
// and all its parents, and names of up to 35 bytes are stored in the slot,
// so a hit costs one cache miss. One million indicators in the mix of
// PERFORMANCE.md W5 take about 93 MB of heap.
//
// Concurrency: a Set is read-only after Build and safe for any number of
// concurrent readers. A Matcher holds the current Set behind an atomic
// pointer; a reload builds a new Set off to the side and swaps the pointer,
// so lookups never wait for more than that swap. URL lookups skip normalisation when the URL is already in
// canonical form, as event URLs usually are.
//
// Warninglists (MISP misp-warninglists) flag known false positives: a hit
// whose value is on a list is still reported, with Suppressed set and the
// list named, and Build reports the indicators that are on a list.
//
// Validity windows are kept at one-second resolution between 1970 and 2106;
// bounds outside that range are treated as open.
package ioc
