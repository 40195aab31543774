package core

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseQuery: any query string is either rejected with a reason or
// parsed into values net/url agrees with; it never panics.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "verbose", "verbose=true", "verbose=0", "exclude=db&exclude=redis",
		"exclude=", "exclude=%zz", "a=b&&c", "exclude=a+b", "verbose=maybe", "%", "exclude=%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, msg := parseQuery(raw)
		if msg != "" {
			return
		}
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return // net/url is stricter about keys we ignore
		}
		if got, want := len(q.exclude), len(vals["exclude"]); got != want {
			t.Fatalf("%q: %d excludes, net/url finds %d", raw, got, want)
		}
		for i, v := range vals["exclude"] {
			if q.exclude[i] != v || v == "" {
				t.Fatalf("%q: exclude[%d] = %q, net/url says %q", raw, i, q.exclude[i], v)
			}
		}
	})
}

// FuzzAppendJSON: whatever the check names and messages hold, the JSON and
// health+json encoders produce valid JSON that decodes to the same strings
// (invalid UTF-8 replaced, as encoding/json does).
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "ok", `quote " backslash \ `, "line\nbreak\ttab\r", "<script>&amp;",
		"\x00\x1f\x7f", "\u2028\u2029", "héllo wörld", "\xff\xfe invalid", "emoji 🙂"} {
		f.Add(s, s+"-service")
	}
	f.Fuzz(func(t *testing.T, msg, service string) {
		rep := Report{Kind: Readiness, Status: StatusDegraded, Message: msg, Time: time.Unix(1700000000, 0),
			Checks: []Result{{Name: "db", Status: StatusUnavailable, Message: msg, Duration: 1500 * time.Microsecond}}}
		m := meta{service: service, version: msg, instance: msg}
		want := replaceInvalid(msg)

		var plain struct {
			Message, Service string
			Checks           map[string]struct{ Message string }
		}
		b := appendJSON(nil, &rep, m)
		if err := json.Unmarshal(b, &plain); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		if plain.Message != want || plain.Checks["db"].Message != want || plain.Service != replaceInvalid(service) {
			t.Fatalf("round trip of %q gave %+v", msg, plain)
		}
		if !utf8.Valid(b) {
			t.Fatal("output is not valid UTF-8")
		}

		var health struct {
			Output string
			Checks map[string][]struct{ Output string }
		}
		b = appendHealthJSON(nil, &rep, m)
		if err := json.Unmarshal(b, &health); err != nil {
			t.Fatalf("invalid health+json %q: %v", b, err)
		}
		if health.Output != want || health.Checks["db:responseTime"][0].Output != want {
			t.Fatalf("health+json round trip of %q gave %+v", msg, health)
		}

		// The text form keeps one line per check whatever the message holds.
		text := string(appendVerbose(nil, &rep, nil, "readyz", false))
		if n := strings.Count(text, "\n"); n != 2 {
			t.Fatalf("verbose output has %d lines:\n%s", n, text)
		}
	})
}

// replaceInvalid replaces each invalid UTF-8 byte with U+FFFD, as
// encoding/json does when it decodes what appendString wrote.
func replaceInvalid(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // ranging yields RuneError for each invalid byte
	}
	return b.String()
}
