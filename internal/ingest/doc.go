// Package ingest receives events from the outside world and puts them on
// the bus, durably, before answering the sender.
//
// # Receivers
//
// One Ingester serves every tenant. Receivers turn traffic into raw records,
// find the configured store.Source the traffic belongs to, parse the records
// with the source's normalize parser and hand them to Ingester.Submit:
//
//   - syslog over UDP (RFC 5426), TCP (RFC 6587, octet counting or LF,
//     detected on the first byte of each connection) and TLS (RFC 5425),
//     a source being chosen by the sender's address (Source.Match: an IP or
//     a CIDR, the most specific wins) or, on TLS, by the client
//     certificate's SHA-256 fingerprint or common name (SyslogServer);
//   - HTTP POST /api/v1/events with a per-source bearer token: one JSON
//     object, a JSON array or NDJSON, gzip accepted (HTTPHandler);
//   - MQTT: subscriptions on external brokers (MQTTClients) and an optional
//     embedded broker for sensors (MQTTBroker);
//   - files on the Vedetta host, tailed across rotation (Tailer).
//
// Traffic that matches no source is refused (a TCP or TLS connection is
// closed, an HTTP request gets 401, an MQTT login is denied) and counted
// in vedetta_ingest_refused_total{reason="unknown_sender"}; a UDP datagram
// can only be counted.
//
// # Durability and acknowledgement
//
// Submit gives every event a fresh UUIDv7 id, the source's tenant and
// source ids and the time of receipt, encodes it and publishes the batch
// on bus.EventSubject(tenant, source), packed into messages of several
// events (AppendMessages, in the binary encoding of binary.go, which
// means what the JSON of MarshalEvent means, a fifth of its size; up to
// Options.Pack, by default 256 events or 256 KiB; one JetStream
// message per event capped W1 syslog TCP at about 59,000 msgs/s and W4
// HTTP NDJSON at about 40,000 events/s on a 2-CPU machine; see
// BENCHMARKS.md). A message of 2 KiB or more is stored S2-compressed
// (CompressMessages), 6-7 times smaller. Parsers build the events' fields
// as ordered lists (normalize.Options.ListFields), cheaper to build and to
// encode than maps. The message id (MessageID) is the event id for a lone
// event, else derived from all the packed ids, so a retried Submit
// deduplicates at the bus. Every consumer decodes a message with
// DecodeMessage, all or nothing, which also reads the NDJSON messages
// written before the binary encoding. Submit
// returns only when the bus has stored every message (a JetStream
// acknowledgement). Senders are answered after
// that: HTTP 202, MQTT PUBACK, the next read of a TCP stream, the next
// offset of a tailed file. Delivery to the bus is therefore at least once
// from the sender's point of view: a sender that retries after a lost
// answer sends events that get new ids and are stored twice.
//
// # Back-pressure, quotas and refusals
//
// Nothing is dropped silently. When the bus refuses (stream full:
// bus.ErrFull, or unavailable), when a tenant exceeds its quota
// (Options.TenantRate) or a source its rate limit (store.Source.RateLimit),
// Submit returns an error wrapping ErrRefused with a reason. HTTP answers
// 503 or 429 with Retry-After; TCP, TLS, MQTT client subscriptions and file
// tails keep the batch and retry after a pause, so the sender is not read
// meanwhile (TCP back-pressure); the embedded MQTT broker withholds the
// PUBACK; UDP drops and counts. Every refusal is counted in
// vedetta_ingest_refused_total{kind,reason}; received, accepted and
// unparseable records in vedetta_ingest_{received,accepted,errors}_total.
//
// # Source health
//
// The Ingester counts per source the events accepted, the errors and the
// last event seen in memory and adds them to the store every
// Options.HealthInterval (store.SourceStore.RecordSourceHealth).
//
// # Concurrency
//
// Ingester, SyslogServer, HTTPHandler, MQTTClients, MQTTBroker and Tailer
// are safe for concurrent use. Parsers are not (normalize), so each
// connection and each goroutine takes its own from a per-source pool.
package ingest
