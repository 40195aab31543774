package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// AdminOptions configures the admin handler; see [AdminHandler].
type AdminOptions struct {
	// Token is the bearer token every request must carry
	// ("Authorization: Bearer <Token>"). Required, at least 16 bytes:
	// without one the handler is not created. Read it from a secret, never
	// from code; it is compared in constant time and never logged. White
	// space around it (the newline ending a secret's file) is an error.
	Token string

	// MaxDuration caps how long one request may force a feature or drill a
	// check. Default: 1h; at most MaxForceDuration.
	MaxDuration time.Duration

	// Logger receives one line per request: the action, who (the request's
	// actor field), on what, for how long, and refused requests with their
	// reason and remote address. Default: the registry's Options.Logger.
	Logger *slog.Logger
}

const (
	defaultAdminMaxDuration = time.Hour
	minAdminTokenLen        = 16
	maxAdminBody            = 8 << 10
	adminBodyTimeout        = 10 * time.Second
)

// admin is the admin handler: authentication, then the router.
type admin struct {
	reg    *Registry
	digest [sha256.Size]byte // of the token: comparing digests leaks no length
	max    time.Duration
	log    *slog.Logger
	// bodyTimeout bounds the reading of a request's body
	// (adminBodyTimeout; shorter in tests).
	bodyTimeout time.Duration
	router      adminRouter
}

// AdminHandler returns an http.Handler for operators: list the features,
// force one on or off for a bounded time, clear a force; start a drill on a
// check (see [Registry.Drill]), end it, list the drills. No adapter's
// Register mounts it; mount it yourself, on an address or path only
// operators reach, e.g.
//
//	mux.Handle("/admin/", http.StripPrefix("/admin", h))
//
// Routes (request and response bodies are JSON; see the README):
//
//	GET    /features                 the features and why each is on or off
//	GET    /features/{name}          one feature
//	PUT    /features/{name}/force    {"enabled":false,"duration":"30m","actor":"alice","reason":"INC-42"}
//	DELETE /features/{name}/force    {"actor":"alice"}
//	GET    /drills                   the drills in effect
//	PUT    /checks/{name}/drill      {"status":"unavailable","duration":"15m","actor":"alice","reason":"game day"}
//	DELETE /checks/{name}/drill      {"actor":"alice"}
//
// Every request needs the bearer token, else 401 with WWW-Authenticate; a
// bad request (unknown feature or check, bad or missing field, a duration over
// MaxDuration) gets 400 with the reason, an unknown path 404, a wrong
// method 405 with Allow, a body over 8 KiB 413, a body that has not arrived
// within 10s 408 (a read deadline the handler sets, so it does not rely on
// the server's ReadTimeout). A nil registry, a missing
// or short Token, or a bad MaxDuration is an error: the handler refuses to
// exist rather than serve unauthenticated.
func AdminHandler(r *Registry, opts AdminOptions) (http.Handler, error) {
	switch {
	case r == nil:
		return nil, fmt.Errorf("core: AdminHandler: registry is nil")
	case opts.Token == "":
		return nil, fmt.Errorf("%w: AdminOptions.Token is empty: the admin handler requires a bearer token", ErrInvalidOptions)
	case strings.TrimSpace(opts.Token) != opts.Token:
		// A request's token is trimmed: this one could never match.
		return nil, fmt.Errorf("%w: AdminOptions.Token begins or ends with white space (a newline from the secret's file?): trim it", ErrInvalidOptions)
	case len(opts.Token) < minAdminTokenLen:
		return nil, fmt.Errorf("%w: AdminOptions.Token is shorter than %d bytes", ErrInvalidOptions, minAdminTokenLen)
	case opts.MaxDuration < 0:
		return nil, fmt.Errorf("%w: AdminOptions.MaxDuration is negative (%v)", ErrInvalidOptions, opts.MaxDuration)
	case opts.MaxDuration > MaxForceDuration:
		return nil, fmt.Errorf("%w: AdminOptions.MaxDuration %v is over MaxForceDuration %v", ErrInvalidOptions, opts.MaxDuration, MaxForceDuration)
	}
	a := &admin{reg: r, digest: sha256.Sum256([]byte(opts.Token)), max: opts.MaxDuration, log: opts.Logger, bodyTimeout: adminBodyTimeout}
	if a.max == 0 {
		a.max = defaultAdminMaxDuration
	}
	if a.log == nil {
		a.log = r.opts.Logger
	} else {
		a.log = containLogger(a.log, r.opts.DefaultTimeout)
	}
	a.router = newAdminRouter(a.featureRoutes(), a.drillRoutes())
	return a, nil
}

func (a *admin) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// Bound the reading of the body, whatever the server's ReadTimeout: a
	// client that withholds it must not hold this goroutine (nor, after a
	// 401, the server's draining of the body) for good. readAdminJSON lifts
	// the bound once the body is read: net/http cancels the request's
	// context when a read past the body fails, so a bound left in place
	// would cancel a request still at work. No body, no bound. A
	// ResponseWriter without deadlines is left as it is.
	if req.Body != nil && req.Body != http.NoBody {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(a.bodyTimeout))
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !a.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="probekit-admin"`)
		a.log.Warn("probekit admin: refused: missing or wrong bearer token",
			"method", oneLine(cut(req.Method, 16)), "path", oneLine(cut(req.URL.Path, 128)), "remote", oneLine(req.RemoteAddr))
		writeAdminError(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	a.router.serve(w, req, a.log)
}

// authorized reports whether req carries the token, comparing in constant
// time; "Bearer" is case-insensitive (RFC 6750 §2.1, RFC 9110 §11.1). More
// than one Authorization field is refused: it is no list (RFC 9110 §11.6.2),
// and which one counts would depend on who reads it (a proxy may check
// one, this handler another).
func (a *admin) authorized(req *http.Request) bool {
	if len(req.Header.Values("Authorization")) != 1 {
		return false
	}
	scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], a.digest[:]) == 1
}

// cut bounds s to n bytes for a log line.
func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// closed answers a change refused because the registry is closed: 503, as
// the service is shutting down; what (a "feature" or "check") names it in
// the log.
func (a *admin) closed(w http.ResponseWriter, req *http.Request, log *slog.Logger, what, name string) {
	log.Warn("probekit admin: refused: the registry is closed", what, name, "remote", oneLine(req.RemoteAddr))
	writeAdminError(w, http.StatusServiceUnavailable, "the registry is closed: the service is shutting down")
}
