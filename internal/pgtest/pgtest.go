// Package pgtest starts throwaway PostgreSQL servers for tests. A server
// runs from the binaries of an installed PostgreSQL (Debian's postgresql
// package puts them in /usr/lib/postgresql/<version>/bin) with its data
// and socket in a temporary folder, and listens on 127.0.0.1 on a free
// port. Start stops it when the test ends; a server from Launch runs
// until Stop.
//
// initdb and postgres refuse to run as root, so when the test runs as
// root every server command runs as the operating system user postgres,
// through runuser.
//
// The server's superuser is postgres. Connections over TCP authenticate
// with a password (SCRAM-SHA-256), so that tests exercise real password
// checks. The password is random per server, and every URL that the
// package returns contains it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstallHint is the advice that errors give when PostgreSQL is missing.
const InstallHint = "run scripts/test, which installs Debian's postgresql package, " +
	"or install it with: apt-get install -y postgresql"

// ErrNotInstalled is returned by Launch when no initdb and pg_ctl are
// found on PATH or in /usr/lib/postgresql/*/bin.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin")

// Superuser is the name of the superuser of every server.
const Superuser = "postgres"

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// Host and Port are where the server listens for TCP connections.
	Host string
	Port int
	// Password is the superuser's password.
	Password string

	dir    string // temporary folder: data, socket, log
	binDir string
	runAs  string // operating system user for server commands, or ""
	dbSeq  atomic.Int64
}

// Start launches a server for the test and stops it in t.Cleanup. When
// PostgreSQL is not installed the test fails, naming the fix: a missing
// server never turns into a skipped test.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if err != nil {
		t.Fatalf("start PostgreSQL for the test: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
	})
	return s
}

// Launch starts a server without a test, for TestMain. The caller stops
// it with Stop.
//
// NOTE: a test binary that is killed before Stop leaves the server
// running and its folder in the temporary directory; pg_ctl -D <folder>/data
// stop ends it.
func Launch() (*Server, error) {
	return launch(debianBinDirs)
}

// debianBinDirs matches the binary folders of Debian's PostgreSQL
// packages, one per major version.
const debianBinDirs = "/usr/lib/postgresql/*/bin"

func launch(binDirs string) (*Server, error) {
	binDir, err := findBinDir(binDirs)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, InstallHint)
	}
	s := &Server{Host: "127.0.0.1", binDir: binDir}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
	}
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	if err := s.initdb(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	// A free port can be taken by another process between the probe and
	// the server's bind, so a failed start is retried on a new port.
	for attempt := 1; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
		err = s.start()
		if err == nil {
			return s, nil
		}
		if attempt == 3 {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}
}

// findBinDir returns the folder that holds initdb and pg_ctl: the one of
// pg_ctl on PATH, or else the newest folder that the glob binDirs
// matches.
func findBinDir(binDirs string) (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob(binDirs)
	// Newest version first; versions are compared as numbers.
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// makeDir creates the server's temporary folder, owned by the user that
// runs the server.
func (s *Server) makeDir() error {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return fmt.Errorf("create PostgreSQL folder: %w", err)
	}
	s.dir = dir
	if s.runAs == "" {
		return nil
	}
	u, err := user.Lookup(s.runAs)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("look up user %s, which runs PostgreSQL when tests run as root: %w; %s", s.runAs, err, InstallHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("hand PostgreSQL folder %s to user %s: %w", dir, s.runAs, err)
	}
	return nil
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

func (s *Server) logFile() string { return filepath.Join(s.dir, "server.log") }

// initdb creates the cluster with the superuser's password. Local socket
// connections are trusted; TCP connections need the password.
func (s *Server) initdb() error {
	s.Password = randomHex(12)
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o644); err != nil {
		return fmt.Errorf("write PostgreSQL password file: %w", err)
	}
	defer os.Remove(pwfile)
	return s.run("initdb", "-D", s.dataDir(), "-U", Superuser, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
}

// start starts the server on s.Port and waits until it accepts
// connections.
func (s *Server) start() error {
	opts := fmt.Sprintf("-c listen_addresses=%s -p %d -k '%s' -c fsync=off -c full_page_writes=off -c synchronous_commit=off",
		s.Host, s.Port, s.dir)
	err := s.run("pg_ctl", "-D", s.dataDir(), "-l", s.logFile(), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(s.logFile())
		return fmt.Errorf("%w\nserver log:\n%s", err, lastLines(string(log), 20))
	}
	return nil
}

// Stop stops the server and removes its folder.
func (s *Server) Stop() error {
	err := s.run("pg_ctl", "-D", s.dataDir(), "-m", "fast", "-w", "-t", "60", "stop")
	if rmErr := os.RemoveAll(s.dir); err == nil && rmErr != nil {
		err = fmt.Errorf("remove PostgreSQL folder: %w", rmErr)
	}
	return err
}

// run runs a server binary, as s.runAs when it is set.
func (s *Server) run(name string, args ...string) error {
	bin := filepath.Join(s.binDir, name)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	// The server must not inherit the test's working directory, which
	// the server user may not be allowed to enter.
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("run %s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// URL returns the superuser's connection URL for a database.
func (s *Server) URL(database string) string {
	return s.UserURL(Superuser, s.Password, database)
}

// UserURL returns a connection URL for a user, password and database,
// with sslmode=disable: the server has no certificate.
func (s *Server) UserURL(user, password, database string) string {
	u := url.URL{
		Scheme:   "postgresql",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDB creates an empty database for the test and returns its name
// and the superuser's URL for it. The database goes away with the server.
func (s *Server) CreateDB(t testing.TB) (name, dbURL string) {
	t.Helper()
	name = fmt.Sprintf("test_%d", s.dbSeq.Add(1))
	s.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return name, s.URL(name)
}

// Exec runs SQL statements as the superuser in a database and fails the
// test on error.
func (s *Server) Exec(t testing.TB, database, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(database))
	if err != nil {
		t.Fatalf("connect to PostgreSQL database %s: %v", database, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("run SQL in database %s: %v\n%s", database, err, sql)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
