package recipes_test

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/recipes"
	"github.com/redis/go-redis/v9"
)

// The shared Redis is not a cluster: the test starts a throwaway one-node
// cluster (every slot on one master) with the installed redis-server, in a
// temporary directory, on a free loopback port.
func TestGoRedisCluster(t *testing.T) {
	t.Parallel()
	addr, stop := redisClusterNode(t)
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { cluster.Close() })

	probe(t, func(h *core.Registry) error { return recipes.GoRedisCluster(h, cluster) }).healthy(t)

	stop() // the master goes away: a slot has nobody to serve it
	s := probe(t, func(h *core.Registry) error { return recipes.GoRedisCluster(h, cluster) })
	if s.result.Status == core.StatusOK {
		t.Fatalf("with the master stopped: check %s = ok, want a failure", s.result.Name)
	}
	// go-redis retries within the deadline, and may reload the cluster's
	// state on the way: refused, timeout or a failed reload, by timing;
	// never the address, which the error text holds.
	if m := s.result.Message; m != "connection refused" && m != "timeout" && m != "failed" {
		t.Errorf("with the master stopped: reason %q, want connection refused, timeout or failed (error: %v)", m, s.result.Err)
	}
	if strings.Contains(s.json+s.text, addr) {
		t.Errorf("a probe body shows the address %s: %s", addr, s.json)
	}
}

// redisClusterNode starts redis-server as a one-node cluster that owns every
// slot and returns its address once the cluster state is ok, and a function
// that stops it (also called at cleanup).
func redisClusterNode(t *testing.T) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(t, "redis-server not installed: %v", err)
	}
	for attempt := 0; ; attempt++ {
		// The port of a closed listener: another process may take it
		// before redis-server does, then the start fails and we try again.
		addr = closedAddr(t)
		_, port, _ := strings.Cut(addr, ":")
		dir := t.TempDir()
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		ready := make(chan bool, 1)
		go func() {
			defer close(exited)
			sc := bufio.NewScanner(out)
			seen := false
			for sc.Scan() {
				if !seen && strings.Contains(sc.Text(), "Ready to accept connections") {
					seen = true
					ready <- true
				}
			}
			if !seen {
				ready <- false
			}
			_ = cmd.Wait()
		}()
		stop = func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		if <-ready {
			t.Cleanup(stop)
			break
		}
		stop()
		if attempt == 2 {
			t.Fatalf("redis-server did not start on three free ports")
		}
	}

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	// The node turns its state ok on its own cron: ask until it has, the
	// only signal it gives.
	for {
		info, err := rdb.ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLUSTER INFO: %v", err)
		}
		if strings.Contains(info, "cluster_state:ok") {
			return addr, stop
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the one-node cluster is not ok after 30s: %s", info)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
