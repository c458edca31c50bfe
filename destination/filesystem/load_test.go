package filesystem_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
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

// TestTypesRoundTrip loads a value of every type at its edges and reads
// it back through the views.
func TestTypesRoundTrip(t *testing.T) {
	want := []string{
		`1|héllo "quoted" é|9223372036854775807|0.1|12345678901234567890123456789.123456789|true|2024-05-06 07:08:09.123|2024-02-29|{"a":[1,2.50,{"b":null}],"x":1234567890.123456789}|000102FF`,
		`2|NULL|-9223372036854775808|-1.5e+300|-0.000000001|false|1999-12-31 23:59:59.999|NULL|"text"|NULL`,
		`3|NULL|400|NULL|1000.000000000|NULL|2024-05-06 05:08:09.000|NULL|12.50|NULL`,
		`4|NULL|NULL|NULL|0.000000001|NULL|NULL|NULL|[]|NULL`,
	}
	for _, format := range formats {
		t.Run(string(format), func(t *testing.T) {
			c := openTest(t, format)
			s := typesSchema()
			mustLoad(t, c, &destination.Package{
				LoadID: "1", Dataset: testDataset, Schema: s,
				Jobs: []destination.Job{{Table: "values", Path: writeJob(t, "values", typesRows...)}},
			})
			db := openViews(t, c, s)
			rows := queryStrings(t, db, `SELECT concat_ws('|', n, coalesce(txt, 'NULL'), coalesce(big::VARCHAR, 'NULL'),
				coalesce(dbl::VARCHAR, 'NULL'), coalesce(dec::VARCHAR, 'NULL'), coalesce(ok::VARCHAR, 'NULL'),
				coalesce(strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g'), 'NULL'), coalesce(day::VARCHAR, 'NULL'),
				coalesce(doc::VARCHAR, 'NULL'), coalesce(hex(bin), 'NULL'))
				FROM ashby_data."values" ORDER BY n`)
			if len(rows) != len(want) {
				t.Fatalf("got %d rows, want %d: %q", len(rows), len(want), rows)
			}
			for i := range want {
				if rows[i] != want[i] {
					t.Errorf("row %d:\n got %s\nwant %s", i+1, rows[i], want[i])
				}
			}
		})
	}
}

func TestStateSchemaHasLoad(t *testing.T) {
	ctx := context.Background()
	c := openTest(t, filesystem.JSONL)
	if s, err := c.State(ctx, testDataset, "ashby_pipeline"); err != nil || s != nil {
		t.Fatalf("State of an empty bucket = %v, %v; want nil, nil", s, err)
	}
	if s, err := c.Schema(ctx, testDataset, "ashby"); err != nil || s != nil {
		t.Fatalf("Schema of an empty bucket = %v, %v; want nil, nil", s, err)
	}
	first := treePackage(t, "1735718400.000001", schema.Append, newCandidate("a", "Ann"))
	first.State = json.RawMessage(`{"token":"one"}`)
	mustLoad(t, c, first)
	second := treePackage(t, "1735718400.000002", schema.Append, newCandidate("b", "Bob"))
	second.State = json.RawMessage(`{"token":"two"}`)
	second.Schema.Tables[0].Columns = append(second.Schema.Tables[0].Columns, &schema.Column{Name: "extra", Type: schema.Double, Nullable: true})
	mustLoad(t, c, second)
	// A package of another pipeline, without state, changes neither.
	other := treePackage(t, "1735718400.000003", schema.Append)
	other.PipelineName = "other"
	mustLoad(t, c, other)

	st, err := c.State(ctx, testDataset, "ashby_pipeline")
	if err != nil {
		t.Fatal(err)
	}
	if st == nil || string(st.State) != `{"token":"two"}` || st.Version != 2 || st.LoadID != second.LoadID {
		t.Fatalf("State = %+v, want version 2 of load %s with token two", st, second.LoadID)
	}
	got, err := c.Schema(ctx, testDataset, "ashby")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, other.Schema) {
		t.Errorf("Schema = %+v, want the schema of the newest load", got)
	}
	for _, tt := range []struct {
		id   string
		want bool
	}{{first.LoadID, true}, {other.LoadID, true}, {"1735718400.000009", false}} {
		ok, err := c.HasLoad(ctx, testDataset, tt.id)
		if err != nil || ok != tt.want {
			t.Errorf("HasLoad(%s) = %v, %v; want %v", tt.id, ok, err, tt.want)
		}
	}
	err = c.Load(ctx, treePackage(t, first.LoadID, schema.Append))
	if err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("loading %s again: error %v, want already loaded", first.LoadID, err)
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
			first := treePackage(t, "1", schema.Replace, newCandidate("a", "Ann", "a@x:t1"))
			first.State = json.RawMessage(`{"token":"one"}`)
			mustLoad(t, c, first)

			second := treePackage(t, "2", schema.Replace, newCandidate("b", "Bob", "b@x:t2", "b@y"))
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
			stray := filepath.Join(c.Root(), testDataset, "candidates", "2.99."+string(format))
			if err := os.WriteFile(stray, []byte("partial"), 0o644); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.HasLoad(ctx, testDataset, "2"); ok {
				t.Fatal("HasLoad reports the stopped load")
			}
			if st, _ := c.State(ctx, testDataset, "ashby_pipeline"); st == nil || string(st.State) != `{"token":"one"}` {
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
			if st, _ := c.State(ctx, testDataset, "ashby_pipeline"); st == nil || string(st.State) != `{"token":"two"}` || st.Version != 2 {
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
	dir := filepath.Join(c.Root(), testDataset)
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

// TestSoftDelete loads complete and incomplete listings of a merge table
// that tracks deletes and checks which rows carry _rl_deleted_at.
func TestSoftDelete(t *testing.T) {
	for _, format := range formats {
		for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
			t.Run(string(format)+"/"+string(strategy), func(t *testing.T) {
				c := openTest(t, format)
				h := schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
					MergeStrategy: strategy, SoftDelete: true}
				ps := &packageSeq{s: schema.New("ashby")}
				steps := []struct {
					lines    string
					complete bool
					// deleted lists "id:load" for each deleted row, the
					// load being the package number whose time marked it.
					deleted []string
				}{
					{`{"id":1,"tags":["a"]}` + "\n" + `{"id":2}` + "\n" + `{"id":3}` + "\n", true, nil},
					{`{"id":2,"title":"x"}` + "\n", false, nil},
					{`{"id":2}` + "\n", true, []string{"1:3", "3:3"}},
					{`{"id":2}` + "\n" + `{"id":3}` + "\n", true, []string{"1:3"}},
					{"", true, []string{"1:3", "2:5", "3:5"}},
				}
				for i, st := range steps {
					p := ps.next(t, items{hints: h, lines: st.lines})
					if st.complete {
						p.Complete = []string{"jobs"}
					}
					mustLoad(t, c, p)
					db := openViews(t, c, p.Schema)
					got := queryStrings(t, db, `SELECT id::text || ':' || (date_diff('day', TIMESTAMPTZ '2025-01-01 08:00:00+00', _rl_deleted_at) + 1)::text
						FROM ashby_data.jobs WHERE _rl_deleted_at IS NOT NULL ORDER BY id`)
					if !slices.Equal(got, st.deleted) {
						t.Fatalf("step %d: deleted rows %v, want %v", i+1, got, st.deleted)
					}
					if n := len(queryStrings(t, db, "SELECT id FROM ashby_data.jobs")); n != 3 {
						t.Fatalf("step %d: %d rows, want 3 (deletes are marked, never removed)", i+1, n)
					}
					if i == len(steps)-1 {
						if n := len(queryStrings(t, db, "SELECT value FROM ashby_data.jobs__tags")); n != 1 {
							t.Fatalf("child rows: %d, want 1", n)
						}
					}
				}
			})
		}
	}
}

// TestDrop drops a table tree and loads it again in the same package.
func TestDrop(t *testing.T) {
	c := openTest(t, filesystem.Parquet)
	mustLoad(t, c, treePackage(t, "1", schema.Append, newCandidate("a", "Ann", "a@x:t1")))
	p := treePackage(t, "2", schema.Append, newCandidate("b", "Bob"))
	p.Drop = []string{"candidates__emails__tags", "candidates__emails", "candidates"}
	mustLoad(t, c, p)
	db := openViews(t, c, p.Schema)
	if got := queryStrings(t, db, "SELECT name FROM ashby_data.candidates"); !slices.Equal(got, []string{"Bob"}) {
		t.Errorf("candidates after the drop: %v, want Bob", got)
	}
	if got := queryStrings(t, db, "SELECT value FROM ashby_data.candidates__emails__tags"); len(got) != 0 {
		t.Errorf("tags after the drop: %v, want none", got)
	}
}

func TestLoadRejectsBadInput(t *testing.T) {
	c := openTest(t, filesystem.JSONL)
	bad := treePackage(t, "1", schema.Append, newCandidate("a", "Ann"))
	bad.Jobs[0].Path = writeJob(t, "candidates", `{"_rl_id":"x","id":"a","name":5,"_rl_seq":0}`)
	tests := []struct {
		name string
		p    *destination.Package
		want string
	}{
		{"slash in load id", &destination.Package{LoadID: "a/b", Dataset: testDataset, Schema: schema.New("s")}, `load id "a/b" cannot be used`},
		{"no dataset", &destination.Package{LoadID: "1", Schema: schema.New("s")}, `dataset "" cannot be used`},
		{"wrong type", bad, `column name: expected a JSON string, got number`},
		{"unknown key", func() *destination.Package {
			p := treePackage(t, "1", schema.Append)
			p.Jobs[0].Path = writeJob(t, "candidates", `{"_rl_id":"x","id":"a","nick":"A"}`)
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
	if ok, _ := c.HasLoad(context.Background(), testDataset, "1"); ok {
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
			s := typesSchema()
			mustLoad(t, c, &destination.Package{
				LoadID: "1", Dataset: testDataset, Schema: s,
				Jobs: []destination.Job{{Table: "values", Path: writeJob(t, "values", lines...)}},
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
	s := treeSchema(schema.Merge)
	db := openViews(t, c, s)
	for _, tab := range append(s.Tables, &schema.Table{Name: schema.TableLoads}) {
		if got := queryStrings(t, db, "SELECT count(*) FROM ashby_data."+ident(tab.Name)); !slices.Equal(got, []string{"0"}) {
			t.Errorf("rows of %s: %v, want 0", tab.Name, got)
		}
	}
}
