package breakerredis

import (
	"fmt"
	"strconv"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
)

// tell reports what changed since it last ran: the mode (shared or local),
// and the shared state as every replica sees it, so that each replica's
// Notify (and a core.Registry's log) tells the same story. It runs on the
// sync goroutine only.
func (st *state) tell() {
	now := time.Now()
	if up := st.up.Load(); up != st.toldUp {
		st.toldUp = up
		t := core.Transition{Component: "breakerredis", Name: st.name, Time: now,
			From: string(Local), To: string(Shared), Reason: "shared state reachable again"}
		if !up {
			t.From, t.To, t.Reason = string(Shared), string(Local), breaker.LocalModeMessage
			if e := st.downErr.Load(); e != nil {
				t.Reason += ": " + core.Reason(*e)
				t.Err = *e
			}
		}
		st.emit(t, up)
	}
	if !st.up.Load() {
		return
	}
	v := st.View()
	if v.State == st.told {
		return
	}
	from := st.told
	st.told = v.State
	if st.notify == nil {
		return
	}
	var reason string
	switch v.State {
	case breaker.StateOpen:
		if from == breaker.StateClosed {
			reason = strconv.Itoa(v.TripFailures) + " consecutive failures across the fleet: " + v.Reason
		} else {
			reason = "recovery trial failed: " + v.Reason
		}
	case breaker.StateHalfOpen:
		reason = "open timeout elapsed, trying recovery"
	case breaker.StateClosed:
		reason = "recovered"
	}
	st.call(core.Transition{Component: "breaker", Name: st.name, From: from.String(), To: v.State.String(),
		Reason: reason + " (shared)", Time: now})
}

// call passes t to Notify, which is user code, on a goroutine of its own,
// and waits for it: a panic is recovered and logged, and a runtime.Goexit
// (t.FailNow in a test's Notify) ends that goroutine, not the sync loop,
// which would otherwise stop following the fleet for good.
func (st *state) call(t core.Transition) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				st.o.Logger.Error("breaker Notify panicked", "breaker", st.name, "panic", fmt.Sprint(p))
			}
		}()
		st.notify(t)
	}()
	<-done
}

// emit tells a change of mode once: to Notify when set (a core.Registry
// logs it), else to the Logger.
func (st *state) emit(t core.Transition, up bool) {
	if st.notify != nil {
		st.call(t)
		return
	}
	if up {
		st.o.Logger.Info("breaker rejoined the shared state", "breaker", st.name)
		return
	}
	st.o.Logger.Warn("breaker fell back to local mode", "breaker", st.name, "reason", t.Reason)
}
