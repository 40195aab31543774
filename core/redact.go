package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces each secret that [Redact] removes.
const Redacted = "[redacted]"

// maxRedacted is the most bytes Redact returns: the text goes into one log
// line, and a dependency must not be able to fill the logs through its error
// messages.
const maxRedacted = 1024

// truncated ends text that Redact cut to maxRedacted bytes.
const truncated = "…"

// Redact returns error text fit for a log line: on one line (control
// characters, including CR and LF, become spaces; invalid UTF-8 becomes
// U+FFFD), at most 1 KiB long (cut text ends with "…"), with the secrets
// that error text is known to carry replaced by [Redacted]:
//
//   - the whole user info of a URL, user name included, since tokens are
//     often passed as the user name: "postgres://app:pw@db/x" becomes
//     "postgres://[redacted]@db/x";
//   - the user info of a MySQL DSN: "app:pw@tcp(db:3306)/x" becomes
//     "[redacted]@tcp(db:3306)/x";
//   - the value after "=" or ":" of every key whose name contains pass, pwd,
//     secret, token, key, sig, auth, credential, cookie or session, in any
//     case: password=pw, password = 'p w' (libpq's quoting), PGPASSWORD=pw,
//     "password":"pw", ?access_token=t, &X-Amz-Signature=s, api_key: k;
//     an unquoted value runs to the next space (MySQL's "(using password:
//     YES)", which says whether a password was sent, stays);
//   - the word after Bearer, Basic, Digest, Negotiate, NTLM or Token, so that
//     "Authorization: Bearer t" becomes "Authorization: Bearer [redacted]";
//   - a quoted string after "port", where net/url quotes the start of a
//     password that holds a '/': invalid port ":pass" after host.
//
// Redaction errs on the side of removing too much: "mailto:a@b" loses its
// user too. It cannot find a secret that nothing marks as one, nor the rest
// of an unquoted password that contains a space or a quote. Redact never
// panics, runs in time linear in len(s), and Redact(Redact(s)) == Redact(s).
func Redact(s string) string {
	out := scrub(oneLine(unescapePercents(s)))
	if len(out) <= maxRedacted {
		return string(out)
	}
	cut := maxRedacted - len(truncated)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return string(out[:cut]) + truncated
}

// redactError returns Redact(err.Error()). Error is user code: if it
// panics, a fixed text stands in for it.
func redactError(err error) string {
	text, ok := safeErrorText(err)
	if !ok {
		return "(the error's Error method panicked)"
	}
	return Redact(text)
}

// safeErrorText returns err.Error(), or false if that panicked (a typed nil
// pointer, a buggy method).
func safeErrorText(err error) (text string, ok bool) {
	if _, panicked := recovering(func() { text = err.Error() }); panicked {
		return "", false
	}
	return text, true
}

// oneLine replaces every rune that is not printable (CR, LF, tabs, other
// control and format characters) with a space, and invalid UTF-8 with
// U+FFFD, so that the text cannot break or forge a log line.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteString(s[i-size : i])
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// secretKeys are the parts of a key name that mark its value as a secret.
var secretKeys = []string{"pass", "pwd", "secret", "token", "key", "sig", "auth", "credential", "cookie", "session"}

// authSchemes are the words after which a credential follows.
var authSchemes = []string{"bearer", "basic", "digest", "negotiate", "ntlm", "token"}

// mysqlUsing precedes YES or NO in MySQL's "Access denied" errors.
const mysqlUsing = "(using password"

// quotedAfter are the words after which a quoted string may be part of a
// password that broke a URL's syntax.
var quotedAfter = []string{"port"}

// scrubber is the state of one left-to-right pass of scrub. A token is a
// run of bytes between spaces and quotes.
type scrubber struct {
	s   string
	out []byte
	// tok is where the current token starts in out.
	tok int
	// colon reports a ':' (not of "://") in the current token.
	colon bool
	// user is where a URL's (or DSN's) user info starts in out, or -1: each
	// '@' of the token redacts everything from there, so the last '@' wins.
	user int
	// url reports a "://" in the current token: a ':' after it separates a
	// user from a password, or a host from a port, never a key from a value.
	url bool
	// next asks for the next token to be redacted (it follows an auth scheme).
	next bool
}

// scrub replaces the secrets in s, a single line, with Redacted. Each byte
// of s is read once, and each byte written to out is removed at most once.
func scrub(s string) []byte {
	sc := scrubber{s: s, out: make([]byte, 0, len(s)), user: -1}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case sc.next && c != ' ':
			sc.next = false
			i = sc.value(i)
		case c == ' ' || isQuote(c):
			if c == ' ' && (endsWithWord(sc.out[sc.tok:], authSchemes) ||
				// net/url: `invalid port ":pass" after host` for a
				// password that holds a '/'.
				i+1 < len(s) && isQuote(s[i+1]) && endsWithWord(sc.out[sc.tok:], quotedAfter)) {
				sc.next = true
			}
			sc.out = append(sc.out, c)
			sc.tok, sc.colon, sc.user, sc.url = len(sc.out), false, -1, false
			i++
		case strings.HasPrefix(s[i:], "://"):
			sc.out = append(sc.out, "://"...)
			sc.user, sc.url = len(sc.out), true
			i += 3
		case c == '@' && (sc.user >= 0 || sc.colon):
			if sc.user < 0 {
				sc.user = sc.tok
			}
			sc.out = append(append(sc.out[:sc.user], Redacted...), '@')
			i++
		case c == ':' && strings.HasSuffix(string(sc.out[max(0, len(sc.out)-len(mysqlUsing)):]), mysqlUsing) &&
			(strings.HasPrefix(s[i:], ": YES)") || strings.HasPrefix(s[i:], ": NO)")):
			// MySQL's "Access denied ... (using password: NO)" says whether
			// a password was sent, not what it was.
			sc.out = append(sc.out, ": "...)
			i += 2
		case (c == '=' || c == ':' && !sc.url) && secretKeyBefore(sc.out):
			sc.out = append(sc.out, c)
			i++
			for i < len(s) && s[i] == ' ' {
				sc.out = append(sc.out, ' ')
				i++
			}
			i = sc.value(i)
		default:
			if c == ':' {
				sc.colon = true
			}
			sc.out = append(sc.out, c)
			i++
		}
	}
	return sc.out
}

// value writes the redacted form of the value at s[i:]: a quoted string
// (with backslash escapes; unclosed, it runs to the end) or a run of bytes up
// to the next space. It returns where the value ends.
func (sc *scrubber) value(i int) int {
	s := sc.s
	if i >= len(s) {
		return i
	}
	j := i
	if q := s[i]; isQuote(q) {
		for j++; j < len(s); j++ {
			if s[j] == '\\' {
				j++
			} else if s[j] == q {
				j++
				break
			}
		}
		j = min(j, len(s))
		if j < len(s) && !strings.ContainsRune(" ,;)]}", rune(s[j])) {
			// Text glued to the closing quote means the quotes did not
			// delimit the value (a quote inside an unquoted password):
			// the value runs on to the next space.
			for j < len(s) && s[j] != ' ' {
				j++
			}
		}
	} else if rest, ok := strings.CutPrefix(s[i:], Redacted); ok && (rest == "" || !isKeyByte(rest[0])) {
		// Already redacted, from a quoted value that the scan after it
		// must see as it did the first time.
		j = i + len(Redacted)
	} else {
		for j < len(s) && s[j] != ' ' {
			j++
		}
	}
	v := s[i:j]
	switch {
	case strings.Contains(v, "@") && (sc.user >= 0 || sc.colon):
		// The value ran past the '@' of user info: redact from its start.
		if sc.user < 0 {
			sc.user = sc.tok
		}
		sc.out = append(sc.out[:sc.user], Redacted...)
	case isWord(v, authSchemes):
		// "Authorization: Bearer t": the scheme stays, the space after it
		// asks for t to be redacted.
		sc.out = append(sc.out, v...)
	case isRedacted(v):
		sc.out = append(sc.out, v...)
	default:
		sc.out = append(sc.out, Redacted...)
		if endsWithKey(v) {
			// The value was a key ("password= token: t"): its own value
			// follows.
			sc.next = true
		}
	}
	return j
}

// endsWithKey reports whether v ends with a key and its separator: "token:",
// `"token":`, but not the end of a quoted URL, `?a=b":`, after which comes
// the cause of an error.
func endsWithKey(v string) bool {
	n := len(v)
	if n < 2 || v[n-1] != ':' && v[n-1] != '=' {
		return false
	}
	c := v[n-2]
	return isKeyByte(c) || isQuote(c) && strings.Count(v, string(c))%2 == 0
}

// isRedacted reports whether v is (a cut form of) what Redact writes in
// place of a secret, so that redacting twice changes nothing.
func isRedacted(v string) bool {
	t, cut := strings.CutSuffix(v, truncated)
	if strings.HasPrefix(Redacted, t) {
		return true
	}
	if cut {
		for _, w := range authSchemes {
			if len(t) <= len(w) && strings.EqualFold(t, w[:len(t)]) {
				return true
			}
		}
	}
	return false
}

// secretKeyBefore reports whether out ends with a key whose name marks its
// value as a secret, possibly quoted and followed by spaces.
func secretKeyBefore(out []byte) bool {
	j := len(out)
	for j > 0 && out[j-1] == ' ' {
		j--
	}
	if j > 0 && isQuote(out[j-1]) {
		j--
	}
	if j >= len(Redacted) && string(out[j-len(Redacted):j]) == Redacted {
		// The key itself was taken for a secret ("Bearer password = x"):
		// its value is one too.
		return true
	}
	k := j
	for k > 0 && isKeyByte(out[k-1]) {
		k--
	}
	if k == j {
		return false
	}
	for _, w := range secretKeys {
		if containsFold(out[k:j], w) {
			return true
		}
	}
	return false
}

// containsFold reports whether b contains w, a lower-case ASCII word, in
// any case.
func containsFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		if equalFold(b[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// equalFold reports whether b is w, a lower-case ASCII word, in any case.
func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// endsWithWord reports whether tok ends with one of words, as a whole word.
func endsWithWord(tok []byte, words []string) bool {
	for _, w := range words {
		if len(tok) < len(w) {
			continue
		}
		start := len(tok) - len(w)
		if equalFold(tok[start:], w) && (start == 0 || !isAlnum(tok[start-1])) {
			return true
		}
	}
	return false
}

func isWord(v string, words []string) bool {
	for _, w := range words {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isQuote(c byte) bool { return c == '"' || c == '\'' || c == '`' }

func isKeyByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// maxUnescapeRounds bounds how many layers of percent-encoding Redact
// takes off: a secret inside a URL inside a query parameter is encoded
// twice, more is pathological.
const maxUnescapeRounds = 4

// maxRedactInput bounds the text Redact reads, so that its cost stays
// linear in what it can show (at most maxRedacted bytes come out).
const maxRedactInput = 64 << 10

// unescapePercents decodes %XX sequences, layer after layer, so that a
// secret percent-encoded in a query ("dsn=postgres%3A%2F%2Fapp%3Apw%40db",
// "password%3Dpw") meets the same scrubbing as a plain one: key=value pairs
// and URL user info are recognised only once decoded. Past
// maxUnescapeRounds, a '%' that still starts a sequence becomes U+FF05
// (FULLWIDTH PERCENT SIGN), so that nothing is left to decode and Redact
// stays idempotent.
func unescapePercents(s string) string {
	if len(s) > maxRedactInput {
		s = s[:maxRedactInput]
	}
	for range maxUnescapeRounds {
		if !hasPercentEscape(s) {
			return s
		}
		s = decodePercents(s)
	}
	if !hasPercentEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteString("\uff05")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hasPercentEscape(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
	}
	return false
}

// decodePercents replaces every %XX sequence with its byte; a '%' that
// starts none is kept as it is.
func decodePercents(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
