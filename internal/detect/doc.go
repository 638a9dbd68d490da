// Package detect turns normalised events into alerts. An Engine consumes the
// EVENTS stream with the durable consumer "detect" and runs, for each
// event:
//
//   - the Sigma ruleset (internal/detect/sigma): SigmaHQ or other rules
//     loaded from the configured directories (they are third-party content
//     and are not shipped in the binary) plus Vedetta's own rules, embedded
//     from rules/*.yml;
//   - the correlation rules of that ruleset, one Correlator per tenant;
//   - the tenant's indicators of compromise (internal/detect/ioc), compiled
//     from the store and rebuilt when they change; a match on a MISP
//     warninglist value becomes an informational alert in status
//     suppressed that names the list (the reason is shown, nothing is
//     published);
//   - the Go time rules that Sigma cannot express: an administrator login
//     at night and a door opened outside opening hours, in the configured
//     local time zone.
//
// Every match becomes a store.Alert with a deduplication key; the store
// groups matches of one key within the grouping window. Suppression rules
// (store.Suppression) are applied before storing: a suppressed match raises
// nothing and increments the rule's hit count. Each new or updated alert is
// published durably on bus.AlertSubject(tenant) and as an ephemeral
// notification on bus.LiveSubject(tenant, "alerts") for live dashboards.
//
// A separate loop checks every minute for sources that stopped reporting
// (store.Source.ExpectedInterval against the source's last event) and for
// assets that sent heartbeats (event.action "heartbeat") and then fell
// silent for longer than Config.AssetSilence; both raise health alerts.
//
// # Logsources of Vedetta's rules
//
// Vedetta's rules use the logsources the sigma package derives from ECS
// events (sigma.RouteECS): product linux, service sshd for OpenSSH;
// product windows, service security for the Security channel; category
// webserver for access logs. Physical-security events from
// internal/normalize (fields vedetta.door.*, vedetta.camera.*) carry no
// Sigma logsource, so the engine routes them as product "vedetta" with
// category "access_control" (an event with vedetta.door.id) or "camera"
// (an event with vedetta.camera.id); rules for them name that logsource.
//
// # Delivery and idempotency
//
// Events arrive at least once. The store counts each event id once per
// alert, so a redelivered event does not double-count; the engine also
// remembers the ids of recently processed events and skips them, so the
// correlation state is not fed twice either. A store failure fails the
// batch, which the bus redelivers after a backoff.
//
// # Concurrency
//
// Run consumes on one goroutine; Process must not be called concurrently
// with itself (the Sigma matcher and correlators are single-goroutine).
// The health loop runs beside it and touches only the store and the
// engine's mutex-guarded asset table.
package detect
