// Package geo holds the geographic core of Vedetta's site model: an
// in-memory index of zones (polygons and multipolygons with holes, in WGS84
// longitude/latitude) answering which zones contain a point, how far a point
// is from a zone and which site and municipality a point is in.
//
// Concurrency: an Index is safe for any number of concurrent readers and
// writers. Readers load an immutable snapshot through an atomic pointer and
// never block; writers (Reload, Upsert, Delete) serialise on a mutex, build
// a new snapshot and swap it in, so the event path keeps answering queries
// while an administrator edits zones.
//
// Invariants: every zone in an index has a unique non-empty ID, a known
// ZoneType and a non-empty geometry whose rings have at least three
// positions with finite, in-range coordinates. Zones returned by queries
// share their Geometry and Properties with the index and must not be
// modified.
package geo
