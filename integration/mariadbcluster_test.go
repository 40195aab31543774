package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mariadbServer is a throwaway MariaDB server process, reached as root on
// its Unix socket.
type mariadbServer struct {
	port   int
	socket string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// mariadbBinaries returns the paths of mariadb-install-db and mariadbd, or
// skips the test (fails it under CI=true) when they are not installed.
func mariadbBinaries(t *testing.T) (install, server string) {
	t.Helper()
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		unavailable(t, "no mariadb-install-db in PATH")
		return "", ""
	}
	for _, p := range []string{"mariadbd", "/usr/sbin/mariadbd"} {
		if server, err = exec.LookPath(p); err == nil {
			return install, server
		}
	}
	unavailable(t, "no mariadbd in PATH or /usr/sbin")
	return "", ""
}

// mariadbServerFlags keep a throwaway server small and fast: it lives for
// seconds and nothing in it must survive a crash.
var mariadbServerFlags = []string{
	"--innodb-buffer-pool-size=8M", "--innodb-log-file-size=4M", "--innodb-flush-log-at-trx-commit=0",
	"--innodb-doublewrite=0", "--innodb-flush-method=nosync", "--skip-name-resolve",
	"--performance-schema=off", "--bind-address=127.0.0.1",
}

// startMariaDBPair creates one data directory with mariadb-install-db,
// copies it, and starts a primary (binary log on, server id 1) and a
// replica (server id 2) on it, on free loopback ports. Both are killed and
// removed at cleanup.
func startMariaDBPair(t *testing.T) (primary, replica *mariadbServer) {
	t.Helper()
	install, server := mariadbBinaries(t)
	cred, uid, gid := serverUser(t, "mysql")
	dir := serverDir(t, "probekit-mariadb-", uid, gid)
	args := append([]string{"--no-defaults", "--datadir=" + filepath.Join(dir, "primary"),
		"--auth-root-authentication-method=normal", "--skip-test-db"}, mariadbServerFlags...)
	if cred != nil {
		args = append(args, "--user=mysql")
	}
	if err := runAs(cred, dir, install, args...); err != nil {
		t.Fatal(err)
	}
	if err := runAs(cred, dir, "cp", "-a", filepath.Join(dir, "primary"), filepath.Join(dir, "replica")); err != nil {
		t.Fatal(err)
	}
	primary = startMariaDB(t, server, cred, dir, "primary", "--server-id=1", "--log-bin=primary-bin")
	replica = startMariaDB(t, server, cred, dir, "replica", "--server-id=2", "--relay-log=replica-relay", "--skip-slave-start")
	return primary, replica
}

// startMariaDB starts mariadbd on dir/name and waits until it answers.
func startMariaDB(t *testing.T, server string, cred *syscall.Credential, dir, name string, extra ...string) *mariadbServer {
	t.Helper()
	s := &mariadbServer{port: freePort(t), socket: filepath.Join(dir, name+".sock"), exited: make(chan struct{})}
	args := append([]string{"--no-defaults", "--datadir=" + filepath.Join(dir, name),
		"--port=" + strconv.Itoa(s.port), "--socket=" + s.socket,
		"--pid-file=" + filepath.Join(dir, name+".pid"), "--log-error=" + filepath.Join(dir, name+".err")},
		mariadbServerFlags...)
	args = append(args, extra...)
	s.cmd = exec.Command(server, args...)
	s.cmd.Dir = dir
	if cred != nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The waiter owns the process: it returns when the process exits,
	// which kill (at cleanup at the latest) guarantees.
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.kill)
	db := s.open(t)
	eventually(t, 30*time.Second, func() (bool, string) {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(dir, name+".err"))
			t.Fatalf("mariadbd %s exited:\n%s", name, log)
		default:
		}
		err := db.Ping()
		return err == nil, fmt.Sprintf("mariadbd %s does not answer: %v", name, err)
	})
	return s
}

// kill stops the server at once and waits for it.
func (s *mariadbServer) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// open returns a connection pool to the server as root over its socket,
// closed at cleanup.
func (s *mariadbServer) open(t *testing.T) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 10*time.Second, 10*time.Second
	return mariadb.open(t, cfg.FormatDSN())
}

// replicate makes replica replicate primary from primary's current binary
// log position, as the user repl with password.
func replicate(t *testing.T, primary, replica *sql.DB, port int, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range []string{
		"CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '" + password + "'",
		"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'",
	} {
		if _, err := primary.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	var file string
	var pos int64
	var ignored [3]sql.NullString
	if err := primary.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&file, &pos, &ignored[0], &ignored[1]); err != nil {
		t.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	change := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='repl', "+
		"MASTER_PASSWORD='%s', MASTER_LOG_FILE='%s', MASTER_LOG_POS=%d, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1",
		port, password, file, pos)
	for _, s := range []string{change, "START SLAVE"} {
		if _, err := replica.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s[:12], err) // not the password
		}
	}
}
