package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadBalancer simulates a load balancer that health-checks the pod itself:
// it sends application requests until it has seen /readyz fail failures
// times in a row, polling every pollEvery, so it reacts to a draining pod
// no sooner than (failures-1) × pollEvery. A refused connection is a failed
// health check too, as it is for real load balancers. One goroutine does
// both, so that requests go out between any two health checks however the
// machine schedules it.
type loadBalancer struct {
	base      string
	pollEvery time.Duration
	failures  int
	traffic   bool // send application requests; false: only health checks

	served     atomic.Int64 // application requests answered 200
	dropped    atomic.Int64 // application requests that failed (connection refused, reset)
	firstError atomic.Value // string: the first failure, for the test's log
	done       chan struct{}
}

// start runs the load balancer until it has taken the pod out of rotation
// or ctx ends; done is closed then.
func (lb *loadBalancer) start(ctx context.Context) {
	lb.done = make(chan struct{})
	// No keep-alive: every request is a new connection, as a load balancer
	// spreading requests over pods makes them, so that one sent after the
	// listener closed is refused.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(path string) (int, error) {
		resp, err := client.Get(lb.base + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	go func() {
		defer close(lb.done)
		failed := 0
		var nextPoll time.Time
		for ctx.Err() == nil {
			if now := time.Now(); !now.Before(nextPoll) {
				nextPoll = now.Add(lb.pollEvery)
				if code, err := get("/readyz"); err != nil || code != http.StatusOK {
					failed++
				} else {
					failed = 0
				}
				if failed >= lb.failures {
					return // out of rotation: no more requests
				}
			}
			if lb.traffic {
				if code, err := get("/work"); err == nil && code == http.StatusOK {
					lb.served.Add(1)
				} else {
					lb.dropped.Add(1)
					lb.firstError.CompareAndSwap(nil, errString(err))
				}
			}
			// Pacing, not synchronisation: a request every millisecond or
			// so, far more often than any quiet period of the test.
			time.Sleep(time.Millisecond)
		}
	}()
}

// The adaptive propagation delay waits for a load balancer slower than the
// minimum delay, where the fixed delay closes the listeners under its
// requests; with no traffic the adaptive wait ends at the minimum. The
// outcomes hold by construction, not by timing: the load balancer cannot
// stop before (failures-1) × pollEvery = 500ms after readiness fails, 25
// times the fixed delay, and sends requests between any two of its health
// checks; the adaptive wait only ends after two quiet seconds, which a load
// balancer sending every few milliseconds gives only once it has stopped.
func TestPropagationDelayAgainstASlowLoadBalancer(t *testing.T) {
	t.Parallel()
	const fixed = 20 * time.Millisecond
	tests := []struct {
		name        string
		opts        Options
		traffic     bool
		wantDropped bool   // some requests fail: > 0; else exactly 0
		wantBound   string // the bound that ended the wait ("" for the fixed delay)
	}{
		{"fixed delay drops requests", Options{PropagationDelay: fixed}, true, true, ""},
		{"adaptive waits for the load balancer", Options{PropagationDelay: fixed, QuietPeriod: 2 * time.Second, PropagationDelayMax: 30 * time.Second}, true, false, BoundQuiet},
		{"adaptive without traffic ends at the minimum", Options{PropagationDelay: 100 * time.Millisecond, QuietPeriod: 50 * time.Millisecond, PropagationDelayMax: 30 * time.Second}, false, false, BoundMinimum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs safeBuffer
			rec := &recorder{}
			opts := tt.opts
			opts.DrainTimeout = 5 * time.Second
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			opts.Observers = []Observer{rec}
			r := newTestRegistry(t, opts)
			r.MarkStarted()
			mux := http.NewServeMux()
			mux.Handle("/", r.Handler())
			mux.HandleFunc("GET /work", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "done") })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			runErr := make(chan error, 1)
			go func() {
				runErr <- r.Serve(ctx, &http.Server{Handler: r.Drain(mux), ReadHeaderTimeout: 5 * time.Second}, ln)
			}()

			lbCtx, lbCancel := context.WithCancel(context.Background())
			defer lbCancel()
			lb := &loadBalancer{base: "http://" + ln.Addr().String(), pollEvery: 100 * time.Millisecond, failures: 6, traffic: tt.traffic}
			lb.start(lbCtx)
			if tt.traffic {
				waitFor(t, func() bool { return lb.served.Load() >= 10 })
			}
			cancel() // SIGTERM, as far as the sequence is concerned
			if err := <-runErr; err != nil {
				t.Fatalf("Serve = %v", err)
			}
			select {
			case <-lb.done: // it saw the pod fail and took it out of rotation
			case <-time.After(20 * time.Second):
				lbCancel()
				<-lb.done
				t.Fatal("the load balancer never took the pod out of rotation")
			}

			dropped := lb.dropped.Load()
			t.Logf("served %d, dropped %d (first: %v)", lb.served.Load(), dropped, lb.firstError.Load())
			if tt.wantDropped && dropped == 0 {
				t.Errorf("no request dropped with a fixed delay shorter than the load balancer's reaction")
			}
			if !tt.wantDropped && dropped != 0 {
				t.Errorf("%d requests dropped, want none", dropped)
			}

			var reason string
			rec.mu.Lock()
			for _, tr := range rec.transitions {
				if tr.Component == "shutdown" && tr.Name == "propagation" {
					reason = tr.Reason
				}
			}
			rec.mu.Unlock()
			if tt.wantBound == "" {
				if reason != "" {
					t.Errorf("fixed delay: propagation Reason = %q, want none", reason)
				}
				if strings.Contains(logs.String(), "bound=") {
					t.Errorf("fixed delay logged a bound:\n%s", logs.String())
				}
				return
			}
			if !strings.HasPrefix(reason, tt.wantBound+": ") {
				t.Errorf("propagation Reason = %q, want the bound %q", reason, tt.wantBound)
			}
			if !strings.Contains(logs.String(), `level=INFO msg="probekit: propagation delay over, closing listeners" bound=`+tt.wantBound+" ") {
				t.Errorf("log does not say the wait ended at the %s bound:\n%s", tt.wantBound, logs.String())
			}
		})
	}
}

// Requests still arriving at the maximum: the listeners close there, and a
// warning says so. The arrivals come from a loop that enters and leaves
// the counter every millisecond or so, so the wait is never quiet for
// 400ms.
func TestPropagationDelayMaximum(t *testing.T) {
	t.Parallel()
	var logs safeBuffer
	rec := &recorder{}
	r := newTestRegistry(t, Options{
		PropagationDelay: 10 * time.Millisecond, QuietPeriod: 400 * time.Millisecond, PropagationDelayMax: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Observers: []Observer{rec},
	})
	stop := make(chan struct{})
	arriving := make(chan struct{})
	go func() {
		defer close(arriving)
		for {
			select {
			case <-stop:
				return
			default:
			}
			r.InFlight().Enter()
			r.InFlight().Leave()
			time.Sleep(time.Millisecond) // pacing: an arrival every millisecond or so
		}
	}()
	err := r.Shutdown(context.Background(), nil)
	close(stop)
	<-arriving
	if err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	rec.mu.Lock()
	var reason string
	for _, tr := range rec.transitions {
		if tr.Component == "shutdown" && tr.Name == "propagation" {
			reason = tr.Reason
		}
	}
	rec.mu.Unlock()
	if want := "maximum: maximum 500ms reached with requests still arriving"; reason != want {
		t.Errorf("propagation Reason = %q, want %q", reason, want)
	}
	if !strings.Contains(logs.String(), `level=WARN msg="probekit: propagation delay over, closing listeners" bound=maximum reason="maximum 500ms reached with requests still arriving"`) {
		t.Errorf("no warning that the maximum ended the wait:\n%s", logs.String())
	}
}

// The decision of the adaptive wait: which bound ends it, from the time
// since the start and the last arrival seen.
func TestAdaptiveDelayEnd(t *testing.T) {
	t.Parallel()
	d := adaptiveDelay{min: 2 * time.Second, quiet: 500 * time.Millisecond, max: 30 * time.Second}
	ms := time.Millisecond
	tests := []struct {
		elapsed, lastArrival time.Duration
		bound, reason        string
	}{
		{1999 * ms, 0, "", ""}, // before the minimum
		{2 * time.Second, 0, BoundMinimum, "minimum 2s reached, quiet for 2s"},
		{2 * time.Second, 1500 * ms, BoundMinimum, "minimum 2s reached, quiet for 500ms"},
		{2 * time.Second, 1501 * ms, "", ""}, // a request 499ms ago
		{2300 * ms, 1800 * ms, BoundQuiet, "quiet for 500ms after 2.3s"},
		{2300 * ms, 1801 * ms, "", ""},
		{30 * time.Second, 29900 * ms, BoundMaximum, "maximum 30s reached with requests still arriving"},
		{30 * time.Second, 29500 * ms, BoundQuiet, "quiet for 500ms after 30s"}, // quiet wins a tie
	}
	// A quiet period longer than the minimum, no traffic at all: the wait
	// lasts the quiet period from its start, and the quiet bound ends it.
	long := adaptiveDelay{min: 100 * ms, quiet: 300 * ms, max: 30 * time.Second}
	if bound, reason := long.end(299*ms, 0); bound != "" {
		t.Errorf("long quiet, no traffic, 299ms: %q, %q; want to keep waiting", bound, reason)
	}
	if bound, reason := long.end(300*ms, 0); bound != BoundQuiet || reason != "quiet for 300ms after 300ms" {
		t.Errorf("long quiet, no traffic, 300ms: %q, %q; want %q", bound, reason, BoundQuiet)
	}
	for _, tt := range tests {
		bound, reason := d.end(tt.elapsed, tt.lastArrival)
		if bound != tt.bound || reason != tt.reason {
			t.Errorf("end(%v, %v) = %q, %q; want %q, %q", tt.elapsed, tt.lastArrival, bound, reason, tt.bound, tt.reason)
		}
	}
}

func TestAdaptiveDelayOptions(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name  string
		opts  Options
		field string // "" when valid
	}{
		{"fixed", Options{PropagationDelay: s}, ""},
		{"adaptive", Options{PropagationDelay: s, QuietPeriod: s / 2, PropagationDelayMax: 30 * s}, ""},
		{"adaptive, default minimum", Options{QuietPeriod: s, PropagationDelayMax: 5 * s}, ""},
		{"negative quiet", Options{QuietPeriod: -s, PropagationDelayMax: 30 * s}, "QuietPeriod"},
		{"negative max", Options{QuietPeriod: s, PropagationDelayMax: -s}, "PropagationDelayMax"},
		{"quiet without max", Options{QuietPeriod: s}, "QuietPeriod"},
		{"max without quiet", Options{PropagationDelayMax: 30 * s}, "PropagationDelayMax"},
		{"max below the default minimum", Options{QuietPeriod: s, PropagationDelayMax: 4 * s}, "PropagationDelayMax"},
		{"max below the minimum", Options{PropagationDelay: 10 * s, QuietPeriod: s, PropagationDelayMax: 9 * s}, "PropagationDelayMax"},
		{"quiet not below max", Options{PropagationDelay: s, QuietPeriod: 5 * s, PropagationDelayMax: 5 * s}, "QuietPeriod"},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: New = %v, want valid", tt.name, err)
		case tt.field != "" && (!errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), ": "+tt.field+" ")):
			t.Errorf("%s: New = %v, want an invalid-options error naming %s", tt.name, err, tt.field)
		}
	}
}

// InFlight packs the arrivals beside the count: Count and Wait keep their
// meaning (also for a Leave without its Enter), and every Enter is an
// arrival.
func TestInFlightArrivals(t *testing.T) {
	t.Parallel()
	var f InFlight
	if f.Count() != 0 || f.arrivals() != 0 {
		t.Fatalf("zero value: count %d, arrivals %d", f.Count(), f.arrivals())
	}
	f.Enter()
	f.Enter()
	f.Leave()
	if f.Count() != 1 || f.arrivals() != 2 {
		t.Fatalf("count %d, arrivals %d; want 1, 2", f.Count(), f.arrivals())
	}
	f.Leave()
	f.Leave() // without its Enter: the count goes negative, the arrivals stay
	if f.Count() != -1 || f.arrivals() != 2 {
		t.Fatalf("count %d, arrivals %d; want -1, 2", f.Count(), f.arrivals())
	}
	if err := f.Wait(context.Background()); err != nil {
		t.Fatalf("Wait with a negative count = %v", err)
	}
	f.Enter()
	if f.Count() != 0 || f.arrivals() != 3 {
		t.Fatalf("count %d, arrivals %d; want 0, 3", f.Count(), f.arrivals())
	}

	// The arrivals wrap modulo 2^32 without touching the count.
	var g InFlight
	g.n.Store(-1 << 32) // 2^32-1 arrivals (modulo 2^32), none in flight
	g.Enter()
	if g.Count() != 1 || g.arrivals() != 0 {
		t.Fatalf("after the wrap: count %d, arrivals %d; want 1, 0", g.Count(), g.arrivals())
	}
	g.Leave()
	g.Leave()
	if g.Count() != -1 || g.arrivals() != 0 {
		t.Fatalf("after the wrap: count %d, arrivals %d; want -1, 0", g.Count(), g.arrivals())
	}

	// Concurrent requests: Wait returns once the last one leaves.
	var h InFlight
	const n = 64
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range n {
		h.Enter()
		wg.Go(func() { <-release; h.Leave() })
	}
	done := make(chan error, 1)
	go func() { done <- h.Wait(context.Background()) }()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Wait = %v", err)
	}
	wg.Wait()
	if h.Count() != 0 || h.arrivals() != n {
		t.Fatalf("count %d, arrivals %d; want 0, %d", h.Count(), h.arrivals(), n)
	}
}

// The log line of the propagation step, byte for byte (but the time and
// how long it took): the fixed delay's lines are what they were before the
// adaptive delay, whose cut-short line names its quiet period and maximum,
// since its configured minimum alone says nothing of how long it could
// have waited.
func TestPropagationLogLine(t *testing.T) {
	t.Parallel()
	h := time.Hour
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		opts   Options
		ctx    context.Context
		line   string // the log line, with after=<elapsed> masked
		reason string // the propagation Transition's Reason
	}{
		{"fixed, over", Options{PropagationDelay: time.Millisecond}, context.Background(),
			`level=INFO msg="probekit: propagation delay over, closing listeners" delay=1ms in_flight=0`, ""},
		{"fixed, cut short", Options{PropagationDelay: h}, canceled,
			`level=WARN msg="probekit: propagation delay cut short, closing listeners" after=X delay=1h0m0s cause="context canceled" in_flight=0`, ""},
		{"adaptive, cut short", Options{PropagationDelay: time.Millisecond, QuietPeriod: h, PropagationDelayMax: 2 * h}, canceled,
			`level=WARN msg="probekit: propagation delay cut short, closing listeners" after=X delay=1ms cause="context canceled" in_flight=0 quiet_period=1h0m0s delay_max=2h0m0s arrived=0`,
			"cut short after X"},
	}
	mask := regexp.MustCompile(`after [0-9.]+[a-zµ]+|after=[0-9.]+[a-zµ]+`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs safeBuffer
			rec := &recorder{}
			opts := tt.opts
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
			opts.Observers = []Observer{rec}
			r := newTestRegistry(t, opts)
			_ = r.Shutdown(tt.ctx, nil)
			var line string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, "propagation delay") {
					line = strings.TrimSuffix(l, "\n")
				}
			}
			if got := mask.ReplaceAllStringFunc(line, func(s string) string {
				if strings.HasPrefix(s, "after=") {
					return "after=X"
				}
				return "after X"
			}); got != tt.line {
				t.Errorf("log line\n got %s\nwant %s", got, tt.line)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, tr := range rec.transitions {
				if tr.Component == "shutdown" && tr.Name == "propagation" {
					if got := mask.ReplaceAllString(tr.Reason, "after X"); got != tt.reason {
						t.Errorf("propagation Reason = %q; want %q", got, tt.reason)
					}
				}
			}
		})
	}
}

// The packing at the edges of both halves: every arrivals count (0, the
// middle, 2^32-1, which the next Enter wraps to 0) beside every in-flight
// count InFlight supports (-2^31, a Leave-without-Enter bug's floor, to
// 2^31-1), unpacked exactly, and Enter and Leave moving each half alone.
func TestInFlightPackingEdges(t *testing.T) {
	t.Parallel()
	for _, a := range []uint32{0, 1, 1 << 31, 1<<32 - 2, 1<<32 - 1} {
		for _, c := range []int64{-1 << 31, -1<<31 + 1, -1, 0, 1, 1<<31 - 2} {
			var f InFlight
			f.n.Store(int64(a)<<32 + c)
			if f.Count() != c || f.arrivals() != a {
				t.Fatalf("packed (%d, %d): count %d, arrivals %d", a, c, f.Count(), f.arrivals())
			}
			f.Enter() // up to 2^31-1, the ceiling
			if f.Count() != c+1 || f.arrivals() != a+1 {
				t.Fatalf("(%d, %d) + Enter: count %d, arrivals %d; want %d, %d", a, c, f.Count(), f.arrivals(), c+1, a+1)
			}
			f.Leave()
			if f.Count() != c || f.arrivals() != a+1 {
				t.Fatalf("(%d, %d) + Enter + Leave: count %d, arrivals %d; want %d, %d", a, c, f.Count(), f.arrivals(), c, a+1)
			}
		}
	}
}

// A server that dies by itself during the adaptive wait: its requests stop
// arriving with it, so the wait ends quiet (not at the maximum, an hour
// away), and Run returns the server's error after the whole sequence.
func TestAdaptiveDelayServerDiesDuringTheWait(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	die := make(chan struct{})
	r := newTestRegistry(t, Options{
		PropagationDelay: time.Millisecond, QuietPeriod: 20 * time.Millisecond, PropagationDelayMax: time.Hour,
		DrainTimeout: time.Minute, Observers: []Observer{rec, onDraining(func() { close(die) })}, // the server dies once the wait has begun
	})
	r.MarkStarted()
	died := errors.New("accept: too many open files")
	arriving := make(chan struct{})
	go func() { // the server's requests, until it dies
		defer close(arriving)
		for {
			select {
			case <-die:
				return
			default:
			}
			r.InFlight().Enter()
			r.InFlight().Leave()
			time.Sleep(time.Millisecond) // pacing, as in TestPropagationDelayMaximum
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	cancel()
	err := r.Run(ctx, func() error { <-die; <-arriving; return died }, func(context.Context) error { close(stopped); return nil })
	if !errors.Is(err, died) {
		t.Fatalf("Run = %v; want the server's error", err)
	}
	<-stopped
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var reason string
	for _, tr := range rec.transitions {
		if tr.Component == "shutdown" && tr.Name == "propagation" {
			reason = tr.Reason
		}
	}
	if !strings.HasPrefix(reason, BoundQuiet+": ") && !strings.HasPrefix(reason, BoundMinimum+": ") {
		t.Errorf("propagation Reason = %q; want the wait ended quiet", reason)
	}
}

// onDraining is an observer that calls f when the registry starts draining.
type onDraining func()

func (onDraining) ObserveResult(Result) {}

func (f onDraining) ObserveTransition(tr Transition) {
	if tr.Component == "lifecycle" && tr.To == StateDraining.String() {
		f()
	}
}
