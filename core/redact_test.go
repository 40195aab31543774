package core

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 2000)
	tests := []struct {
		name, in, want string
	}{
		{"url user info", `parse "postgres://app:hunter2@db:5432/orders?sslmode=disable": bad`,
			`parse "postgres://[redacted]@db:5432/orders?sslmode=disable": bad`},
		{"url user only (a token)", "clone https://ghp_hunter2@github.com/x failed",
			"clone https://[redacted]@github.com/x failed"},
		{"url password with @ and /", "dial redis://:hun/t@r2@cache:6379 failed",
			"dial redis://[redacted]@cache:6379 failed"},
		{"mysql dsn", "open root:hunter2@tcp(127.0.0.1:3306)/test: refused",
			"open [redacted]@tcp(127.0.0.1:3306)/test: refused"},
		{"libpq key=value", "host=db user=app password=hunter2 dbname=x",
			"host=db user=app password=[redacted] dbname=x"},
		{"libpq quoted", `host=db password = 'hun ter\'2' dbname=x`,
			"host=db password = [redacted] dbname=x"},
		{"pwd and passwd", "Pwd=hunter2;passwd=hunter3", "Pwd=[redacted]"},
		{"env", "PGPASSWORD=hunter2 psql", "PGPASSWORD=[redacted] psql"},
		{"json", `{"user":"app","password":"hunter2","db":"x"}`, `{"user":"app","password":[redacted],"db":"x"}`},
		{"query tokens", `Get "https://api/x?access_token=hunter2&y=1": EOF`, `Get "https://api/x?access_token=[redacted] EOF`},
		{"aws signature", "GET /b?X-Amz-Credential=AKIA1/x&X-Amz-Signature=hunter2 403",
			"GET /b?X-Amz-Credential=[redacted] 403"},
		{"api key header", "api_key: hunter2 rejected", "api_key: [redacted] rejected"},
		{"bearer", "Authorization: Bearer hunter2.x.y", "Authorization: Bearer [redacted]"},
		{"basic", "sent basic aHVudGVyMg== to proxy", "sent basic [redacted] to proxy"},
		{"net/url quotes a broken password", `parse "postgres://app:hun/ter2@db/x": invalid port ":hun" after host`,
			`parse "postgres://[redacted]@db/x": invalid port [redacted] after host`},
		{"nothing secret", `dial tcp 127.0.0.1:5432: connect: connection refused`,
			`dial tcp 127.0.0.1:5432: connect: connection refused`},
		{"mysql access denied keeps the user and whether a password was sent", "Error 1045 (28000): Access denied for user 'app'@'localhost' (using password: YES)",
			"Error 1045 (28000): Access denied for user 'app'@'localhost' (using password: YES)"},
		{"not mysql's yes or no", "(using password: YESS) (using password: NO", "(using password: [redacted] (using password: [redacted]"},
		{"one line", "a\nb\r\nc\td\x00e\u2028f\u202eg", "a b  c d e f g"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"capped", long, long[:maxRedacted-len(truncated)] + truncated},
		{"cap at a rune boundary", "é" + long, "é" + long[:maxRedacted-len(truncated)-2] + truncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tt.in)
			if got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "hunter") {
				t.Errorf("Redact(%q) leaks: %q", tt.in, got)
			}
			if again := Redact(got); again != got {
				t.Errorf("Redact is not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// panicError's Error method panics, as user code may.
type panicError struct{}

func (*panicError) Error() string { panic("boom") }

func TestRedactErrorContainsPanics(t *testing.T) {
	t.Parallel()
	var typedNil *CheckError
	for _, err := range []error{&panicError{}, typedNil} {
		if got := redactError(err); got != "(the error's Error method panicked)" {
			t.Errorf("redactError(%T) = %q", err, got)
		}
	}
}

// plantForms put a secret where error text carries secrets. Each starts
// with a space, so that the fuzzer's prefix cannot glue itself to it.
var plantForms = []string{
	" postgres://app:SECRET@db:5432/x",
	" redis://SECRET@cache",
	" app:SECRET@tcp(db:3306)/x",
	" password=SECRET",
	" password = 'SECRET'",
	` {"password":"SECRET"}`,
	" pwd=SECRET",
	" ?access_token=SECRET&x=1",
	" &X-Amz-Signature=SECRET",
	" client_secret: SECRET",
	" Authorization: Bearer SECRET",
	" Authorization: Basic SECRET",
	" PGPASSWORD=SECRET",
	` invalid port ":SECRET" after host`,
}

// FuzzRedact: whatever the text, Redact never panics, returns one line of
// valid UTF-8 of at most 1 KiB, is idempotent, and never lets through a
// secret planted in one of plantForms.
func FuzzRedact(f *testing.F) {
	f.Add("", "hunter2hunter2", "", uint8(0))
	f.Add("dial tcp: ", "s3cr3tValue", ": connection refused", uint8(3))
	f.Add(`parse "`, "t0ken0123", `": invalid port`, uint8(0))
	f.Add("password='", "abcdefgh", "\n\r\x00", uint8(4))
	f.Add("Bearer", "abcdefgh", "@x y", uint8(10))
	f.Fuzz(func(t *testing.T, prefix, secret, suffix string, form uint8) {
		for _, text := range []string{prefix, prefix + suffix} {
			checkRedacted(t, text, Redact(text))
		}
		secret = plantable(secret)
		text := prefix + strings.Replace(plantForms[int(form)%len(plantForms)], "SECRET", secret, 1) + suffix
		if strings.Count(text, secret) != 1 {
			return // the secret is also in the fuzzer's own text
		}
		got := Redact(text)
		checkRedacted(t, text, got)
		if strings.Contains(got, secret) {
			t.Fatalf("Redact(%q) = %q leaks %q", text, got, secret)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	text := `failed to connect to ` + "`user=app database=orders`" + `: 127.0.0.1:5432 (127.0.0.1): server error: FATAL: password authentication failed for user "app" (SQLSTATE 28P01); dsn postgres://app:hunter2@db:5432/orders?sslmode=verify-full&password=hunter2`
	b.ReportAllocs()
	for b.Loop() {
		Redact(text)
	}
}

func checkRedacted(t *testing.T, in, got string) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("Redact(%q) = %q: invalid UTF-8", in, got)
	}
	if len(got) > maxRedacted {
		t.Fatalf("Redact(%q): %d bytes", in, len(got))
	}
	for _, r := range got {
		if r != ' ' && !unicode.IsPrint(r) {
			t.Fatalf("Redact(%q) = %q holds %U", in, got, r)
		}
	}
	if again := Redact(got); again != got {
		t.Fatalf("Redact is not idempotent:\n in %q\nonce %q\ntwice %q", in, got, again)
	}
}

// plantable makes a secret of the fuzzer's bytes: letters and digits (any
// byte may be in a secret, but these are the ones that no rule can mistake
// for the end of one), framed to be long enough not to occur by chance.
func plantable(b string) string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := []byte("Q7z")
	for i := range len(b) {
		out = append(out, alnum[int(b[i])%len(alnum)])
	}
	return string(append(out, "K2w"...))
}

// Every pair of these fragments, around every plant form: the text a
// fuzzer reaches only slowly, tried exhaustively.
var plantContext = []string{
	"", " ", "x", "'", `"`, "`", `\`, "=", ":", "@", "/", "://", "s://", "a:", "a:b", "a:b@",
	"password", "password=", "password='", `password="`, "password = ", "token:", "Bearer", "Bearer ",
	"basic", "port ", "port", "[redacted]", "[red", "…", "\n", "\x00", "é", "?a=b&", ")", "(", ",",
	"password= token:", `"token":`, "Bearer password", "s://a:b", "password='a b", `\"`, "key: ", "@tcp(h)/d",
	`a="b" `, "x:y ", "token=Bearer", "Authorization: ", "Basic x ", "'a:b@c' ",
}

func TestRedactPlantedSecretsInContext(t *testing.T) {
	t.Parallel()
	const secret = "Q7zPlantedK2w"
	for _, form := range plantForms {
		planted := strings.Replace(form, "SECRET", secret, 1)
		for _, pre := range plantContext {
			for _, suf := range plantContext {
				text := pre + planted + suf
				got := Redact(text)
				if strings.Contains(got, secret) {
					t.Fatalf("Redact(%q) = %q leaks", text, got)
				}
				if again := Redact(got); again != got {
					t.Fatalf("Redact is not idempotent:\n in %q\nonce %q\ntwice %q", text, got, again)
				}
			}
		}
	}
}

// A secret percent-encoded in a query parameter is scrubbed like a plain
// one (found by the observability review): Redact decodes %XX first, layer
// after layer, and stays idempotent on what it cannot decode further.
func TestRedactPercentEncoded(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, secret string }{
		{"GET /x?dsn=postgres%3A%2F%2Fapp%3Ahunter2%40db%2Forders failed", "hunter2"},
		{"bad query password%3Dhunter2&x=1", "hunter2"},
		{"twice: dsn=postgres%253A%252F%252Fapp%253Ahunter2%2540db", "hunter2"},
		{"token%3Ds3cr3t-value", "s3cr3t-value"},
	}
	for _, tt := range tests {
		got := Redact(tt.in)
		if strings.Contains(got, tt.secret) {
			t.Errorf("Redact(%q) = %q: leaks %q", tt.in, got, tt.secret)
		}
		if again := Redact(got); again != got {
			t.Errorf("Redact is not idempotent on %q: %q then %q", tt.in, got, again)
		}
	}
	deep := "a%2525252525252541b"
	if got := Redact(deep); Redact(got) != got {
		t.Errorf("Redact(%q) = %q is not idempotent", deep, got)
	}
	if got := Redact("100% sure, a%20b"); got != "100% sure, a b" {
		t.Errorf("Redact kept or mangled plain text: %q", got)
	}
}
