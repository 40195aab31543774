package core

import (
	"context"
	"errors"
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
