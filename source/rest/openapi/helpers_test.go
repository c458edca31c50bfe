package openapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
	"github.com/restload/restload/source/rest/openapi"
)

// generate generates a definition from the document in testdata, with
// its base URL pointed at url.
func generate(t *testing.T, file, name, url string) *openapi.Definition {
	t.Helper()
	def, err := openapi.GenerateFile(filepath.Join("testdata", file), openapi.Options{Name: name, BaseURL: url})
	if err != nil {
		t.Fatalf("generate from %s: %v", file, err)
	}
	return def
}

// secrets resolves every secret name to value.
func secrets(value string) rest.SecretLookup {
	return func(string) (string, error) { return value, nil }
}

// load runs src through the pipeline into a new DuckDB file and returns
// the database, open for queries, in the dataset NAME_data.
func load(t *testing.T, name string, src source.Source) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	dest, err := duckdb.Open(filepath.Join(dir, name+".duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dest.Close() })
	p, err := pipeline.New(pipeline.Config{Name: name, Dataset: name + "_data", DataDir: filepath.Join(dir, "data"),
		Destination: dest, DestinationName: "duckdb"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return dest.DB()
}

// runDefinition loads cfg with the secret value into DuckDB.
func runDefinition(t *testing.T, cfg *rest.Config, secret string) *sql.DB {
	t.Helper()
	src, err := rest.New(cfg, rest.Options{Secrets: secrets(secret)})
	if err != nil {
		t.Fatalf("build the generated source: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return load(t, cfg.Name, src)
}

// tableRows returns the row count of every table of schema, system
// tables (those starting with _rl_) left out.
func tableRows(t *testing.T, db *sql.DB, schema string) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name NOT LIKE '\_rl\_%' ESCAPE '\'`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	sort.Strings(names)
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %q.%q`, schema, n)).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

// columns returns the columns of schema.table that do not start with
// _rl_, sorted.
func columns(t *testing.T, db *sql.DB, schema, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name NOT LIKE '\_rl\_%' ESCAPE '\' ORDER BY column_name`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}
