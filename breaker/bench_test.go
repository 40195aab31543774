package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/probekit/probekit/breaker"
	"github.com/sony/gobreaker/v2"
)

// query stands in for a dependency call that succeeds; it is not inlined,
// so that every case pays for one real call.
//
//go:noinline
func query(context.Context) (int, error) { return 1, nil }

func queryErr(ctx context.Context) error {
	_, err := query(ctx)
	return err
}

// BenchmarkDo measures the cost of a call that succeeds at once, in the
// closed state, against two baselines: the bare call, and gobreaker's own
// Execute, which Do cannot avoid. Execute takes its mutex twice and calls
// time.Now twice; where reading the clock is slow (50 ns on some VMs, 15 ns
// on most hardware) that is nearly all of Do's cost. Do's own share is the
// difference between the two rows. "backoff.Retry+gobreaker" is the
// alternative this package did not take: cenkalti/backoff/v5's Retry around
// the same Execute.
func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	br, err := breaker.New("db", breaker.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	cb := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Name: "db"})
	execute := func() (int, error) {
		return cb.Execute(func() (int, error) { return query(ctx) })
	}
	cases := []struct {
		name string
		call func() error
	}{
		{"bare", func() error { return queryErr(ctx) }},
		{"gobreaker.Execute", func() error { _, err := execute(); return err }},
		{"Do", func() error { return br.Do(ctx, queryErr) }},
		{"Call", func() error { _, err := breaker.Call(ctx, br, query); return err }},
		{"backoff.Retry+gobreaker", func() error {
			_, err := backoff.Retry(ctx, execute,
				backoff.WithBackOff(backoff.NewExponentialBackOff()),
				backoff.WithMaxTries(breaker.DefaultMaxAttempts),
				backoff.WithMaxElapsedTime(breaker.DefaultMaxElapsed))
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.call(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkDoOpen measures how fast an open breaker fails a call.
func BenchmarkDoOpen(b *testing.B) {
	ctx := context.Background()
	br, err := breaker.New("db", breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	_ = br.Do(ctx, func(context.Context) error { return breaker.Permanent(context.DeadlineExceeded) })
	if br.State() != breaker.StateOpen {
		b.Fatal("breaker did not open")
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := br.Do(ctx, queryErr); err == nil {
				b.Error("open breaker let a call through")
				return
			}
		}
	})
}

// BenchmarkCheck measures a readiness probe of a closed breaker's Check.
func BenchmarkCheck(b *testing.B) {
	br, err := breaker.New("db", breaker.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	check := br.Check()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := check(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
