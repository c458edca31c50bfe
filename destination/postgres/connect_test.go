package postgres_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

// canary is a password that must never appear in a message.
const canary = "Canary-Pw-7f3e9a"

// closedPort returns a loopback port with no listener.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestOpenUnreachable(t *testing.T) {
	port := closedPort(t)
	u := "postgresql://loader:" + canary + "@127.0.0.1:" + strconv.Itoa(port) + "/db?sslmode=disable"
	_, err := postgres.Open(context.Background(), postgres.Config{Credentials: u})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	assertContains(t, err, "postgres at "+addr+" cannot be reached", postgres.EnvCredentials, "that the server runs")
	assertOmits(t, err.Error(), canary)
}

func TestOpenWrongPassword(t *testing.T) {
	name, _ := server.CreateDB(t)
	u := server.UserURL("postgres", canary, name)
	_, err := postgres.Open(context.Background(), postgres.Config{Credentials: u})
	assertContains(t, err, "rejected the password of user \"postgres\"", postgres.EnvCredentials)
	assertOmits(t, err.Error(), canary)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("error does not unwrap to SQLSTATE 28P01: %v", err)
	}
}

func TestOpenUnknownUser(t *testing.T) {
	name, _ := server.CreateDB(t)
	_, err := postgres.Open(context.Background(), postgres.Config{Credentials: server.UserURL("nobody", canary, name)})
	// PostgreSQL rejects an unknown user with the error of a wrong
	// password, so that clients cannot probe for user names.
	assertContains(t, err, `user "nobody"`, postgres.EnvCredentials)
	assertOmits(t, err.Error(), canary)
}

func TestOpenMissingDatabase(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Config{Credentials: server.URL("no_such_db")})
	assertContains(t, err, `database "no_such_db" does not exist`, "CREATE DATABASE")
	assertOmits(t, err.Error(), server.Password)
}

func TestOpenBadCredentials(t *testing.T) {
	tests := []struct {
		name, credentials, want string
	}{
		{"Empty", "", postgres.EnvCredentials},
		{"BadPort", "postgresql://u:" + canary + "@127.0.0.1:notaport/db", "parse " + postgres.EnvCredentials},
		{"BadSSLMode", "postgresql://u:" + canary + "@127.0.0.1/db?sslmode=sometimes", "parse " + postgres.EnvCredentials},
		{"KeywordForm", "host=127.0.0.1 port=x password=" + canary, "parse " + postgres.EnvCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := postgres.Open(context.Background(), postgres.Config{Credentials: tt.credentials})
			assertContains(t, err, tt.want)
			assertOmits(t, err.Error(), canary)
		})
	}
}

func TestLocation(t *testing.T) {
	name, u := server.CreateDB(t)
	c := openURL(t, u)
	want := "postgresql://postgres:***@" + net.JoinHostPort(server.Host, strconv.Itoa(server.Port)) + "/" + name + "?sslmode=disable"
	if got := c.Location(); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	assertOmits(t, c.Location(), server.Password)
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:" + canary + "@h:5433/d?sslmode=require&application_name=a%20b",
			"postgres://u:***@h:5433/d?sslmode=require&application_name=a%20b"},
		{"postgresql://u@h/d?password=" + canary + "&sslpassword=" + canary,
			"postgresql://u@h/d?password=***&sslpassword=***"},
		{"postgresql://u:p%40ss%2F" + canary + "@h/d", "postgresql://u:***@h/d"},
		{"postgresql://h/d", "postgresql://h/d"},
		{"host=h port=5433 user=u password=" + canary + " dbname=d", "postgresql://u:***@h:5433/d"},
	}
	for _, tt := range tests {
		conf, err := pgx.ParseConfig(tt.in)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.in, err)
		}
		if got := postgres.RedactURL(tt.in, conf); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCapabilities(t *testing.T) {
	c := openTest(t)
	if got := destination.CapabilitiesOf(c).MaxIdentifierLength; got != 63 {
		t.Errorf("MaxIdentifierLength = %d, want 63", got)
	}
}

// restrictedRole creates a login role with the canary password and
// returns its URL for the database.
func restrictedRole(t *testing.T, database, role string) string {
	t.Helper()
	server.Exec(t, database, "CREATE ROLE "+role+" LOGIN PASSWORD '"+canary+"'")
	t.Cleanup(func() {
		// Roles are global to the server; drop this one so that other
		// tests can create it again.
		server.Exec(t, database, "DROP OWNED BY "+role+"; DROP ROLE "+role)
	})
	return server.UserURL(role, canary, database)
}

func TestLoadNoCreateOnDatabase(t *testing.T) {
	name, _ := server.CreateDB(t)
	c := openURL(t, restrictedRole(t, name, "no_create"))
	err := c.Load(context.Background(), conformance.TreePackage(t, "1", schema.Append, conformance.NewCandidate("a", "Ann")))
	assertContains(t, err, `user "no_create" may not create schemas in database "`+name+`"`,
		`GRANT CREATE ON DATABASE "`+name+`" TO "no_create"`)
	assertOmits(t, err.Error(), canary)

	// With the grant, the same package loads.
	server.Exec(t, name, `GRANT CREATE ON DATABASE "`+name+`" TO no_create`)
	mustLoad(t, c, conformance.TreePackage(t, "1", schema.Append, conformance.NewCandidate("a", "Ann")))
	if n := count(t, c.DB(), "candidates"); n != 1 {
		t.Errorf("candidates = %d, want 1", n)
	}
}

func TestLoadNoCreateOnSchema(t *testing.T) {
	name, _ := server.CreateDB(t)
	server.Exec(t, name, "CREATE SCHEMA "+conformance.Dataset)
	c := openURL(t, restrictedRole(t, name, "no_schema"))
	server.Exec(t, name, "GRANT USAGE ON SCHEMA "+conformance.Dataset+" TO no_schema")
	err := c.Load(context.Background(), conformance.TreePackage(t, "1", schema.Append, conformance.NewCandidate("a", "Ann")))
	assertContains(t, err, "42501", `GRANT USAGE, CREATE ON SCHEMA "`+conformance.Dataset+`" TO "no_schema"`)
	assertOmits(t, err.Error(), canary)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Errorf("error does not unwrap to the server's error: %v", err)
	}
	if strings.Contains(err.Error(), "CREATE ON DATABASE") {
		t.Errorf("error %q asks for a database grant, which is not needed when the schema exists", err)
	}
}
