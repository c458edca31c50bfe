package filesystem_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/schema"
)

var formats = []filesystem.Format{filesystem.Parquet, filesystem.JSONL, filesystem.CSV}

// openTest opens a destination in a new temporary folder.
func openTest(t testing.TB, format filesystem.Format) *filesystem.Client {
	t.Helper()
	c, err := filesystem.Open(filesystem.Config{BucketURL: t.TempDir(), Format: format})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustLoad(t testing.TB, c *filesystem.Client, p *destination.Package) {
	t.Helper()
	if err := c.Load(context.Background(), p); err != nil {
		t.Fatalf("Load %s: %v", p.LoadID, err)
	}
}

// openViews opens an in-memory DuckDB database with the views of the
// dataset created in it.
func openViews(t testing.TB, c *filesystem.Client, s *schema.Schema) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	stmts, err := c.Views(conformance.Dataset, s)
	if err != nil {
		t.Fatalf("Views: %v", err)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("create view: %v\n%s", err, q)
		}
	}
	return db
}

// queryStrings returns the first column of every row of q.
func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
