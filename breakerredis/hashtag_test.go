package breakerredis_test

import (
	"strings"
	"testing"

	"github.com/probekit/probekit/breaker"
	"github.com/probekit/probekit/breakerredis"
	"github.com/redis/go-redis/v9"
)

// The scripts touch both keys of a breaker, which a Redis Cluster allows
// only in one slot, so both keys must hash on one non-empty hash tag. A
// prefix or a name that makes the first {…} of the keys empty ("{}")
// makes Redis hash each whole key: CROSSSLOT on every script, and the
// breaker local for good. New rejects them; a prefix with a tag of its own
// keeps both keys together and is accepted.
func TestNewRejectsKeysInTwoClusterSlots(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer client.Close()
	tests := []struct {
		prefix, name string
		ok           bool
	}{
		{"svc{}:", "payments", false},
		{"svc:", "}payments", false},
		{"{svc}:", "payments", true},
		{"svc{:", "payments", true},
	}
	for _, tt := range tests {
		f, err := breakerredis.New(client, tt.name, breaker.Settings{}, breakerredis.Options{Prefix: tt.prefix})
		if err == nil {
			_ = f.Close()
		}
		switch {
		case tt.ok && err != nil:
			t.Errorf("prefix %q, name %q: %v", tt.prefix, tt.name, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "hash tag")):
			t.Errorf("prefix %q, name %q: error %v, want one about the hash tag", tt.prefix, tt.name, err)
		}
	}
}
