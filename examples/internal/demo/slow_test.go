package demo

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestSlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ms       string
		wantCode int
		wantBody any
	}{
		{"0", http.StatusOK, Slept{0}},
		{"20", http.StatusOK, Slept{20}},
		{"", http.StatusBadRequest, Error{`ms: want an integer in [0, 30000], got ""`}},
		{"abc", http.StatusBadRequest, Error{`ms: want an integer in [0, 30000], got "abc"`}},
		{"-1", http.StatusBadRequest, Error{`ms: want an integer in [0, 30000], got "-1"`}},
		{"1.5", http.StatusBadRequest, Error{`ms: want an integer in [0, 30000], got "1.5"`}},
		{"30001", http.StatusBadRequest, Error{`ms: want an integer in [0, 30000], got "30001"`}},
	}
	for _, tt := range tests {
		t.Run("ms="+tt.ms, func(t *testing.T) {
			t.Parallel()
			code, body := Slow(context.Background(), tt.ms)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("Slow(%q) = %d %#v, want %d %#v", tt.ms, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestSlowClientGone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, _ := Slow(ctx, "30000")
	if code != http.StatusServiceUnavailable {
		t.Errorf("code = %d, want 503", code)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Slow ignored its context for %v", d)
	}
}
