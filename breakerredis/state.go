package breakerredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// state is the breaker.SharedState of a Fleet.
//
// The path of a call in the closed state touches only atomics: Admit loads
// the last view, Done of a success loads two counters, Done of a failure
// takes mu to add it to the pending count and wakes the sync goroutine.
// That goroutine (owned by state, stopped by close) is the only one that
// syncs: it pushes pending failures, trips the fleet's breaker through a
// script, reads the state every SyncInterval, and tells transitions.
// Claiming and ending recovery trials run on the call's goroutine, through
// do, bounded by Options.Timeout.
type state struct {
	client    redis.UniversalClient
	name      string
	keys      []string // state hash, trials set
	o         Options
	threshold int
	trials    int
	open      time.Duration
	notify    func(core.Transition)
	id        string // this replica's owner-token prefix
	seq       atomic.Uint64

	view       atomic.Pointer[view]
	up         atomic.Bool // shared mode
	localSince atomic.Pointer[time.Time]
	downErr    atomic.Pointer[error] // why it went local
	failStreak atomic.Int32          // Redis operations failed in a row
	busyUntil  atomic.Int64          // unix ns before which a trial is not even tried
	ops, errs  atomic.Uint64

	// mu guards the pending report, read and reset by each sync.
	mu         sync.Mutex
	pendFails  int
	pendReset  bool
	pendReason string
	pendingAny atomic.Bool     // pendFails > 0 || pendReset, without mu
	tickets    map[uint64]bool // trials this replica holds, guarded by mu
	closed     bool            // Close began: no new Redis operation; guarded by mu
	wake       chan struct{}
	stop       chan struct{}
	loopDone   chan struct{}
	closeOnce  sync.Once
	syncing    atomic.Bool // a sync op is in flight (perhaps abandoned)
	wg         sync.WaitGroup
	told       breaker.State // last state told to notify; loop only
	toldUp     bool          // last mode told; loop only
}

// view is the shared state as this replica last read it; its times are on
// this replica's clock.
type view struct {
	open     bool
	fails    int // the fleet's consecutive failures, while closed
	openedAt time.Time
	until    time.Time // end of the open timeout
	trip     int
	ftrials  int
	reason   string
	read     time.Time // when it was read
}

func newState(client redis.UniversalClient, name string, s breaker.Settings, o Options) *state {
	base := o.Prefix + "{" + name + "}"
	st := &state{
		client: client, name: name, o: o,
		keys:      []string{base + ":state", base + ":trials"},
		threshold: s.FailureThreshold, trials: s.HalfOpenRequests, open: s.OpenTimeout,
		notify:   s.Notify,
		id:       newID(),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		told:     breaker.StateClosed,
		toldUp:   true,
	}
	st.view.Store(&view{read: time.Now()})
	// Shared until the first sync says otherwise (as told is), so that a
	// Redis unreachable at start goes local through down, like later:
	// with LocalSince and the cause recorded.
	st.up.Store(true)
	return st
}

// start reads the shared state once, then starts the sync goroutine.
// A Redis that does not answer then means local mode at once: there is no
// shared state to trust yet.
func (st *state) start() {
	if err := st.sync(); err != nil {
		st.failStreak.Store(downAfter - 1)
		st.down(err)
		st.tell()
	}
	go st.loop()
}

// close stops the sync goroutine and gives back the recovery trials this
// replica still holds (their calls are in flight, and their verdicts would
// come after Close, perhaps on a closed client), so that the fleet's next
// trial does not wait TrialTimeout for a replica that left cleanly. Then no
// Redis operation starts (do refuses), and close waits for those in flight.
func (st *state) close() {
	st.closeOnce.Do(func() {
		close(st.stop)
		<-st.loopDone
		st.mu.Lock()
		tickets := st.tickets
		st.tickets, st.closed = nil, true
		st.mu.Unlock()
		for n := range tickets {
			token := st.token(n)
			ctx, cancel := context.WithTimeout(context.Background(), st.o.Timeout)
			_ = doneScript.Run(ctx, st.client, st.keys, token, "x", st.trials,
				st.open.Milliseconds(), "", st.o.KeyTTL.Milliseconds()).Err()
			cancel()
		}
		st.wg.Wait()
	})
}

func (st *state) loop() {
	defer close(st.loopDone)
	t := time.NewTicker(st.o.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-t.C:
		case <-st.wake:
		}
		_ = st.sync() // a failed sync puts its reports back and counts toward local mode itself
	}
}

// sync pushes the pending report and reads the state, then tells what
// changed. A sync still in flight (abandoned after Timeout on a Redis that
// does not answer) is not doubled, and counts as one more failed operation:
// with a client without timeouts of its own it may never end, and local
// mode must still come after downAfter intervals.
func (st *state) sync() error {
	if st.syncing.Swap(true) {
		st.down(errTimeout)
		st.tell()
		return errTimeout
	}
	st.mu.Lock()
	fails, reset, reason := st.pendFails, st.pendReset, st.pendReason
	st.pendFails, st.pendReset = 0, false
	st.pendingAny.Store(false)
	st.mu.Unlock()
	var reply []any
	err := st.do(context.Background(), func(ctx context.Context) error {
		defer st.syncing.Store(false)
		r, err := syncScript.Run(ctx, st.client, st.keys,
			flag(reset), fails, st.threshold, st.open.Milliseconds(), reason, st.o.KeyTTL.Milliseconds()).Slice()
		reply = r
		return err
	}, nil)
	if err == nil {
		err = st.apply(reply)
	}
	if err != nil {
		st.restore(fails, reset, reason)
		st.down(err)
	} else {
		st.failStreak.Store(0)
		st.up.Store(true)
	}
	st.tell()
	return err
}

// restore puts back a report that a sync may not have delivered, so that
// a Redis hiccup does not lose the failures that should trip the fleet:
// they are delivered at least once (twice, if the abandoned sync did run),
// unless a success reported since makes them stale.
func (st *state) restore(fails int, reset bool, reason string) {
	if fails == 0 && !reset {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pendReset {
		return
	}
	st.pendFails += fails
	st.pendReset = reset
	if st.pendFails > fails { // newer failures came meanwhile; keep their reason
		reason = st.pendReason
	}
	st.pendReason = reason
	st.pendingAny.Store(true)
}

// apply stores a script's reply as the view.
func (st *state) apply(reply []any) error {
	if len(reply) != 8 {
		return fmt.Errorf("unexpected script reply %v", reply)
	}
	str := func(i int) string { s, _ := reply[i].(string); return s }
	num := func(i int) int64 { n, _ := strconv.ParseInt(str(i), 10, 64); return n }
	now := time.Now()
	v := &view{
		open:    str(1) == "open",
		fails:   int(num(2)),
		reason:  str(5),
		trip:    int(num(6)),
		ftrials: int(num(7)),
		read:    now,
	}
	if v.open {
		v.openedAt = now.Add(-time.Duration(num(3)) * time.Millisecond)
		v.until = now.Add(time.Duration(num(4)) * time.Millisecond)
	}
	st.view.Store(v)
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// downAfter is how many Redis operations in a row must fail before the
// breaker goes local: one slow answer on a busy host (each is bounded by
// Options.Timeout anyway, and no call waits for the sync) should not make
// the fleet's replicas flap between modes. At the defaults a dead Redis
// means local mode within about three sync intervals (150ms).
const downAfter = 3

// down counts a failed Redis operation, and switches to local mode after
// downAfter of them in a row.
func (st *state) down(err error) {
	if st.failStreak.Add(1) < downAfter {
		return
	}
	if st.up.Swap(false) {
		now := time.Now()
		st.localSince.Store(&now)
		st.downErr.Store(&err)
	}
}

// Connected implements breaker.SharedState.
func (st *state) Connected() bool { return st.up.Load() }

// View implements breaker.SharedState.
func (st *state) View() breaker.SharedView {
	v := st.view.Load()
	sv := breaker.SharedView{State: breaker.StateClosed, Since: v.read}
	if !v.open {
		return sv
	}
	sv.OpenedAt, sv.TripFailures, sv.FailedTrials, sv.Reason = v.openedAt, v.trip, v.ftrials, v.reason
	sv.State, sv.Since = breaker.StateOpen, v.openedAt
	if v.ftrials > 0 {
		sv.Since = v.until.Add(-st.open)
	}
	if !time.Now().Before(v.until) {
		sv.State, sv.Since = breaker.StateHalfOpen, v.until
	}
	return sv
}

// Admit implements breaker.SharedState. Closed, it reads one atomic. The
// ticket of a trial names its owner token.
func (st *state) Admit(ctx context.Context) (breaker.Admission, uint64) {
	if !st.up.Load() {
		return breaker.AdmitLocal, 0
	}
	v := st.view.Load()
	if !v.open {
		return breaker.AdmitLocal, 0
	}
	now := time.Now()
	if now.Before(v.until) {
		return breaker.RejectOpen, 0
	}
	if now.UnixNano() < st.busyUntil.Load() {
		return breaker.RejectBusy, 0
	}
	ticket := st.seq.Add(1)
	token := st.token(ticket)
	var reply []any
	err := st.do(ctx, func(ctx context.Context) error {
		r, err := trialScript.Run(ctx, st.client, st.keys, token, st.trials, st.o.TrialTimeout.Milliseconds()).Slice()
		reply = r
		return err
	}, func() { st.end(token, "x", "") })
	if errors.Is(err, errCallerGone) {
		return breaker.AdmitLocal, 0 // the call's own context ends it
	}
	if err == nil {
		err = st.apply(reply)
	}
	if err != nil {
		st.down(err)
		st.poke()
		return breaker.AdmitLocal, 0 // this call decides locally, whatever the mode
	}
	st.failStreak.Store(0)
	switch reply[0] {
	case "trial":
		st.mu.Lock()
		if st.tickets == nil {
			st.tickets = map[uint64]bool{}
		}
		st.tickets[ticket] = true
		st.mu.Unlock()
		st.poke()
		return breaker.AdmitTrial, ticket
	case "busy":
		st.busyUntil.Store(now.Add(st.o.SyncInterval).UnixNano())
		return breaker.RejectBusy, 0
	case "open":
		return breaker.RejectOpen, 0
	}
	st.poke()
	return breaker.AdmitLocal, 0 // closed meanwhile
}

// Done implements breaker.SharedState. A success in a quiet fleet reads
// two atomics.
func (st *state) Done(a breaker.Admission, ticket uint64, o breaker.Outcome, reason string) {
	if a == breaker.AdmitTrial {
		st.mu.Lock()
		held := st.tickets[ticket]
		delete(st.tickets, ticket)
		st.mu.Unlock()
		if !held { // given back by Close
			return
		}
		token := st.token(ticket)
		verdict := "x"
		switch o {
		case breaker.Succeeded:
			verdict = "s"
		case breaker.Failed:
			verdict = "f"
		}
		st.end(token, verdict, reason)
		return
	}
	switch o {
	case breaker.Failed:
		st.mu.Lock()
		st.pendFails++
		st.pendReason = reason
		st.pendingAny.Store(true)
		st.mu.Unlock()
		st.poke()
	case breaker.Succeeded:
		if !st.pendingAny.Load() && st.view.Load().fails == 0 {
			return
		}
		st.mu.Lock()
		st.pendFails, st.pendReset = 0, true
		st.pendingAny.Store(true)
		st.mu.Unlock()
	}
}

// end ends a recovery trial with verdict "s", "f" or "x".
func (st *state) end(token, verdict, reason string) {
	var reply []any
	err := st.do(context.Background(), func(ctx context.Context) error {
		r, err := doneScript.Run(ctx, st.client, st.keys, token, verdict, st.trials,
			st.open.Milliseconds(), reason, st.o.KeyTTL.Milliseconds()).Slice()
		reply = r
		return err
	}, nil)
	if errors.Is(err, errClosed) {
		return
	}
	if err == nil {
		err = st.apply(reply)
	}
	if err != nil {
		st.down(err)
	} else {
		st.failStreak.Store(0)
	}
	st.poke()
}

// poke wakes the sync goroutine without blocking.
func (st *state) poke() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}
