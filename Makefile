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

PORT ?= 8080
export PORT

.PHONY: demo test vet lint fmt bench fuzz

# The example service `make demo` runs: chi, gin, echo, fiber or nethttp.
# PORT (above), PROPAGATION_DELAY, DRAIN_TIMEOUT, MIGRATION_DELAY and
# REDIS_ADDR reach it from the environment or the make command line.
FRAMEWORK ?= chi
DEMO_BIN  := $(or $(TMPDIR),/tmp)/probekit-demo-$(FRAMEWORK)

# The binary is exec'd, not `go run`: the service is then the process that
# Ctrl-C and `kill -TERM <pid>` (it prints its pid and the curl lines to
# try) reach, and its exit status is make's.
demo: ## run the example service (FRAMEWORK=chi|gin|echo|fiber|nethttp) on :$(PORT)
	@case "$(FRAMEWORK)" in chi|gin|echo|fiber|nethttp) ;; \
	  *) echo "FRAMEWORK must be chi, gin, echo, fiber or nethttp, not '$(FRAMEWORK)'" >&2; exit 2 ;; esac
	go build -o "$(DEMO_BIN)" ./examples/$(FRAMEWORK)
	exec "$(DEMO_BIN)"

# Allocation guards (tests named *NoAlloc*) skip themselves under -race,
# which randomizes sync.Pool, so they get a run of their own without it.
test: vet ## go vet + go test -race over every module, integration tests included
	go test -race -count=1 -timeout 4m $(PKGS)
	go test -count=1 -run NoAlloc ./chihealth/...

vet:
	go vet $(PKGS)

lint: vet ## go vet + gofmt must be clean
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $(MODULES)

bench: ## every benchmark, with allocations
	go test -run '^$$' -bench . -benchmem $(PKGS)

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
