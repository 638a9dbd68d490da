#!/usr/bin/env bash
# Ingestion benchmarks, three runs each, medians in a table:
#   W1  RFC 5424 and RFC 3164 over TCP on loopback → parsed, normalised,
#       durable on the embedded JetStream (messages/s), next to Debian's
#       rsyslog (imptcp → omfile) on the same input over the same kind of
#       connection, in the same run;
#   W4  HTTP NDJSON of ~1 KB real Windows events (Security-Datasets) in
#       requests of 1,000 from 4 clients → durable (events/s);
#   RSS of the vedetta binary idling with 10 sources.
# Usage: scripts/bench-ingest.sh   (N1=messages per W1 run, N4=events per W4 run)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
N1=${N1:-300000}
N4=${N4:-200000}
out=$(mktemp)

command -v rsyslogd >/dev/null || echo "warning: rsyslogd missing (scripts/test-deps.sh): no W1 peer" >&2
# The two sides alternate, one round each at a time, so that a slow spell of
# a shared machine falls on both rather than on one side's three runs.
bin=$(mktemp -d)
trap 'rm -f "$out"; rm -rf "$bin"' EXIT
$GO test -c -o "$bin/ingest.test" ./internal/ingest
for round in 1 2 3; do
  for b in 'W1SyslogTCP' 'W1Rsyslog'; do
    (cd internal/ingest && "$bin/ingest.test" -test.run='^$' -test.bench="$b" -test.benchtime="${N1}x" -test.timeout 30m) | grep '^Benchmark' | tee -a "$out"
  done
done
$GO test -run='^$' -bench='W4HTTPWindows' -benchtime="${N4}x" -count=3 -timeout 30m ./internal/ingest | tee -a "$out"
VEDETTA_BENCH_INGEST=1 $GO test -run='^$' -bench='IdleRSS' -benchtime=1x -count=3 -timeout 30m ./internal/ingest/crashtest | tee -a "$out"

echo
echo "Ingestion benchmarks on $(nproc) CPUs ($(uname -m)), median of 3 runs"
awk '
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name)
  for (i = 3; i < NF; i++) {
    if ($(i+1) ~ /^(msgs\/s|events\/s|MB-rss)$/) { unit[name] = $(i+1); vals[name] = vals[name] " " $i; runs[name, ++nrun[name]] = $i }
    if ($(i+1) == "cpu-ns/msg") { k = name " CPU"; unit[k] = $(i+1); vals[k] = vals[k] " " $i }
  }
}
function median(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((n + 1) / 2)]
}
END {
  printf "%-36s %14s  %s\n", "benchmark", "median", "unit"
  for (k in vals) { m[k] = median(vals[k]); printf "%-36s %14.1f  %s\n", k, m[k], unit[k] | "sort" }
  close("sort")
  for (r in m) if (r ~ /W1SyslogTCP\/[0-9]+$/) {
    rfc = r; sub(/.*\//, "", rfc); peer = "BenchmarkW1Rsyslog/" rfc
    if (peer in m && m[peer] > 0) {
      printf "W1 RFC %s: Vedetta / rsyslog = %.2fx (target >= 1.0x); round by round:", rfc, m[r] / m[peer]
      for (k = 1; k <= nrun[r] && k <= nrun[peer]; k++) printf " %.2fx", runs[r, k] / runs[peer, k]
      printf "\n"
    }
  }
  for (r in m) if (r ~ /W4HTTPWindows/) printf "W4 %s: %.0f events/s (target >= 100,000)\n", r, m[r]
  for (r in m) if (r ~ /IdleRSS/) printf "Idle RSS with 10 sources: %.1f MB (target < 256)\n", m[r]
}' "$out"
