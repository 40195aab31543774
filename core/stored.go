package core

import "fmt"

// Stored returns the status that a probe of kind (and, when check is not
// empty, of that one check) would report from what the registry already
// knows, without running any check and without moving the lifecycle: the
// lifecycle state and each check's latest result. Push-style consumers (the
// gRPC health Watch) use it to recompute a status when an [Observer] hears
// of a change, where running checks would feed back into more changes.
//
// For checks that run in the background it agrees with [Registry.Probe].
// A synchronous check contributes the result of its latest run, made by the
// latest probe that ran it ("not run yet", unavailable, before any). While
// starting, readiness and startup are unavailable until the stored results
// of the startup checks pass; only a probe ends Starting. An unknown check,
// or one not of kind, is an error wrapping ErrUnknownCheck; a bad kind is
// an error too.
func (r *Registry) Stored(kind Kind, check string) (Status, error) {
	if kind != Liveness && kind != Readiness && kind != Startup {
		return StatusUnavailable, fmt.Errorf("core: stored: kind must be one of Liveness, Readiness, Startup, got %v", kind)
	}
	if check != "" {
		s := r.lookup(check)
		if s == nil || s.check.Kinds&kind == 0 {
			return StatusUnavailable, fmt.Errorf("core: stored %q: %w for %s", check, ErrUnknownCheck, kind)
		}
		res := s.last()
		assumeAlive(kind, &res)
		s.overlayDrill(&res)
		return res.Status, nil
	}
	state := r.State()
	if kind == Readiness && state >= StateDraining {
		return StatusUnavailable, nil
	}
	if state == StateStarting && kind != Liveness {
		if st := r.storedAggregate(Startup); st == StatusUnavailable || kind == Startup {
			return st, nil
		}
	}
	return r.storedAggregate(kind), nil
}

// storedAggregate is the status of kind's latest results, aggregated as
// [Registry.Evaluate] does, without allocating.
func (r *Registry) storedAggregate(kind Kind) Status {
	worst := StatusOK
	for _, s := range r.snapshotChecks() {
		if s.check.Kinds&kind == 0 {
			continue
		}
		res := s.last()
		assumeAlive(kind, &res)
		res.Status, _ = s.drilledStatus(res.Status) // a drill counts even before the check's first run
		switch {
		case res.Status == StatusOK:
		case res.Critical && res.Status == StatusUnavailable:
			return StatusUnavailable
		default:
			worst = StatusDegraded
		}
	}
	return worst
}
