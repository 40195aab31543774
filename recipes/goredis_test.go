package recipes_test

import (
	"testing"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"github.com/redis/go-redis/v9"
)

func TestGoRedis(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		server bool // the case needs the real server
		opts   func(addr string) *redis.Options
		closed bool // the client is closed before the check runs
		want   string
	}{
		{name: "healthy", server: true, opts: func(addr string) *redis.Options { return &redis.Options{Addr: addr} }},
		{
			// go-redis retries a refused dial (DialerRetries) and the
			// command (MaxRetries) until the deadline: the reason is the
			// deadline's.
			name: "refused, password set",
			opts: func(string) *redis.Options { return &redis.Options{Addr: closedAddr(t), Password: secret} },
			want: "timeout",
		},
		{
			// The server has no password: AUTH is an error reply, whose
			// text the registry does not show.
			name: "password the server refuses", server: true,
			opts: func(addr string) *redis.Options {
				return &redis.Options{Addr: addr, Username: "nobody", Password: secret}
			},
			want: "failed",
		},
		{
			name: "closed client", server: true, closed: true,
			opts: func(addr string) *redis.Options { return &redis.Options{Addr: addr, Password: secret} },
			want: "failed",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := ""
			if tt.server {
				addr = serverAddr(t, "PROBEKIT_REDIS_ADDR")
			}
			opts := tt.opts(addr)
			opts.ContextTimeoutEnabled = true // the advice of the recipe
			rdb := redis.NewClient(opts)
			if tt.closed {
				rdb.Close()
			} else {
				t.Cleanup(func() { rdb.Close() })
			}
			s := probe(t, func(h *core.Registry) error { return recipes.GoRedis(h, rdb) })
			if tt.want == "" {
				s.healthy(t)
				return
			}
			s.failed(t, tt.want, secret)
		})
	}
}
