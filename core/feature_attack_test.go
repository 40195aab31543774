package core

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// clearOnForce is an observer that ends every force it sees begin, as a
// guard that refuses forces outside a change window would.
type clearOnForce struct {
	f    **Feature
	done chan struct{}
}

func (clearOnForce) ObserveResult(Result) {}

func (o clearOnForce) ObserveTransition(t Transition) {
	if t.Component == "feature" && t.To == "off" {
		(*o.f).ClearForce("guard")
		close(o.done)
	}
}

// An observer that clears (or forces) the feature whose change it is told
// of must not be stalled: Force held the feature's ordering lock while it
// delivered, so the observer's ClearForce waited until the delivery gave up
// on it (DefaultTimeout), and Force, with it the admin request, took that
// long.
func TestFeatureObserverReenters(t *testing.T) {
	t.Parallel()
	var f *Feature
	o := clearOnForce{f: &f, done: make(chan struct{})}
	r := newTestRegistry(t, Options{Observers: []Observer{o}, DefaultTimeout: 10 * time.Second})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ = r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if _, err := r.Evaluate(context.Background(), Readiness); err != nil {
		t.Fatal(err)
	}
	if err := f.Force(ForceOptions{On: false, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.done:
	default:
		t.Fatal("Force returned before the observer it notified could clear the force: the observer was stalled")
	}
	if st := f.State(); st.Forced != nil || !st.Enabled {
		t.Errorf("state %+v, want the force cleared by the observer", st)
	}
}

// Close ends the force timers: a force's end firing after Close (its timer
// runs on a goroutine of its own, up to 24h later) changes nothing and calls
// no observer, and a force after Close is refused, starting no timer.
func TestFeatureForceAfterClose(t *testing.T) {
	t.Parallel()
	events := make(featureEvents, 16)
	r, err := New(Options{Observers: []Observer{events}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if _, err := r.Evaluate(context.Background(), Readiness); err != nil {
		t.Fatal(err)
	}
	<-events // on
	if err := f.Force(ForceOptions{On: false, Duration: time.Hour, Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	<-events // off
	f.mu.Lock()
	seq := f.seq
	f.mu.Unlock()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	f.expire(seq) // the timer firing after Close (had Close not stopped it)
	select {
	case tr := <-events:
		t.Errorf("transition %+v after Close", tr)
	default:
	}
	f.mu.Lock()
	timer := f.timer
	f.mu.Unlock()
	if timer != nil && timer.Stop() {
		t.Error("the force's timer is still pending after Close")
	}
	if err := f.Force(ForceOptions{On: true, Duration: time.Hour, Actor: "bob"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Force after Close = %v, want ErrClosed", err)
	}
}

// The cached readiness answer stays free of allocation with features, a
// forced one among them (their state is rendered into the cache, not per
// probe). Not parallel: AllocsPerRun counts the whole process's
// allocations.
func TestCachedReadyzWithFeaturesNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under -race; `go test` without -race runs this")
	}
	r := newTestRegistry(t, Options{})
	if err := r.Register(Check{Name: "db", Check: ok, Interval: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"recs", "uploads"} {
		if _, err := r.Feature(FeatureOptions{Name: name, Checks: []string{"db"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.LookupFeature("uploads").Force(ForceOptions{Duration: time.Hour, Actor: "alice", Reason: "INC-1"}); err != nil {
		t.Fatal(err)
	}
	r.MarkStarted()
	h := r.Handler()
	w := &discardWriter{h: make(http.Header)}
	for _, target := range []string{"/readyz", "/readyz?verbose"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		h.ServeHTTP(w, req)
		if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, req) }); n != 0 {
			t.Errorf("GET %s with features: %v allocs, want 0", target, n)
		}
	}
}

// featureLog records the feature transitions an observer is told of.
type featureLog struct {
	mu  sync.Mutex
	got []Transition
}

func (*featureLog) ObserveResult(Result) {}

func (l *featureLog) ObserveTransition(t Transition) {
	if t.Component == "feature" {
		l.mu.Lock()
		l.got = append(l.got, t)
		l.mu.Unlock()
	}
}

// Operators forcing, clearing and letting forces expire from many
// goroutines at once, while probes read: the transitions reach observers
// in the order of the changes (each From is the previous To), and the last
// one delivered is the feature's state.
func TestFeatureConcurrentForces(t *testing.T) {
	t.Parallel()
	log := &featureLog{}
	r := newTestRegistry(t, Options{Observers: []Observer{log}})
	_ = r.Register(Check{Name: "db", Check: ok})
	f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
	if _, err := r.Evaluate(context.Background(), Readiness); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 200 {
				switch (g + i) % 4 {
				case 0:
					_ = f.Force(ForceOptions{On: false, Duration: time.Duration(1+i%3) * time.Microsecond, Actor: "a"})
				case 1:
					_ = f.Force(ForceOptions{On: i%2 == 0, Duration: time.Hour, Actor: "b"})
				case 2:
					f.ClearForce("c")
				default:
					_ = f.Enabled()
					_ = f.State()
				}
			}
		})
	}
	wg.Wait()
	f.ClearForce("end") // the feature follows db again: on
	// A timer may still be firing; Close stops the timers and waits for
	// none, so wait until the last delivery is "on".
	for {
		log.mu.Lock()
		n := len(log.got)
		last := log.got[n-1]
		log.mu.Unlock()
		if last.To == "on" && f.State().Forced == nil {
			break
		}
		runtime.Gosched()
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for i := 1; i < len(log.got); i++ {
		if log.got[i].From != log.got[i-1].To {
			t.Fatalf("transition %d %+v after %+v: out of order", i, log.got[i], log.got[i-1])
		}
	}
	if !f.Enabled() {
		t.Errorf("state %+v after the last clear, want on", f.State())
	}
}

// A feature's why names the failing check and its status, never the
// check's error (which may hold a secret), also for a check that panics or
// calls runtime.Goexit.
func TestFeatureWhyHidesCheckErrors(t *testing.T) {
	t.Parallel()
	checks := map[string]func(context.Context) error{
		"fails":  func(context.Context) error { return errors.New("dial postgres://u:hunter2@db: refused") },
		"panics": func(context.Context) error { panic("password=hunter2") },
		"exits":  func(context.Context) error { runtime.Goexit(); return nil },
	}
	for name, fn := range checks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, Options{})
			_ = r.Register(Check{Name: "db", Check: fn})
			f, _ := r.Feature(FeatureOptions{Name: "recs", Checks: []string{"db"}})
			_, _ = r.Evaluate(context.Background(), Readiness)
			st := f.State()
			if st.Enabled || st.Why != `check "db" is unavailable` {
				t.Errorf("state %+v, want off because db is unavailable", st)
			}
			p := r.Probe(context.Background(), ProbeRequest{Method: http.MethodGet, Kind: Readiness, Accept: "application/health+json"})
			if strings.Contains(st.Why, "hunter2") || strings.Contains(string(p.Body), "hunter2") {
				t.Errorf("a secret of the check's error reached the feature or the report")
			}
		})
	}
}
