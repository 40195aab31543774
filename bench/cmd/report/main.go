// Command report writes docs/benchmarks.md from the output of bench's
// benchmarks (`go test -bench`, any number of files) and of its rolling
// restart test (the JSON file named by PROBEKIT_ROLLING_OUT): a table per
// workload with each library's numbers and their ratio to probekit's, the
// machine, the Go and library versions, and how to reproduce. `make
// bench-compare` runs it; it parses the benchmark format itself, which
// needs no dependency.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

func main() {
	var c config
	flag.StringVar(&c.rolling, "rolling", "", "JSON results of TestRollingRestart")
	flag.StringVar(&c.gomod, "gomod", "go.mod", "bench's go.mod, for the library versions")
	flag.StringVar(&c.loadBefore, "load-before", "", "/proc/loadavg as it was when the run began")
	flag.StringVar(&c.commit, "commit", "", "the commit measured")
	flag.StringVar(&c.note, "note", "", "a paragraph to print under the title (conditions of this run)")
	flag.StringVar(&c.out, "o", "", "output file (default: standard output)")
	flag.Parse()
	c.bench = flag.Args()
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	bench                                         []string
	rolling, gomod, loadBefore, commit, note, out string
}

func run(c config) error {
	if len(c.bench) == 0 {
		return errors.New("usage: report [flags] bench-output-file [more files]")
	}
	res := results{}
	for _, path := range c.bench {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = parse(f, res)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	var rolling []rollingResult
	if c.rolling != "" {
		data, err := os.ReadFile(c.rolling)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &rolling); err != nil {
			return fmt.Errorf("%s: %w", c.rolling, err)
		}
	}
	gomod, err := os.ReadFile(c.gomod)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	r := &report{w: &buf, res: res}
	r.header(c, machine(c.loadBefore), versions(string(gomod)))
	r.libraries()
	r.probeTables()
	r.drainTable()
	r.wrkTables()
	r.rollingTable(rolling)
	r.reproduce()
	if c.out == "" {
		_, err = os.Stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(c.out, buf.Bytes(), 0o644)
}

// rollingResult is bench's rollingResult, as JSON.
type rollingResult struct {
	Framework  string  `json:"framework"`
	Requests   int64   `json:"requests"`
	Failed     int64   `json:"failed"`
	ConnErrors int64   `json:"conn_errors"`
	NoBackend  int64   `json:"no_backend"`
	Seconds    float64 `json:"seconds"`
}

// machineInfo is where the numbers were taken.
type machineInfo struct {
	cpu, loadBefore, loadAfter, goVersion string
	cores                                 int
}

// peerModules are the libraries compared, by the name their rows carry.
var peerModules = []struct{ name, module string }{
	{"alexliesenfeld", "github.com/alexliesenfeld/health"},
	{"hellofresh", "github.com/hellofresh/health-go/v5"},
	{"sundheit", "github.com/AppsFlyer/go-sundheit"},
	{"chi", "github.com/go-chi/chi/v5"},
	{"gin", "github.com/gin-gonic/gin"},
	{"echo", "github.com/labstack/echo/v4"},
	{"fiber", "github.com/gofiber/fiber/v2"},
}

// versions reads the required version of each peer module from go.mod.
func versions(gomod string) map[string]string {
	v := map[string]string{}
	for line := range strings.Lines(gomod) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) < 2 {
			continue
		}
		for _, p := range peerModules {
			if f[0] == p.module {
				v[p.module] = f[1]
			}
		}
	}
	return v
}

func dateUTC() string { return time.Now().UTC().Format("2006-01-02 15:04 MST") }
