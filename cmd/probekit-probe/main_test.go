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

// probe runs the command in process, as main would, and returns its exit
// status and output.
func probe(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, os.ReadFile)
	return code, out.String(), errOut.String()
}
