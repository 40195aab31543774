// Package core is probekit's framework-neutral heart: health checks, their
// aggregation into liveness, readiness and startup reports, the probe HTTP
// handlers, in-flight request tracking and the graceful shutdown sequence.
// It imports the standard library only.
//
// The happy path:
//
//	h, err := core.New(core.Options{Service: "orders", Version: version})
//	if err != nil { ... }
//	_ = h.Register(core.Check{Name: "postgres", Check: pingDB, Interval: 5 * time.Second})
//	_ = h.Register(core.Check{Name: "redis", Check: pingRedis, Optional: true})
//	_ = h.Start(ctx) // background checks
//	defer h.Close()
//
//	mux := http.NewServeMux()
//	mux.Handle("/", h.Handler()) // /livez /readyz /startupz /healthz /ready
//	srv := &http.Server{Addr: ":8080", Handler: h.Drain(mux)}
//	err = h.ListenAndServe(ctx, srv) // SIGTERM: not ready, wait, drain, stop
//
// # Probe contract
//
// GET or HEAD /livez, /readyz, /startupz (aliases /healthz and /ready) answer
// 200 when the aggregate status is ok or degraded (503 for degraded with
// Options.DegradedUnavailable) and 503 when unavailable. /readyz/{check}
// probes one check (404 if it is not a readiness check). Bodies are JSON by
// default; an Accept header preferring application/health+json (RFC 9110
// negotiation, ties to JSON) selects the IETF draft format, and ?verbose the
// Kubernetes apiserver text form, its messages escaped for a terminal.
// ?exclude={check} skips a check for that response only (repeatable; an
// unknown name is a 400; at most 64 names in a query of at most 4096 bytes);
// a probe that excludes a startup check never ends Starting. Other methods
// are 405 with Allow. Every response carries Cache-Control: no-store. Error details are
// reduced to a reason ("timeout", "connection refused") unless
// Options.ExposeErrors is set.
//
// # Evaluation
//
// Checks of one kind run concurrently, each with its own deadline. A call
// that ignores its context is abandoned at the deadline and not started again
// while it runs; concurrent probes share one call; a panic is a failed
// result. Background checks (Interval > 0) run on schedulers owned by the
// registry between Start and Close, and when every check a probe needs is a
// background check the response is served pre-rendered.
//
// # Lifecycle
//
// Starting -> Ready -> Draining -> Stopped. Readiness fails with "starting"
// until startup checks pass, and with "shutting down" from the first moment of
// Shutdown; liveness is unaffected by draining.
//
// # Features
//
// Registry.Feature declares an optional capability that follows checks:
// Feature.Enabled (one atomic load) is false while a followed check is
// unavailable, so the application degrades instead of failing. An operator
// may force a feature on or off for a bounded time (Feature.Force, or the
// opt-in AdminHandler, which requires a bearer token and is never mounted
// by the probe handlers). Readiness reports list the features and why each
// is on or off.
//
// # Drills and owners
//
// Registry.Drill makes a check report failed or degraded for a bounded time,
// to rehearse an outage (a game day): every report, the features following
// the check and the metrics see the drill, while the check's real results
// are still recorded and shown beside it. The AdminHandler starts and ends
// drills too. A check's Owner, Runbook and Hint travel with its failures:
// in reports, in the log line of a status change and in metrics.
package core
