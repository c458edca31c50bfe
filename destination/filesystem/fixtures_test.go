package filesystem_test

// The fixtures in this file build load packages (schemas and job files)
// without reference to any destination, so that every destination's
// tests can load the same inputs and compare the same outputs. The
// golden outputs of dispositionTests are those in
// destination/duckdb/testdata/golden.

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

const testDataset = "ashby_data"

// writeJob writes lines as a job file and returns its path.
func writeJob(t testing.TB, table string, lines ...string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), table+".*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func col(name string, typ schema.DataType) *schema.Column {
	return &schema.Column{Name: name, Type: typ, Nullable: true}
}

func systemCol(name string) *schema.Column {
	return &schema.Column{Name: name, Type: schema.Text, System: true}
}

// treeSchema returns a schema with a root table "candidates" with the
// given write disposition and primary key "id", a child table
// "candidates__emails" and a grandchild "candidates__emails__tags".
func treeSchema(wd schema.WriteDisposition) *schema.Schema {
	id := col("id", schema.Text)
	id.PrimaryKey = true
	id.Nullable = false
	root := &schema.Table{
		Name: "candidates", Resource: "candidates", WriteDisposition: wd,
		Columns: []*schema.Column{
			systemCol(schema.ColumnID), systemCol(schema.ColumnLoadID),
			id, col("name", schema.Text),
		},
	}
	childCols := func(extra ...*schema.Column) []*schema.Column {
		return append([]*schema.Column{
			systemCol(schema.ColumnID), systemCol(schema.ColumnParentID), systemCol(schema.ColumnRootID),
			{Name: schema.ColumnListIndex, Type: schema.BigInt, System: true},
		}, extra...)
	}
	emails := &schema.Table{Name: "candidates__emails", Parent: "candidates", WriteDisposition: wd,
		Columns: childCols(col("value", schema.Text))}
	tags := &schema.Table{Name: "candidates__emails__tags", Parent: "candidates__emails", WriteDisposition: wd,
		Columns: childCols(col("value", schema.Text))}
	return &schema.Schema{Name: "ashby", Version: 1, Tables: []*schema.Table{root, emails, tags}}
}

// candidate is an object of the tree schema: emails, each with tags.
type candidate struct {
	id, name string
	emails   map[string][]string // tags by email
	order    []string            // emails in list order
}

// newCandidate returns a candidate with emails written "addr:tag1,tag2".
func newCandidate(id, name string, emails ...string) candidate {
	c := candidate{id: id, name: name, emails: map[string][]string{}}
	for _, e := range emails {
		addr, tags, _ := strings.Cut(e, ":")
		var list []string
		if tags != "" {
			list = strings.Split(tags, ",")
		}
		c.emails[addr] = list
		c.order = append(c.order, addr)
	}
	return c
}

// treeJobs normalizes the candidates the way the normalizer does, with
// row ids unique to the package, and writes one job file per table.
func treeJobs(t testing.TB, loadID string, cands ...candidate) []destination.Job {
	t.Helper()
	var roots, emails, tags []string
	for seq, c := range cands {
		rootID := fmt.Sprintf("%s/%s/%d", loadID, c.id, seq)
		roots = append(roots, fmt.Sprintf(`{"_rl_id":%q,"_rl_load_id":%q,"id":%q,"name":%q,"_rl_seq":%d}`,
			rootID, loadID, c.id, c.name, seq))
		for i, e := range c.order {
			emailID := fmt.Sprintf("%s/e%d", rootID, i)
			emails = append(emails, fmt.Sprintf(
				`{"_rl_id":%q,"_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
				emailID, rootID, rootID, i, e))
			for j, tag := range c.emails[e] {
				tags = append(tags, fmt.Sprintf(
					`{"_rl_id":"%s/t%d","_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
					emailID, j, emailID, rootID, j, tag))
			}
		}
	}
	return []destination.Job{
		{Table: "candidates", Path: writeJob(t, "candidates", roots...)},
		{Table: "candidates__emails", Path: writeJob(t, "candidates__emails", emails...)},
		{Table: "candidates__emails__tags", Path: writeJob(t, "candidates__emails__tags", tags...)},
	}
}

func treePackage(t testing.TB, loadID string, wd schema.WriteDisposition, cands ...candidate) *destination.Package {
	t.Helper()
	return &destination.Package{
		LoadID: loadID, PipelineName: "ashby_pipeline", Dataset: testDataset,
		Schema: treeSchema(wd), Jobs: treeJobs(t, loadID, cands...),
		Tables: []string{"candidates"},
	}
}

// typesSchema has one root table with a column of every data type.
func typesSchema() *schema.Schema {
	return &schema.Schema{Name: "types", Tables: []*schema.Table{{
		Name: "values", WriteDisposition: schema.Append,
		Columns: []*schema.Column{
			systemCol(schema.ColumnID),
			systemCol(schema.ColumnLoadID),
			col("n", schema.BigInt),
			col("txt", schema.Text),
			col("big", schema.BigInt),
			col("dbl", schema.Double),
			col("dec", schema.Decimal),
			col("ok", schema.Bool),
			col("ts", schema.Timestamp),
			col("day", schema.Date),
			col("doc", schema.JSON),
			col("bin", schema.Binary),
		},
	}}}
}

// typesRows are job lines of typesSchema with values at the edges of
// every type.
var typesRows = []string{
	`{"_rl_id":"r1","n":1,"txt":"héllo \"quoted\" \u00e9","big":9223372036854775807,"dbl":0.1,` +
		`"dec":12345678901234567890123456789.123456789,"ok":true,"ts":"2024-05-06T07:08:09.123Z",` +
		`"day":"2024-02-29","doc":{"a":[1,2.50,{"b":null}],"x":1234567890.123456789},"bin":"AAEC/w==","_rl_seq":0}`,
	`{"_rl_id":"r2","n":2,"big":-9223372036854775808,"dbl":-1.5e300,"dec":-0.000000001,"ok":false,` +
		`"ts":"1999-12-31T23:59:59.999Z","doc":"text","_rl_seq":1}`,
	`{"_rl_id":"r3","n":3,"big":4.0E2,"dec":1e3,"ts":"2024-05-06T07:08:09+02:00","doc":12.50,"_rl_seq":2}`,
	`{"_rl_id":"r4","n":4,"dec":0.0000000005,"doc":[],"_rl_seq":3}`,
}

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
	n := normalize.New(s, loadID, t.TempDir())
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

// dispositionTests are packages loaded one after the other; the golden
// file of each case contains every table after each load.
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

// jobLines returns n jobs, each with two locations, whose titles carry
// tag so that packages differ.
func jobLines(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"j%d","title":"%s %d","locations":[{"city":"A%d"},{"city":"B%d"}]}`+"\n", i, tag, i, i, i)
	}
	return b.String()
}
