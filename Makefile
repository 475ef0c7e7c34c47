# wacheck — build, test, lint, bench.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/wacheck/wacheck/pkg/cli.Version=$(VERSION)

.PHONY: all build install docs test lint bench bench-go bench-tools fuzz integration-deps bench-deps clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/wacheck ./cmd/wacheck

install:
	$(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/wacheck

# docs/checks.md's tables and explanations, from pkg/explain/checks/*.md and
# the check registry (pkg/explain's TestChecksDocIsGenerated fails until run).
docs:
	$(GO) generate ./pkg/explain

# The one test command (README, .ci/run): formatting, vet, and every test with
# the race detector. The integration tests (integration/) drive nginx, Apache,
# HAProxy and openssl, and skip when one is missing unless
# WACHECK_REQUIRE_INTEGRATION=1, as .ci/run sets.
test: lint
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l . | grep -v '^vendor/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Go benchmarks (allocations included), then wacheck against nginx beside
# sslscan and testssl.sh, on loopback and through a 25 ms delay proxy
# (docs/performance.md). The tools come from integration-deps and bench-deps.
# Both report the enumeration's connections and time at 0 and 50 ms round
# trip: BenchmarkScan (pkg/tlshello) and BenchmarkProbe (integration) as
# conns/op and ns/op for rtt=0s and rtt=50ms, scripts/bench.sh in its last
# table.
bench: bench-go bench-tools

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-tools:
	GO=$(GO) scripts/bench.sh

# Each fuzz target for FUZZTIME, a duration or a count of runs (CI runs
# FUZZTIME=20000x: a count avoids Go 1.26's spurious "context deadline
# exceeded" at the end of a duration, go.dev/issue/75804).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./pkg/target
	$(GO) test -run '^$$' -fuzz FuzzLine -fuzztime $(FUZZTIME) ./internal/escape
	$(GO) test -run '^$$' -fuzz FuzzParseServerFlight -fuzztime $(FUZZTIME) ./pkg/tlshello

# Servers the integration tests drive (Debian/Ubuntu; run as root); prometheus
# (with promtool) for the wacheck serve test and the shipped alerting rules.
integration-deps:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		nginx-light apache2 haproxy openssl ca-certificates libxml2-utils python3-junitparser prometheus

# The tools make bench-tools compares wacheck with (besides integration-deps).
bench-deps:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		sslscan testssl.sh

clean:
	rm -rf bin
