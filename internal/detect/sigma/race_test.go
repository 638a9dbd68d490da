//go:build race

package sigma

// raceEnabled: the race detector makes sync.Pool (used by regexp) drop
// items, so allocation counts are not meaningful.
const raceEnabled = true
