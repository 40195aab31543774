package core

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// fuzzError is an error whose every method is user code the fuzzer
// shapes: its text, whether its methods panic, and what its Unwrap returns.
type fuzzError struct {
	text   string
	panics bool
	inner  error
}

func (e *fuzzError) Error() string {
	if e.panics {
		panic(e.text)
	}
	return e.text
}

func (e *fuzzError) Unwrap() error {
	if e.panics {
		panic("unwrap")
	}
	return e.inner
}

// FuzzCheckError: whatever a check's error holds (any text, a reason of
// its own, degraded or not, methods that panic, a nil receiver), with or
// without ExposeErrors, every probe form is valid and inert, no probe or
// log line shows a secret of the raw text (probes show it only with
// ExposeErrors, logs redacted), and nothing panics.
func FuzzCheckError(f *testing.F) {
	for _, s := range []struct {
		text, reason string
		mode         uint8
	}{
		{"dial tcp 10.0.0.1:5432: connection refused", "", 0},
		{"token=" + fuzzSecret + " \x1b[31mred\x07\xff", "", 1},
		{"x", "db \x1b]8;;http://evil\x07link\u202e", 2},
		{"password " + fuzzSecret, "slow", 3},
		{"", "", 4},
		{strings.Repeat("\x00\r\n", 100), "", 5},
	} {
		f.Add(s.text, s.reason, s.mode)
	}
	f.Fuzz(func(t *testing.T, text, reason string, mode uint8) {
		// The raw text always holds a secret that Redact can tell as one.
		raw := "dial: password=" + fuzzSecret + " " + text
		unmarked := strings.Contains(text, fuzzSecret) || strings.Contains(reason, fuzzSecret)
		var err error
		switch mode % 6 {
		case 0:
			err = errors.New(raw)
		case 1:
			err = &fuzzError{text: raw}
		case 2:
			err = Unhealthy(reason, &fuzzError{text: raw})
		case 3:
			err = Degraded(reason, &fuzzError{text: raw, panics: true})
		case 4:
			var nilErr *fuzzError
			err = nilErr
		case 5:
			err = &fuzzError{text: raw, panics: true, inner: errors.New(raw)}
		}
		for _, expose := range []bool{false, true} {
			var logs syncBuffer
			r := newTestRegistry(t, Options{ExposeErrors: expose, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if e := r.Register(Check{Name: "dep", Kinds: Readiness | Liveness, Check: func(context.Context) error { return err }}); e != nil {
				t.Fatal(e)
			}
			r.MarkStarted()
			for _, req := range []ProbeRequest{
				{Method: http.MethodGet, Kind: Readiness},
				{Method: http.MethodGet, Kind: Readiness, RawQuery: "verbose"},
				{Method: http.MethodGet, Kind: Liveness, Accept: "application/health+json"},
				{Method: http.MethodGet, Kind: Readiness, Check: "dep", RawQuery: "verbose"},
			} {
				p := r.Probe(context.Background(), req)
				if p.Code != http.StatusOK && p.Code != http.StatusServiceUnavailable {
					t.Fatalf("%+v: status %d", req, p.Code)
				}
				if expose {
					// The raw text may show, escaped for its medium.
					p.Body = []byte(strings.ReplaceAll(string(p.Body), fuzzSecret, "s"))
				}
				if unmarked {
					continue // a reason is the check's word for what is safe to show
				}
				checkProbeResponse(t, p)
			}
			if e := r.Close(); e != nil {
				t.Fatal(e)
			}
			if strings.Contains(logs.String(), fuzzSecret) && !unmarked {
				t.Fatalf("secret in the log:\n%s", logs.String())
			}
		}
	})
}
