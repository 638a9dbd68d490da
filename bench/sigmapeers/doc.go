// Package sigmapeers compares Vedetta's Sigma engine
// (internal/detect/sigma) with the Go peers, in a module of its own so the
// peers stay test-only dependencies that the product never links:
//
//   - TestDifferential runs our engine and github.com/bradleyjkemp/sigma-go
//     v0.6.6 over the Security-Datasets Windows events with SigmaHQ's
//     rules/windows rules and checks every (event, rule) disagreement
//     against testdata/disagreements, where each is recorded with the
//     engine the Sigma specification says is right and why;
//   - BenchmarkW2* measure workload W2 of PERFORMANCE.md (SigmaHQ
//     process_creation rules on real ~1 KB Sysmon events, pre-decoded, one
//     core) for our engine, github.com/markuskont/go-sigma-rule-engine
//     v0.3.0 with NoCollapseWS, and sigma-go.
//
// Run from the repository root with "make bench-detect", or here with
// "go test ./..." (the data comes from ../shared/data, see
// internal/testenv.SharedData).
package sigmapeers
