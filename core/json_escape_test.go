package core

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// The JSON forms are what `curl /readyz` prints on an operator's terminal:
// a check's reason holding C1 controls (U+009B is CSI, which xterm obeys in
// UTF-8) or bidirectional overrides must come out escaped there too, as the
// verbose form escapes them, and still decode to the same text.
func TestJSONEscapesC1AndBidi(t *testing.T) {
	t.Parallel()
	const reason = "db \u009b2J\u009d0;owned\u0007 \u202eevil\u2066x\u2069 \u007f"
	r := newTestRegistry(t, Options{})
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error { return Unhealthy(reason, nil) }}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	for _, accept := range []string{"", "application/health+json"} {
		p := r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness, Accept: accept})
		for _, c := range string(p.Body) {
			if (0x7f <= c && c < 0xa0) || (0x202a <= c && c <= 0x202e) || (0x2066 <= c && c <= 0x2069) {
				t.Fatalf("%s body lets %U through: %q", p.ContentType, c, p.Body)
			}
		}
		if !strings.Contains(string(p.Body), `\u009b2J`) {
			t.Fatalf("%s body: %s", p.ContentType, p.Body)
		}
		if !json.Valid(p.Body) {
			t.Fatalf("%s body is not JSON: %s", p.ContentType, p.Body)
		}
		if accept != "" {
			continue
		}
		var v struct {
			Checks map[string]struct{ Message string }
		}
		if err := json.Unmarshal(p.Body, &v); err != nil || v.Checks["db"].Message != reason {
			t.Fatalf("message decodes to %q (%v), want %q", v.Checks["db"].Message, err, reason)
		}
	}
}

// A transition's reason and names reach the log one line, printable: the
// JSON handler of log/slog lets C1 controls and bidi overrides through, and
// `kubectl logs` prints them on a terminal. Notify's fields are the
// caller's (a breaker's name, say), so they are cleaned too.
func TestTransitionLogIsPrintable(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	const bad = "\u009b2J\u202e\u0085"
	if err := r.Register(Check{Name: "db", Check: func(context.Context) error { return Unhealthy("db "+bad, nil) }}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness})
	r.Notify(Transition{Component: "breaker" + bad, Name: "pg" + bad, From: "closed" + bad, To: "open" + bad, Reason: "5 failures" + bad})
	out := logs.String()
	if !strings.Contains(out, "breaker") || !strings.Contains(out, `"reason":"db`) {
		t.Fatalf("transitions not logged:\n%s", out)
	}
	for _, c := range out {
		if (0x7f <= c && c < 0xa0) || (0x202a <= c && c <= 0x202e) {
			t.Fatalf("log lets %U through:\n%s", c, out)
		}
	}
}
