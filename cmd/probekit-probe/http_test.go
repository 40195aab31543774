package main

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// refusedAddr is a loopback address nothing listens on: a listener's port,
// closed.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// caFile writes the certificate of a TLS test server to a PEM file.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestHTTP runs the command against real loopback servers.
func TestHTTP(t *testing.T) {
	t.Parallel()
	// other is the host a redirect points away to; it must never be asked.
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	t.Cleanup(other.Close)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/elsewhere?token=s3cret"

	// samePort is the same host name on another port: the kubelet compares
	// host names only, so a redirect there is followed.
	samePort := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(samePort.Close)

	mux := http.NewServeMux()
	mux.HandleFunc("/to-other-port", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, samePort.URL+"/readyz", http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	var plainURL string // srv's, set below
	var downgraded atomic.Int32
	mux.HandleFunc("/to-plain", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, plainURL+"/plain", http.StatusFound) })
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			downgraded.Add(1)
		}
	})
	mux.HandleFunc("/204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "[-]db failed: password=s3cret", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/to-unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/unavailable", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-other", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, otherURL, http.StatusFound) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/not-modified", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "s3cret" || r.Host != "svc.internal" || r.UserAgent() != userAgent ||
			r.Header.Get("Accept") != "*/*" || r.Header.Get("Accept-Encoding") != "" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/no-accept", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Accept"]; ok {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("/hostile", func(w http.ResponseWriter, r *http.Request) {
		// A reason phrase and body full of terminal escapes.
		w.Header().Set("Content-Type", "text/plain")
		hj, _, _ := w.(http.Hijacker).Hijack()
		defer hj.Close()
		body := "\x1b]0;pwned\a\x1b[2J" + strings.Repeat("x", 64<<10)
		_, _ = hj.Write([]byte("HTTP/1.1 500 \x1b[2Jforged\r\nContent-Length: " + itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body))
	})
	mux.HandleFunc("/hostile-redirect", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://admin:s3cret@evil.example/%1b[2J\u202e?token=s3cret")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/hostile-raw-location", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://evil.example/\x1b[2J")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/cap-then-hang", func(w http.ResponseWriter, r *http.Request) {
		// The cap's worth of body, then nothing until the client leaves:
		// only a prober that stops reading at the cap answers.
		_, _ = w.Write([]byte(strings.Repeat("x", maxBodyBytes)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("\x1b[2J", 1<<20)))
	})
	srv := httptest.NewServer(mux)
	plainURL = srv.URL
	t.Cleanup(srv.Close)
	tlsSrv := httptest.NewUnstartedServer(mux)
	// The failed handshakes are the point of some cases, not news.
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ca := caFile(t, tlsSrv)
	withAuth := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)

	tests := []struct {
		name       string
		args       []string
		code       int
		want       string // in stderr (failure, warning) or stdout (success)
		wantStderr bool
	}{
		{"200", []string{srv.URL + "/ok"}, exitOK, "status 200 OK", false},
		{"204", []string{srv.URL + "/204"}, exitOK, "status 204 No Content", false},
		{"304 without redirect is 3xx success", []string{srv.URL + "/not-modified"}, exitOK, "status 304", false},
		{"503", []string{srv.URL + "/unavailable"}, exitFailure, "status 503 Service Unavailable (want 200-399)", true},
		{"404", []string{srv.URL + "/404"}, exitFailure, "status 404 Not Found", true},
		{"refused", []string{"http://" + refusedAddr(t) + "/readyz"}, exitFailure, "connection refused", true},
		{"timeout", []string{"--timeout", "100ms", srv.URL + "/hang"}, exitFailure, "timeout: no answer within 100ms", true},
		{"redirect same host followed", []string{srv.URL + "/to-ok"}, exitOK, "status 200 OK", false},
		{"redirect same host to 503", []string{srv.URL + "/to-unavailable"}, exitFailure, "status 503", true},
		{"redirect same host name, other port, followed", []string{srv.URL + "/to-other-port"}, exitFailure, "status 503", true},
		{"redirect loop", []string{srv.URL + "/loop"}, exitFailure, "stopped after 10 redirects", true},
		{"redirect other host not followed", []string{srv.URL + "/to-other"}, exitOK, "warning: GET " + srv.URL + "/to-other: status 302 Found: redirect to another host not followed", true},
		{"headers, Host, User-Agent, Accept", []string{srv.URL + "/headers", "--header", "X-Token: s3cret", "--header", "Host: svc.internal"}, exitOK, "status 200", false},
		{"Accept: removes Accept", []string{srv.URL + "/no-accept", "--header", "Accept:"}, exitOK, "status 200", false},
		{"user info sent, never shown", []string{withAuth + "/auth?token=s3cret"}, exitOK, srv.URL + "/auth?REDACTED: status 200", false},
		{"user info not shown on failure", []string{withAuth + "/unavailable?token=s3cret"}, exitFailure, srv.URL + "/unavailable?REDACTED: status 503", true},
		{"TLS on, verified with --ca-cert", []string{tlsSrv.URL + "/ok", "--ca-cert", ca}, exitOK, "status 200", false},
		{"TLS on, unknown authority", []string{tlsSrv.URL + "/ok"}, exitFailure, "TLS: ", true},
		{"TLS on, --insecure-skip-verify", []string{tlsSrv.URL + "/ok", "--insecure-skip-verify"}, exitOK, "status 200", false},
		{"redirect https to http not followed", []string{tlsSrv.URL + "/to-plain", "--ca-cert", ca, "--header", "Authorization: Bearer s3cret"},
			exitOK, "redirect from https to http not followed (" + srv.URL + "/plain)", true},
		{"TLS on, 503", []string{tlsSrv.URL + "/unavailable", "--ca-cert", ca}, exitFailure, "status 503", true},
		{"TLS off: https:// to a plain server", []string{strings.Replace(srv.URL, "http:", "https:", 1) + "/ok", "--insecure-skip-verify"}, exitFailure, "TLS: the server did not answer with TLS", true},
		{"TLS off: http:// to a TLS server", []string{strings.Replace(tlsSrv.URL, "https:", "http:", 1) + "/ok"}, exitFailure, "status 400", true},
		{"hostile status line and body", []string{srv.URL + "/hostile"}, exitFailure, "status 500 Internal Server Error", true},
		{"hostile redirect target", []string{srv.URL + "/hostile-redirect"}, exitOK, `(http://evil.example/%1B%5B2J%E2%80%AE?REDACTED)`, true},
		{"hostile raw Location", []string{srv.URL + "/hostile-raw-location"}, exitFailure, `malformed MIME header line`, true},
		{"body read up to the cap only", []string{srv.URL + "/cap-then-hang"}, exitOK, "status 200", false},
		{"big body read up to the cap", []string{srv.URL + "/big"}, exitOK, "status 200", false},
		{"bad URL", []string{"http://127.0.0.1:8080 /readyz"}, exitUsage, "bad URL", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := probe(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			where := stdout
			if tt.wantStderr {
				where = stderr
			}
			if !strings.Contains(where, tt.want) {
				t.Errorf("want %q in\nstdout: %s\nstderr: %s", tt.want, stdout, stderr)
			}
			all := stdout + stderr
			if strings.Contains(all, "s3cret") || strings.Contains(all, "pwned") || strings.ContainsRune(all, 0x1b) {
				t.Errorf("output shows a secret, the body or a raw escape:\nstdout: %q\nstderr: %q", stdout, stderr)
			}
			if n := strings.Count(all, "\n"); n > 3 {
				t.Errorf("output has %d lines, want at most the reason, a warning and a usage line:\n%s", n, all)
			}
		})
	}
	// The parallel subtests run after this function returns: count the
	// hits once they have all ended.
	t.Cleanup(func() {
		if n := downgraded.Load(); n != 0 {
			t.Errorf("the plain server got %d requests; a redirect from https to http must not be followed (the headers would go in plaintext)", n)
		}
		if n := otherHits.Load(); n != 0 {
			t.Errorf("the other host got %d requests; a redirect to another host must not be followed", n)
		}
	})
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
