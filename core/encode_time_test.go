package core

import (
	"testing"
	"time"
)

// TestAppendTimeMatchesAppendFormat: the hand-written timestamp encoder
// writes exactly what time.AppendFormat writes with timeLayout, in UTC,
// whatever the zone, the year or the fraction of a second.
func TestAppendTimeMatchesAppendFormat(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("east", 5*3600+30*60)
	tests := []time.Time{
		time.Date(2026, 11, 28, 6, 51, 5, 123456789, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 1, 2, 3, 4000000, east),
		time.Date(2000, 1, 1, 0, 0, 0, 0, east), // the previous day in UTC
		time.Unix(0, 0),
	}
	for _, tm := range tests {
		want := `"` + tm.UTC().Format(timeLayout) + `"`
		if got := string(appendTime(nil, tm)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
	if got := string(appendTime(nil, time.Time{})); got != "null" {
		t.Errorf("appendTime(zero) = %s, want null", got)
	}
}
