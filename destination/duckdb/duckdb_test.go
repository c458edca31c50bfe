package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/restload/restload/schema"
)

func TestOpenSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.duckdb")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not created: %v", err)
	}
	for _, name := range []string{"autoinstall_known_extensions", "autoload_known_extensions"} {
		var v string
		if err := c.DB().QueryRow("SELECT current_setting(?)::VARCHAR", name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "false" {
			t.Errorf("%s = %s, want false", name, v)
		}
	}
	// json and parquet are built in, so they work without a download.
	var n int64
	if err := c.DB().QueryRow(`SELECT json_array_length('[1,2,3]')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("json_array_length = %d, %v; want 3", n, err)
	}
	pq := filepath.Join(t.TempDir(), "x.parquet")
	if _, err := c.DB().Exec("COPY (SELECT 42 AS a) TO '" + pq + "' (FORMAT parquet)"); err != nil {
		t.Errorf("write parquet: %v", err)
	}
}

func TestOpenLocation(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := Open("rel.duckdb")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := "duckdb:///" + filepath.Join(dir, "rel.duckdb")
	if got := c.Location(); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if !strings.HasPrefix(c.Location(), "duckdb:////") {
		t.Errorf("Location %q does not start with duckdb://// and an absolute path", c.Location())
	}
}

func TestOpenRejectsQuery(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "a?access_mode=read_only"))
	if err == nil || !strings.Contains(err.Error(), "'?'") {
		t.Errorf("Open with '?' in the path: err = %v, want a rejection", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re.duckdb")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, c, treePackage(t, "1", schema.Append, newCandidate("a", "Ann", "a@x:t1")))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := count(t, c.DB(), "candidates__emails__tags"); n != 1 {
		t.Errorf("tags after reopen = %d, want 1", n)
	}
}

func TestSchemaStored(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()

	s, err := c.Schema(ctx, testDataset, "ashby")
	if err != nil || s != nil {
		t.Fatalf("Schema before any load = %v, %v; want nil, nil", s, err)
	}

	p := treePackage(t, "1", schema.Merge, newCandidate("a", "Ann"))
	mustLoad(t, c, p)
	mustLoad(t, c, treePackage(t, "2", schema.Merge, newCandidate("b", "Bob")))
	if n := count(t, c.DB(), schema.TableVersion); n != 1 {
		t.Errorf("schema versions after two loads of one schema = %d, want 1", n)
	}
	got, err := c.Schema(ctx, testDataset, "ashby")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p.Schema) {
		t.Errorf("Schema = %+v, want %+v", got, p.Schema)
	}

	p3 := treePackage(t, "3", schema.Merge, newCandidate("c", "Cid"))
	p3.Schema.Version = 2
	p3.Schema.Tables[0].Columns = append(p3.Schema.Tables[0].Columns, col("phone", schema.Text))
	mustLoad(t, c, p3)
	if n := count(t, c.DB(), schema.TableVersion); n != 2 {
		t.Errorf("schema versions after a change = %d, want 2", n)
	}
	got, err = c.Schema(ctx, testDataset, "ashby")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Hash() != p3.Schema.Hash() {
		t.Errorf("Schema version %d hash %s, want version 2 hash %s", got.Version, got.Hash(), p3.Schema.Hash())
	}

	hashes := queryStrings(t, c.DB(), "SELECT schema_version_hash FROM "+
		qualified(testDataset, schema.TableLoads)+" ORDER BY load_id")
	want := []string{p.Schema.Hash(), p.Schema.Hash(), p3.Schema.Hash()}
	if !reflect.DeepEqual(hashes, want) {
		t.Errorf("schema_version_hash of loads = %v, want %v", hashes, want)
	}
}
