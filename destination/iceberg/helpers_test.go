package iceberg_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/iceberg"
)

// openTest opens a client on a new warehouse with the SQL catalog.
func openTest(t testing.TB) *iceberg.Client {
	t.Helper()
	return openCatalog(t, t.TempDir(), iceberg.CatalogSQL)
}

func openCatalog(t testing.TB, dir, kind string) *iceberg.Client {
	t.Helper()
	c, err := iceberg.Open(context.Background(), iceberg.Config{Warehouse: dir, Catalog: kind})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustLoad(t testing.TB, c destination.Destination, p *destination.Package) {
	t.Helper()
	if err := c.Load(context.Background(), p); err != nil {
		t.Fatalf("Load %s: %v", p.LoadID, err)
	}
}

// views opens an in-memory DuckDB without extension downloads and runs
// the view statements of the test dataset in it.
func views(t testing.TB, c *iceberg.Client) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	stmts, err := c.Views(context.Background(), conformance.Dataset)
	if err != nil {
		t.Fatalf("Views: %v", err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("run %s: %v", s, err)
		}
	}
	return db
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func qualified(dataset, table string) string { return quote(dataset) + "." + quote(table) }

// queryStrings returns the first column of a query's rows as text, NULL
// as "<null>".
func queryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if !s.Valid {
			s.String = "<null>"
		}
		out = append(out, s.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// count returns the number of rows of a view.
func count(t testing.TB, db *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + qualified(conformance.Dataset, table)).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

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
