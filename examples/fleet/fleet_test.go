package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// envChild makes the test binary a replica: run with the environment,
// until stdin ends (the test closed it, or died).
const envChild = "FLEET_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
		if err := run(ctx, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

const mustHappen = 5 * time.Second

// The demo as the package doc tells it: three replicas, payments down,
// failures in one, the same open breaker in every replica's
// /readyz?verbose; payments up, one trial, closed everywhere.
func TestFleetDemo(t *testing.T) {
	redisAddr := os.Getenv("PROBEKIT_REDIS_ADDR")
	if redisAddr == "" {
		redisAddr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	t.Cleanup(func() { _ = rdb.Close() }) // after the keys are deleted, below
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s unreachable (CI=true: it must be): %v", redisAddr, err)
		}
		t.Skipf("redis at %s unreachable: %v", redisAddr, err)
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	prefix := "probekit-test:" + hex.EncodeToString(id[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})

	var down atomic.Bool
	payments := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer payments.Close()

	replicas := map[string]string{} // name → base URL
	for _, name := range []string{"a", "b", "c"} {
		addr := freeAddr(t)
		replicas[name] = "http://" + addr
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"=1", "ADDR="+addr, "REPLICA="+name,
			"REDIS_ADDR="+redisAddr, "REDIS_PREFIX="+prefix, "PAYMENTS_URL="+payments.URL, "OPEN_TIMEOUT=300ms")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		logs, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logged := make(chan struct{})
		go func() { // the replica's log, in the test's
			defer close(logged)
			sc := bufio.NewScanner(logs)
			for sc.Scan() {
				t.Log(sc.Text())
			}
		}()
		t.Cleanup(func() {
			_ = stdin.Close()
			<-logged
			if err := cmd.Wait(); err != nil {
				t.Errorf("replica %s: %v", name, err)
			}
		})
	}
	for name, url := range replicas {
		await(t, name, url+"/readyz?verbose", "[+]payments ok")
	}

	down.Store(true)
	for range 5 { // the default FailureThreshold, all in one replica
		if code, body := get(t, replicas["a"]+"/pay"); code != http.StatusBadGateway {
			t.Fatalf("a /pay with payments down: %d %s", code, body)
		}
	}
	stories := map[string]bool{}
	for name, url := range replicas {
		body := await(t, name, url+"/readyz?verbose", "open since")
		for _, line := range strings.Split(body, "\n") {
			if strings.Contains(line, "payments") {
				stories[line] = true
			}
		}
	}
	if len(stories) != 1 {
		t.Errorf("replicas tell different stories: %v", stories)
	}
	t.Logf("every replica's /readyz?verbose: %v", stories)

	down.Store(false)
	deadline := time.Now().Add(mustHappen)
	for { // after the open timeout, b's call is the fleet's one trial
		code, _ := get(t, replicas["b"]+"/pay")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b's trial never went through")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, url := range replicas {
		await(t, name, url+"/readyz?verbose", "[+]payments ok")
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// await polls url until its body contains want, and returns the body.
func await(t *testing.T, name, url, want string) string {
	t.Helper()
	deadline := time.Now().Add(mustHappen)
	for {
		_, body := get(t, url)
		if strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s: %s never said %q; last:\n%s", name, url, want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
