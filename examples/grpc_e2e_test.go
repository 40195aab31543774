package examples_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/probekit/probekit/examples/grpc/orders"
)

// TestGRPCEndToEnd builds examples/grpc and runs it as a process serving
// HTTP and gRPC on two ports. It holds the HTTP side to the same contract
// as the other examples, then sends SIGTERM while unary and streaming RPCs
// are in flight and asserts: Watch clients see NOT_SERVING first and their
// streams end cleanly, every in-flight RPC completes, new RPCs once the
// listener has closed are refused with UNAVAILABLE, and the exit status is
// 0. Not parallel: it sets GRPC_PORT for the child through t.Setenv.
func TestGRPCEndToEnd(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the end-to-end test builds the example with the go command: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(goBin, "build", "-o", dir, "./grpc").CombinedOutput(); err != nil {
		t.Fatalf("go build ./grpc: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "grpc")
	grpcAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	t.Setenv(orders.PortEnv, strings.TrimPrefix(grpcAddr, "127.0.0.1:"))
	badConfig(t, bin)
	s := startService(t, bin)
	s.startup(t)
	s.routes(t, manifestProbePaths(t))

	sent := make(chan struct{}, 16)
	cc := dial(t, grpcAddr, grpc.WithStatsHandler(sentCounter{sent}))
	health := healthpb.NewHealthClient(cc)
	ctx := context.Background()

	// The service's own RPCs and the health services answer.
	var order wrapperspb.StringValue
	if err := cc.Invoke(ctx, orders.GetMethod, wrapperspb.Int64(1), &order); err != nil || !strings.Contains(order.GetValue(), "Ada Lovelace") {
		t.Errorf("Get(1) = %q, %v; want Ada Lovelace's order", order.GetValue(), err)
	}
	if err := cc.Invoke(ctx, orders.GetMethod, wrapperspb.Int64(99), &order); status.Code(err) != codes.NotFound {
		t.Errorf("Get(99): %v, want NOT_FOUND", err)
	}
	for service, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		"": healthpb.HealthCheckResponse_SERVING, "readiness": healthpb.HealthCheckResponse_SERVING,
		"liveness": healthpb.HealthCheckResponse_SERVING, "startup": healthpb.HealthCheckResponse_SERVING,
		"sqlite": healthpb.HealthCheckResponse_SERVING,
	} {
		if r, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: service}); err != nil || r.GetStatus() != want {
			t.Errorf("Check(%q) = %v, %v; want %v", service, r.GetStatus(), err, want)
		}
	}
	if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check(nope): %v, want NOT_FOUND", err)
	}
	drainSent(sent)

	// Watchers, then RPCs in flight: two unary, two streams.
	var watches []healthpb.Health_WatchClient
	watchCtx, stopWatch := context.WithTimeout(ctx, time.Minute) // fails instead of hanging
	defer stopWatch()
	for _, service := range []string{"", "readiness"} {
		w, err := health.Watch(watchCtx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := w.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("Watch(%q) first = %v, %v; want SERVING", service, r.GetStatus(), err)
		}
		watches = append(watches, w)
	}
	drainSent(sent)
	ms := slowRequest.Milliseconds()
	results := make(chan error, 4)
	for range 2 {
		go func() { // ends with the RPC
			var out wrapperspb.Int64Value
			err := cc.Invoke(ctx, orders.SlowMethod, wrapperspb.Int64(ms), &out)
			if err == nil && out.GetValue() != ms {
				err = errors.New("Slow answered " + strconv.FormatInt(out.GetValue(), 10))
			}
			results <- err
		}()
	}
	opened := make(chan struct{}, 2)
	for range 2 {
		go func() { // ends with the stream
			results <- slowStream(ctx, cc, ms, opened)
		}()
	}
	for range 4 { // every request written, as the HTTP test waits for
		<-sent
	}
	for range 2 { // the streams' handlers are running
		<-opened
	}

	signalled := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Watch: NOT_SERVING is the next message, then a clean end (the
	// server closes the streams when it stops accepting).
	for i, w := range watches {
		if r, err := w.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("watch %d after SIGTERM = %v, %v; want NOT_SERVING first", i, r.GetStatus(), err)
		}
	}
	// The HTTP side agrees: /readyz is 503 from now on, until its listener
	// closes.
	if code, body, err := s.get("/readyz"); err == nil && (code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down")) {
		t.Errorf("GET /readyz after gRPC said NOT_SERVING = %d %s, want 503 shutting down", code, body)
	}
	for i, w := range watches {
		if r, err := w.Recv(); !errors.Is(err, io.EOF) {
			t.Errorf("watch %d after NOT_SERVING = %v, %v; want a clean end", i, r, err)
		}
	}
	s.notReadyUntilClosed(t, signalled)
	refusedAfterClose(t, grpcAddr)

	for range 4 {
		if err := <-results; err != nil {
			t.Errorf("in-flight RPC: %v", err)
		}
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("process still running 20s after SIGTERM")
	}
	if s.waitErr != nil {
		t.Errorf("exit: %v, want status 0", s.waitErr)
	}
	out := s.out.String()
	for _, want := range []string{"lifecycle draining", "lifecycle stopped", "stopped cleanly"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "level=ERROR") {
		t.Error("log has errors")
	}
	s.client.CloseIdleConnections()
}

// slowStream opens SlowStream(ms), reports on opened when the first message
// (sent by the handler) arrives, and checks the rest of the stream.
func slowStream(ctx context.Context, cc *grpc.ClientConn, ms int64, opened chan<- struct{}) error {
	var once sync.Once
	open := func() { once.Do(func() { opened <- struct{}{} }) }
	defer open() // also on failure, not to hang the test
	st, err := cc.NewStream(ctx, &orders.SlowStreamDesc, orders.SlowStreamMethod)
	if err != nil {
		return err
	}
	if err := st.SendMsg(wrapperspb.Int64(ms)); err != nil {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	var got []int64
	for {
		var m wrapperspb.Int64Value
		if err := st.RecvMsg(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		got = append(got, m.GetValue())
		open()
	}
	if len(got) != 2 || got[1] != ms {
		return fmt.Errorf("stream got %v, want [0 %d]", got, ms)
	}
	return nil
}

// refusedAfterClose makes health checks on new connections until one is
// refused: until then the answer must be NOT_SERVING (never SERVING again),
// and the refusal must be a prompt UNAVAILABLE, as is a new RPC of the
// service itself.
func refusedAfterClose(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		cc := dial(t, addr)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		_ = cc.Close()
		switch {
		case status.Code(err) == codes.Unavailable:
			cc := dial(t, addr)
			var out wrapperspb.StringValue
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := cc.Invoke(ctx, orders.GetMethod, wrapperspb.Int64(1), &out); status.Code(err) != codes.Unavailable {
				t.Errorf("Get after the listener closed: %v, want UNAVAILABLE", err)
			}
			return
		case err != nil:
			t.Fatalf("Check while draining: %v, want NOT_SERVING or UNAVAILABLE", err)
		case r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING:
			t.Fatalf("Check while draining = %v, want NOT_SERVING until the listener closes", r.GetStatus())
		}
		if time.Now().After(deadline) {
			t.Fatal("the gRPC listener still accepted 20s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// sentCounter reports each request message written by the client, as the
// HTTP test's WroteRequest does: once written, an RPC cannot be refused
// during the propagation delay.
type sentCounter struct{ sent chan<- struct{} }

func (sentCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (sentCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (sentCounter) HandleConn(context.Context, stats.ConnStats)                       {}

func (c sentCounter) HandleRPC(_ context.Context, s stats.RPCStats) {
	if p, ok := s.(*stats.OutPayload); ok && p.IsClient() {
		select {
		case c.sent <- struct{}{}:
		default:
		}
	}
}

// drainSent forgets the writes of the RPCs made so far.
func drainSent(sent <-chan struct{}) {
	for {
		select {
		case <-sent:
		default:
			return
		}
	}
}
