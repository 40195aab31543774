package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"
)

// Attacks on the synchronous probe path: user code on workers, the lazily
// made call context, pooled buffers and the workers' lifetime.

// typedNilErr is an error type whose methods panic on a nil receiver.
type typedNilErr struct{ msg string }

func (e *typedNilErr) Error() string { return e.msg }

// hangingErr is an error whose Error never returns until release closes.
type hangingErr struct{ release chan struct{} }

func (e hangingErr) Error() string { <-e.release; return "late" }

// TestHostileChecksInOneBatch: checks that panic, call runtime.Goexit,
// return a typed nil or an error whose Error hangs, all in one probe's
// batch, do not keep the well-behaved checks of the same probe from
// answering ok, probe after probe.
func TestHostileChecksInOneBatch(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	release := make(chan struct{})
	defer close(release)
	var okCalls atomic.Int64
	good := func(context.Context) error { okCalls.Add(1); return nil }
	_ = r.Register(Check{Name: "a-panic", Check: func(context.Context) error { panic("boom") }})
	_ = r.Register(Check{Name: "b-ok", Timeout: time.Minute, Check: good})
	_ = r.Register(Check{Name: "c-goexit", Check: func(context.Context) error { runtime.Goexit(); return nil }})
	_ = r.Register(Check{Name: "d-ok", Timeout: time.Minute, Check: good})
	_ = r.Register(Check{Name: "e-typednil", Check: func(context.Context) error { var e *typedNilErr; return e }})
	_ = r.Register(Check{Name: "f-ok", Timeout: time.Minute, Check: good})
	_ = r.Register(Check{Name: "g-hangs-in-error", Timeout: 50 * time.Millisecond, Check: func(context.Context) error { return hangingErr{release} }})
	_ = r.Register(Check{Name: "h-ok", Timeout: time.Minute, Check: good})
	r.MarkStarted()
	for i := range 3 {
		rep, _ := r.Evaluate(context.Background(), Readiness)
		for _, c := range rep.Checks {
			want := StatusUnavailable
			if strings.HasSuffix(c.Name, "-ok") {
				want = StatusOK
			}
			if c.Status != want {
				t.Fatalf("probe %d: %s is %v %q, want %v", i, c.Name, c.Status, c.Message, want)
			}
		}
	}
	if n := okCalls.Load(); n != 12 {
		t.Fatalf("%d calls of the good checks, want 12", n)
	}
}

// TestStuckCheckNoPileUp: a check that never returns and ignores its
// context is called once, every probe answers (unavailable), and 1,000
// probes, sequential and concurrent, leave no goroutine behind them but the
// one stuck call's.
func TestStuckCheckNoPileUp(t *testing.T) {
	// Not parallel: it counts goroutines.
	r := newTestRegistry(t, Options{})
	release := make(chan struct{})
	var calls atomic.Int64
	_ = r.Register(Check{Name: "stuck", Timeout: 20 * time.Millisecond, Check: func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}})
	_ = r.Register(Check{Name: "z-ok", Check: ok})
	r.MarkStarted()
	h := r.Handler()
	probe := func() int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w.Code
	}
	if code := probe(); code != http.StatusServiceUnavailable {
		t.Fatalf("first probe: %d, want 503", code)
	}
	base := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if code := probe(); code != http.StatusServiceUnavailable {
					t.Errorf("probe: %d, want 503", code)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("the stuck check was called %d times while its call ran, want 1", n)
	}
	// Workers parked by the storm exit after workerIdle; the observers'
	// deliveries are over. What stays is what was there before.
	waitFor(t, func() bool { return runtime.NumGoroutine() <= base+2 })
	close(release)
	waitFor(t, func() bool { return !r.lookup("stuck").isRunning() })
}

// TestSpillUnderOneProc: a check that burns the CPU (it never blocks, never
// looks at its context) holds its worker; the checks queued behind it in
// the batch are still spilled and answer, with GOMAXPROCS 1 and the CPU
// otherwise busy too.
func TestSpillUnderOneProc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	stop := make(chan struct{})
	var burners sync.WaitGroup
	for range 4 {
		burners.Add(1)
		go func() {
			defer burners.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 1e5; i++ {
					_ = i * i
				}
			}
		}()
	}
	defer burners.Wait()
	defer close(stop)
	r := newTestRegistry(t, Options{})
	bCalled := make(chan struct{})
	var bOnce sync.Once
	_ = r.Register(Check{Name: "a-burns", Timeout: 10 * time.Second, Check: func(context.Context) error {
		for burnt := 0; ; burnt++ { // never blocks: only preemption lets anything else run
			select {
			case <-bCalled:
				return nil
			default:
				burnt *= 3
			}
		}
	}})
	_ = r.Register(Check{Name: "b", Timeout: 10 * time.Second, Check: func(context.Context) error { bOnce.Do(func() { close(bCalled) }); return nil }})
	r.MarkStarted()
	rep, _ := r.Evaluate(context.Background(), Readiness)
	if rep.Status != StatusOK {
		t.Fatalf("%v %q, want ok: b held behind a-burns", rep.Status, rep.Message)
	}
}

// TestReentrantEvaluate: a check that evaluates the registry from inside
// its call (another kind, the per-check path, and its own kind, which
// includes itself) does not deadlock a worker: the first two answer, the
// third waits for the call it is part of no longer than its deadline.
func TestReentrantEvaluate(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	inner := make(chan string, 3)
	_ = r.Register(Check{Name: "live", Kinds: Liveness, Check: ok})
	_ = r.Register(Check{Name: "other", Check: ok})
	_ = r.Register(Check{Name: "reenter", Timeout: 200 * time.Millisecond, Check: func(ctx context.Context) error {
		rep, _ := r.Evaluate(ctx, Liveness)
		inner <- "liveness " + rep.Status.String()
		resp := r.Probe(ctx, ProbeRequest{Method: http.MethodGet, Kind: Readiness, Check: "other"})
		inner <- fmt.Sprint("other ", resp.Code)
		rep, _ = r.Evaluate(ctx, Readiness) // joins its own call: times out
		inner <- "readiness " + rep.Status.String()
		return nil
	}})
	r.MarkStarted()
	_, _ = r.Evaluate(context.Background(), Readiness)
	for _, want := range []string{"liveness ok", "other 200", "readiness unavailable"} {
		if got := <-inner; got != want {
			t.Errorf("inside the check: %s, want %s", got, want)
		}
	}
}

// TestCallContextLikeWithTimeout: the call context behaves like a
// context.WithTimeout for everything a check may do with it, even when the
// check looks at it only through a derived context, an AfterFunc or from
// another goroutine after the call.
func TestCallContextLikeWithTimeout(t *testing.T) {
	t.Parallel()
	type key struct{}
	r := newTestRegistry(t, Options{})
	const timeout = 30 * time.Millisecond
	type seen struct {
		dl          time.Time
		hasDL       bool
		derivedErr  error
		afterFunc   bool
		withoutDone bool
		withoutVal  any
		cause       error
	}
	got := make(chan seen, 1)
	kept := make(chan context.Context, 1)
	_ = r.Register(Check{Name: "db", Timeout: timeout, Check: func(ctx context.Context) error {
		var s seen
		s.dl, s.hasDL = ctx.Deadline() // before anything made the timer
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() { close(fired) })
		defer stop()
		child, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		without := context.WithoutCancel(ctx)
		s.withoutVal = without.Value(key{})
		<-child.Done()
		s.derivedErr = child.Err()
		<-fired
		s.afterFunc = true
		s.withoutDone = without.Done() != nil
		s.cause = context.Cause(ctx)
		kept <- ctx
		got <- s
		return nil
	}})
	r.MarkStarted()
	start := time.Now()
	_, _ = r.Evaluate(context.WithValue(context.Background(), key{}, "v"), Readiness)
	s := <-got
	if !s.hasDL || s.dl.Before(start) || s.dl.After(time.Now().Add(timeout)) {
		t.Errorf("Deadline = %v %v, want about start+%v", s.dl, s.hasDL, timeout)
	}
	if !errors.Is(s.derivedErr, context.DeadlineExceeded) || !errors.Is(s.cause, context.DeadlineExceeded) {
		t.Errorf("derived Err = %v, Cause = %v; want DeadlineExceeded", s.derivedErr, s.cause)
	}
	if s.withoutDone || s.withoutVal != "v" {
		t.Errorf("WithoutCancel: Done non-nil %v, Value %v; want nil and v", s.withoutDone, s.withoutVal)
	}
	ctx := <-kept
	var wg sync.WaitGroup
	for range 4 { // a kept context read from other goroutines after the call
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
			_ = ctx.Err()
			_ = context.Cause(ctx)
			_, _ = ctx.Deadline()
			c, cancel := context.WithCancel(ctx)
			<-c.Done()
			cancel()
		}()
	}
	wg.Wait()
}

// TestCallContextAfterFuncNoGoroutine: a context derived from the call
// context attaches to it without a goroutine of its own (the context
// package's fast path), so deriving one per call does not cost a goroutine
// parked until the deadline.
func TestCallContextAfterFuncNoGoroutine(t *testing.T) {
	// Not parallel: it counts goroutines.
	rn := &run{parent: context.Background(), deadline: time.Now().Add(time.Hour)}
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 100 {
		_, cancel := context.WithTimeout(rn, time.Minute)
		cancels = append(cancels, cancel)
	}
	if n := runtime.NumGoroutine(); n > before+10 {
		t.Errorf("%d goroutines after deriving 100 contexts, %d before: each derived context has a goroutine", n, before)
	}
	for _, c := range cancels {
		c()
	}
	rn.end()
}

// TestConcurrentProbesKeepTheirBodies: bodies returned by Probe and by
// Evaluate's Checks stay what they were while other probes run (pooled
// buffers are never handed out while referenced).
func TestConcurrentProbesKeepTheirBodies(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	for _, n := range []string{"a", "b", "c", "d"} {
		_ = r.Register(Check{Name: n, Check: ok})
	}
	_ = r.Register(Check{Name: "e-fails", Check: func(context.Context) error { return errors.New("x") }})
	r.MarkStarted()
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var kept [][]byte
			var copies []string
			var reps []Report
			for i := range 50 {
				q := ""
				if (g+i)%2 == 0 {
					q = "exclude=a&exclude=e-fails"
				}
				resp := r.Probe(ctx, ProbeRequest{Method: http.MethodGet, Kind: Readiness, RawQuery: q})
				kept = append(kept, resp.Body)
				copies = append(copies, string(resp.Body))
				rep, _ := r.Evaluate(ctx, Readiness, "b")
				reps = append(reps, rep)
				w := httptest.NewRecorder()
				r.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
				if !strings.Contains(w.Body.String(), "[-]e-fails failed") {
					t.Errorf("handler body: %q", w.Body.String())
				}
			}
			for i := range kept {
				if string(kept[i]) != copies[i] {
					t.Errorf("body %d changed after later probes", i)
				}
				names := ""
				for _, c := range reps[i].Checks {
					names += c.Name
				}
				if names != "acde-fails" {
					t.Errorf("Evaluate %d: checks %q after later probes, want acde-fails", i, names)
				}
			}
		}()
	}
	wg.Wait()
}

// TestCloseWhileProbing: Close while a probe waits for a call lets the
// probe answer; probes after Close answer too, and nothing is left.
func TestCloseWhileProbing(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{})
	entered := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	_ = r.Register(Check{Name: "slow", Timeout: time.Minute, Check: func(context.Context) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	}})
	_ = r.Register(Check{Name: "z", Check: ok})
	r.MarkStarted()
	done := make(chan Report)
	go func() { rep, _ := r.Evaluate(context.Background(), Readiness); done <- rep }()
	<-entered
	closed := make(chan error)
	go func() { closed <- r.Close() }()
	close(release)
	if rep := <-done; rep.Status != StatusOK {
		t.Fatalf("probe during Close: %v %q", rep.Status, rep.Message)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if rep, _ := r.Evaluate(context.Background(), Readiness); rep.Status != StatusOK {
			t.Fatalf("after Close: %v %q %+v", rep.Status, rep.Message, rep.Checks)
		}
	}
}

// TestUnclosedRegistryIsCollected: a registry nobody closes is not kept
// alive by its idle workers once they exit.
func TestUnclosedRegistryIsCollected(t *testing.T) {
	t.Parallel()
	wp := func() weak.Pointer[Registry] {
		r, err := New(Options{Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		_ = r.Register(Check{Name: "db", Check: ok})
		r.MarkStarted()
		_, _ = r.Evaluate(context.Background(), Readiness)
		return weak.Make(r)
	}()
	waitFor(t, func() bool { runtime.GC(); return wp.Value() == nil })
}

// funcObserver calls onResult with every result.
type funcObserver struct{ onResult func(Result) }

func (o funcObserver) ObserveResult(res Result) { o.onResult(res) }

func (funcObserver) ObserveTransition(Transition) {}

// TestObserverFaultsOnTheBatchWorker: observers are called on the worker
// that made the call, before the next call of its batch. One that calls
// runtime.Goexit ends that worker mid-batch, and one that evaluates the
// registry waits there for a check queued behind it on the same worker:
// neither keeps the probe's other checks from answering ok.
func TestObserverFaultsOnTheBatchWorker(t *testing.T) {
	t.Parallel()
	var r *Registry
	inner := make(chan Status, 10)
	obs := funcObserver{onResult: func(res Result) {
		switch res.Name {
		case "a-goexit-observed":
			runtime.Goexit()
		case "b-evaluate-observed":
			rep, _ := r.Evaluate(context.Background(), Liveness) // c-live is queued behind b
			inner <- rep.Status
		}
	}}
	r = newTestRegistry(t, Options{Observers: []Observer{obs}})
	_ = r.Register(Check{Name: "a-goexit-observed", Timeout: time.Minute, Check: ok})
	_ = r.Register(Check{Name: "b-evaluate-observed", Timeout: time.Minute, Check: ok})
	_ = r.Register(Check{Name: "c-live", Kinds: Liveness | Readiness, Timeout: time.Minute, Check: ok})
	_ = r.Register(Check{Name: "d", Timeout: time.Minute, Check: ok})
	r.MarkStarted()
	for i := range 3 {
		rep, _ := r.Evaluate(context.Background(), Readiness)
		if rep.Status != StatusOK {
			t.Fatalf("probe %d: %v %q, want ok", i, rep.Status, rep.Message)
		}
		if s := <-inner; s != StatusOK {
			t.Fatalf("probe %d: the observer's liveness evaluation: %v, want ok", i, s)
		}
	}
}
