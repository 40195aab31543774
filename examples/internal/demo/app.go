package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// App is the service every example runs, whatever the framework: its
// configuration, its store and its health registry, checks registered and
// background checks started.
type App struct {
	// Config is the parsed configuration.
	Config Config
	// Health is the registry the framework adapter serves and drains with.
	Health *core.Registry
	// Store holds the orders.
	Store *Store
	// Logger is where the registry and the handlers log.
	Logger *slog.Logger
	// Recommendations is the feature "recommendations": it follows the
	// optional redis check, so that GET /orders/{id} adds recommendations
	// while the cache answers and leaves them out, instead of failing,
	// while it does not.
	Recommendations *core.Feature
	// Metrics serves the Prometheus exposition of Health (promhealth), the
	// Go runtime and the process. Every example mounts it at MetricsPath
	// outside the drain middleware: a scrape is not a user request, so it
	// must neither hold a shutdown up nor count itself in
	// probekit_inflight_requests (every scrape would read at least 1).
	Metrics http.Handler

	metrics *metrics
}

// HookTimeout bounds the shutdown hooks (closing the store) after the drain;
// the Kubernetes grace period must leave room for it.
const HookTimeout = 5 * time.Second

// New opens the store (migrations start in the background), creates the
// health registry with the checks of [Checks], registers the store's Close
// as a shutdown hook and starts the background checks. The service is named
// "orders-" + name. Close releases everything.
func New(ctx context.Context, name string, cfg Config, logger *slog.Logger) (*App, error) {
	st, err := OpenStore(cfg.MigrationDelay, func(err error) {
		if !errors.Is(err, context.Canceled) { // Close during migrations is no failure
			logger.Error("migrations failed; the startup probe fails until the container restarts", "err", err)
		}
	})
	if err != nil {
		return nil, err
	}
	cs, err := Checks(st, cfg)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	h, err := core.New(core.Options{
		Service:             "orders-" + name,
		Version:             "example",
		Logger:              logger,
		PropagationDelay:    cfg.PropagationDelay,
		QuietPeriod:         cfg.QuietPeriod,
		PropagationDelayMax: cfg.PropagationDelayMax,
		DrainTimeout:        cfg.DrainTimeout,
		HookTimeout:         HookTimeout,
	})
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	for _, c := range cs {
		if err := h.Register(c); err != nil {
			return nil, errors.Join(err, st.Close())
		}
	}
	recs, err := h.Feature(core.FeatureOptions{Name: "recommendations", Checks: []string{"redis"}})
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	// Close the database only after the last in-flight request is done.
	if err := h.OnShutdown("store", func(context.Context) error { return st.Close() }); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	// Before Start, so that the first results of background checks are seen.
	m, err := newMetrics(h)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	if err := h.Start(ctx); err != nil {
		m.collector.Close()
		return nil, errors.Join(err, st.Close())
	}
	return &App{Config: cfg, Health: h, Store: st, Logger: logger, Recommendations: recs, Metrics: m.handler, metrics: m}, nil
}

// Close stops the background checks and closes the store. It is safe to
// call after the shutdown sequence has run, and more than once.
func (a *App) Close() error {
	a.metrics.collector.Close()
	return errors.Join(a.Health.Close(), a.Store.Close())
}

// Main runs the example called name and returns the process exit code. It
// reads the configuration from args and the environment, builds the App,
// prints the commands to try on stdout, and calls serve, which must block
// until the server has shut down. The exit code is 0 after a clean shutdown,
// 1 after an error (logged on stderr) and 2 for a bad configuration.
func Main(name string, args []string, serve func(context.Context, *App) error) int {
	cfg, err := ParseConfig(name, args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, strings.TrimPrefix(err.Error(), flag.ErrHelp.Error()+"\n"))
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx := context.Background()
	app, err := New(ctx, name, cfg, logger)
	if err != nil {
		logger.Error("start", "err", err)
		return 1
	}
	PrintTry(os.Stdout, name, cfg, os.Getpid())
	err = serve(ctx, app)
	if cerr := app.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		logger.Error("stopped", "err", err)
		return 1
	}
	logger.Info("stopped cleanly")
	return 0
}

// PrintTry writes the curl lines a newcomer can paste to see every probe
// state, the business routes and a graceful drain.
func PrintTry(w io.Writer, name string, cfg Config, pid int) {
	fmt.Fprintf(w, `orders-%[1]s starting on %[4]s (pid %[3]d). Once it listens, try:
  curl -i localhost:%[2]d/startupz              # 503 "starting" while migrations run, then 200
  curl -i localhost:%[2]d/readyz                # 200; "degraded" when no Redis answers
  curl 'localhost:%[2]d/readyz?verbose'         # one line per check, like the Kubernetes apiserver
  curl -H 'Accept: application/health+json' localhost:%[2]d/livez
  curl localhost:%[2]d/orders/1                 # an order from SQLite; /orders/99 is a 404
  curl -s localhost:%[2]d/readyz | jq .features # "recommendations": on while Redis answers
  curl -s localhost:%[2]d/metrics | grep ^probekit_   # the checks, lifecycle and drain as Prometheus series
  curl 'localhost:%[2]d/slow?ms=8000' & sleep 1; kill -TERM %[3]d
                                                # readiness 503 at once, the slow request completes, exit 0
`, name, cfg.Port, pid, cfg.Addr())
}
