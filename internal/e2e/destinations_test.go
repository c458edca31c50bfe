package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/schema"
)

// TestDestinationsAgree loads the same demo organisation into DuckDB,
// PostgreSQL, Parquet files and Iceberg tables through the binary, and
// compares the four datasets table by table: the same tables, the same
// row counts, the same primary keys in every root table, and the same
// values in a few typed columns.
func TestDestinationsAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("loads four destinations")
	}
	srv := pgtest.Start(t)
	_, creds := srv.CreateDB(t)
	dirs := map[string]*env{}
	for _, kind := range []string{"duckdb", "postgres", "filesystem", "iceberg"} {
		e := newEnv(t)
		dirs[kind] = e
		runAgainst(t, e, "", "", []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds},
			"run", "ashby", "--demo", "--demo-candidates", "60", "--destination", kind, "--progress", "none")
	}

	// restload query reads every destination, files and Iceberg through
	// DuckDB views; it runs before this test opens the DuckDB file.
	queried := map[string]string{}
	for kind, e := range dirs {
		queried[kind] = runAgainst(t, e, "", "", []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds},
			"query", pipelineName, "SELECT count(*) AS n FROM ashby_data.applications", "--format", "csv")
	}

	ref, done := dirs["duckdb"].openDB(t)
	defer done()
	c, err := duckdb.Open(dirs["duckdb"].dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := c.Schema(t.Context(), datasetName, "ashby")
	c.Close()
	if err != nil || sch == nil {
		t.Fatalf("read schema: %v", err)
	}

	pg, err := postgres.OpenDB(t.Context(), postgres.Config{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	files := viewsDB(t, func(ctx context.Context) ([]string, error) {
		fc, err := filesystem.Open(filesystem.Config{BucketURL: filepath.Join(dirs["filesystem"].dir, pipelineName+"_files")})
		if err != nil {
			return nil, err
		}
		s, err := fc.Schema(ctx, datasetName, "ashby")
		if err != nil {
			return nil, err
		}
		return fc.Views(datasetName, s)
	})
	ice := viewsDB(t, func(ctx context.Context) ([]string, error) {
		return iceberg.Views(ctx, iceberg.Config{Warehouse: filepath.Join(dirs["iceberg"].dir, pipelineName+"_iceberg")}, datasetName)
	})
	others := map[string]*sql.DB{"postgres": pg, "filesystem": files, "iceberg": ice}

	// PostgreSQL shortens names over 63 bytes, a child table's from its
	// shortened parent's; the normalizer makes the tables and columns of
	// both schemas in the same order, so they pair up by position.
	pgc, err := postgres.Open(t.Context(), postgres.Config{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	pgSchema, err := pgc.Schema(t.Context(), datasetName, "ashby")
	pgc.Close()
	if err != nil || pgSchema == nil || len(pgSchema.Tables) != len(sch.Tables) {
		t.Fatalf("postgres schema: %v, want %d tables like duckdb's", err, len(sch.Tables))
	}
	pgNames := map[string]string{}
	for i, tab := range sch.Tables {
		pt := pgSchema.Tables[i]
		pgNames[tab.Name] = pt.Name
		for j, c := range tab.Columns {
			pgNames[tab.Name+"."+c.Name] = pt.Columns[j].Name
		}
	}
	nameIn := func(kind, table, column string) string {
		key := table
		if column != "" {
			key += "." + column
		}
		if kind == "postgres" {
			return pgNames[key]
		}
		if column != "" {
			return column
		}
		return table
	}

	tables := 0
	for _, tab := range sch.Tables {
		tables++
		want := count(t, ref, fmt.Sprintf(`SELECT count(*) FROM %q.%q`, datasetName, tab.Name))
		for kind, db := range others {
			if got := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q`, datasetName, nameIn(kind, tab.Name, ""))); got != want {
				t.Errorf("%s: %s has %d rows, duckdb %d", kind, tab.Name, got, want)
			}
		}
		if !tab.IsRoot() {
			continue
		}
		// Keys and two typed columns (a timestamp and a text) as text.
		cols := tab.PrimaryKey()
		for _, c := range tab.Columns {
			if !c.System && !c.PrimaryKey && len(cols) < len(tab.PrimaryKey())+2 && (c.Type == schema.Text || c.Type == schema.Timestamp || c.Type == schema.BigInt) {
				cols = append(cols, c.Name)
			}
		}
		wantRows := textRows(t, ref, tab.Name, cols)
		for kind, db := range others {
			var kcols []string
			for _, c := range cols {
				kcols = append(kcols, nameIn(kind, tab.Name, c))
			}
			if got := textRows(t, db, nameIn(kind, tab.Name, ""), kcols); !slices.Equal(got, wantRows) {
				t.Errorf("%s: %s differs from duckdb in %v:\n got %.300v\nwant %.300v", kind, tab.Name, cols, got, wantRows)
			}
		}
	}
	wantCount := fmt.Sprintf("n\n%d\n", count(t, ref, `SELECT count(*) FROM ashby_data.applications`))
	for kind, out := range queried {
		if out != wantCount {
			t.Errorf("%s: query printed %q, want %q", kind, out, wantCount)
		}
	}
	if tables < 100 {
		t.Errorf("compared %d tables, want the demo's root and child tables", tables)
	}
}

// viewsDB opens an in-memory DuckDB with the views that views returns.
func viewsDB(t *testing.T, views func(context.Context) ([]string, error)) *sql.DB {
	t.Helper()
	stmts, err := views(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	db, err := duckdb.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

// textRows returns the rows of cols of a dataset table, each column cast
// to text in SQL and timestamps as UTC epoch microseconds, sorted.
func textRows(t *testing.T, db *sql.DB, table string, cols []string) []string {
	t.Helper()
	var exprs []string
	for _, c := range cols {
		exprs = append(exprs, fmt.Sprintf("%q", c))
	}
	rows, err := db.Query(fmt.Sprintf(`SELECT %s FROM %q.%q`, strings.Join(exprs, ", "), datasetName, table))
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			parts = append(parts, canonicalText(v))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// canonicalText renders a scanned value the same way whichever driver
// returned it: times as UTC with microseconds, bytes as text, NULL as
// "<null>".
func canonicalText(v any) string {
	switch x := v.(type) {
	case nil:
		return "<null>"
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
