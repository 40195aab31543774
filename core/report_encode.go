package core

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The encodings of a report, one per response format. The probe layer
// chooses the format; everything about turning a report into bytes is here.

// format is one of the response encodings.
type format uint8

const (
	formatJSON format = iota
	formatHealthJSON
	formatVerbose
	numFormats
)

// StatusCode maps a status to the HTTP code the probes answer with.
func (r *Registry) StatusCode(s Status) int {
	switch {
	case s == StatusOK:
		return http.StatusOK
	case s == StatusDegraded && !r.opts.DegradedUnavailable:
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// scratch holds encoding buffers: a report is encoded into one, then
// copied into a body of its exact size, the one allocation of an encoding
// (a probe's body is the caller's to keep), or lent as it is to a caller
// that writes it at once (see lentBody).
var scratch = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

// lentBody is a scratch buffer lent out as a response body, for a caller
// that writes the body and then has no more use for it (core's own
// handler): such a probe allocates no body.
type lentBody struct{ buf *[]byte }

// release returns the lent buffer, if any; the body must not be used after.
func (l *lentBody) release() {
	if l.buf != nil {
		putScratch(l.buf)
		l.buf = nil
	}
}

func putScratch(bp *[]byte) {
	if cap(*bp) <= 64<<10 { // a huge report's buffer is left to the collector
		scratch.Put(bp)
	}
}

// encode encodes rep in format f; excluded are the checks the request
// excluded, which only the verbose form lists. With lend, the body is a
// scratch buffer lent to the caller through it; without, a copy of its own.
func (r *Registry) encode(rep *Report, f format, excluded []string, lend *lentBody) (code int, contentType string, body []byte) {
	code = r.StatusCode(rep.Status)
	m := meta{service: r.opts.Service, version: r.opts.Version, instance: r.opts.Instance}
	bp := scratch.Get().(*[]byte)
	b := (*bp)[:0]
	switch f {
	case formatHealthJSON:
		contentType, b = contentTypeHealthJSON, appendHealthJSON(b, rep, m)
	case formatVerbose:
		contentType, b = contentTypeText, appendVerbose(b, rep, excluded, rep.Kind.String(), code == http.StatusOK)
	default:
		contentType, b = contentTypeJSON, appendJSON(b, rep, m)
	}
	*bp = b
	if lend != nil {
		lend.buf = bp
		return code, contentType, b
	}
	body = append(make([]byte, 0, len(b)), b...)
	putScratch(bp)
	return code, contentType, body
}

// meta is what every rendered report says about the service.
type meta struct {
	service, version, instance string
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendJSON renders rep in probekit's JSON format.
func appendJSON(b []byte, rep *Report, m meta) []byte {
	b = append(b, `{"status":`...)
	b = appendString(b, rep.Status.String())
	b = append(b, `,"message":`...)
	b = appendString(b, rep.Message)
	b = append(b, `,"timestamp":`...)
	b = appendTime(b, rep.Time)
	b = append(b, `,"service":`...)
	b = appendString(b, m.service)
	b = append(b, `,"version":`...)
	b = appendString(b, m.version)
	b = append(b, `,"instance":`...)
	b = appendString(b, m.instance)
	b = append(b, `,"checks":{`...)
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Name)
		b = append(b, `:{"status":`...)
		b = appendString(b, c.Status.String())
		b = append(b, `,"message":`...)
		b = appendString(b, c.Message)
		b = append(b, `,"duration_ms":`...)
		b = appendMillis(b, c.Duration)
		b = append(b, `,"last_success":`...)
		b = appendTime(b, c.LastSuccess)
		b = append(b, `,"consecutive_failures":`...)
		b = strconv.AppendInt(b, int64(c.ConsecutiveFailures), 10)
		b = append(b, `,"critical":`...)
		b = strconv.AppendBool(b, c.Critical)
		b = appendCheckExtrasJSON(b, c)
		b = append(b, '}')
	}
	b = append(b, '}')
	b = appendFeaturesJSON(b, rep.Features)
	return append(b, "}\n"...)
}

// appendHealthJSON renders rep in the IETF draft "Health Check Response
// Format for HTTP APIs" (application/health+json): status pass/warn/fail and
// checks keyed "{componentName}:{measurementName}", here "name:responseTime".
func appendHealthJSON(b []byte, rep *Report, m meta) []byte {
	b = append(b, `{"status":`...)
	b = appendString(b, rep.Status.healthJSON())
	if m.version != "" {
		b = append(b, `,"version":`...)
		b = appendString(b, m.version)
	}
	if m.service != "" {
		b = append(b, `,"serviceId":`...)
		b = appendString(b, m.service)
	}
	if m.instance != "" {
		b = append(b, `,"description":`...)
		b = appendString(b, m.service+" on "+m.instance)
	}
	if rep.Message != "" {
		b = append(b, `,"output":`...)
		b = appendString(b, rep.Message)
	}
	b = append(b, `,"checks":{`...)
	for i := range rep.Checks {
		c := &rep.Checks[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Name+":responseTime")
		b = append(b, `:[{"componentId":`...)
		b = appendString(b, c.Name)
		b = append(b, `,"observedValue":`...)
		b = appendMillis(b, c.Duration)
		b = append(b, `,"observedUnit":"ms","status":`...)
		b = appendString(b, c.Status.healthJSON())
		b = append(b, `,"time":`...)
		b = appendTime(b, c.Time)
		if c.Message != "" {
			b = append(b, `,"output":`...)
			b = appendString(b, c.Message)
		}
		b = appendCheckExtrasHealthJSON(b, c)
		b = append(b, "}]"...)
	}
	b = appendFeaturesHealthJSON(b, rep.Features, len(rep.Checks) > 0)
	return append(b, "}}\n"...)
}

// appendVerbose renders rep in the Kubernetes apiserver's ?verbose text
// form: "[+]name ok", "[-]name failed: reason" (or "degraded: reason"), and
// "[+]name excluded: ok" for each check in excluded, in name order, then
// "{name} check passed" or "failed". A failure no check line explains
// (shutting down, starting) gets a line of its own. Messages are escaped
// for a terminal (see appendText); check names need no escaping.
func appendVerbose(b []byte, rep *Report, excluded []string, name string, passed bool) []byte {
	if rep.Message == "shutting down" && len(rep.Checks) == 0 {
		b = append(b, "[-]shutdown failed: shutting down\n"...)
	}
	explained := passed
	for i := range rep.Checks {
		c := &rep.Checks[i]
		for len(excluded) > 0 && excluded[0] < c.Name {
			b = appendExcluded(b, excluded[0])
			excluded = excluded[1:]
		}
		if c.Status == StatusOK {
			b = append(b, "[+]"...)
			b = append(b, c.Name...)
			b = append(b, " ok\n"...)
			continue
		}
		explained = true
		b = append(b, "[-]"...)
		b = append(b, c.Name...)
		if c.Status == StatusDegraded || !c.Critical {
			b = append(b, " degraded: "...)
		} else {
			b = append(b, " failed: "...)
		}
		msg := c.Message
		if msg == "" || msg == "failed" {
			msg = "reason withheld"
		}
		b = appendText(b, msg)
		b = appendCheckExtrasText(b, c)
		b = append(b, '\n')
	}
	for _, x := range excluded {
		b = appendExcluded(b, x)
	}
	if !explained && rep.Message == startingExcluded {
		b = append(b, "[-]startup failed: "+startingExcluded+"\n"...)
	}
	b = append(b, name...)
	if passed {
		return append(b, " check passed\n"...)
	}
	return append(b, " check failed\n"...)
}

func appendExcluded(b []byte, name string) []byte {
	b = append(b, "[+]"...)
	b = append(b, name...)
	return append(b, " excluded: ok\n"...)
}

// appendText appends s for a plain-text line that may reach a terminal:
// line breaks and tabs become spaces (one check is one line); other C0
// controls, DEL, C1 controls, the line and paragraph separators and the
// bidirectional overrides become \u00XX-style escapes, as in the JSON
// forms; each invalid UTF-8 byte becomes U+FFFD. The output is valid UTF-8
// that no terminal interprets.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\r' || c == '\t':
				b = append(b, ' ')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case r < 0xa0, r == '\u2028', r == '\u2029', 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// appendTime appends t as a JSON string in timeLayout, in UTC, or null for
// the zero time. Every probe body holds one per check: the digits are
// written directly, which is several times faster than AppendFormat, with
// AppendFormat kept for years outside 0000-9999.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	t = t.UTC()
	b = append(b, '"')
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = t.AppendFormat(b, timeLayout)
		return append(b, '"')
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return b
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes appendString copies as they are: printable
// ASCII other than '"', '\\', '<', '>' and '&'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, and
// <, > and & are escaped as encoding/json does, so the output is safe to
// embed in HTML. DEL, the C1 controls (U+009B is CSI, which terminals obey
// in UTF-8) and the bidirectional overrides are escaped as well, as in the
// verbose form: `curl /readyz` prints this on a terminal.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	plain := 0 // the prefix of s that needs no escaping: most names and messages, whole
	for plain < len(s) && jsonPlain[s[plain]] {
		plain++
	}
	b = append(b, s[:plain]...)
	for i := plain; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r < 0xa0, r == '\u2028', r == '\u2029', 0x202a <= r && r <= 0x202e, 0x2066 <= r && r <= 0x2069:
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
