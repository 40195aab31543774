package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Registry. The zero value of every field means its
// documented default; New rejects bad values with an error naming the field.
type Options struct {
	// Service, Version and Instance identify the process in every report.
	// Instance defaults to the host name (the pod name under Kubernetes).
	Service, Version, Instance string

	// Logger receives one line per transition (check status change,
	// lifecycle state change), never one per probe. Default: slog.Default().
	// Its handler is contained like a check: a panic or runtime.Goexit in it
	// loses that record only, and a call that blocks is waited for no longer
	// than DefaultTimeout.
	Logger *slog.Logger

	// Observers are called with every result and transition, in addition
	// to the logger.
	Observers []Observer

	// DefaultTimeout is the timeout of checks that set none. Default: 800ms.
	DefaultTimeout time.Duration

	// DegradedUnavailable makes a degraded report answer 503 instead of 200,
	// taking the pod out of rotation while an optional part is down.
	DegradedUnavailable bool

	// ExposeErrors shows raw check error text in responses. Off by default,
	// because errors may hold DSNs, host names or tokens; the default shows
	// only a classified reason such as "timeout" or "connection refused".
	ExposeErrors bool

	// PropagationDelay is how long Shutdown keeps serving, with readiness
	// already failing, so that endpoints controllers and load balancers stop
	// sending traffic before the listener closes. Default: 5s. Zero means
	// the default; where no load balancer needs the time (a test, a CLI),
	// set a tiny value such as time.Nanosecond. With a Kubernetes preStop
	// sleep doing the same job, keep both: the sleep covers the kubelet,
	// this delay covers a SIGTERM sent by anything else.
	PropagationDelay time.Duration

	// QuietPeriod turns on the adaptive propagation delay: after readiness
	// fails, Shutdown keeps serving until PropagationDelay has passed and
	// no application request has arrived for QuietPeriod, or until
	// PropagationDelayMax, whichever comes first. A load balancer slower
	// than PropagationDelay to stop sending is then waited for, and one
	// that was quick costs nothing beyond PropagationDelay. Arrivals are
	// the requests the drain middlewares count (probes are not); the quiet
	// period counts from the start of the sequence at the earliest, so with
	// no traffic and QuietPeriod at most PropagationDelay the wait ends at
	// PropagationDelay. Default: zero, the fixed delay of PropagationDelay
	// alone. Must be below PropagationDelayMax, and set with it.
	QuietPeriod time.Duration

	// PropagationDelayMax caps the adaptive propagation delay (see
	// QuietPeriod): past it the listeners close even though requests still
	// arrive. Required with QuietPeriod, and at least PropagationDelay;
	// count it, not PropagationDelay, in terminationGracePeriodSeconds.
	// Without QuietPeriod it must be zero.
	PropagationDelayMax time.Duration

	// DrainTimeout bounds the wait for in-flight requests after the listener
	// closes. Default: 20s (5s + 20s + HookTimeout fits the kubelet's default
	// 30s terminationGracePeriodSeconds).
	DrainTimeout time.Duration

	// HookTimeout bounds the shutdown hooks, all together, after draining.
	// Default: 5s.
	HookTimeout time.Duration
}

const (
	defaultPropagationDelay = 5 * time.Second
	defaultDrainTimeout     = 20 * time.Second
	defaultHookTimeout      = 5 * time.Second
)

func (o Options) normalize() (Options, error) {
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"DefaultTimeout", o.DefaultTimeout},
		{"PropagationDelay", o.PropagationDelay},
		{"QuietPeriod", o.QuietPeriod},
		{"PropagationDelayMax", o.PropagationDelayMax},
		{"DrainTimeout", o.DrainTimeout},
		{"HookTimeout", o.HookTimeout},
	} {
		if d.v < 0 {
			return o, fmt.Errorf("%w: %s is negative (%v)", ErrInvalidOptions, d.field, d.v)
		}
	}
	for i, ob := range o.Observers {
		if ob == nil {
			return o, fmt.Errorf("%w: Observers[%d] is nil", ErrInvalidOptions, i)
		}
	}
	if o.DefaultTimeout == 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	if o.PropagationDelay == 0 {
		o.PropagationDelay = defaultPropagationDelay
	}
	if err := o.checkAdaptiveDelay(); err != nil {
		return o, err
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = defaultDrainTimeout
	}
	if o.HookTimeout == 0 {
		o.HookTimeout = defaultHookTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Logger = containLogger(o.Logger, o.DefaultTimeout)
	if o.Instance == "" {
		o.Instance, _ = os.Hostname()
	}
	return o, nil
}

// checkAdaptiveDelay validates QuietPeriod and PropagationDelayMax against
// the PropagationDelay already defaulted; none is negative.
func (o Options) checkAdaptiveDelay() error {
	switch {
	case o.QuietPeriod == 0 && o.PropagationDelayMax == 0:
		return nil // the fixed delay
	case o.QuietPeriod == 0:
		return fmt.Errorf("%w: PropagationDelayMax (%v) is set without QuietPeriod: it caps the adaptive delay only", ErrInvalidOptions, o.PropagationDelayMax)
	case o.PropagationDelayMax == 0:
		return fmt.Errorf("%w: QuietPeriod (%v) needs PropagationDelayMax: the adaptive delay must have a cap that fits the grace period", ErrInvalidOptions, o.QuietPeriod)
	case o.PropagationDelayMax < o.PropagationDelay:
		return fmt.Errorf("%w: PropagationDelayMax (%v) is below PropagationDelay (%v)", ErrInvalidOptions, o.PropagationDelayMax, o.PropagationDelay)
	case o.QuietPeriod >= o.PropagationDelayMax:
		return fmt.Errorf("%w: QuietPeriod (%v) is not below PropagationDelayMax (%v): the wait could never end quiet", ErrInvalidOptions, o.QuietPeriod, o.PropagationDelayMax)
	}
	return nil
}

// Registry holds a service's checks, evaluates them for each probe kind,
// tracks in-flight requests and runs the shutdown sequence. It is safe for
// concurrent use. Create it with New (the zero Registry is not usable: New
// validates the options it holds); start background checks with Start and
// stop them with Close.
type Registry struct {
	opts Options
	now  func() time.Time

	// observers: the slog observer first, then Options.Observers, then
	// those of AddObserver. Copy on write, so that delivering takes no lock.
	observers atomic.Pointer[[]*observerEntry]
	observeMu sync.Mutex // serializes AddObserver and its removals

	mu       sync.RWMutex // guards checks, sorted, bgCtx, closed, hooks, hooksTaken
	checks   map[string]*checkState
	sorted   []*checkState // by name, for stable output
	bgCtx    context.Context
	bgCancel context.CancelFunc
	closed   bool
	hooks    []hook
	// hooksTaken: the shutdown sequence has taken the hooks to run them.
	hooksTaken bool

	loops   sync.WaitGroup // background schedulers, one per background check
	calls   callTracker    // check function calls
	workers workerPool     // the goroutines that make synchronous and background calls
	waiters waiterPool     // evaluations' wake-up channels and timers, reused

	// gen changes whenever anything a report shows changes; pre-rendered
	// responses are valid while their gen matches.
	gen   atomic.Uint64
	cache responseCache

	state   atomic.Int32  // State
	closing chan struct{} // closed when Shutdown stops serving (after the propagation delay)
	stopped chan struct{} // closed on entering StateStopped
	// cut ends when a Run forces the shutdown (a second signal): whoever
	// started the sequence, its remaining waits end at once (see cutShort).
	cut      context.Context
	cutShort context.CancelCauseFunc
	inFlight InFlight
	// servers counts the Runs whose server has not been stopped yet; the
	// sequence waits for it to reach zero before the hooks run.
	servers InFlight
	mounts  atomic.Pointer[mounts] // probe mount points; nil: the root alone, see MountedAt

	warnedNotStarted atomic.Bool // the "Start was not called" warning was logged (see explainUnrun)

	features featureSet // see Registry.Feature
	drills   drillSet   // see Registry.Drill
}

// New returns a Registry configured by opts, or an error naming the first bad
// option.
func New(opts Options) (*Registry, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	r := &Registry{
		opts:    o,
		now:     time.Now,
		checks:  make(map[string]*checkState),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
	}
	r.cut, r.cutShort = context.WithCancelCause(context.Background())
	list := []*observerEntry{{o: slogObserver{log: o.Logger, reg: r}}}
	for _, ob := range o.Observers {
		list = append(list, &observerEntry{o: ob})
	}
	r.observers.Store(&list)
	r.state.Store(int32(StateStarting))
	return r, nil
}

// Register adds a check. It returns an error, and changes nothing, for an
// empty or duplicate name, a nil function, negative durations or thresholds.
// A background check registered after Start is scheduled at once.
func (r *Registry) Register(c Check) error {
	c, err := c.normalize(r.opts.DefaultTimeout)
	if err != nil {
		return err
	}
	s := newCheckState(c, r)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("core: register %q: %w", c.Name, ErrClosed)
	}
	if _, dup := r.checks[c.Name]; dup {
		return fmt.Errorf("core: register %q: %w", c.Name, ErrDuplicateCheck)
	}
	r.checks[c.Name] = s
	i, _ := slices.BinarySearchFunc(r.sorted, c.Name, func(s *checkState, name string) int {
		return strings.Compare(s.check.Name, name)
	})
	r.sorted = slices.Insert(slices.Clone(r.sorted), i, s)
	if c.Interval > 0 && r.bgCtx != nil {
		r.startLoop(s)
	}
	r.gen.Add(1)
	return nil
}

// Errors returned by the Registry; test with errors.Is.
var (
	// ErrDuplicateCheck: a check with that name is already registered.
	ErrDuplicateCheck = errors.New("duplicate check name")
	// ErrClosed: the registry has been closed.
	ErrClosed = errors.New("registry closed")
	// ErrInvalidOptions is wrapped by every error New returns.
	ErrInvalidOptions = errors.New("core: invalid Options")
	// ErrAlreadyStarted: Start was called twice.
	ErrAlreadyStarted = errors.New("registry already started")
)

// Start runs the background checks (those with Interval > 0), each on its own
// scheduler goroutine owned by the registry, until ctx is cancelled or Close
// is called. It returns at once.
func (r *Registry) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return ErrClosed
	case r.bgCtx != nil:
		return ErrAlreadyStarted
	}
	r.bgCtx, r.bgCancel = context.WithCancel(ctx)
	r.gen.Add(1) // reports no longer say "Registry.Start not called"
	for _, s := range r.sorted {
		if s.check.Interval > 0 {
			r.startLoop(s)
		}
	}
	return nil
}

// startLoop starts the scheduler of one background check. r.mu is held.
func (r *Registry) startLoop(s *checkState) {
	r.loops.Add(1)
	go func() {
		defer r.loops.Done()
		s.schedule(r.bgCtx)
	}()
}

// Close stops the background schedulers and waits for them, and for check
// calls still running, to return. A check that ignores its context cannot be
// stopped: Close waits for such calls no longer than the longest check
// timeout, then returns an error naming them. Close is idempotent.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.bgCancel != nil {
		r.bgCancel()
	}
	var longest time.Duration
	for _, s := range r.sorted {
		longest = max(longest, s.check.Timeout)
	}
	r.mu.Unlock()
	r.features.close()
	r.drills.close(r.snapshotChecks())

	r.loops.Wait()
	defer r.workers.close()
	if r.calls.wait(longest) {
		return nil
	}
	var stuck []string
	for _, s := range r.snapshotChecks() {
		if s.isRunning() {
			stuck = append(stuck, s.check.Name)
		}
	}
	return fmt.Errorf("core: close: checks still running after their timeout: %s", strings.Join(stuck, ", "))
}

func (r *Registry) snapshotChecks() []*checkState {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.sorted
}

// lookup returns the named check, or nil.
func (r *Registry) lookup(name string) *checkState {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checks[name]
}

// Notify passes a transition to the logger and every observer. Components
// outside core, such as circuit breakers, use it so that all state changes of
// a service are reported in one place. It is safe to call from any
// goroutine, and returns once every observer has been called: observers run
// contained (see [Observer]), on a goroutine of their own. An observer that
// blocks is waited for no longer than Options.DefaultTimeout: the delivery
// then goes on without the caller.
func (r *Registry) Notify(t Transition) {
	if t.Time.IsZero() {
		t.Time = r.now()
	}
	events := []Transition{t}
	r.deliverElsewhere(*r.observers.Load(), nil, events)
}

// deliverElsewhere delivers res and events to list from a goroutine that is
// not a runner (a probe's, a scheduler, Shutdown): on one of their own,
// waited for no longer than Options.DefaultTimeout, so that an observer
// that never returns (a send on a channel nobody reads) cannot hold up a
// probe past its timeout, or the shutdown sequence for good.
func (r *Registry) deliverElsewhere(list []*observerEntry, res *Result, events []Transition) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.DefaultTimeout)
	defer cancel()
	elsewhere(func() { r.deliver(list, res, events, 0) }, ctx.Done())
}

// deliver passes res (unless nil), then each event, to every observer of
// list (a snapshot of r.observers), from call number from on. Each call is contained: a panic is recovered; a
// runtime.Goexit cannot be stopped, so the remaining calls are made while
// the goroutine unwinds, and then it ends. deliver therefore runs directly
// only on a check's runner goroutine, which the registry can spare; from
// anywhere else it runs under elsewhere.
func (r *Registry) deliver(list []*observerEntry, res *Result, events []Transition, from int) {
	n := len(list)
	for i := from; i < (1+len(events))*n; i++ {
		k, o := i/n, i%n
		var call func()
		switch {
		case k == 0 && res == nil, list[o].removed.Load():
			continue
		case k == 0:
			call = func() { list[o].o.ObserveResult(*res) }
		default:
			call = func() { list[o].o.ObserveTransition(events[k-1]) }
		}
		if v, panicked := protect(call, func() {
			r.deliver(list, res, events, i+1)
			r.observerFault(list[o], "called runtime.Goexit")
		}); panicked {
			r.observerFault(list[o], "panicked"+panicDetail(v))
		}
	}
}

// observerFault logs, once per observer, that one of its calls panicked or
// called runtime.Goexit: the call was abandoned and the others went on.
// Logging more would let a broken observer flood the logs, one line per
// probe.
func (r *Registry) observerFault(e *observerEntry, what string) {
	if e.faulted.Swap(true) {
		return
	}
	// The logger's handler is user code as well.
	protect(func() {
		r.opts.Logger.Warn("probekit: observer "+what+"; the call was abandoned and other observers still called (later faults of this observer are not logged)",
			"observer", fmt.Sprintf("%T", e.o))
	}, func() {})
}

// panicDetail describes a panic value for a log line: the message of a
// runtime error ("index out of range", "nil pointer dereference"), which
// holds no user data; for any other value its type only, since it may hold
// secrets and formatting it would call user code.
func panicDetail(v any) string {
	if e, ok := v.(runtime.Error); ok {
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == "runtime" {
			return ": " + e.Error()
		}
	}
	return fmt.Sprintf(" (a %T)", v)
}

// Service returns the Options.Service, Version and Instance values.
func (r *Registry) Service() (service, version, instance string) {
	return r.opts.Service, r.opts.Version, r.opts.Instance
}

// callTracker counts running check calls. Unlike a sync.WaitGroup it allows
// new calls (a probe after Close) while Close waits.
type callTracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil when nobody waits
}

func (c *callTracker) add() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *callTracker) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// wait reports whether no call is running, waiting up to timeout for it.
func (c *callTracker) wait(timeout time.Duration) bool {
	c.mu.Lock()
	if c.n == 0 {
		c.mu.Unlock()
		return true
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	idle := c.idle
	c.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
		return true
	case <-t.C:
		return false
	}
}
