package core

import (
	"context"
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
