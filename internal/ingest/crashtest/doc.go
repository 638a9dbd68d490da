// Package crashtest holds the reliability test of ingestion: it builds the
// vedetta binary, kills it with SIGKILL in the middle of an HTTP ingestion
// stream and checks that every event acknowledged before the kill is
// stored exactly once. It is a package of its own so that the unit tests
// of ingest do not depend on the whole application compiling.
package crashtest
