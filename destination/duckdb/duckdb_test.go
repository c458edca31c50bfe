package duckdb

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

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

func TestHasLoad(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()

	ok, err := c.HasLoad(ctx, testDataset, "1")
	if err != nil || ok {
		t.Fatalf("HasLoad before any load = %v, %v; want false, nil", ok, err)
	}
	mustLoad(t, c, treePackage(t, "1", schema.Append, newCandidate("a", "Ann")))
	ok, err = c.HasLoad(ctx, testDataset, "1")
	if err != nil || !ok {
		t.Errorf("HasLoad(1) = %v, %v; want true, nil", ok, err)
	}
	ok, err = c.HasLoad(ctx, testDataset, "2")
	if err != nil || ok {
		t.Errorf("HasLoad(2) = %v, %v; want false, nil", ok, err)
	}
	ok, err = c.HasLoad(ctx, "other_dataset", "1")
	if err != nil || ok {
		t.Errorf("HasLoad in another dataset = %v, %v; want false, nil", ok, err)
	}
}

func TestLoadSameIDTwice(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, treePackage(t, "1", schema.Append, newCandidate("a", "Ann")))
	err := c.Load(context.Background(), treePackage(t, "1", schema.Append, newCandidate("b", "Bob")))
	if err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Fatalf("second Load with the same id: err = %v, want already loaded", err)
	}
	if n := count(t, c.DB(), "candidates"); n != 1 {
		t.Errorf("candidates = %d, want 1", n)
	}
}

func TestState(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()

	st, err := c.State(ctx, testDataset, "ashby_pipeline")
	if err != nil || st != nil {
		t.Fatalf("State before any load = %v, %v; want nil, nil", st, err)
	}

	created := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	states := []string{`{"sync_token":"tok-1"}`, `{"sync_token":"tok-2","nested":{"n":12345678901234567890}}`}
	for i, s := range states {
		p := treePackage(t, []string{"1", "2"}[i], schema.Append, newCandidate("a", "Ann"))
		p.State = json.RawMessage(s)
		p.CreatedAt = created.Add(time.Duration(i) * time.Hour)
		mustLoad(t, c, p)
	}
	// A package without state leaves the stored state as it is.
	mustLoad(t, c, treePackage(t, "3", schema.Append))

	st, err = c.State(ctx, testDataset, "ashby_pipeline")
	if err != nil || st == nil {
		t.Fatalf("State = %v, %v", st, err)
	}
	if st.Version != 2 {
		t.Errorf("Version = %d, want 2", st.Version)
	}
	if string(st.State) != states[1] {
		t.Errorf("State = %s, want %s", st.State, states[1])
	}
	if st.LoadID != "2" {
		t.Errorf("LoadID = %q, want 2", st.LoadID)
	}
	if want := created.Add(time.Hour); !st.CreatedAt.Equal(want) || st.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", st.CreatedAt, want)
	}

	other, err := c.State(ctx, testDataset, "other_pipeline")
	if err != nil || other != nil {
		t.Errorf("State of another pipeline = %v, %v; want nil, nil", other, err)
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
