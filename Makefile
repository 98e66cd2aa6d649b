# pmdp: every target CI uses is here; CI calls `make test` unchanged.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
# Packages whose tests run under the race detector.
RACE_PKGS := ./internal/... ./lambda/...
# How long `make fuzz` runs each fuzz target. `make test` never fuzzes:
# plain `go test` already runs every target's seed corpus and the inputs
# committed under testdata/fuzz, and open-ended fuzzing in CI fails at random
# when it finds something new. Minimizing is capped at 500 runs: left at its
# 60 s default, shrinking a new input stalled the workers ("hung ... while
# minimizing"). A failing input is still reported, only less shrunk; Go
# writes it under the package's testdata/fuzz, to be fixed and committed.
FUZZTIME ?= 1m
# Pinned tools, run through `go run` so they stay out of go.mod.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# Local AWS stand-ins, pinned, installed into .local/ (git-ignored).
VERSITYGW_VERSION := v1.8.0
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
VERSITYGW := .local/versitygw-$(VERSITYGW_VERSION)/versitygw
RIE := .local/aws-lambda-rie-$(RIE_VERSION)/aws-lambda-rie
TOXIPROXY_VERSION := v2.5.0
TOXIPROXY := .local/toxiproxy-$(TOXIPROXY_VERSION)/server
# The tests that run the function under the Lambda emulator run the arm64
# bootstrap `make lambda` builds, under Debian's qemu-user-static
# (qemu-aarch64-static) on machines that are not arm64.
QEMU ?= $(shell command -v qemu-aarch64-static 2>/dev/null)
TOOL_ENV := PMDP_RIE=$(CURDIR)/$(RIE) PMDP_VERSITYGW=$(CURDIR)/$(VERSITYGW) PMDP_TOXIPROXY=$(CURDIR)/$(TOXIPROXY) \
	PMDP_BOOTSTRAP=$(CURDIR)/bin/lambda/bootstrap PMDP_QEMU=$(QEMU)
# The function as Lambda runs it: provided.al2023 on arm64, built as the
# construct builds the bootstrap it packages (infra/pipeline/build.go):
# the toolchain go.mod names and a fixed GOARM64, so the tests run the
# very bytes that deploy, whatever Go is installed here.
GO_TOOLCHAIN := $(shell awk '$$1 == "toolchain" {print $$2}' go.mod)
LAMBDA_BUILD := GOOS=linux GOARCH=arm64 GOARM64=v8.0 CGO_ENABLED=0 GOTOOLCHAIN=$(GO_TOOLCHAIN) $(GO) build -tags lambda.norpc -trimpath -buildvcs=false -ldflags "-s -w"
LAMBDA_MAX_BYTES := 15000000
# The CDK command line, pinned to one exact version, run through npx.
CDK_VERSION := 2.1148.1
CDK := npx --yes aws-cdk@$(CDK_VERSION)
CDK_ARGS ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# Fuzz targets as package:Target.
FUZZ_TARGETS := \
	./internal/accesslog:FuzzSplit \
	./internal/accesslog:FuzzParse \
	./internal/accesslog:FuzzParseLenient \
	./internal/summary:FuzzQueryValue \
	./internal/summary:FuzzReaderRoundTrip \
	./internal/logkey:FuzzClassify \
	./internal/hll:FuzzUnmarshalBinary \
	./internal/contract:FuzzParseGroupBy \
	./internal/contract:FuzzParseFilter \
	./internal/contract:FuzzBackfillRange \
	./internal/s3event:FuzzRead

.PHONY: all test fmt-check vet unit infra-test fuzz lint bench build lambda tools local e2e synth bootstrap deploy diff destroy clean distclean

all: test

## test: everything CI checks: formatting, vet, all tests with -race (the function under the Lambda emulator and every fuzz target's committed corpus too), the arm64 build and its size
test: fmt-check vet unit infra-test lambda

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The emulator test in ./lambda and the end-to-end and fault tests in
# ./internal/local run the shipped bootstrap under aws-lambda-rie against
# versitygw (through toxiproxy for the faults); they need the tools and the
# bootstrap, so unit installs and builds them first.
unit: tools lambda
	$(TOOL_ENV) $(GO) test -race -count=1 $(RACE_PKGS)

# CDK packages: no -race (it only slows jsii's calls), no parallel tests.
infra-test:
	$(GO) test -count=1 ./infra/...

## fuzz: each fuzz target for FUZZTIME (default 1m); run it before touching a parser and commit what it finds
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 500x $$pkg; \
	done

## lint: staticcheck at a pinned version
lint:
	$(GO) run $(STATICCHECK) ./...

## bench: Go benchmarks (with benchstat), summarize against gzip -dc | wc -l, and summarize's memory under a flood of one-off paths
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./internal/... | tee bin/bench.txt
	$(GO) run $(BENCHSTAT) bin/bench.txt
	.ci/bench-vs-gzip
	.ci/bench-maxgroups

## tools: install the pinned local stand-ins for S3 and the Lambda runtime, and toxiproxy
tools: $(VERSITYGW) $(RIE) $(TOXIPROXY)

$(VERSITYGW):
	GOBIN=$(CURDIR)/$(@D) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(RIE):
	GOBIN=$(CURDIR)/$(@D) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

$(TOXIPROXY):
	GOBIN=$(CURDIR)/$(@D) $(GO) install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)

## lambda: the function's bootstrap for linux/arm64, into bin/lambda/
lambda:
	@mkdir -p bin/lambda
	$(LAMBDA_BUILD) -o bin/lambda/bootstrap ./lambda
	@size=$$(stat -c %s bin/lambda/bootstrap); \
	echo "bin/lambda/bootstrap: $$size bytes ($$(( size / 1000000 )) MB, limit $$(( $(LAMBDA_MAX_BYTES) / 1000000 )) MB)"; \
	[ $$size -le $(LAMBDA_MAX_BYTES) ] || { echo "bootstrap is over the limit" >&2; exit 1; }

## local: the whole pipeline on this machine until Ctrl-C (LOCAL_ARGS passes flags, e.g. --interval 5s)
LOCAL_ARGS ?=
local: tools build
	bin/pmdp local --versitygw $(VERSITYGW) --rie $(RIE) $(LOCAL_ARGS)

## e2e: the local pipeline as a self-checking test, and S3 failing under it (make test runs them too)
e2e: tools lambda
	$(TOOL_ENV) $(GO) test -count=1 -v -run '^(TestEndToEnd|TestFaults)$$' ./internal/local/

## synth: the CloudFormation template and the cdk-nag report, into cdk.out/
synth:
	$(CDK) synth --quiet $(CDK_ARGS)
	@echo "template: cdk.out/Pmdp.template.json; cdk-nag report: cdk.out/AwsSolutions-*-NagReport.csv"

## guard: AWS Control Tower's proactive controls (cfn-guard) on the default stack and on one with every option on; fails on a finding infra/guard-exceptions.json does not explain, and on an exception that explains none
# cfn-guard and the Control Tower rules come pinned in one npm package,
# installed into .local/ (its aws-cdk-lib peer is left out: only the
# binary and the rules are used).
CFNGUARD_VERSION := 0.0.62
CFNGUARD_PKG := .local/cfnguard-$(CFNGUARD_VERSION)/node_modules/@cdklabs/cdk-validator-cfnguard
CFNGUARD := $(CFNGUARD_PKG)/bin/$(if $(filter Darwin,$(shell uname -s)),macos,ubuntu)/$(if $(filter arm64 aarch64,$(shell uname -m)),aarch64,x86_64)/cfn-guard
GUARD_RULES := $(CFNGUARD_PKG)/rules/control-tower/cfn-guard
GUARD_EXCEPTIONS := infra/guard-exceptions.json
GUARD_OUT := cdk.out/guard
# The stack with every optional feature on, as CDK context: one key=value
# a line (no spaces or shell characters). The domain and zone are made up:
# synth looks nothing up.
GUARD_ALL_FEATURES := \
	domainName=collector.example.com \
	hostedZoneId=Z0123456789ABCDEFGHIJ \
	hostedZoneName=example.com \
	redirectHTTPToHTTPS=true \
	deletionProtection=true \
	groupBy=date,path,query:ev \
	distinct=visitor \
	excludeBots=true \
	exclude=method=OPTIONS \
	publishReport=true \
	alarmEmail=ops@example.com \
	heartbeatPeriod=2h \
	functionLogRetention=ONE_YEAR \
	backfill=true

.PHONY: guard
guard: $(CFNGUARD)
	$(CDK) synth --quiet --output $(GUARD_OUT)/default
	$(CDK) synth --quiet --output $(GUARD_OUT)/all-features $(addprefix -c ,$(GUARD_ALL_FEATURES))
	$(GO) run ./infra/cfnguard/cmd/guardcheck -cfn-guard $(CFNGUARD) -rules $(GUARD_RULES) -exceptions $(GUARD_EXCEPTIONS) \
		default=$(GUARD_OUT)/default/Pmdp.template.json all-features=$(GUARD_OUT)/all-features/Pmdp.template.json

$(CFNGUARD):
	npm install --prefix .local/cfnguard-$(CFNGUARD_VERSION) --no-save --no-audit --no-fund --ignore-scripts --omit=peer @cdklabs/cdk-validator-cfnguard@$(CFNGUARD_VERSION)
	@test -x $@ || { echo "$@: not in the package" >&2; exit 1; }

## bootstrap / deploy / diff / destroy: the same CLI against your AWS account (bootstrap once per account and region)
bootstrap:
	$(CDK) bootstrap $(CDK_ARGS)

deploy:
	$(CDK) deploy $(CDK_ARGS)

diff:
	$(CDK) diff $(CDK_ARGS)

destroy:
	$(CDK) destroy $(CDK_ARGS)

## build: the pmdp command for this machine, into bin/
build:
	$(GO) build -trimpath -o bin/pmdp ./lambda

clean:
	rm -rf bin cdk.out

# .local/ keeps the installed tools; `make distclean` removes them too.
distclean: clean
	rm -rf .local
