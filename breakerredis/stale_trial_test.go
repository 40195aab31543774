package breakerredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
)

// A trial call that outlives its claim (TrialTimeout) has a stale verdict,
// which the fleet ignores; it must not end the claim of another trial call
// of the same replica, made since, and apply its verdict in its name.
func TestStaleTrialVerdictDoesNotEndAnotherCallsClaim(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	f, err := breakerredis.New(client, "payments", breaker.Settings{FailureThreshold: 1, OpenTimeout: 50 * time.Millisecond,
		HalfOpenRequests: 2, Retry: breaker.Retry{MaxAttempts: 1}},
		breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: 250 * time.Millisecond, TrialTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	_ = fail(f)
	eventually(t, "half-open", func() bool { return f.Breaker().State() == breaker.StateHalfOpen })
	in1, rel1, ret1 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ret1)
		_ = f.Breaker().Do(ctx, func(context.Context) error { close(in1); <-rel1; return errDown })
	}()
	<-in1
	eventually(t, "claim 1 expired", func() bool { return client.Exists(ctx, f.Keys()[1]).Val() == 0 })
	in2, rel2, ret2 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ret2)
		_ = f.Breaker().Do(ctx, func(context.Context) error { close(in2); <-rel2; return nil })
	}()
	<-in2
	close(rel1) // the late, stale verdict of call 1: a failure
	<-ret1
	n, _ := client.HGet(ctx, f.Keys()[0], "ftrials").Int()
	close(rel2)
	<-ret2
	if n != 0 {
		t.Errorf("a trial whose claim expired reopened the fleet (ftrials=%d): its verdict ended call 2's claim", n)
	}
}
