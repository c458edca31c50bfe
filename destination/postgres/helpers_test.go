package postgres_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
)

// openTest opens a client on a new, empty database.
func openTest(t testing.TB) *postgres.Client {
	t.Helper()
	_, u := server.CreateDB(t)
	return openURL(t, u)
}

// openURL opens a client on the database of a URL.
func openURL(t testing.TB, u string) *postgres.Client {
	t.Helper()
	c, err := postgres.Open(context.Background(), postgres.Config{Credentials: u})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// quote returns a name quoted as an identifier.
func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

// qualified returns the quoted name of a table in a dataset.
func qualified(dataset, table string) string {
	return pgx.Identifier{dataset, table}.Sanitize()
}

func mustLoad(t testing.TB, c destination.Destination, p *destination.Package) {
	t.Helper()
	if err := c.Load(context.Background(), p); err != nil {
		t.Fatalf("Load %s: %v", p.LoadID, err)
	}
}

// count returns the number of rows of a dataset table.
func count(t testing.TB, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + qualified(conformance.Dataset, table)).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// queryStrings returns the first column of a query's rows as text, NULL as
// "<null>".
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("scan %s: %v", q, err)
		}
		if !s.Valid {
			s.String = "<null>"
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return out
}

// tableExists reports whether the test dataset has the table.
func tableExists(t testing.TB, db *sql.DB, table string) bool {
	t.Helper()
	var ok bool
	q := `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)`
	if err := db.QueryRow(q, conformance.Dataset, table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// treeCounts returns the row counts of the three tables of the tree
// schema.
func treeCounts(t testing.TB, db *sql.DB) [3]int64 {
	t.Helper()
	return [3]int64{
		count(t, db, "candidates"),
		count(t, db, "candidates__emails"),
		count(t, db, "candidates__emails__tags"),
	}
}

// contents returns one line per candidate: name, then each email with its
// tags, by joining the three tables on the parent ids.
func contents(t testing.TB, db *sql.DB) []string {
	t.Helper()
	q := `SELECT r.id || '=' || r.name || coalesce(' ' || (
		SELECT string_agg(e.value || coalesce('[' || (
			SELECT string_agg(g.value, ',' ORDER BY g._rl_list_idx)
			FROM ` + qualified(conformance.Dataset, "candidates__emails__tags") + ` g
			WHERE g._rl_parent_id = e._rl_id) || ']', ''), ' ' ORDER BY e._rl_list_idx)
		FROM ` + qualified(conformance.Dataset, "candidates__emails") + ` e
		WHERE e._rl_parent_id = r._rl_id), '')
		FROM ` + qualified(conformance.Dataset, "candidates") + ` r ORDER BY r.id, r.name`
	return queryStrings(t, db, q)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func reverseLines(t *testing.T, path string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, path)), "\n")
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	writeFile(t, path, strings.Join(lines, "\n")+"\n")
}

func rewriteJob(t *testing.T, path, old, new string) {
	t.Helper()
	s := readFile(t, path)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %s", path, old)
	}
	writeFile(t, path, strings.Replace(s, old, new, 1))
}

// assertContains checks that err is not nil and its message contains
// every part.
func assertContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want an error containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// assertOmits checks that a message does not contain secret.
func assertOmits(t *testing.T, msg, secret string) {
	t.Helper()
	if strings.Contains(msg, secret) {
		t.Errorf("%q contains the secret %q", msg, secret)
	}
}
