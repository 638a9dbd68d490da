# Vedetta — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED ?= 0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/vedetta-sec/vedetta/internal/app.Version=$(VERSION)
PKGS := ./...

.PHONY: help build demo test test-deps assets vet fmt-check bench bench-all bench-ingest bench-dashboard clean

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

assets: ## Install pinned front-end libraries from npm into the embedded static folder.
	@scripts/assets.sh

build: assets ## Build bin/vedetta (static, CGO-free).
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/vedetta ./cmd/vedetta

demo: build ## Start the demo on http://127.0.0.1:8080 with embedded SQLite and NATS.
	./bin/vedetta demo

test-deps: ## Install what the tests need (Chromium, real clients) and start local services.
	@scripts/test-deps.sh

vet: ## go vet and gofmt.
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: assets test-deps vet ## Run every test (race detector, fuzz seeds, each benchmark once).
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m -bench=. -benchtime=1x $(PKGS)

bench: ## Run every benchmark (3 runs each) and print results.
	$(GO) test -run='^$$' -bench=. -benchmem -count=3 $(PKGS)

bench-detect: ## Detection benchmarks on one core: W2 vs the Go Sigma peers, W6 correlation, W5 IOC; prints a table.
	@set -eo pipefail; out=$$(mktemp); \
	(cd bench/sigmapeers && $(GO) test -run='^$$' -bench='W2(Ours|GSRE)' -benchtime=2s -count=3 -cpu=1 . && \
	  $(GO) test -run='^$$' -bench='W2SigmaGo' -benchtime=100x -count=3 -cpu=1 .) | tee $$out; \
	$(GO) test -run='^$$' -bench='Correlation50KGroups' -benchtime=2s -count=3 -cpu=1 ./internal/detect/sigma | tee -a $$out; \
	$(GO) test -run='^$$' -bench='LookupCold|MatchEvent|ReloadPause' -count=3 -cpu=1 ./internal/detect/ioc | tee -a $$out; \
	echo; echo "best of 3 runs (events/cpu-s: CPU time of the process, steadier than wall time on a shared machine)"; \
	awk '/^Benchmark/ { n=$$1; sub(/-[0-9]+$$/, "", n); for (i = 3; i < NF; i += 2) { u = $$(i+1); v = $$i + 0; \
	    if (!((n, u) in best) || (u ~ /ns\/op|B\/op|allocs/ ? v < best[n, u] : v > best[n, u])) best[n, u] = v; units[n] = units[n] " " u } \
	    if (!(n in seen)) { seen[n] = 1; order[++k] = n } } \
	  END { for (j = 1; j <= k; j++) { n = order[j]; line = sprintf("%-34s", n); split(units[n], us, " "); delete done; \
	      for (x in us) { u = us[x]; if (u in done) continue; done[u] = 1; line = line sprintf(best[n, u] >= 1000 ? "  %12.0f %s" : "  %12.4g %s", best[n, u], u) } print line } \
	    for (r = 1; r <= 2; r++) { s = (r == 1 ? "1183" : "100"); o = best["BenchmarkW2Ours" s, "events/cpu-s"]; \
	      g = best["BenchmarkW2GSRE" s, "events/cpu-s"]; q = best["BenchmarkW2SigmaGo" s, "events/cpu-s"]; \
	      if (o && g && q) printf "W2 %s rules: ours/go-sigma-rule-engine(NoCollapseWS) = %.1fx, ours/sigma-go = %.0fx\n", s, o / g, o / q } }' $$out; \
	rm -f $$out

bench-ingest: ## Ingestion benchmarks: W1 syslog TCP next to rsyslog, W4 HTTP Windows JSON, idle RSS; prints a table.
	scripts/bench-ingest.sh

bench-dashboard: assets ## W9: event accepted -> alert in a headless Chromium's DOM, p50/p95/p99 under background HTTP load (VEDETTA_BENCH_RATE, VEDETTA_BENCH_PROBES).
	VEDETTA_BENCH_DASHBOARD=1 $(GO) test -count=1 -timeout 30m -run '^TestDashboardLatencyW9$$' -v ./internal/e2e

clean: ## Remove build outputs.
	rm -rf bin internal/web/static/vendor
