package integration_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// pgCluster is a throwaway PostgreSQL primary with one streaming standby,
// in a temporary directory on free loopback ports, made with the installed
// server binaries and removed at cleanup. The shared server is never
// touched.
type pgCluster struct {
	primaryDSN, standbyDSN string
	primaryData            string // the primary's data directory
	bin                    string
	cred                   *syscall.Credential // nil: run as ourselves
	dir                    string
}

// pgBinDir returns the directory of the newest installed PostgreSQL's
// binaries (PROBEKIT_PG_BINDIR overrides it), or skips the test (fails it
// under CI=true) when there is none.
func pgBinDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("PROBEKIT_PG_BINDIR"); dir != "" {
		return dir
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	unavailable(t, "no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/*/bin or PATH, nor PROBEKIT_PG_BINDIR")
	return ""
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// serverUser returns the credential to run a database server as: the
// server refuses to run as root, so as root the tests run it as the named
// system user; otherwise as ourselves (nil).
func serverUser(t *testing.T, name string) (*syscall.Credential, int, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Getuid(), os.Getgid()
	}
	u, err := user.Lookup(name)
	if err != nil {
		unavailable(t, "running as root and there is no %q system user to run the server as", name)
		return nil, 0, 0
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid
}

// serverDir makes a temporary directory owned by the server's user,
// removed at cleanup (after everything registered later: the servers are
// stopped first).
func serverDir(t *testing.T, prefix string, uid, gid int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs a server binary as the server's user, failing the test with its
// output if it fails.
func (c *pgCluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if err := runAs(c.cred, c.dir, filepath.Join(c.bin, name), args...); err != nil {
		t.Fatal(err)
	}
}

// runAs runs a command as cred (nil: ourselves) in dir, within a minute,
// and returns an error that holds its output if it fails.
func runAs(cred *syscall.Credential, dir, path string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", filepath.Base(path), args, err, out)
	}
	return nil
}

// appendFile appends text to a file that the server's user owns.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// startPGCluster creates and starts a primary and a streaming standby. The
// primary's wal_level is logical, so that a test can add a logical
// replication client (a CDC consumer) next to the standby.
// Both are stopped (immediately: nothing in them is worth a checkpoint)
// and removed at cleanup, also when the test fails half-way.
func startPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{bin: pgBinDir(t)}
	var uid, gid int
	c.cred, uid, gid = serverUser(t, "postgres")
	c.dir = serverDir(t, "probekit-pg-", uid, gid)
	primary, standby := filepath.Join(c.dir, "primary"), filepath.Join(c.dir, "standby")
	c.primaryData = primary
	pport, sport := freePort(t), freePort(t)

	c.run(t, "initdb", "-D", primary, "-U", "postgres", "-A", "trust", "-N", "-E", "UTF8", "--locale=C")
	// Small and unsafe on purpose: this cluster lives for seconds.
	appendFile(t, filepath.Join(primary, "postgresql.conf"), fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
shared_buffers = 1MB
max_connections = 20
fsync = off
full_page_writes = off
synchronous_commit = off
wal_level = logical
max_wal_senders = 4
archive_mode = off
`, pport, c.dir))
	c.start(t, primary)
	c.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pport), "-U", "postgres",
		"-D", standby, "-R", "-X", "stream", "-c", "fast", "-N")
	appendFile(t, filepath.Join(standby, "postgresql.conf"), fmt.Sprintf("port = %d\n", sport))
	c.start(t, standby)

	dsn := "postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5"
	c.primaryDSN, c.standbyDSN = fmt.Sprintf(dsn, pport), fmt.Sprintf(dsn, sport)
	return c
}

// start starts the server in data and stops it at cleanup.
func (c *pgCluster) start(t *testing.T, data string) {
	t.Helper()
	t.Cleanup(func() { _ = c.stop(data) })
	c.run(t, "pg_ctl", "-D", data, "-l", data+".log", "-w", "-t", "60", "start")
}

// stop stops the server in data at once.
func (c *pgCluster) stop(data string) error {
	return runAs(c.cred, c.dir, filepath.Join(c.bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
}
