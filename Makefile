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

.PHONY: demo test vet lint fmt bench

demo: ## run the example service on :$(PORT)
	go run ./core/internal/demo

test: vet ## go vet + go test -race over every module, integration tests included
	go test -race -count=1 -timeout 4m $(PKGS)

vet:
	go vet $(PKGS)

lint: vet ## go vet + gofmt must be clean
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $(MODULES)

bench: ## every benchmark, with allocations
	go test -run '^$$' -bench . -benchmem $(PKGS)
