package core_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/probekit/probekit/core"
)

// propagationBound prints the bound that ended the propagation delay, from
// the Reason of the "shutdown"/"propagation" transition.
type propagationBound struct{ bound chan string }

func (propagationBound) ObserveResult(core.Result) {}

func (o propagationBound) ObserveTransition(t core.Transition) {
	if t.Component == "shutdown" && t.Name == "propagation" {
		bound, _, _ := strings.Cut(t.Reason, ":")
		o.bound <- bound
	}
}

// The adaptive propagation delay: after readiness fails, serve at least
// PropagationDelay, then until no request has arrived for QuietPeriod, at
// most PropagationDelayMax. With no traffic, the wait ends at the minimum;
// the log line and the transition say which bound ended it.
func ExampleOptions_adaptivePropagationDelay() {
	obs := propagationBound{bound: make(chan string, 1)}
	h, err := core.New(core.Options{
		PropagationDelay:    20 * time.Millisecond,  // at least
		QuietPeriod:         10 * time.Millisecond,  // then until no request for this long
		PropagationDelayMax: 500 * time.Millisecond, // at most
		Observers:           []core.Observer{obs},
		Logger:              slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := h.Shutdown(context.Background(), nil); err != nil {
		fmt.Println(err)
	}
	fmt.Println("ended at the", <-obs.bound, "bound")

	// A quiet period without a maximum is refused, naming the field.
	_, err = core.New(core.Options{QuietPeriod: time.Second})
	fmt.Println(err)
	// Output:
	// ended at the minimum bound
	// core: invalid Options: QuietPeriod (1s) needs PropagationDelayMax: the adaptive delay must have a cap that fits the grace period
}
