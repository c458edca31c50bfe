package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// items are the extracted items of one resource in a package.
type items struct {
	hints schema.Hints
	lines string
}

// packageSeq numbers the packages of a test, for load ids and creation
// times.
type packageSeq struct {
	s *schema.Schema
	n int
	// maxLen is the identifier length limit for the normalizer.
	maxLen int
}

// base is the creation time of the first package; later ones follow a
// day apart.
var base = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)

// next normalizes the items into a new package, as the pipeline does:
// on a copy of the schema, which the package then carries.
func (ps *packageSeq) next(t testing.TB, res ...items) *destination.Package {
	t.Helper()
	ps.n++
	loadID := fmt.Sprintf("1735718400.%06d", ps.n)
	s := ps.s.Clone()
	dir := t.TempDir()
	n := normalize.New(s, loadID, dir)
	n.MaxIdentifierLength = ps.maxLen
	p := &destination.Package{
		LoadID: loadID, PipelineName: "p", Dataset: testDataset,
		CreatedAt: base.Add(time.Duration(ps.n-1) * 24 * time.Hour),
	}
	for _, r := range res {
		if err := n.Normalize(r.hints, strings.NewReader(r.lines)); err != nil {
			t.Fatalf("normalize package %d: %v", ps.n, err)
		}
		p.Tables = append(p.Tables, r.hints.Table)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p.Jobs = append(p.Jobs, destination.Job{Table: f.Table, Path: f.Path})
	}
	ps.s = s
	p.Schema = s
	return p
}

var (
	jobsMerge  = schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
	jobsUpsert = schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
		MergeStrategy: schema.Upsert}
	jobsHistory = schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.History}

	// mergeSteps load three jobs, then change one, repeat one twice and
	// add one.
	mergeSteps = []string{
		`{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Paris"}]}
{"id":"j3","title":"Analyst"}`,
		`{"id":"j2","title":"Designer (old)","locations":[{"city":"Lyon"}]}
{"id":"j1","title":"Lead Engineer","locations":[{"city":"Berlin","rooms":[3]}]}
{"id":"j4","title":"Writer","locations":[{"city":"Rome"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Paris"}]}`,
	}
)

func withHints(h schema.Hints, cols map[string]schema.ColumnHint) schema.Hints {
	h.Columns = cols
	return h
}

var dispositionTests = []struct {
	name  string
	loads [][]items
}{
	{"append", [][]items{
		{{schema.Hints{Table: "jobs"}, `{"id":"j1","tags":["a"]}`}},
		{{schema.Hints{Table: "jobs"}, `{"id":"j1","tags":["a"]}` + "\n" + `{"id":"j2"}`}},
	}},
	{"replace", [][]items{
		{{schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}, mergeSteps[0]}},
		{{schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}, `{"id":"j9","title":"Only","locations":[{"city":"Bern"}]}`}},
		// A package that covers the table without items empties it.
		{{schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}, ``}},
	}},
	{"merge_delete_insert", [][]items{
		{{jobsMerge, mergeSteps[0]}},
		{{jobsMerge, mergeSteps[1]}},
	}},
	{"merge_upsert", [][]items{
		{{jobsUpsert, mergeSteps[0]}},
		{{jobsUpsert, mergeSteps[1]}},
	}},
	{"merge_hard_delete", [][]items{
		{{withHints(jobsMerge, map[string]schema.ColumnHint{"isDeleted": {HardDelete: true}}), mergeSteps[0]}},
		{{withHints(jobsMerge, map[string]schema.ColumnHint{"isDeleted": {HardDelete: true}}),
			`{"id":"j1","isDeleted":true}
{"id":"j2","title":"Designer","isDeleted":false,"locations":[{"city":"Nice"}]}
{"id":"j7","isDeleted":true}`}},
		// Upsert, and a hard delete column that is not bool: any value
		// deletes.
		{{withHints(jobsUpsert, map[string]schema.ColumnHint{"deletedAt": {HardDelete: true}}),
			`{"id":"j2","deletedAt":"2025-01-03T00:00:00Z"}
{"id":"j3","title":"Analyst","deletedAt":null}`}},
	}},
	{"merge_dedup_sort", [][]items{
		{{withHints(jobsMerge, map[string]schema.ColumnHint{"version": {DedupSort: schema.Desc}}),
			`{"id":"j1","version":2,"title":"second"}
{"id":"j1","version":5,"title":"fifth","locations":[{"city":"Kept"}]}
{"id":"j1","version":3,"title":"third","locations":[{"city":"Dropped"}]}
{"id":"j2","version":1,"title":"one"}
{"id":"j2","title":"no version"}`}},
		{{schema.Hints{Table: "firsts", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
			Columns: map[string]schema.ColumnHint{"at": {DedupSort: schema.Asc}}},
			`{"id":"k","at":"2025-01-02T00:00:00Z","v":"later"}
{"id":"k","at":"2025-01-01T00:00:00Z","v":"earliest"}
{"id":"k","at":"2025-01-01T00:00:00Z","v":"tie, seen last"}`}},
	}},
	{"merge_key", [][]items{
		{{schema.Hints{Table: "events", WriteDisposition: schema.Merge, Columns: map[string]schema.ColumnHint{"day": {MergeKey: true}}},
			`{"day":"2025-01-01","n":1,"tags":["a"]}
{"day":"2025-01-01","n":2}
{"day":"2025-01-02","n":3,"tags":["b"]}`}},
		{{schema.Hints{Table: "events", WriteDisposition: schema.Merge, Columns: map[string]schema.ColumnHint{"day": {MergeKey: true}}},
			`{"day":"2025-01-01","n":4,"tags":["c"]}
{"day":"2025-01-01","n":4,"tags":["c"]}`}},
	}},
	{"history", [][]items{
		{{withHints(jobsHistory, map[string]schema.ColumnHint{"isDeleted": {HardDelete: true}}), mergeSteps[0]}},
		{{withHints(jobsHistory, map[string]schema.ColumnHint{"isDeleted": {HardDelete: true}}),
			`{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Lyon"}]}
{"id":"j4","title":"Writer"}`}},
		{{withHints(jobsHistory, map[string]schema.ColumnHint{"isDeleted": {HardDelete: true}}),
			`{"id":"j2","isDeleted":true}
{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j4","title":"Editor"}
{"id":"j4","title":"Writer"}`}},
	}},
	{"history_retire_absent", [][]items{
		{{schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.History, RetireAbsent: true},
			`{"id":"j1","title":"Engineer"}` + "\n" + `{"id":"j2","title":"Designer"}`}},
		{{schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.History, RetireAbsent: true},
			`{"id":"j1","title":"Engineer"}`}},
		{{schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.History, RetireAbsent: true}, ``}},
	}},
}

func TestDispositions_golden(t *testing.T) {
	for _, tt := range dispositionTests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			ps := &packageSeq{s: schema.New("golden")}
			var out bytes.Buffer
			for i, load := range tt.loads {
				p := ps.next(t, load...)
				mustLoad(t, c, p)
				fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
				dumpTables(t, c, p.Schema, &out)
			}
			path := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, out.Bytes())
			}
		})
	}
}

// dumpTables writes every data table of s with its rows as text, sorted,
// with timestamps in UTC.
func dumpTables(t *testing.T, c *Client, s *schema.Schema, out *bytes.Buffer) {
	t.Helper()
	for _, tab := range s.Tables {
		fmt.Fprintf(out, "-- %s --\n", tab.Name)
		for _, row := range tableRows(t, c.DB(), tab) {
			fmt.Fprintln(out, row)
		}
	}
}

// tableRows returns the rows of a dataset table as lines of
// column=value pairs, NULL columns left out, sorted.
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

func TestLoad_contractKeptTableOut(t *testing.T) {
	c := openTest(t)
	ps := &packageSeq{s: schema.New("golden")}
	h := schema.Hints{Table: "jobs", Contract: schema.Contract{Tables: schema.DiscardRow}}
	p := ps.next(t, items{h, `{"id":"j1"}`})
	if p.Schema.Table("jobs") != nil {
		t.Fatal("the contract let the table be created")
	}
	// The package lists a table that its schema lacks; the load skips it.
	mustLoad(t, c, p)
	if tableExists(t, c, "jobs") {
		t.Error("table jobs exists")
	}
	if ok, err := c.HasLoad(context.Background(), testDataset, p.LoadID); err != nil || !ok {
		t.Errorf("HasLoad = %v, %v; want true", ok, err)
	}
}
