package integration_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"testing"
	"time"

	"github.com/probekit/probekit/core/checks"
)

// TestAMQPServer runs the check against the real RabbitMQ as guest: the
// default vhost opens; a wrong password and an unknown vhost are refused,
// each with its own reason.
func TestAMQPServer(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_AMQP_ADDR")
	tests := []struct {
		name string
		opts checks.AMQPOptions
		want string
	}{
		{name: "guest", opts: checks.AMQPOptions{}},
		{name: "guest explicit", opts: checks.AMQPOptions{Name: "rabbitmq", Username: "guest", Password: "guest", VHost: "/"}},
		{name: "wrong password", opts: checks.AMQPOptions{Username: "guest", Password: "wrong-" + randomName(t)},
			want: "authentication failed (ACCESS_REFUSED)"},
		{name: "unknown user", opts: checks.AMQPOptions{Username: randomName(t), Password: "pw"},
			want: "authentication failed (ACCESS_REFUSED)"},
		{name: "unknown vhost", opts: checks.AMQPOptions{VHost: randomName(t)},
			want: "vhost not found (NOT_ALLOWED)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := must(t)(checks.AMQP(addr, tt.opts))(ctxFor(t, healthyTimeout))
			label := "amqp"
			if tt.opts.Name != "" {
				label = tt.opts.Name
			}
			wantResult(t, err, label+" "+addr+": ", tt.want, tt.opts.Password)
		})
	}
}

// TestAMQPServerVHostAccess creates a throwaway user and vhost with
// rabbitmqctl (when it is installed and allowed to talk to the server): the
// user opens its own vhost and is refused "/", where it has no
// permissions. Both are removed afterwards.
func TestAMQPServerVHostAccess(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_AMQP_ADDR")
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		// A tool, not a server: the vhost paths are tested without it too.
		t.Skip("rabbitmqctl not installed; the unknown-vhost path is tested by TestAMQPServer")
	}
	name := "probekit-" + randomName(t)
	password := randomName(t)
	ctl := func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "rabbitmqctl", args...).CombinedOutput()
		if err != nil {
			t.Logf("rabbitmqctl %s: %v: %s", args[0], err, out)
		}
		return err
	}
	if err := ctl("add_vhost", name); err != nil {
		t.Skip("rabbitmqctl cannot manage the server here (see the log); the unknown-vhost path is tested by TestAMQPServer")
	}
	t.Cleanup(func() { _ = ctl("delete_vhost", name) })
	if err := ctl("add_user", name, password); err != nil {
		t.Fatal("rabbitmqctl add_user failed")
	}
	t.Cleanup(func() { _ = ctl("delete_user", name) })
	if err := ctl("set_permissions", "-p", name, name, ".*", ".*", ".*"); err != nil {
		t.Fatal("rabbitmqctl set_permissions failed")
	}
	for _, tt := range []struct {
		vhost, want string
	}{
		{vhost: name},
		{vhost: "/", want: "vhost access refused (NOT_ALLOWED)"},
	} {
		opts := checks.AMQPOptions{Username: name, Password: password, VHost: tt.vhost}
		err := must(t)(checks.AMQP(addr, opts))(ctxFor(t, healthyTimeout))
		wantResult(t, err, "amqp "+addr+": ", tt.want, password)
	}
}

// randomName returns 16 random hexadecimal digits.
func randomName(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
