package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// slowMachine is a timeout no loopback answer needs, even on a loaded
// machine under -race: a test that expects an answer must not fail for the
// default 1s. A later --timeout in a test's arguments wins.
const slowMachine = "--timeout=10s"

// probe runs the command in process, as main would, and returns its exit
// status and output.
func probe(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{slowMachine}, args...), &out, &errOut, os.ReadFile)
	return code, out.String(), errOut.String()
}
