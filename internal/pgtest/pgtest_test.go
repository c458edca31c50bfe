package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestStartCreateDB(t *testing.T) {
	s := Start(t)
	name, u := s.CreateDB(t)
	if !strings.Contains(u, "/"+name+"?") {
		t.Errorf("URL %q does not name database %s", u, name)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var db, addr string
	var port int
	err = conn.QueryRow(ctx, "SELECT current_database(), inet_server_addr()::text, inet_server_port()").Scan(&db, &addr, &port)
	if err != nil {
		t.Fatal(err)
	}
	if db != name {
		t.Errorf("current_database = %s, want %s", db, name)
	}
	if addr != "127.0.0.1/32" || port != s.Port {
		t.Errorf("server address = %s port %d, want 127.0.0.1/32 port %d", addr, port, s.Port)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil || fsync != "off" {
		t.Errorf("fsync = %q, %v; want off", fsync, err)
	}

	// Each call gives a new, empty database.
	other, _ := s.CreateDB(t)
	if other == name {
		t.Errorf("CreateDB returned %s twice", name)
	}
}

func TestPasswordChecked(t *testing.T) {
	s := Start(t)
	_, err := pgx.Connect(context.Background(), s.UserURL(Superuser, "wrong", "postgres"))
	if err == nil || !strings.Contains(err.Error(), "28P01") {
		t.Errorf("connect with a wrong password: err = %v, want SQLSTATE 28P01", err)
	}
}

func TestStopRemovesFolder(t *testing.T) {
	s, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	dir := s.dir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder %s still exists after Stop: %v", dir, err)
	}
	if _, err := pgx.Connect(context.Background(), s.URL("postgres")); err == nil {
		t.Error("connect after Stop succeeded")
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := launch(t.TempDir() + "/*/bin")
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("launch = %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "run scripts/test") {
		t.Errorf("error %q does not say to run scripts/test", err)
	}
}

func TestFindDebianBinDir(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "13"} {
		dir := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "pg_ctl"} {
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("PATH", t.TempDir())
	got, err := findBinDir(filepath.Join(root, "*", "bin"))
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Errorf("findBinDir = %q, %v; want %q", got, err, want)
	}
}
