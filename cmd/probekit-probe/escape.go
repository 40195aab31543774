package main

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxReasonBytes caps one piece of untrusted text in a message: a hostile
// server's error text or a redirect target cannot flood the terminal or
// Docker's health log (which keeps the last 4 KiB of output).
const maxReasonBytes = 512

// escape makes text from outside (a server's error message, a redirect
// target, an argument) safe to print on a terminal: printable characters
// stay, everything else (escape sequences, carriage returns, newlines,
// bidirectional overrides, invalid UTF-8) is written as a Go escape, so a
// server cannot inject terminal control sequences or forge extra lines.
// Text longer than maxReasonBytes is cut, and says so.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= maxReasonBytes {
			b.WriteString("...(truncated)")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			// QuoteRune gives \x1b, \n, \u202e; drop its quotes.
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// redactURL is u as it may be shown: no user information and no query
// (either may hold a token), the fragment dropped (never sent anyway).
// The result is not escaped yet.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery, c.ForceQuery = "REDACTED", false
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}
