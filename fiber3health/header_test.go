package fiber3health

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// setHeader must write the header bytes fasthttp's own Set writes, for the
// names it knows (core's) and for any other.
func TestSetHeaderAsSet(t *testing.T) {
	t.Parallel()
	for _, kv := range [][2]string{
		{"Content-Type", "application/health+json"},
		{"Cache-Control", "no-store"},
		{"X-Content-Type-Options", "nosniff"},
		{"Allow", "GET, HEAD"},
		{"x-other-header", "v"},
	} {
		var want, got fasthttp.ResponseHeader
		want.Set(kv[0], kv[1])
		setHeader(&got, kv[0], kv[1])
		if w, g := want.String(), got.String(); w != g {
			t.Errorf("setHeader(%q, %q) wrote\n%q\nwant (as Set)\n%q", kv[0], kv[1], g, w)
		}
	}
}
