package core

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// OperatorInfo is what a check tells the operator who meets its failure:
// whom it belongs to, what to do, and a short hint. See the Check fields of
// the same names.
type OperatorInfo struct {
	Owner, Runbook, Hint string
}

// Bounds on a check's operator fields: they go into every report, log line
// and metric label, so they stay short.
const (
	maxOwnerLen   = 64
	maxRunbookLen = 256
	maxHintLen    = 256
)

// checkOperator validates Owner, Runbook and Hint, naming the field.
func (c Check) checkOperator() error {
	for _, f := range []struct {
		field, v string
		max      int
	}{{"Owner", c.Owner, maxOwnerLen}, {"Runbook", c.Runbook, maxRunbookLen}, {"Hint", c.Hint, maxHintLen}} {
		switch {
		case len(f.v) > f.max:
			return fmt.Errorf("%w %q: %s is longer than %d bytes", ErrInvalidCheck, c.Name, f.field, f.max)
		case !printable(f.v):
			return fmt.Errorf("%w %q: %s holds invalid UTF-8 or a control or format character", ErrInvalidCheck, c.Name, f.field)
		}
	}
	if c.Runbook == "" {
		return nil
	}
	u, err := url.Parse(c.Runbook)
	switch {
	case err != nil:
		return fmt.Errorf("%w %q: Runbook is not a URL", ErrInvalidCheck, c.Name)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w %q: Runbook must be an absolute http or https URL, got scheme %s", ErrInvalidCheck, c.Name, strconv.Quote(u.Scheme))
	case u.Host == "":
		return fmt.Errorf("%w %q: Runbook has no host", ErrInvalidCheck, c.Name)
	case u.User != nil:
		return fmt.Errorf("%w %q: Runbook must not hold user info (user:password@)", ErrInvalidCheck, c.Name)
	case strings.ContainsAny(c.Runbook, " \"<>\\^`{|}"):
		return fmt.Errorf("%w %q: Runbook holds a character a URL must escape", ErrInvalidCheck, c.Name)
	}
	// The runbook goes into public reports, logs and a metric label: a
	// token in its query (a signed or shared link) would leak with it.
	for _, kv := range strings.Split(u.RawQuery, "&") {
		key, _, _ := strings.Cut(kv, "=")
		if k, err := url.QueryUnescape(key); err == nil && secretQueryKey(k) {
			return fmt.Errorf("%w %q: Runbook's query parameter %s looks like a secret: link to a page that needs none", ErrInvalidCheck, c.Name, strconv.Quote(k))
		}
	}
	return nil
}

// secretQueryKey reports whether a URL query parameter called key carries
// a secret by its name: access_token, X-Amz-Signature, api-key, sig.
// Names that merely contain "key" (spaceKey) or "auth" (author) pass.
func secretQueryKey(key string) bool {
	k := strings.NewReplacer("-", "", "_", "", ".", "").Replace(strings.ToLower(key))
	for _, w := range []string{"token", "secret", "passw", "pwd", "signature", "credential", "apikey", "accesskey", "privatekey", "sessionid"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	switch k {
	case "sig", "key", "auth", "authorization", "session", "code", "jwt":
		return true
	}
	return false
}

// operatorInfo returns c's operator fields, nil when none is set.
func (c Check) operatorInfo() *OperatorInfo {
	if c.Owner == "" && c.Runbook == "" && c.Hint == "" {
		return nil
	}
	return &OperatorInfo{Owner: c.Owner, Runbook: c.Runbook, Hint: c.Hint}
}

// operatorAttrs appends the owner, runbook and hint of the check that t is
// about, for the registry's own slog observer. They were validated at
// Register: one printable line each.
func (o slogObserver) operatorAttrs(t Transition, attrs []slog.Attr) []slog.Attr {
	if o.reg == nil || (t.Component != "check" && t.Component != "drill") {
		return attrs
	}
	s := o.reg.lookup(t.Name)
	if s == nil || (s.check.Owner == "" && s.check.Runbook == "" && s.check.Hint == "") {
		return attrs
	}
	c := s.check
	for _, a := range []slog.Attr{slog.String("owner", c.Owner), slog.String("runbook", c.Runbook), slog.String("hint", c.Hint)} {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	return attrs
}
