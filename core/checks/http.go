package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/probekit/probekit/core"
)

// HTTPOptions configures [HTTP]. The zero value is ready to use: GET with a
// dedicated client, 2xx expected, bodies up to 64 KiB.
type HTTPOptions struct {
	// Name labels the upstream in failure reasons, followed by its host:
	// "billing api.internal:8443: status 503 (want 200-299)". Default:
	// "http". The URL's path, query and user information never appear in
	// reasons: they may hold tokens.
	// A name that looks like a connection string ("@", "=" or "://"),
	// holds a control character or is longer than 128 bytes is an error:
	// reasons are shown to anyone who can reach a probe.
	Name string

	// Client sends the request. Its Transport, Timeout and Jar are used; its
	// redirect policy runs after the check's own (same host only, at most
	// 5 redirects). The client itself is not modified. Default: a client
	// with a dedicated transport that does not keep connections alive, so
	// that every run proves a new connection can be made and no idle
	// connection outlives the run.
	Client *http.Client

	// Header is added to every request, for example an Authorization
	// header. Its values never appear in failure reasons or errors.
	Header http.Header

	// MinStatus and MaxStatus bound the accepted status codes, inclusive.
	// Defaults: 200 and 299. Both must lie in 100-599, MinStatus <= MaxStatus.
	MinStatus, MaxStatus int

	// MaxBodyBytes is the largest response body accepted; a larger one fails
	// the check (a health endpoint that streams megabytes is broken, and
	// reading it would cost the prober). The check reads at most this much.
	// Default: 64 KiB. Negative is an error.
	MaxBodyBytes int64
}

const (
	defaultMaxBodyBytes = 64 << 10
	maxHTTPRedirects    = 5
)

// The redirect policy's refusals. Their text is safe to show: errOtherHost
// is wrapped with the target's host name only.
var (
	errOtherHost        = errors.New("redirect to another host refused")
	errDowngrade        = errors.New("redirect from https to http refused")
	errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxHTTPRedirects)
)

// HTTP returns a check that sends GET rawURL and passes when the final
// response has a status in [MinStatus, MaxStatus] and a body of at most
// MaxBodyBytes. Redirects are followed only to the same host name (a health
// endpoint that redirects elsewhere is misconfigured, and following it could
// leak the configured Header to a third party).
//
// The request, including reading the body, is bounded by the context's
// deadline, or by core.DefaultTimeout if it has none. Failures read, for
// example, "http api.internal:8080: status 500 (want 200-299)",
// "http api.internal:8080: body exceeds 65536 bytes" or
// "http api.internal:8080: redirect to another host refused (evil.example)".
//
// HTTP returns an error naming the field if rawURL is not an absolute http or
// https URL or an option is out of range. No error repeats any part of the
// URL.
func HTTP(rawURL string, opts HTTPOptions) (core.CheckFunc, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, which may hold a token.
		return nil, errors.New("checks: HTTP: URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		// Not echoed: in "user:password@host" the scheme is the user and
		// the rest the password.
		return nil, errors.New("checks: HTTP: URL scheme must be http or https (http://host:port/path)")
	}
	if u.Host == "" {
		return nil, errors.New("checks: HTTP: URL has no host")
	}
	if r, ok := badRune(u.Host); ok {
		// url.Parse lets any non-ASCII byte through, and reasons show the host.
		return nil, fmt.Errorf("checks: HTTP: URL host holds %s", r)
	}
	if err := validateName("HTTPOptions.Name", opts.Name); err != nil {
		return nil, fmt.Errorf("checks: HTTP: %w", err)
	}
	if opts.MinStatus == 0 {
		opts.MinStatus = http.StatusOK
	}
	if opts.MaxStatus == 0 {
		opts.MaxStatus = 299
	}
	switch {
	case opts.MinStatus < 100 || opts.MinStatus > 599:
		return nil, fmt.Errorf("checks: HTTP: HTTPOptions.MinStatus %d is not in 100-599", opts.MinStatus)
	case opts.MaxStatus < 100 || opts.MaxStatus > 599:
		return nil, fmt.Errorf("checks: HTTP: HTTPOptions.MaxStatus %d is not in 100-599", opts.MaxStatus)
	case opts.MinStatus > opts.MaxStatus:
		return nil, fmt.Errorf("checks: HTTP: HTTPOptions.MinStatus %d is above MaxStatus %d", opts.MinStatus, opts.MaxStatus)
	case opts.MaxBodyBytes < 0:
		return nil, fmt.Errorf("checks: HTTP: HTTPOptions.MaxBodyBytes is negative (%d)", opts.MaxBodyBytes)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}

	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errors.New("checks: HTTP: cannot build a request for the URL")
	}
	for k, vs := range opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "probekit-check")
	}

	h := &httpCheck{
		label: labelOr(opts.Name, "http") + " " + u.Host,
		req:   req,
		min:   opts.MinStatus,
		max:   opts.MaxStatus,
		limit: opts.MaxBodyBytes,
	}
	h.client = h.newClient(opts.Client, u.Hostname())
	return h.check, nil
}

// httpCheck is the state of one HTTP check; read-only after construction.
type httpCheck struct {
	label    string
	req      *http.Request // template, cloned per run
	client   *http.Client  // a copy with the check's redirect policy
	min, max int
	limit    int64
}

// newClient returns a copy of c (or of the default client) whose redirect
// policy refuses other hosts before it consults c's own.
func (h *httpCheck) newClient(c *http.Client, host string) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DisableKeepAlives = true
		cc.Transport = t
	}
	next := cc.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if target := req.URL.Hostname(); !strings.EqualFold(target, host) {
			return fmt.Errorf("%w (%s)", errOtherHost, shownHost(target))
		}
		if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
			// Go's client would resend Header (an Authorization, say) in
			// clear text to the same host. The hop before this one is the
			// one to compare with: http -> https -> http downgrades too.
			return errDowngrade
		}
		if len(via) >= maxHTTPRedirects {
			return errTooManyRedirects
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cc
}

func (h *httpCheck) check(ctx context.Context) error {
	ctx, cancel, budget := bound(ctx)
	defer cancel()
	resp, err := h.client.Do(h.req.Clone(ctx))
	if err != nil {
		if (errors.Is(err, errOtherHost) || errors.Is(err, errDowngrade) || errors.Is(err, errTooManyRedirects)) && ctx.Err() == nil {
			return core.Unhealthy(h.label+": "+redirectReason(err), sanitize(err))
		}
		return failure(ctx, h.label, budget, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < h.min || resp.StatusCode > h.max {
		return core.Unhealthy(
			fmt.Sprintf("%s: status %d (want %d-%d)", h.label, resp.StatusCode, h.min, h.max),
			fmt.Errorf("unexpected status %s", quote(resp.Status, 64)))
	}
	if resp.ContentLength > h.limit {
		return h.tooLarge(resp.ContentLength)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, h.limit+1))
	switch {
	case err != nil:
		return failure(ctx, h.label, budget, fmt.Errorf("reading body: %w", err))
	case n > h.limit:
		return h.tooLarge(-1)
	}
	return nil
}

// tooLarge reports a body above the limit; size is -1 when unknown.
func (h *httpCheck) tooLarge(size int64) error {
	err := errors.New("response body too large")
	if size >= 0 {
		err = fmt.Errorf("response body of %d bytes too large", size)
	}
	return core.Unhealthy(h.label+": body exceeds "+strconv.FormatInt(h.limit, 10)+" bytes", err)
}

// shownHost returns the host name of a refused redirect as the reason may
// show it. The server chose it: a name of DNS bytes or an IP address is
// shown as it is, anything else (url.Parse lets through any non-ASCII byte,
// terminal controls included, at any length) only as a quoted, escaped,
// bounded prefix.
func shownHost(host string) string {
	if len(host) <= 253 && (validHostName(host) || net.ParseIP(host) != nil || validZonedIPv6(host)) {
		return host
	}
	return quote(host, 32)
}

// redirectReason extracts the redirect policy's refusal, such as
// "redirect to another host refused (evil.example)", from the client's
// error, without the URL around it.
func redirectReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "redirect refused"
}
