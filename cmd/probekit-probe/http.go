package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// The kubelet's HTTP prober (k8s.io/kubernetes/pkg/probe/http): the body is
// read up to 10 KiB and the rest left unread, at most 10 redirects are
// followed, and only to the same host name.
const (
	maxBodyBytes = 10 << 10
	maxRedirects = 10
)

// userAgent names the prober, as the kubelet's kube-probe/<version> does, so
// that access logs can tell probes from traffic.
const userAgent = "probekit-probe"

// errOtherHost stops a redirect to another host name, which the kubelet
// does not follow either: the 3xx itself is the answer, a success with a
// warning.
var errOtherHost = errors.New("redirect to another host not followed")

// errDowngrade stops a redirect from https to http, which the kubelet
// follows: the request's headers (an Authorization token, say) would go
// in plaintext, and the certificate this probe verifies would no longer
// vouch for the answer. The 3xx is the answer, as for another host.
var errDowngrade = errors.New("redirect from https to http not followed")

// outcome is a probe's answer: ok decides the exit status; message is the
// line to print (stdout when ok, stderr otherwise) and warning, if not
// empty, a line for stderr even when ok. Both are escaped already.
type outcome struct {
	ok      bool
	message string
	warning string
}

// probeHTTP sends one GET, as the kubelet's httpGet probe does: 200-399 is
// a success, anything else (or no answer within the timeout) a failure.
func probeHTTP(ctx context.Context, c *config) outcome {
	shown := escape(redactURL(c.url))
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url.String(), nil)
	if err != nil {
		return outcome{message: fmt.Sprintf("GET %s: %s", shown, escape(unwrapURLError(err).Error()))}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	for name, values := range c.header {
		req.Header[name] = values
	}
	// As the kubelet: a Host header sets the request's host, and an empty
	// Accept removes the default one.
	if h := c.header.Get("Host"); h != "" {
		req.Host = h
	}
	if vs, ok := c.header["Accept"]; ok && len(vs) == 1 && vs[0] == "" {
		req.Header.Del("Accept")
	}

	transport := &http.Transport{
		// A probe measures the service, never a proxy on the way.
		Proxy:              nil,
		DisableKeepAlives:  true,
		DisableCompression: true,
		TLSClientConfig: &tls.Config{
			RootCAs:            c.roots,
			InsecureSkipVerify: c.insecureSkipVerify, //nolint:gosec // an explicit, documented flag
		},
	}
	defer transport.CloseIdleConnections()
	var (
		notFollowed error  // errOtherHost or errDowngrade
		target      string // the redirect not followed, shown
	)
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			switch {
			case next.URL.Hostname() != via[0].URL.Hostname():
				notFollowed = errOtherHost
			case via[0].URL.Scheme == "https" && next.URL.Scheme != "https":
				notFollowed = errDowngrade
			}
			if notFollowed != nil {
				target = escape(redactURL(next.URL))
				return http.ErrUseLastResponse
			}
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}

	res, err := client.Do(req)
	if err != nil {
		return outcome{message: fmt.Sprintf("GET %s: %s", shown, describeError(ctx, err, c.timeout))}
	}
	defer res.Body.Close()
	// Read (not print) up to the cap, so that a body cut short by the
	// server or the timeout fails the probe, as in the kubelet.
	if _, err := io.Copy(io.Discard, io.LimitReader(res.Body, maxBodyBytes)); err != nil {
		return outcome{message: fmt.Sprintf("GET %s: status %d, reading the body: %s", shown, res.StatusCode, describeError(ctx, err, c.timeout))}
	}
	// The status text is Go's, not the server's reason phrase: the
	// server's words never reach the terminal unescaped.
	status := fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
	if res.StatusCode < http.StatusOK || res.StatusCode >= http.StatusBadRequest {
		return outcome{message: fmt.Sprintf("GET %s: status %s (want 200-399)", shown, status)}
	}
	o := outcome{ok: true, message: fmt.Sprintf("GET %s: status %s", shown, status)}
	if notFollowed != nil {
		o.warning = fmt.Sprintf("GET %s: status %s: %s (%s); counted as a success, as the kubelet does for another host", shown, status, notFollowed, target)
	}
	return o
}

// unwrapURLError drops the *url.Error around err: its text repeats the
// whole URL, user information and query included.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}
