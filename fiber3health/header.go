package fiber3health

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

// setHeader sets one header of a probe answer. The names core writes (see
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
