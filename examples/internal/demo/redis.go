package demo

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/probekit/probekit/core"
)

// redisPing returns a check that sends PING to the Redis at addr over a new
// connection and expects +PONG (or an -NOAUTH error, which proves Redis is
// there and answering). It honours ctx's deadline for dialling and I/O.
func redisPing(addr string) core.CheckFunc {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return core.Unhealthy("redis: "+core.Reason(err), err)
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
			return core.Unhealthy("redis: "+core.Reason(err), err)
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return core.Unhealthy("redis: "+core.Reason(err), err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "+PONG" || strings.HasPrefix(line, "-NOAUTH") {
			return nil
		}
		return core.Unhealthy("redis: unexpected reply", fmt.Errorf("PING: got %q", line))
	}
}
