package main

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := `goos: linux
cpu: AMD EPYC
BenchmarkCached/probekit-2            	    2000	       261.3 ns/op	       0 B/op	       0 allocs/op
BenchmarkCached/probekit-2            	    2000	       200.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkCached/probekit-2            	    2000	       300.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkStorm/hellofresh-2      	       1	21298102409 ns/op	         0 503/wave	      1000 calls/wave
BenchmarkWrk/app/nethttp-bare         	       1	1016215024 ns/op	         0 errors	         0.4480 p50-ms
--- SKIP: BenchmarkWrk
PASS
`
	got := results{}
	if err := parse(strings.NewReader(out), got); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, unit string
		want       float64
	}{
		{"Cached/probekit", "ns/op", 261.3},
		{"Cached/probekit", "allocs/op", 0},
		{"Storm/hellofresh", "calls/wave", 1000},
		{"Wrk/app/nethttp-bare", "p50-ms", 0.448},
	} {
		if v, ok := got[tc.name][tc.unit]; !ok || v != tc.want {
			t.Errorf("%s %s = %v (%v), want %v", tc.name, tc.unit, v, ok, tc.want)
		}
	}
	if len(got) != 3 {
		t.Errorf("parsed %d benchmarks, want 3: %v", len(got), got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
