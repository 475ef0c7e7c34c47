# wacheck — build, test, lint, bench.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/wacheck/wacheck/pkg/cli.Version=$(VERSION)

.PHONY: all build install test lint bench fuzz integration-deps clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/wacheck ./cmd/wacheck

install:
	$(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/wacheck

# The one test command (README, .ci/run): formatting, vet, and every test with
# the race detector. Integration tests use nginx and openssl when installed.
test: lint
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l . | grep -v '^vendor/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./pkg/target
	$(GO) test -run '^$$' -fuzz FuzzParseServerFlight -fuzztime 30s ./pkg/tlshello

# Servers the integration tests drive (Debian/Ubuntu; run as root).
integration-deps:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light openssl ca-certificates

clean:
	rm -rf bin
