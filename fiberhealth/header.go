package fiberhealth

// fiber3health/header.go is this file for fiber v3, on purpose a copy: see
// its comment. Change one, change the other.

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"
)

// Header names of core's probe responses (see [core.ProbeResponse.Headers]),
// in the canonical form fasthttp would otherwise compute from the string on
// every probe.
var (
	keyCacheControl       = []byte(fiber.HeaderCacheControl)
	keyXContentTypeOption = []byte(fiber.HeaderXContentTypeOptions)
	keyAllow              = []byte(fiber.HeaderAllow)
)

// setHeader sets one header of a probe response on h, as h.Set(key, value)
// does, without re-normalizing the names core uses: Content-Type goes to
// fasthttp's own field, the others through SetCanonical with a name
// normalized once. A name core may add later takes h.Set. The values are
// core's constants, free of the line breaks h.Set would strip; fasthttp
// copies them.
func setHeader(h *fasthttp.ResponseHeader, key, value string) {
	switch key {
	case fiber.HeaderContentType:
		h.SetContentType(value)
	case fiber.HeaderCacheControl:
		h.SetCanonical(keyCacheControl, utils.UnsafeBytes(value))
	case fiber.HeaderXContentTypeOptions:
		h.SetCanonical(keyXContentTypeOption, utils.UnsafeBytes(value))
	case fiber.HeaderAllow:
		h.SetCanonical(keyAllow, utils.UnsafeBytes(value))
	default:
		h.Set(key, value)
	}
}
