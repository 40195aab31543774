package core

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Health service names map to the probes as the HTTP paths do: the four
// names of HealthServices are whole probes (even where a check has that
// name), a check's name is that check, reported as readiness, then
// liveness, then startup; anything else is unknown. Serving and stored
// agree once a probe has run the checks, and shutdown makes the readiness
// services not serving.
func TestHealthService(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, Options{PropagationDelay: time.Nanosecond})
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("down") }
	for _, c := range []Check{
		{Name: "db", Check: ok},
		{Name: "loop", Check: down, Kinds: Liveness},
		{Name: "gate", Check: ok, Kinds: Startup},
		{Name: "both", Check: down, Kinds: Liveness | Startup}, // reported as liveness
		{Name: "liveness", Check: down, Kinds: Readiness, Optional: true},
	} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	r.MarkStarted()
	tests := []struct {
		service        string
		serving, known bool
		downServing    bool
	}{
		{"", true, true, false},
		{"readiness", true, true, false},
		{"liveness", false, true, false}, // the probe, not the check of that name
		{"startup", false, true, false},  // "both" fails
		{"db", true, true, true},         // one check: by its own status
		{"loop", false, true, false},
		{"gate", true, true, true},
		{"both", false, true, false},
		{"nope", false, false, false},
		{"Readiness", false, false, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		serving, known := r.HealthServiceServing(ctx, tt.service)
		stored, storedKnown := r.HealthServiceStored(tt.service)
		if serving != tt.serving || known != tt.known || stored != serving || storedKnown != known {
			t.Errorf("%q: serving %v, %v, stored %v, %v; want %v, %v", tt.service, serving, known, stored, storedKnown, tt.serving, tt.known)
		}
	}
	if err := r.Shutdown(ctx, nil); err != nil { // readiness stays failed once stopped
		t.Fatal(err)
	}
	for _, tt := range tests {
		if !tt.known {
			continue
		}
		if serving, _ := r.HealthServiceServing(ctx, tt.service); serving != tt.downServing {
			t.Errorf("%q after shutdown: serving %v; want %v", tt.service, serving, tt.downServing)
		}
		if stored, _ := r.HealthServiceStored(tt.service); stored != tt.downServing {
			t.Errorf("%q after shutdown: stored %v; want %v", tt.service, stored, tt.downServing)
		}
	}
}

// HealthServices lists the whole-probe names in order, each once, and a
// nil registry knows no service.
func TestHealthServices(t *testing.T) {
	t.Parallel()
	want := []HealthService{{"", Readiness}, {"readiness", Readiness}, {"liveness", Liveness}, {"startup", Startup}}
	got := HealthServices()
	if len(got) != len(want) {
		t.Fatalf("HealthServices() = %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("HealthServices()[%d] = %v; want %v", i, got[i], want[i])
		}
		if k, ok := healthServiceKind(want[i].Name); !ok || k != want[i].Kind {
			t.Errorf("healthServiceKind(%q) = %v, %v; want %v", want[i].Name, k, ok, want[i].Kind)
		}
	}
	var r *Registry
	if s, k := r.HealthServiceServing(context.Background(), ""); s || k {
		t.Errorf("nil registry: %v, %v; want false, false", s, k)
	}
	if s, k := r.HealthServiceStored(""); s || k {
		t.Errorf("nil registry stored: %v, %v; want false, false", s, k)
	}
}
