package checks_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probekit/probekit/core"
	"github.com/probekit/probekit/core/checks"
)

// TestFailuresDoNotLeakSecrets configures each check with secrets, makes it
// fail, and looks for the secrets everywhere a failure surfaces: the reason,
// the error text, every probe response format and the registry's log. Checks
// marked exposeSafe are also probed with core.Options.ExposeErrors, which
// shows the underlying error: what the check itself controls must stay clean
// even then.
func TestFailuresDoNotLeakSecrets(t *testing.T) {
	t.Parallel()
	const (
		password = "pw-4f2a9c"
		token    = "tok-8b1e77"
		header   = "hdr-5d03aa"
		userinfo = "ui-91c0de"
	)
	secrets := []string{password, token, header, userinfo}

	fail500 := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	redirect := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:1/?token="+token, http.StatusFound)
	})
	echo := serve(t, nil, redisServer(func(args []string) string {
		return "-WRONGPASS you sent " + strings.Join(args, " ") + "\r\n"
	}))
	// hostile echoes the password behind a terminal escape whose escaped
	// form would spell it again, then floods the line.
	hostile := serve(t, nil, redisServer(func(args []string) string {
		return "-ERR \x1b]0;" + strings.Join(args, " ") + strings.Repeat("\u202e", 100) + "\r\n"
	}))
	refused := closedAddr(t)
	// Message-queue servers that echo the credentials they were sent.
	natsEcho := serve(t, nil, natsServer(natsInfo, nil, func(a natsConnectArgs) string {
		return "-ERR 'Authorization Violation " + a.User + " " + a.Pass + " " + a.AuthToken + "'\r\n"
	}))
	amqpEcho := serve(t, nil, func(c net.Conn) {
		br := bufio.NewReader(c)
		var header [8]byte
		if _, err := io.ReadFull(br, header[:]); err != nil {
			return
		}
		_, _ = c.Write(amqpStart("PLAIN"))
		if _, args, err := readFrameMethod(br); err == nil {
			_, response, _ := bytes.Cut(args, []byte("PLAIN"))
			_, _ = c.Write(amqpCloseMethod(403, "ACCESS_REFUSED "+string(response)))
		}
	})
	mqttEcho := serve(t, nil, (&broker{connack: func(m mqttConnect) string {
		text := m.username + " " + m.password
		props := append([]byte{0x1F, 0, byte(len(text))}, text...)
		return string(append([]byte{0x20, byte(3 + len(props)), 0, 0x86, byte(len(props))}, props...))
	}}).handle)
	httpOpts := checks.HTTPOptions{Header: http.Header{"Authorization": {"Bearer " + header}}}
	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://app:"+userinfo+"@", 1) + "/healthz?token=" + token
	}
	dsnErr := fmt.Errorf("dial postgres://app:%s@db.internal/orders: %w", password, syscall.ECONNREFUSED)

	tests := []struct {
		name       string
		check      core.CheckFunc
		exposeSafe bool // the underlying error is the check's own, not a driver's
	}{
		{name: "redis-wrong-password", exposeSafe: true,
			check: must(t)(checks.Redis(echo.Addr(), checks.RedisOptions{Username: "app", Password: password}))},
		{name: "redis-refused", exposeSafe: true,
			check: must(t)(checks.Redis(refused, checks.RedisOptions{Password: password}))},
		{name: "http-500", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets(fail500.URL), httpOpts))},
		{name: "http-refused", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets("http://"+refused), httpOpts))},
		{name: "http-redirect", exposeSafe: true,
			check: must(t)(checks.HTTP(withSecrets(redirect.URL), httpOpts))},
		{name: "sql-driver-error",
			check: must(t)(checks.SQL((&fakeDB{pingErr: dsnErr}).open(t), checks.SQLOptions{Name: "postgres"}))},
		{name: "redis-hostile-error", exposeSafe: true,
			check: must(t)(checks.Redis(hostile.Addr(), checks.RedisOptions{Password: password}))},
		{name: "nats-echo", exposeSafe: true,
			check: must(t)(checks.NATS(natsEcho.Addr(), checks.NATSOptions{Username: "app", Password: password}))},
		{name: "nats-token-echo", exposeSafe: true,
			check: must(t)(checks.NATS(natsEcho.Addr(), checks.NATSOptions{Token: token}))},
		{name: "nats-refused", exposeSafe: true,
			check: must(t)(checks.NATS(refused, checks.NATSOptions{Token: token}))},
		{name: "amqp-echo", exposeSafe: true,
			check: must(t)(checks.AMQP(amqpEcho.Addr(), checks.AMQPOptions{Username: "app", Password: password}))},
		{name: "mqtt-echo", exposeSafe: true,
			check: must(t)(checks.MQTT(mqttEcho.Addr(), checks.MQTTOptions{Version: checks.MQTT5, Username: "app", Password: password}))},
		{name: "tcp-refused", exposeSafe: true,
			check: must(t)(checks.TCP(refused, checks.TCPOptions{Name: "nats"}))},
		{name: "dns-missing", exposeSafe: true,
			check: must(t)(checks.DNS("missing.probekit.test", checks.DNSOptions{Resolver: fakeDNS(t)}))},
		{name: "flag-with-dsn", exposeSafe: true,
			check: checks.NewFlag("waiting for postgres://app:" + password + "@db.internal").Check},
	}
	for _, tt := range tests {
		for _, expose := range []bool{false, true} {
			if expose && !tt.exposeSafe {
				continue
			}
			t.Run(fmt.Sprintf("%s/expose=%v", tt.name, expose), func(t *testing.T) {
				t.Parallel()
				var logs bytes.Buffer
				h, err := core.New(core.Options{
					ExposeErrors: expose,
					Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { h.Close() })
				if err := h.Register(core.Check{Name: tt.name, Check: tt.check}); err != nil {
					t.Fatal(err)
				}
				h.MarkStarted()

				checkErr := tt.check(context.Background())
				surfaces := map[string]string{"reason": mustFail(t, checkErr).Reason}
				if tt.exposeSafe {
					surfaces["error"] = checkErr.Error()
				}
				for _, req := range []core.ProbeRequest{
					{Method: http.MethodGet, Kind: core.Readiness},
					{Method: http.MethodGet, Kind: core.Readiness, RawQuery: "verbose"},
					{Method: http.MethodGet, Kind: core.Readiness, Accept: "application/health+json"},
					{Method: http.MethodGet, Kind: core.Readiness, Check: tt.name},
				} {
					resp := h.Probe(context.Background(), req)
					if resp.Code != http.StatusServiceUnavailable {
						t.Fatalf("probe %+v: code %d, want 503", req, resp.Code)
					}
					surfaces[fmt.Sprintf("response %+v", req)] = string(resp.Body)
				}
				surfaces["log"] = logs.String()
				if !strings.Contains(surfaces["log"], tt.name) {
					t.Fatalf("log %q does not mention the failing check: the test looks in the wrong place", surfaces["log"])
				}
				for where, text := range surfaces {
					for _, s := range secrets {
						if strings.Contains(text, s) {
							t.Errorf("%s leaks secret %q: %s", where, s, text)
						}
					}
				}
			})
		}
	}
}

// TestConstructorsDoNotEchoSecrets hands every constructor an argument that
// holds a secret where it does not belong: user info or a password in an
// address, a URL where a host or path belongs, a DSN as a name. Each must
// refuse it with an error that says what is wrong without repeating it.
func TestConstructorsDoNotEchoSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-0b5e"
	db := (&fakeDB{}).open(t)
	dsnNames := []string{
		"postgres://app:" + secret + "@db.internal/orders",
		"app:" + secret + "@tcp(db.internal:3306)/orders",
		"host=db.internal user=app password=" + secret,
	}
	type ctorCase struct {
		name string
		call func() (any, error)
		want string // in the error
	}
	tests := []ctorCase{
		{"redis url", func() (any, error) { return checks.Redis("redis://:"+secret+"@cache:6379", checks.RedisOptions{}) }, "not a URL"},
		{"redis user info", func() (any, error) { return checks.Redis(secret+"@cache:6379", checks.RedisOptions{}) }, "RedisOptions.Password"},
		{"redis password as port", func() (any, error) { return checks.Redis("app:"+secret, checks.RedisOptions{}) }, "port"},
		{"redis password after port", func() (any, error) { return checks.Redis("cache:6379:"+secret, checks.RedisOptions{}) }, "host:port"},
		{"nats url", func() (any, error) { return checks.NATS("nats://app:"+secret+"@nats:4222", checks.NATSOptions{}) }, "not a URL"},
		{"nats user info", func() (any, error) { return checks.NATS(secret+"@nats:4222", checks.NATSOptions{}) }, "NATSOptions"},
		{"amqp url", func() (any, error) { return checks.AMQP("amqp://app:"+secret+"@rabbit:5672/", checks.AMQPOptions{}) }, "not a URL"},
		{"amqp user info", func() (any, error) { return checks.AMQP("app:"+secret+"@rabbit:5672", checks.AMQPOptions{}) }, "AMQPOptions"},
		{"mqtt url", func() (any, error) { return checks.MQTT("mqtts://app:"+secret+"@broker:8883", checks.MQTTOptions{}) }, "not a URL"},
		{"mqtt user info", func() (any, error) { return checks.MQTT("app:"+secret+"@broker:1883", checks.MQTTOptions{}) }, "MQTTOptions"},
		{"mqtt client id", func() (any, error) {
			return checks.MQTT("broker:1883", checks.MQTTOptions{ClientIDPrefix: "pw " + secret})
		}, "MQTTOptions.ClientIDPrefix"},
		{"tcp url", func() (any, error) { return checks.TCP("tcp://app:"+secret+"@nats:4222", checks.TCPOptions{}) }, "not a URL"},
		{"tcp user info", func() (any, error) { return checks.TCP("app:"+secret+"@nats:4222", checks.TCPOptions{}) }, "user info"},
		{"dns url", func() (any, error) { return checks.DNS("https://app:"+secret+"@db.internal", checks.DNSOptions{}) }, "not a URL"},
		{"dns user info", func() (any, error) { return checks.DNS(secret+"@db.internal", checks.DNSOptions{}) }, "user info"},
		{"dns with port", func() (any, error) { return checks.DNS("app:"+secret, checks.DNSOptions{}) }, "without a port"},
		{"dns query", func() (any, error) { return checks.DNS("db.internal?token="+secret, checks.DNSOptions{}) }, "host must be a host name"},
		{"http bad escape", func() (any, error) { return checks.HTTP("http://app:"+secret+"%zz@api/", checks.HTTPOptions{}) }, "does not parse"},
		{"http no scheme", func() (any, error) { return checks.HTTP("app:"+secret+"@api.internal/healthz", checks.HTTPOptions{}) }, "scheme"},
		{"http token as scheme", func() (any, error) { return checks.HTTP(secret+"://api.internal/", checks.HTTPOptions{}) }, "scheme"},
		{"schema table", func() (any, error) {
			return checks.SchemaVersion(db, 1, checks.SchemaVersionOptions{Table: "t WHERE password='" + secret + "'"})
		}, "SchemaVersionOptions.Table"},
		{"disk url", func() (any, error) {
			return checks.DiskSpace("s3://key:"+secret+"@bucket/data", 1, checks.LimitOptions{})
		}, "URL"},
	}
	for i, dsn := range dsnNames {
		tests = append(tests,
			ctorCase{fmt.Sprint("redis name ", i), func() (any, error) { return checks.Redis("cache:6379", checks.RedisOptions{Name: dsn}) }, "RedisOptions.Name"},
			ctorCase{fmt.Sprint("nats name ", i), func() (any, error) { return checks.NATS("nats:4222", checks.NATSOptions{Name: dsn}) }, "NATSOptions.Name"},
			ctorCase{fmt.Sprint("amqp name ", i), func() (any, error) { return checks.AMQP("rabbit:5672", checks.AMQPOptions{Name: dsn}) }, "AMQPOptions.Name"},
			ctorCase{fmt.Sprint("mqtt name ", i), func() (any, error) { return checks.MQTT("broker:1883", checks.MQTTOptions{Name: dsn}) }, "MQTTOptions.Name"},
			ctorCase{fmt.Sprint("tcp name ", i), func() (any, error) { return checks.TCP("nats:4222", checks.TCPOptions{Name: dsn}) }, "TCPOptions.Name"},
			ctorCase{fmt.Sprint("http name ", i), func() (any, error) { return checks.HTTP("http://api/", checks.HTTPOptions{Name: dsn}) }, "HTTPOptions.Name"},
			ctorCase{fmt.Sprint("sql name ", i), func() (any, error) { return checks.SQL(db, checks.SQLOptions{Name: dsn}) }, "SQLOptions.Name"},
			ctorCase{fmt.Sprint("sql pool name ", i), func() (any, error) { return checks.SQLPool(db, checks.SQLPoolOptions{Name: dsn}) }, "SQLPoolOptions.Name"},
			ctorCase{fmt.Sprint("heartbeat name ", i), func() (any, error) { return checks.NewHeartbeat(dsn, time.Second) }, "name"},
			ctorCase{fmt.Sprint("postgres replication name ", i), func() (any, error) {
				return checks.PostgresReplication(db, checks.PostgresReplicationOptions{Name: dsn})
			}, "PostgresReplicationOptions.Name"},
			ctorCase{fmt.Sprint("mysql replication name ", i), func() (any, error) {
				return checks.MySQLReplication(db, checks.MySQLReplicationOptions{Name: dsn})
			}, "MySQLReplicationOptions.Name"},
			ctorCase{fmt.Sprint("schema version name ", i), func() (any, error) {
				return checks.SchemaVersion(db, 1, checks.SchemaVersionOptions{Name: dsn})
			}, "SchemaVersionOptions.Name"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.call()
			switch {
			case err == nil:
				t.Fatal("accepted")
			case strings.Contains(err.Error(), secret):
				t.Fatalf("error %q echoes the secret", err)
			case !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not say what is wrong (want %q)", err, tt.want)
			}
		})
	}
}
