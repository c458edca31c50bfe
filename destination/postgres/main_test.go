package postgres_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/restload/restload/internal/pgtest"
)

// server is the PostgreSQL server of this test binary; each test gets
// its own database on it.
var server *pgtest.Server

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		// The child process of the crash test uses the parent's server.
		os.Exit(m.Run())
	}
	s, err := pgtest.Launch()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the PostgreSQL destination tests need a PostgreSQL server: %v\n", err)
		os.Exit(1)
	}
	server = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop PostgreSQL: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
