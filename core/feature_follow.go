package core

import (
	"slices"
	"time"
)

// follow makes f one of the features that follow s.
func (s *checkState) follow(f *Feature) {
	s.mu.Lock() // serializes the copy-on-write of followers
	defer s.mu.Unlock()
	var list []*Feature
	if p := s.followers.Load(); p != nil {
		list = *p
	}
	list = append(slices.Clone(list), f)
	s.followers.Store(&list)
}

// reportedStatus is the check's reported status, read without its lock:
// a drill's while one is in effect (see Registry.Drill).
func (s *checkState) reportedStatus() Status {
	st, _ := s.drilledStatus(Status(s.reported.Load()))
	return st
}

// statusChanged publishes the check's new reported status to the features
// that follow it and appends their transitions to events, so that they
// reach the observers with the check's own. s.mu is held: a feature's
// update reads only atomics, so no lock is taken in the other order.
func (s *checkState) statusChanged(events []Transition, at time.Time) []Transition {
	s.reported.Store(uint32(s.status))
	p := s.followers.Load()
	if p == nil {
		return events
	}
	for _, f := range *p {
		f.mu.Lock()
		t, changed := f.update(at)
		f.mu.Unlock()
		if changed {
			events = append(events, t)
		}
	}
	return events
}
