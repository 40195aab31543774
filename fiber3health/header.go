package fiber3health

// This file is fiberhealth/header.go for fiber v3, on purpose a copy: the
// two adapters are separate modules depending on different fiber major
// versions (and fasthttp versions), and a package both could import would
// need a module of its own, a release and a fasthttp requirement to keep in
// step with both fibers, for some twenty lines. Change one, change the
// other.

import (
	"github.com/gofiber/utils/v2"
	"github.com/valyala/fasthttp"
)

// Header names of a probe answer, in the canonical form fasthttp stores
// them in. fasthttp's Header.Set copies and re-normalises a name on every
// call; SetCanonical takes it as it is.
var (
	hdrCacheControl        = []byte(fasthttp.HeaderCacheControl)
	hdrXContentTypeOptions = []byte(fasthttp.HeaderXContentTypeOptions)
	hdrAllow               = []byte(fasthttp.HeaderAllow)
)

// setHeader sets one header of a probe answer, as hdr.Set(k, v) would. The names core writes (see
// [core.ProbeResponse.Headers]) are set by their pre-normalised form, any
// other name through Set, which normalises it. fasthttp copies the value,
// so v may be passed without a copy of its own.
func setHeader(hdr *fasthttp.ResponseHeader, k, v string) {
	var key []byte
	switch k {
	case fasthttp.HeaderContentType:
		hdr.SetContentType(v)
		return
	case fasthttp.HeaderCacheControl:
		key = hdrCacheControl
	case fasthttp.HeaderXContentTypeOptions:
		key = hdrXContentTypeOptions
	case fasthttp.HeaderAllow:
		key = hdrAllow
	default:
		hdr.Set(k, v)
		return
	}
	hdr.SetCanonical(key, utils.UnsafeBytes(v))
}
