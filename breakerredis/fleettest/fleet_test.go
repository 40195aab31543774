package fleettest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probekit/probekit/integration/faultproxy"
)

// mustHappen bounds the wait for what must happen: the documented bounds
// (≤ 200ms to see an open breaker, the replicas' 250ms Redis timeout) with a wide margin
// for a loaded machine.
const mustHappen = 3 * time.Second

// replica is a child process running one replica of the breaker.
type replica struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startFleet starts n replicas sharing a breaker on Redis at addr.
func startFleet(t *testing.T, n int, addr, prefix string) []*replica {
	t.Helper()
	fleet := make([]*replica, n)
	for i := range fleet {
		fleet[i] = startReplica(t, string(rune('a'+i)), addr, prefix)
	}
	return fleet
}

func startReplica(t *testing.T, name, addr, prefix string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envRedis+"="+addr, envPrefix+"="+prefix)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(r.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	})
	t.Cleanup(func() {
		_ = stdin.Close() // the replica exits on EOF
		done := make(chan struct{})
		go func() { wg.Wait(); _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(mustHappen):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("replica %s did not exit on EOF", name)
		}
	})
	return r
}

// ask sends a command and returns the replica's answer.
func (r *replica) ask(cmd string) string {
	r.t.Helper()
	if _, err := io.WriteString(r.stdin, cmd+"\n"); err != nil {
		r.t.Fatalf("replica %s: %v", r.name, err)
	}
	return r.next()
}

func (r *replica) next() string {
	r.t.Helper()
	select {
	case l, ok := <-r.lines:
		if !ok {
			r.t.Fatalf("replica %s exited", r.name)
		}
		return l
	case <-time.After(mustHappen):
		r.t.Fatalf("replica %s did not answer", r.name)
	}
	return ""
}

// await asks "state" until the answer starts with want.
func (r *replica) await(want string) string {
	r.t.Helper()
	deadline := time.Now().Add(mustHappen)
	for {
		got := r.ask("state")
		if strings.HasPrefix(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %s: state %q, still not %q after %v", r.name, got, want, mustHappen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenInOneIsOpenInAllAndATrialClosesAll(t *testing.T) {
	t.Parallel()
	fleet := startFleet(t, 3, redisAddr(), newPrefix(t))
	a, b, c := fleet[0], fleet[1], fleet[2]
	// One failure in each replica: none alone reaches the threshold of 3.
	for _, r := range fleet {
		if got := r.ask("fail"); got != "failed" {
			t.Fatalf("replica %s: %q", r.name, got)
		}
	}
	stories := map[string]bool{}
	for _, r := range fleet {
		state := r.await("open shared")
		_, story, ok := strings.Cut(state, "open since")
		if !ok {
			t.Fatalf("replica state %q does not say since when it is open", state)
		}
		stories[story] = true
	}
	if len(stories) != 1 {
		t.Errorf("replicas tell different stories: %v", stories)
	}
	if got := c.ask("ok"); got != "open" {
		t.Errorf("c's call while open: %q, want open", got)
	}
	b.await("half-open shared")
	if got := b.ask("ok"); got != "ok" {
		t.Fatalf("b's trial: %q", got)
	}
	b.await("closed shared")
	for _, r := range []*replica{a, b, c} {
		r.await("closed shared")
	}
}

func TestReplicaKilledDuringTrialDoesNotWedge(t *testing.T) {
	t.Parallel()
	prefix := newPrefix(t)
	fleet := startFleet(t, 3, redisAddr(), prefix)
	a, b := fleet[0], fleet[1]
	for range 3 {
		a.ask("fail")
	}
	a.await("half-open shared")
	if _, err := io.WriteString(a.stdin, "hang\n"); err != nil {
		t.Fatal(err)
	}
	if got := a.next(); got != "calling" {
		t.Fatalf("a: %q", got)
	}
	if got := b.ask("ok"); got != "busy" {
		t.Errorf("b during a's trial: %q, want busy", got)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// a's claim expires (TrialTimeout 500ms): b's next trial goes through.
	deadline := time.Now().Add(mustHappen)
	for {
		got := b.ask("ok")
		if got == "ok" {
			break
		}
		if got != "busy" || time.Now().After(deadline) {
			t.Fatalf("b after a died: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fleet[2].await("closed shared")
}

func TestRedisFaultsMeanLocalModeThenSharedAgain(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name  string
		apply func(*faultproxy.Proxy) error
	}{
		{"refused", (*faultproxy.Proxy).Refuse},
		{"black hole", (*faultproxy.Proxy).Blackhole},
		{"slow", func(p *faultproxy.Proxy) error { return p.SetLatency(time.Second) }},
	}
	for _, fault := range faults {
		t.Run(fault.name, func(t *testing.T) {
			t.Parallel()
			p, err := faultproxy.New(redisAddr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Close() })
			prefix := newPrefix(t)
			fleet := startFleet(t, 3, p.Addr(), prefix)
			// Trip the fleet and let it reach half-open, where a call must
			// claim a trial in Redis: the one place a call waits on it.
			for range 3 {
				fleet[0].ask("fail")
			}
			for _, r := range fleet {
				r.await("half-open shared")
			}
			if err := fault.apply(p); err != nil {
				t.Fatal(err)
			}
			for _, r := range fleet {
				// Redis cannot answer the claim: the replica goes local,
				// where its own breaker is closed, and the call succeeds.
				if got := r.ask("ok"); got != "ok" {
					t.Errorf("replica %s, Redis %s: call = %q, want ok", r.name, fault.name, got)
				}
				got := r.await("closed local")
				if !strings.HasSuffix(got, "shared state unavailable, local mode") {
					t.Errorf("replica %s: %q does not say it is local", r.name, got)
				}
			}
			if err := p.Heal(); err != nil {
				t.Fatal(err)
			}
			for _, r := range fleet {
				r.await("half-open shared") // the shared state is back, as the fleet left it
			}
		})
	}
}

func TestFailuresSeenWithoutRedisCountWhenItReturns(t *testing.T) {
	t.Parallel()
	p, err := faultproxy.New(redisAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	prefix := newPrefix(t)
	a := startReplica(t, "a", p.Addr(), prefix) // cut off below
	b := startReplica(t, "b", redisAddr(), prefix)
	a.await("closed shared")
	if err := p.Refuse(); err != nil {
		t.Fatal(err)
	}
	a.await("closed local")
	for range 3 {
		if got := a.ask("fail"); got != "failed" {
			t.Fatalf("a: %q", got)
		}
	}
	if err := p.Heal(); err != nil {
		t.Fatal(err)
	}
	// a's failures reach the fleet once Redis answers a again.
	b.await("open shared")
}
