# pmdp: every target CI uses is here; CI calls `make test` unchanged.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
# Packages whose tests run under the race detector.
RACE_PKGS := ./internal/... ./lambda/...
# How long `make test` runs each fuzz target.
FUZZTIME ?= 5s
# Pinned tools, run through `go run` so they stay out of go.mod.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# Fuzz targets as package:Target.
FUZZ_TARGETS := \
	./internal/accesslog:FuzzSplit \
	./internal/accesslog:FuzzParse \
	./internal/summary:FuzzQueryValue \
	./internal/logkey:FuzzClassify

.PHONY: all test fmt-check vet unit fuzz lint bench build clean

all: test

## test: everything CI checks: formatting, vet, all tests with -race, brief fuzzing
test: fmt-check vet unit fuzz

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 $(RACE_PKGS)

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## lint: staticcheck at a pinned version
lint:
	$(GO) run $(STATICCHECK) ./...

## bench: Go benchmarks (with benchstat) and summarize against gzip -dc | wc -l
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./internal/... | tee bin/bench.txt
	$(GO) run $(BENCHSTAT) bin/bench.txt
	.ci/bench-vs-gzip

## build: the pmdp command for this machine, into bin/
build:
	$(GO) build -trimpath -o bin/pmdp ./lambda

clean:
	rm -rf bin cdk.out
