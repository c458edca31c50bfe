package filesystem_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/restload/restload/destination"
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
	stmts, err := c.Views(testDataset, s)
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

// tableRows returns the rows of a view as lines of column=value pairs,
// NULL columns left out, sorted, with timestamps in UTC: the form of the
// DuckDB destination's golden files.
func tableRows(t testing.TB, db *sql.DB, tab *schema.Table) []string {
	t.Helper()
	exprs := make([]string, len(tab.Columns))
	for i, col := range tab.Columns {
		e := ident(col.Name)
		if col.Type == schema.Timestamp {
			e = fmt.Sprintf("strftime(%s AT TIME ZONE 'UTC', '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ')", e)
		}
		exprs[i] = e + "::VARCHAR"
	}
	q := fmt.Sprintf("SELECT %s FROM %s.%s ORDER BY ALL", strings.Join(exprs, ", "), ident(testDataset), ident(tab.Name))
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
