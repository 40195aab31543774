# probekit: `make demo` runs the example service, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

# Every module listed in go.work, as ./dir/... package patterns.
MODULES := $(shell go list -m -f '{{.Dir}}' 2>/dev/null | sed "s|^$(CURDIR)|.|")
PKGS    := $(addsuffix /...,$(MODULES))

# Addresses of the servers the integration tests use. Tests skip with a
# message when one is unreachable, unless CI=true, where they must run.
export PROBEKIT_POSTGRES_DSN ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export PROBEKIT_MYSQL_DSN    ?= root@tcp(127.0.0.1:3306)/test
export PROBEKIT_REDIS_ADDR   ?= 127.0.0.1:6379
export PROBEKIT_NATS_ADDR    ?= 127.0.0.1:4222
export PROBEKIT_AMQP_ADDR    ?= 127.0.0.1:5672
export PROBEKIT_MQTT_ADDR    ?= 127.0.0.1:1883

PORT ?= 8080
export PORT

.PHONY: demo test vet lint fmt bench bench-compare fuzz release tools-prometheus tools-wrk

# The example service `make demo` runs: chi, gin, echo, echo5, fiber, fiber3,
# nethttp or grpc
# (grpc also serves gRPC on GRPC_PORT, 9090 by default).
# PORT (above), PROPAGATION_DELAY, QUIET_PERIOD and PROPAGATION_DELAY_MAX
# (the adaptive propagation delay: set both, e.g. QUIET_PERIOD=1s
# PROPAGATION_DELAY_MAX=10s), DRAIN_TIMEOUT, MIGRATION_DELAY and REDIS_ADDR
# reach it from the environment or the make command line.
FRAMEWORK ?= chi
DEMO_BIN  := $(or $(TMPDIR),/tmp)/probekit-demo-$(FRAMEWORK)

# The binary is exec'd, not `go run`: the service is then the process that
# Ctrl-C and `kill -TERM <pid>` (it prints its pid and the curl lines to
# try) reach, and its exit status is make's.
#
# The first build, with an empty build cache, compiles the embedded SQLite
# (modernc.org/sqlite, C translated to Go: most of the build) and takes
# about 45 s on 2 idle cores and 7 minutes on 2 cores at load 25 (README,
# Set up); later builds take a second. So it is never silent: -v names each package as
# it is compiled, and a line every 10 s says the build is still running.
# The ticker is a child of this recipe's shell, killed by its pid.
demo: ## run the example service (FRAMEWORK=chi|gin|echo|echo5|fiber|fiber3|nethttp|grpc) on :$(PORT)
	@case "$(FRAMEWORK)" in chi|gin|echo|echo5|fiber|fiber3|nethttp|grpc) ;; \
	  *) echo "FRAMEWORK must be chi, gin, echo, echo5, fiber, fiber3, nethttp or grpc, not '$(FRAMEWORK)'" >&2; exit 2 ;; esac
	@echo "building the $(FRAMEWORK) demo (the first build compiles SQLite: ~45 s on 2 idle cores, minutes on a busy machine; later ones take seconds)..." >&2; \
	  ( while sleep 10; do echo "  ... still building, $$SECONDS s (SQLite, modernc.org/sqlite/lib, is most of it)" >&2; done ) & ticker=$$!; \
	  status=0; go build -v -o "$(DEMO_BIN)" ./examples/$(FRAMEWORK) || status=$$?; \
	  kill "$$ticker" 2>/dev/null || true; wait "$$ticker" 2>/dev/null || true; \
	  if [ "$$status" -ne 0 ]; then exit "$$status"; fi; \
	  echo "built $(DEMO_BIN) in $${SECONDS} s" >&2
	exec "$(DEMO_BIN)"

# apidiff (golang.org/x/exp/cmd/apidiff) compares a module's API with its
# previous release. Pinned: x/exp has no tags, and a moving checker would
# judge two releases by different rules. The pin is in the file name, so
# changing it installs the new one.
APIDIFF_VERSION := v0.0.0-20261113113407-e3970619a1a4
APIDIFF         := $(CURDIR)/bin/apidiff-$(APIDIFF_VERSION)

$(APIDIFF):
	GOBIN="$(CURDIR)/bin" GOWORK=off go install golang.org/x/exp/cmd/apidiff@$(APIDIFF_VERSION)
	mv "$(CURDIR)/bin/apidiff" "$@"

# Prepares the release of every module in versions.txt at VERSION: checks
# VERSION and the API against the previous tags, rewrites the requirements
# between modules, writes the CHANGELOG.md section, prints the tags to push.
# See tools/release.
release: ## make release VERSION=vX.Y.Z
	@if [ -z "$(VERSION)" ]; then echo "usage: make release VERSION=vX.Y.Z" >&2; exit 2; fi
	@$(MAKE) --no-print-directory "$(APIDIFF)"
	go run ./tools/release -version "$(VERSION)" -apidiff "$(APIDIFF)"

# The timeout is per test binary; tools/consumer builds a consumer of each
# released module from a cold module cache (see its doc), minutes on a busy
# 2-core machine.
# Allocation guards (tests named *NoAlloc*) skip themselves under -race,
# which randomizes sync.Pool, so they get a run of their own without it.
#
# Every benchmark of every module also runs once (-benchtime=1x), in the
# same -race test binaries (no second build), so that none can rot; none
# judges its numbers. The slowest is
# bench's probe storm on health-go, which serializes probes: 1,000 × 20 ms.
test: lint vet tools-prometheus tools-wrk ## golangci-lint + go vet + go test -race over every module, integration tests included
	go test -race -count=1 -timeout 10m -bench . -benchtime=1x $(PKGS)
	go test -count=1 -run NoAlloc ./core/... ./chihealth/... ./ginhealth/... ./echohealth/... ./echo5health/... ./fiberhealth/... ./fiber3health/...

vet:
	go vet $(PKGS)

# Debian's prometheus package (prometheus and promtool) proves the alerting
# rules, the dashboard and a real scrape (examples/monitoring_test.go).
# Installed only when promtool is missing and we are root; otherwise the
# tests skip with a message, except under CI=true, where they fail.
tools-prometheus:
	@if command -v promtool >/dev/null && command -v prometheus >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's prometheus package (promtool, prometheus) for the monitoring tests" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	else \
	  echo "promtool/prometheus missing and not root: the monitoring tests will skip (CI=true makes them fail)" >&2; \
	fi

# Debian's wrk drives bench's loopback load test (BenchmarkWrk). Installed
# like prometheus above; without it the benchmark skips with a message,
# except under CI=true, where it fails.
tools-wrk:
	@if command -v wrk >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's wrk package for bench's load test" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
	  echo "wrk missing and not root: bench's load test will skip (CI=true makes it fail)" >&2; \
	fi

# golangci-lint, pinned: a newer one brings new findings, and the checked-in
# .golangci.yml is written for this one. It is installed outside the
# repository, where fresh clones on the same machine (CI clones afresh for
# every run) find it, because building it takes minutes; the version is in
# the file name, so changing the pin installs the new one. The build goes to
# a directory of its own and is renamed into place, so two clones installing
# at once do not clobber each other.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT_DIR     := $(or $(shell go env GOBIN),$(firstword $(subst :, ,$(shell go env GOPATH)))/bin)
GOLANGCI_LINT         := $(GOLANGCI_LINT_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)

$(GOLANGCI_LINT):
	@mkdir -p "$(GOLANGCI_LINT_DIR)"
	@echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) to $@ (once per machine; minutes on a busy one)" >&2
	tmp=$$(mktemp -d "$(GOLANGCI_LINT_DIR)/.golangci-lint.XXXXXX"); \
	  trap 'rm -rf "$$tmp"' EXIT; \
	  GOBIN="$$tmp" GOWORK=off go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	  mv "$$tmp/golangci-lint" "$@"

# One golangci-lint run over every module of go.work (the package patterns
# resolve through it, and the modules share one load of core). Its gofmt
# sees the files of the packages it builds; the gofmt -l after it also sees
# files no build on this platform includes (other GOOS, testdata).
# Two clones linting at once (CI beside a developer) share golangci-lint's
# cache; without --allow-parallel-runners the second one fails at once.
lint: $(GOLANGCI_LINT) ## golangci-lint (.golangci.yml) + gofmt must be clean
	"$(GOLANGCI_LINT)" run --allow-parallel-runners $(PKGS)
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $(MODULES)

bench: ## every benchmark, with allocations
	go test -run '^$$' -bench . -benchmem $(PKGS)

# The comparison with the peer libraries (the bench module): each workload
# for probekit and for alexliesenfeld/health, health-go and go-sundheit, the
# drain per framework, wrk on loopback and the rolling restart, then
# bench/cmd/report writes docs/benchmarks.md from the outputs, which stay in
# BENCH_OUT. The test binary is built once and run several times, each run
# going through every library, so that a burst of load from elsewhere lands
# on all of them rather than on one, and the report takes the medians. A few
# minutes on 2 cores: the speed benchmarks 5 × 200 ms each, wrk 3 × 3 s per
# target, the behaviour ones once (health-go's probe storm alone takes 20 s:
# it serializes probes), the rolling restart ~15 s after its build.
# BENCH_NOTE adds a paragraph about the run's conditions to the page.
BENCH_OUT  ?= $(or $(TMPDIR),/tmp)/probekit-bench
BENCH_NOTE ?=

bench-compare: tools-wrk ## compare with the peer libraries and rewrite docs/benchmarks.md (minutes)
	rm -rf "$(BENCH_OUT)" && mkdir -p "$(BENCH_OUT)"
	cat /proc/loadavg > "$(BENCH_OUT)/load-before"
	cd bench && go test -c -o "$(BENCH_OUT)/bench.test" .
	cd bench && for i in 1 2 3 4 5; do "$(BENCH_OUT)/bench.test" -test.run '^$$' -test.bench '^Benchmark(Cached|Sync|Drain)$$' -test.benchtime 200ms; done | tee "$(BENCH_OUT)/speed.txt"
	cd bench && for i in 1 2 3; do CI=true PROBEKIT_WRK_DURATION=3s "$(BENCH_OUT)/bench.test" -test.run '^$$' -test.bench '^BenchmarkWrk$$' -test.benchtime 1x; done | tee "$(BENCH_OUT)/wrk.txt"
	cd bench && "$(BENCH_OUT)/bench.test" -test.run '^$$' -test.bench '^Benchmark(Storm|Panic)$$' -test.benchtime 1x | tee "$(BENCH_OUT)/behaviour.txt"
	cd bench && "$(BENCH_OUT)/bench.test" -test.run '^$$' -test.bench '^BenchmarkHung$$' -test.benchtime 5x | tee "$(BENCH_OUT)/hung.txt"
	cd bench && PROBEKIT_ROLLING_OUT="$(BENCH_OUT)/rolling.json" go test -count=1 -run '^TestRollingRestart$$' -v . | tee "$(BENCH_OUT)/rolling.txt"
	cd bench && go run ./cmd/report -gomod go.mod -load-before "$$(cat "$(BENCH_OUT)/load-before")" \
	  -commit "$$(git rev-parse --short HEAD)" -note "$(BENCH_NOTE)" -rolling "$(BENCH_OUT)/rolling.json" \
	  -o ../docs/benchmarks.md "$(BENCH_OUT)"/{speed,wrk,behaviour,hung}.txt
	@echo "wrote docs/benchmarks.md" >&2

# Every native fuzz target (func FuzzX in a _test.go file of any module),
# found by name and run for FUZZTIME each; `make test` runs their seed
# corpora. A failure stops here and leaves its input under the package's
# testdata/fuzz/FuzzX/ for `go test` to replay.
FUZZTIME ?= 30s
# Minimizing each new interesting input may take a worker a minute (the
# default) during which it finds nothing: keep it short so that FUZZTIME
# goes to fuzzing. It also bounds the minimization of a failing input.
FUZZMINIMIZETIME ?= 5s

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@grep -rl --include='*_test.go' '^func Fuzz' $(MODULES) | xargs -n1 dirname | sort -u | while read -r dir; do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$dir"/*_test.go); do \
	    echo "== $$dir $$t ($(FUZZTIME))"; \
	    go test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) "$$dir" </dev/null; \
	  done; \
	done
