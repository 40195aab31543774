package integration_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// natsPing is a NATS protocol check written on top of core's API, as a
// service would write one for a protocol probekit does not ship: the server
// speaks first (INFO), the client sends CONNECT and PING and expects PONG.
// Unlike a TCP check it fails on a server that accepts and never answers.
func natsPing(addr string) core.CheckFunc {
	label := "nats " + addr
	return func(ctx context.Context) error {
		if err := natsExchange(ctx, addr); err != nil {
			reason := core.Reason(err)
			if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
				reason = "timeout"
			}
			return core.Unhealthy(label+": "+reason, err)
		}
		return nil
	}
}

func natsExchange(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}
	// INFO lists cluster URLs and can run to a few KiB; a longer line is
	// not NATS, and the check must not buffer it.
	br := bufio.NewReaderSize(conn, 16<<10)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(line), "INFO ") {
		return core.Unhealthy("unexpected greeting (not NATS?)", nil)
	}
	if _, err := conn.Write([]byte("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n")); err != nil {
		return err
	}
	line, err = br.ReadSlice('\n')
	if err != nil {
		return err
	}
	switch reply := strings.TrimSpace(string(line)); {
	case reply == "PONG":
		return nil
	case strings.HasPrefix(reply, "-ERR"):
		return core.Unhealthy("server error", errors.New(reply))
	default:
		return core.Unhealthy("unexpected reply", fmt.Errorf("reply %.64q", reply))
	}
}

func TestNATS(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_NATS_ADDR")
	tcp, err := checks.TCP(addr, checks.TCPOptions{Name: "nats"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := tcp(ctx); err != nil {
		t.Errorf("TCP check: %v", err)
	}
	if err := natsPing(addr)(ctx); err != nil {
		t.Errorf("NATS PING: %v", err)
	}
}
