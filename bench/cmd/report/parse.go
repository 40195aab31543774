package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results maps a benchmark's name, without the Benchmark prefix and the
// -GOMAXPROCS suffix ("Cached/probekit"), to its metrics by unit ("ns/op",
// "allocs/op", "calls/wave"), each the median of the runs (-count).
type results map[string]map[string]float64

// benchLine is one result line of `go test -bench`:
// BenchmarkCached/probekit-2   1000   261.3 ns/op   0 B/op   0 allocs/op
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.+)$`)

// parse reads `go test -bench` output; lines that are not results (goos,
// PASS, logs) are skipped.
func parse(r io.Reader, into results) error {
	runs := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			if runs[m[1]] == nil {
				runs[m[1]] = map[string][]float64{}
			}
			runs[m[1]][f[i+1]] = append(runs[m[1]][f[i+1]], v)
		}
	}
	for name, units := range runs {
		into[name] = map[string]float64{}
		for unit, vs := range units {
			into[name][unit] = median(vs)
		}
	}
	return sc.Err()
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
