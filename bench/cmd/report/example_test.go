package main

import (
	"os"
	"strings"
)

// A workload's table: probekit first, each library's ratio to it, and the
// library without such a mode said so.
func Example() {
	res := results{}
	_ = parse(strings.NewReader(`BenchmarkCached/probekit-2        1000    250 ns/op       0 B/op   0 allocs/op
BenchmarkCached/alexliesenfeld-2  1000  50000 ns/op    3800 B/op  41 allocs/op
BenchmarkCached/sundheit-2        1000  75000 ns/op    3900 B/op  29 allocs/op
`), res)
	r := &report{w: os.Stdout, res: res}
	r.timeTable("Cached")
	// Output:
	// | library | configuration | time per probe | bytes per probe | allocations per probe | × probekit (time) |
	// |---|---|---|---|---|---|
	// | probekit | `Check.Interval`, `Start` | 250 ns | 0 | 0 | 1.00× |
	// | alexliesenfeld/health | `WithPeriodicCheck` | 50.0 µs | 3800 | 41 | 200× |
	// | hellofresh/health-go | no caching or background mode: every probe runs every check | | | | |
	// | AppsFlyer/go-sundheit | background checks (its only mode) | 75.0 µs | 3900 | 29 | 300× |
}
