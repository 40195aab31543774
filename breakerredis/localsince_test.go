package breakerredis_test

import (
	"strings"
	"testing"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/probekit/probekit/core"
	"github.com/redis/go-redis/v9"
)

// A breaker that starts with Redis unreachable is local from the start:
// Stats says since when, and the transition says why, as for one that
// loses Redis later.
func TestLocalFromTheStartSaysSinceWhenAndWhy(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer client.Close()
	var seen []core.Transition // New tells the mode on its own goroutine, before the sync goroutine starts
	f, err := breakerredis.New(client, "payments", breaker.Settings{
		Notify: func(t core.Transition) { seen = append(seen, t) },
	}, breakerredis.Options{Prefix: "x:"})
	if err != nil {
		t.Fatal(err)
	}
	st := f.Stats()
	_ = f.Close()
	if st.Mode != breakerredis.Local || st.LocalSince.IsZero() {
		t.Errorf("Stats = %+v, want local with LocalSince set", st)
	}
	// The cause is the refused connection, or the Timeout on a loaded host.
	if len(seen) != 1 || !strings.HasPrefix(seen[0].Reason, breaker.LocalModeMessage+": ") || seen[0].Err == nil {
		t.Errorf("transitions %+v, want one saying why", seen)
	}
}
