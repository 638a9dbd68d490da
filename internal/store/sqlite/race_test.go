//go:build race

package sqlite_test

// raceEnabled is true under the race detector, which makes the pure-Go
// SQLite engine too slow for tests that only need volume.
const raceEnabled = true
