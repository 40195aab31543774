package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// discardWriter is a reusable http.ResponseWriter that keeps the status
// code only, so that benchmarks measure the libraries, not a recorder.
type discardWriter struct {
	header http.Header
	code   int
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(b), nil
}

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *discardWriter) reset() {
	clear(w.header)
	w.code = 0
}

// probe serves one GET /readyz through h and returns the status code.
func probe(h http.Handler) int {
	w := newDiscardWriter()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return w.code
}

// waitStatus probes h until it answers want, for up to 10 s: a library's
// first background run is asynchronous.
func waitStatus(tb testing.TB, h http.Handler, want int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := probe(h)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("GET /readyz = %d after 10 s, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// serveLoop probes h in b's loop with one reused request and writer.
func serveLoop(b *testing.B, h http.Handler) {
	waitStatus(b, h, http.StatusOK)
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	w := newDiscardWriter()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
	if w.code != http.StatusOK {
		b.Fatalf("GET /readyz = %d, want 200", w.code)
	}
}
