package filesystem_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/schema"
)

func TestOpenBucketURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url string
		wantRoot  string
		wantErr   string
	}{
		{"path", dir, dir, ""},
		{"file URL", "file://" + dir, dir, ""},
		{"localhost", "file://localhost" + dir, dir, ""},
		{"empty", "", "", "bucket URL is empty"},
		{"s3", "s3://bucket/data", "", `scheme "s3", which is not supported; use a local folder or a file:// URL`},
		{"remote host", "file://server/share", "", `names host "server"`},
		{"password hidden", "gs://user:hunter2@bucket", "", "gs://user:xxxxx@bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := filesystem.Open(filesystem.Config{BucketURL: tt.url})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Open(%q) error %v, want one containing %q", tt.url, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "filesystem destination") {
					t.Errorf("error %q does not name the destination", err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			if c.Root() != tt.wantRoot {
				t.Errorf("Root() = %q, want %q", c.Root(), tt.wantRoot)
			}
			if c.Format() != filesystem.Parquet {
				t.Errorf("Format() = %q, want parquet by default", c.Format())
			}
			if c.Location() != "file://"+tt.wantRoot {
				t.Errorf("Location() = %q", c.Location())
			}
		})
	}
}

func TestOpenUnknownFormat(t *testing.T) {
	_, err := filesystem.Open(filesystem.Config{BucketURL: t.TempDir(), Format: "avro"})
	if err == nil || !strings.Contains(err.Error(), "set format to parquet, jsonl or csv") {
		t.Fatalf("error %v, want one that lists the formats", err)
	}
}

// TestCrashBeforeRecord stops a load after its files and before its
// record, then checks that readers see the old data and state, and that
// loading the package again applies it once.
func TestCrashBeforeRecord(t *testing.T) {
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			ctx := context.Background()
			c := openTest(t, format)
			first := conformance.TreePackage(t, "1", schema.Replace, conformance.NewCandidate("a", "Ann", "a@x:t1"))
			first.State = json.RawMessage(`{"token":"one"}`)
			mustLoad(t, c, first)

			second := conformance.TreePackage(t, "2", schema.Replace, conformance.NewCandidate("b", "Bob", "b@x:t2", "b@y"))
			second.State = json.RawMessage(`{"token":"two"}`)
			crash := errors.New("stopped before the load record")
			c.SetBeforeRecord(func() error { return crash })
			if err := c.Load(ctx, second); !errors.Is(err, crash) {
				t.Fatalf("Load error %v, want the stop", err)
			}
			orphans := loadFiles(t, c, "2")
			if len(orphans) != 4 {
				t.Fatalf("files of the stopped load: %v, want its 3 data files and its state file", orphans)
			}
			// A partial file that a rerun would not overwrite.
			stray := filepath.Join(c.Root(), conformance.Dataset, "candidates", "2.99."+string(format))
			if err := os.WriteFile(stray, []byte("partial"), 0o644); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.HasLoad(ctx, conformance.Dataset, "2"); ok {
				t.Fatal("HasLoad reports the stopped load")
			}
			if st, _ := c.State(ctx, conformance.Dataset, "ashby_pipeline"); st == nil || string(st.State) != `{"token":"one"}` {
				t.Fatalf("State after the stop = %+v, want token one", st)
			}
			db := openViews(t, c, second.Schema)
			if got := queryStrings(t, db, "SELECT name FROM ashby_data.candidates"); !slices.Equal(got, []string{"Ann"}) {
				t.Fatalf("candidates after the stop: %v, want only Ann", got)
			}
			if got := queryStrings(t, db, "SELECT load_id FROM ashby_data._rl_loads"); !slices.Equal(got, []string{"1"}) {
				t.Fatalf("loads after the stop: %v, want only 1", got)
			}

			c.SetBeforeRecord(nil)
			mustLoad(t, c, second)
			db = openViews(t, c, second.Schema)
			if got := queryStrings(t, db, "SELECT name FROM ashby_data.candidates"); !slices.Equal(got, []string{"Bob"}) {
				t.Fatalf("candidates after the rerun: %v, want Bob once", got)
			}
			if got := queryStrings(t, db, "SELECT load_id FROM ashby_data._rl_loads ORDER BY 1"); !slices.Equal(got, []string{"1", "2"}) {
				t.Fatalf("loads after the rerun: %v, want 1 and 2", got)
			}
			emails := queryStrings(t, db, "SELECT value FROM ashby_data.candidates__emails ORDER BY value")
			if !slices.Equal(emails, []string{"b@x", "b@y"}) {
				t.Fatalf("emails after the rerun: %v", emails)
			}
			if st, _ := c.State(ctx, conformance.Dataset, "ashby_pipeline"); st == nil || string(st.State) != `{"token":"two"}` || st.Version != 2 {
				t.Fatalf("State after the rerun = %+v, want version 2 with token two", st)
			}
			if after := loadFiles(t, c, "2"); len(after) != 4 {
				t.Errorf("files of load 2 after the rerun: %v, want 3 data files and 1 state file", after)
			}
			if _, err := os.Stat(stray); !os.IsNotExist(err) {
				t.Errorf("partial file of the stopped load still exists: %v", err)
			}
		})
	}
}

// loadFiles returns the data and state files of a load id, relative to
// the dataset folder.
func loadFiles(t *testing.T, c *filesystem.Client, loadID string) []string {
	t.Helper()
	dir := filepath.Join(c.Root(), conformance.Dataset)
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), loadID+".") && !strings.Contains(path, "_rl_loads") {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadRejectsBadInput(t *testing.T) {
	c := openTest(t, filesystem.JSONL)
	bad := conformance.TreePackage(t, "1", schema.Append, conformance.NewCandidate("a", "Ann"))
	bad.Jobs[0].Path = conformance.WriteJob(t, "candidates", `{"_rl_id":"x","id":"a","name":5,"_rl_seq":0}`)
	tests := []struct {
		name string
		p    *destination.Package
		want string
	}{
		{"slash in load id", &destination.Package{LoadID: "a/b", Dataset: conformance.Dataset, Schema: schema.New("s")}, `load id "a/b" cannot be used`},
		{"no dataset", &destination.Package{LoadID: "1", Schema: schema.New("s")}, `dataset "" cannot be used`},
		{"wrong type", bad, `column name: expected a JSON string, got number`},
		{"unknown key", func() *destination.Package {
			p := conformance.TreePackage(t, "1", schema.Append)
			p.Jobs[0].Path = conformance.WriteJob(t, "candidates", `{"_rl_id":"x","id":"a","nick":"A"}`)
			return p
		}(), `key "nick" is not a column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Load(context.Background(), tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if ok, _ := c.HasLoad(context.Background(), conformance.Dataset, "1"); ok {
		t.Error("a failed load has a record")
	}
}

// TestTextEdges checks that empty strings stay apart from NULL and that
// separators, quotes and line breaks survive every format.
func TestTextEdges(t *testing.T) {
	lines := []string{
		`{"_rl_id":"e1","n":1,"txt":""}`,
		`{"_rl_id":"e2","n":2}`,
		`{"_rl_id":"e3","n":3,"txt":"a,b\n\"c\"\r\\ end"}`,
		`{"_rl_id":"e4","n":4,"txt":"\\N"}`,
		`{"_rl_id":"e5","n":5,"txt":"NULL"}`,
	}
	want := []string{"[]", "NULL", "[a,b\n\"c\"\r\\ end]", `[\N]`, "[NULL]"}
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			c := openTest(t, format)
			s := conformance.TypesSchema()
			mustLoad(t, c, &destination.Package{
				LoadID: "1", Dataset: conformance.Dataset, Schema: s,
				Jobs: []destination.Job{{Table: "values", Path: conformance.WriteJob(t, "values", lines...)}},
			})
			db := openViews(t, c, s)
			got := queryStrings(t, db, `SELECT coalesce('[' || txt || ']', 'NULL') FROM ashby_data."values" ORDER BY n`)
			if !slices.Equal(got, want) {
				t.Errorf("texts %q, want %q", got, want)
			}
		})
	}
}

// TestViewsEmptyDataset reads the views of a dataset that was never
// loaded: every table exists and is empty.
func TestViewsEmptyDataset(t *testing.T) {
	c := openTest(t, filesystem.Parquet)
	s := conformance.TreeSchema(schema.Merge)
	db := openViews(t, c, s)
	for _, tab := range append(s.Tables, &schema.Table{Name: schema.TableLoads}) {
		if got := queryStrings(t, db, "SELECT count(*) FROM ashby_data."+ident(tab.Name)); !slices.Equal(got, []string{"0"}) {
			t.Errorf("rows of %s: %v, want 0", tab.Name, got)
		}
	}
}
