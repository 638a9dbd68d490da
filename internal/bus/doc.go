// Package bus is the seam between Vedetta's components and the message
// broker: a small, byte-oriented interface (Bus), the subject and stream
// layout of the product, and the errors receivers turn into refusals. The
// implementation is bus/natsbus, on NATS JetStream, either embedded in the
// process (the default single-binary install) or an external NATS cluster
// (scale-out); both run the same code and give the guarantees below.
//
// # Layout
//
// Durable messages go to streams (DefaultStreams):
//
//	EVENTS  vedetta.events.<tenantID>.<sourceID>   EventSubject, TenantEvents, AllEvents
//	ALERTS  vedetta.alerts.<tenantID>              AlertSubject, AllAlerts
//
// Ephemeral notifications (live dashboard fan-out) use core NATS under
// vedetta.live.<tenantID>.<topic> (LiveSubject) through Notify and Subscribe.
// Ids are escaped into one subject token each (EscapeToken), injectively, so
// an id containing '.', '*' or '>' can neither reach nor spoof another
// tenant's subject.
//
// # Publishing
//
// Publish and PublishBatch return nil only once the broker has stored every
// message (a JetStream acknowledgement). In embedded mode "stored" means
// written to the file store: it survives a process crash; it survives power
// loss only after the next fsync (every two minutes by default, or every
// message with natsbus.Options.SyncAlways). On an external cluster with
// Replicas > 1 it means stored by a quorum.
//
// Every message should carry an id (Msg.ID, the event id): the stream
// remembers ids for its duplicate window (10 minutes by default) and
// acknowledges a second publish with the same id without storing it again,
// so a publisher may retry after a timeout or a crash without duplicating.
// After the window, a retry is stored again.
//
// A publish that cannot be taken fails; nothing is dropped silently:
//
//   - ErrFull: the stream is at MaxBytes or MaxMsgs (streams always discard
//     new messages, never old ones). Receivers refuse the input with a
//     reason (HTTP 503 with Retry-After, a syslog TCP sender left unread,
//     an MQTT publish not acknowledged) and the refusal is counted in
//     Stats.Refused.
//   - ErrTooLarge: the message exceeds the stream's or server's limit.
//   - ErrUnavailable: the broker did not answer (no stream for the subject,
//     disconnected, timeout). The message may have been stored; retrying
//     with the same id is safe.
//
// PublishBatch reports per message which ones failed (*PublishError), so a
// receiver can acknowledge exactly what was stored.
//
// # Consuming: at least once
//
// Consume runs a durable pull consumer and calls the Handler with batches
// (up to ConsumeOptions.BatchSize, waiting at most Linger to fill one), so
// storage can write in batches. A message is acknowledged only after the
// handler returns nil for its batch. It is delivered again when:
//
//   - the handler returns an error (the whole batch, after a backoff that
//     grows with the attempt number, ConsumeOptions.Backoff), or a
//     *PartialError listing it in Retry;
//   - the process dies, or the acknowledgement is lost, before the broker
//     records the ack (after AckWait; while a handler runs, the consumer
//     keeps telling the broker the batch is in progress, so a slow handler
//     does not cause redelivery);
//   - the consumer stops with messages fetched but not yet handled (they
//     are handed back at once).
//
// Delivery is therefore at least once: handlers must be idempotent (write
// with the event id as key). Delivery.Attempt tells a redelivery. A message
// is never given up silently: MaxDeliver is unlimited by default, and a
// handler that knows a message can never be processed lists it in
// PartialError.Drop, which terminates it, logs it and counts it in
// Stats.Dropped. A handler panic is recovered, logged and treated as an
// error.
//
// Each durable consumer keeps its position in the broker, so after a
// restart it resumes after the last acknowledged message; messages
// published while it was down wait in the stream.
//
// # Ordering
//
// One Consume call delivers a durable's messages in stream order (Seq) and
// runs one handler call at a time; a batch is in stream order. Messages of
// one publisher connection are stored in publish order, including within a
// PublishBatch (a publish retried after a cluster leader change may land
// later). Redelivery breaks order: a retried message arrives after
// messages stored later. Several Consume calls on the same durable (for
// parallelism, or several instances) share its messages, with no order
// between them. Different durables see every message independently.
//
// # Back-pressure
//
// Streams use interest retention by default: a message is kept until every
// durable declared on the stream has acknowledged it, so the stream limits
// bound the unconsumed backlog. The chain is: a slow handler holds
// MaxAckPending messages in flight, the broker stops delivering to it, the
// backlog grows in the stream, the stream reaches its limit, publishes fail
// with ErrFull and receivers refuse new input until consumers catch up.
// Because an interest stream does not keep messages no consumer is bound
// to, its durables are declared with it (StreamConfig.Durables) and created
// when the bus opens; a declared durable that never runs fills the stream,
// so declare only consumers that run.
//
// # Notifications
//
// Notify and Subscribe are at most once: not stored, lost when nobody
// listens or when a subscriber falls too far behind. Use them only for
// what can be recomputed (live views), never for events or alerts.
//
// # Concurrency and shutdown
//
// All Bus methods are safe for concurrent use. Close stops every Consume
// (each settles the batch in progress and returns nil; a handler that
// ignores its context past the implementation's shutdown timeout is left
// behind, and its batch is redelivered later), flushes pending publishes
// and acknowledgements, then, in embedded mode, shuts the server down and
// waits for it.
package bus
