package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// goldenBodiesSHA256 is the digest of goldenBodies as the core before the
// synchronous path's redesign (commit 20263d2) wrote them. To see a
// difference: `git archive 20263d2 core | tar -x -C /tmp/old`, copy this
// file there, and diff the two goldenBodies outputs (t.Log them).
const goldenBodiesSHA256 = "2976aa4f494f4f5e862ddb5b9428ecbe2544ed99ae24b55cc8e0a313006cf95f"

// TestBodiesMatchTheOldCore: the bytes of every probe response (status,
// headers, body; JSON, health+json and verbose; whole kinds, exclude, the
// per-check path, 4xx) are those of the core before the redesign of the
// synchronous path, on a fixed clock at edge times (years before 1000 and
// past 9999, negative years, zones east and west of UTC, fractions that
// round) and with hostile text in messages and options.
func TestBodiesMatchTheOldCore(t *testing.T) {
	t.Parallel()
	body := goldenBodies(t)
	sum := sha256.Sum256([]byte(body))
	if got := hex.EncodeToString(sum[:]); got != goldenBodiesSHA256 {
		t.Errorf("probe bytes differ from the old core's: sha256 %s, want %s", got, goldenBodiesSHA256)
	}
}

func goldenBodies(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	east := time.FixedZone("east", -(7*3600 + 13*60))
	times := []time.Time{
		time.Date(2026, 11, 28, 6, 51, 5, 123456789, time.UTC),
		time.Date(999, 1, 2, 3, 4, 5, 999999999, time.UTC),
		time.Date(12000, 1, 1, 0, 0, 0, 1000000, time.UTC),
		time.Date(-5, 6, 15, 12, 0, 0, 500000, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 999500000, east),
		time.Date(1, 1, 1, 0, 0, 0, 0, east),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999500000, time.FixedZone("x", 14*3600)),
	}
	for ti, now := range times {
		for _, expose := range []bool{false, true} {
			r := newTestRegistry(t, Options{Service: "svc<&>", Version: "1.2\u2028", Instance: "pod\x7f", ExposeErrors: expose})
			r.now = func() time.Time { return now }
			_ = r.Register(Check{Name: "a-ok", Check: ok})
			_ = r.Register(Check{Name: "b-fail", Check: func(context.Context) error {
				return errors.New("dial tcp 10.0.0.1:5432: connection refused \"q\" \\ <b> \x01 \xff \u202e end\n\tline")
			}})
			_ = r.Register(Check{Name: "c-degraded", Check: func(context.Context) error { return Degraded("slow <&>", errors.New("x")) }})
			_ = r.Register(Check{Name: "d-optional", Optional: true, Check: func(context.Context) error { return Unhealthy("gone", nil) }})
			_ = r.Register(Check{Name: "e-live", Kinds: Liveness, Check: ok})
			_ = r.Register(Check{Name: "f-panic", Kinds: Liveness, Check: func(context.Context) error { panic("boom\x1b[31m") }})
			_ = r.Register(Check{Name: "s-start", Kinds: Startup, Check: ok})
			targets := []string{
				"/readyz", "/readyz?verbose", "/livez", "/livez?verbose", "/startupz",
				"/readyz?exclude=b-fail&verbose", "/readyz?exclude=b-fail&exclude=a-ok",
				"/readyz/b-fail", "/readyz/b-fail?verbose", "/livez/e-live",
				"/readyz/nope", "/readyz?exclude=zzz", "/readyz?verbose=maybe",
			}
			for round := range 2 { // the second after the startup gate passed, with failures counted twice
				for _, accept := range []string{"", "application/health+json"} {
					for _, target := range targets {
						req := httptest.NewRequest(http.MethodGet, target, nil)
						if accept != "" {
							req.Header.Set("Accept", accept)
						}
						w := httptest.NewRecorder()
						r.Handler().ServeHTTP(w, req)
						fmt.Fprintf(&sb, "== t%d expose=%v round=%d %s accept=%q\n%d %v\n%s\n", ti, expose, round, target, accept, w.Code, w.Header(), w.Body.String())
					}
				}
			}
		}
	}
	return sb.String()
}
