package breakerredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
)

// A replica that shuts down (Close, then the client's Close) while one of
// its calls holds the fleet's recovery trial gives the trial back: the
// fleet must not wait TrialTimeout for a replica that left cleanly.
func TestCloseReleasesTrialsInFlight(t *testing.T) {
	t.Parallel()
	client, prefix := newClient(t)
	s := breaker.Settings{FailureThreshold: 1, OpenTimeout: 50 * time.Millisecond, HalfOpenRequests: 1,
		Retry: breaker.Retry{MaxAttempts: 1}}
	o := breakerredis.Options{Prefix: prefix, SyncInterval: 20 * time.Millisecond, Timeout: 250 * time.Millisecond,
		TrialTimeout: time.Hour}
	a, err := breakerredis.New(client, "payments", s, o)
	if err != nil {
		t.Fatal(err)
	}
	b := replica(t, client, prefix, s)
	_ = fail(a)
	eventually(t, "half-open", func() bool { return a.Breaker().State() == breaker.StateHalfOpen })
	inTrial, release, returned := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(returned)
		_ = a.Breaker().Do(context.Background(), func(context.Context) error {
			close(inTrial)
			<-release
			return nil
		})
	}()
	<-inTrial
	_ = a.Close()
	defer func() { close(release); <-returned }()
	eventually(t, "b's trial", func() bool {
		ran := false
		_ = b.Breaker().Do(context.Background(), func(context.Context) error { ran = true; return errDown })
		return ran
	})
}
