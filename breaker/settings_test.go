package breaker

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		bname string
		s     Settings
		field string // the error must name it
	}{
		{"empty name", "", Settings{}, "name"},
		{"negative FailureThreshold", "db", Settings{FailureThreshold: -1}, "FailureThreshold"},
		{"huge FailureThreshold", "db", Settings{FailureThreshold: math.MaxUint32 + 1}, "FailureThreshold"},
		{"negative HalfOpenRequests", "db", Settings{HalfOpenRequests: -2}, "HalfOpenRequests"},
		{"negative OpenTimeout", "db", Settings{OpenTimeout: -time.Second}, "OpenTimeout"},
		{"negative MaxAttempts", "db", Settings{Retry: Retry{MaxAttempts: -1}}, "Retry.MaxAttempts"},
		{"negative InitialInterval", "db", Settings{Retry: Retry{InitialInterval: -1}}, "Retry.InitialInterval"},
		{"negative MaxInterval", "db", Settings{Retry: Retry{MaxInterval: -1}}, "Retry.MaxInterval"},
		{"negative MaxElapsed", "db", Settings{Retry: Retry{MaxElapsed: -1}}, "Retry.MaxElapsed"},
		{"MaxInterval below InitialInterval", "db", Settings{Retry: Retry{InitialInterval: time.Second, MaxInterval: time.Millisecond}}, "Retry.MaxInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := New(tt.bname, tt.s)
			if err == nil {
				t.Fatalf("New(%q, %+v) = %v, nil; want an error", tt.bname, tt.s, b)
			}
			if b != nil {
				t.Errorf("New returned a breaker with its error")
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Settings
		want Settings
	}{
		{"zero value", Settings{}, Settings{
			FailureThreshold: DefaultFailureThreshold, OpenTimeout: DefaultOpenTimeout, HalfOpenRequests: DefaultHalfOpenRequests,
			Retry: Retry{MaxAttempts: DefaultMaxAttempts, InitialInterval: DefaultInitialInterval, MaxInterval: DefaultMaxInterval, MaxElapsed: DefaultMaxElapsed},
		}},
		{"set values kept", Settings{
			FailureThreshold: 2, OpenTimeout: time.Minute, HalfOpenRequests: 3,
			Retry: Retry{MaxAttempts: 1, InitialInterval: time.Millisecond, MaxInterval: time.Second, MaxElapsed: time.Hour},
		}, Settings{
			FailureThreshold: 2, OpenTimeout: time.Minute, HalfOpenRequests: 3,
			Retry: Retry{MaxAttempts: 1, InitialInterval: time.Millisecond, MaxInterval: time.Second, MaxElapsed: time.Hour},
		}},
		{"default MaxInterval never below a large InitialInterval", Settings{Retry: Retry{InitialInterval: 5 * time.Second}}, Settings{
			FailureThreshold: DefaultFailureThreshold, OpenTimeout: DefaultOpenTimeout, HalfOpenRequests: DefaultHalfOpenRequests,
			Retry: Retry{MaxAttempts: DefaultMaxAttempts, InitialInterval: 5 * time.Second, MaxInterval: 5 * time.Second, MaxElapsed: DefaultMaxElapsed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.in.normalize()
			if err != nil {
				t.Fatal(err)
			}
			if got.FailureThreshold != tt.want.FailureThreshold || got.OpenTimeout != tt.want.OpenTimeout ||
				got.HalfOpenRequests != tt.want.HalfOpenRequests || got.Retry.MaxAttempts != tt.want.Retry.MaxAttempts ||
				got.Retry.InitialInterval != tt.want.Retry.InitialInterval || got.Retry.MaxInterval != tt.want.Retry.MaxInterval ||
				got.Retry.MaxElapsed != tt.want.Retry.MaxElapsed {
				t.Errorf("normalize(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
