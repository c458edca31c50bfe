package iceberg_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/schema"
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
	stmts, err := c.Views(context.Background(), testDataset)
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

// tableRows returns the rows of a view as lines of column=value pairs,
// NULL columns left out, in the form of the DuckDB destination's golden
// files.
func tableRows(t testing.TB, db *sql.DB, tab *schema.Table) []string {
	t.Helper()
	exprs := make([]string, len(tab.Columns))
	for i, col := range tab.Columns {
		e := quote(col.Name)
		if col.Type == schema.Timestamp {
			e = fmt.Sprintf("strftime(%s AT TIME ZONE 'UTC', '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')", e)
		}
		exprs[i] = e + "::VARCHAR"
	}
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY ALL", strings.Join(exprs, ", "), qualified(testDataset, tab.Name))
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("query %s: %v", tab.Name, err)
	}
	defer rows.Close()
	var out []string
	vals := make([]sql.NullString, len(tab.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for i, v := range vals {
			if v.Valid {
				parts = append(parts, tab.Columns[i].Name+"="+v.String)
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

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
	if err := db.QueryRow("SELECT count(*) FROM " + qualified(testDataset, table)).Scan(&n); err != nil {
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
