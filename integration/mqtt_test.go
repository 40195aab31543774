package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/probekit/probekit/core/checks"
)

// TestMQTTServer runs the check against the real Mosquitto in both
// protocol versions, several runs at once: each has a client identifier of
// its own, so none takes over another's session.
func TestMQTTServer(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t, "PROBEKIT_MQTT_ADDR")
	for _, v := range []checks.MQTTVersion{checks.MQTT311, checks.MQTT5} {
		check := must(t)(checks.MQTT(addr, checks.MQTTOptions{Version: v}))
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = check(ctxFor(t, healthyTimeout))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("MQTT %d: %v", v, err)
			}
		}
	}
}

// TestMQTTServerAuth starts a Mosquitto of its own that requires a user
// and password, and maps its CONNACK codes in both versions.
func TestMQTTServerAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	passwords := filepath.Join(dir, "passwords")
	mkpasswd, ok := findBinary("mosquitto_passwd")
	if !ok {
		unavailable(t, "mosquitto_passwd not installed")
		return
	}
	if out, err := exec.Command(mkpasswd, "-b", "-c", passwords, "app", "app-pw").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v: %s", err, out)
	}
	config := filepath.Join(dir, "mosquitto.conf")
	addr := localServer(t, "mosquitto", func(port string) []string {
		conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nlog_dest stderr\n",
			port, passwords)
		if os.Geteuid() == 0 {
			// Mosquitto drops root for its own user, who cannot read the
			// test's temporary directory.
			conf += "user root\n"
		}
		if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"-c", config}
	})
	v5 := checks.MQTT5
	tests := []struct {
		name string
		opts checks.MQTTOptions
		want string
	}{
		{name: "3.1.1", opts: checks.MQTTOptions{Username: "app", Password: "app-pw"}},
		{name: "5", opts: checks.MQTTOptions{Version: v5, Username: "app", Password: "app-pw"}},
		{name: "3.1.1 wrong password", opts: checks.MQTTOptions{Username: "app", Password: "wrong-pw"},
			want: "not authorized (CONNACK 5)"},
		{name: "5 wrong password", opts: checks.MQTTOptions{Version: v5, Username: "app", Password: "wrong-pw"},
			want: "not authorized (CONNACK 0x87)"},
		{name: "3.1.1 anonymous", opts: checks.MQTTOptions{}, want: "not authorized (CONNACK 5)"},
		{name: "5 anonymous", opts: checks.MQTTOptions{Version: v5}, want: "not authorized (CONNACK 0x87)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := must(t)(checks.MQTT(addr, tt.opts))(ctxFor(t, healthyTimeout))
			wantResult(t, err, "mqtt "+addr+": ", tt.want, tt.opts.Password)
		})
	}
}
