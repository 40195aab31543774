// Package consumer holds the installability test: for each released module
// alone, a throwaway module outside the repository and outside the
// workspace (GOWORK=off) runs `go get <module>@<version>`, `go mod tidy`,
// `go build` and the built program, which answers a readiness probe. The
// modules come from a file-based module proxy zipped from the working tree
// (package modproxy), laid out as the real proxy will serve them once the
// tags of versions.txt are pushed; third-party modules come from the usual
// proxy. A requirement of a version that will not exist, or a replace
// directive the module needs to build, fails here first.
//
// The test lives in the tools module, which go.work lists and versions.txt
// excludes, so `make test` runs it and no release publishes it.
//
// Each released module needs a program in testdata/<module dir>/main.go that
// imports only that module (and its own dependencies), runs a check named
// "consumer" and prints the probe's status code and body. A command module
// (root package main, such as cmd/probekit-probe) is not imported but
// installed: the test runs `go install <module>@<version>` outside any
// module and runs the binary against a local server.
package consumer
