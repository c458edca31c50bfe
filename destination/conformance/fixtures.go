package conformance

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

// Dataset is the dataset that every fixture package loads into.
const Dataset = "ashby_data"

// Pipeline is the pipeline name of every fixture package.
const Pipeline = "ashby_pipeline"

// Items are the extracted items of one resource in a package: JSON
// objects, one per line.
type Items struct {
	Hints schema.Hints
	Lines string
}

// Sequence normalizes items into load packages one after the other, as
// the pipeline does, so that each package carries the schema evolved by
// the ones before it. Load ids are 1735718400.000001, .000002 and so on,
// and package n is created at 2025-01-01 08:00 UTC plus n-1 days.
type Sequence struct {
	// Schema is the schema that the next package starts from.
	Schema *schema.Schema
	// MaxIdentifierLength is the identifier length limit for the
	// normalizer; 0 means no limit.
	MaxIdentifierLength int

	n int
}

// Next normalizes the items into the next package, on a copy of the
// schema, which the package then carries. Every resource of res is
// listed in Package.Tables, so replace empties tables without items.
func (s *Sequence) Next(t testing.TB, res ...Items) *destination.Package {
	t.Helper()
	s.n++
	loadID := fmt.Sprintf("1735718400.%06d", s.n)
	sch := s.Schema.Clone()
	n := normalize.New(sch, loadID, t.TempDir())
	n.MaxIdentifierLength = s.MaxIdentifierLength
	p := &destination.Package{
		LoadID: loadID, PipelineName: Pipeline, Dataset: Dataset,
		CreatedAt: createdAt(s.n),
	}
	for _, r := range res {
		if err := n.Normalize(r.Hints, strings.NewReader(r.Lines)); err != nil {
			t.Fatalf("normalize package %d: %v", s.n, err)
		}
		p.Tables = append(p.Tables, r.Hints.Table)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatalf("normalize package %d: %v", s.n, err)
	}
	for _, f := range files {
		p.Jobs = append(p.Jobs, destination.Job{Table: f.Table, Path: f.Path})
	}
	s.Schema = sch
	p.Schema = sch
	return p
}

// createdAt returns the creation time of package n of a Sequence.
func createdAt(n int) time.Time {
	return time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(n-1) * 24 * time.Hour)
}

// JobsHints returns the hints of a resource "jobs" with primary key "id".
func JobsHints(wd schema.WriteDisposition, strategy schema.MergeStrategy) schema.Hints {
	return schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: wd, MergeStrategy: strategy}
}

// withColumns returns h with column hints set.
func withColumns(h schema.Hints, cols map[string]schema.ColumnHint) schema.Hints {
	h.Columns = cols
	return h
}

const (
	// mergeFirst lists three jobs with nested locations and rooms.
	mergeFirst = `{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Paris"}]}
{"id":"j3","title":"Analyst"}`
	// mergeSecond changes j1, repeats j2 twice (its last row equal to
	// mergeFirst's) and adds j4.
	mergeSecond = `{"id":"j2","title":"Designer (old)","locations":[{"city":"Lyon"}]}
{"id":"j1","title":"Lead Engineer","locations":[{"city":"Berlin","rooms":[3]}]}
{"id":"j4","title":"Writer","locations":[{"city":"Rome"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Paris"}]}`
)

// MergeSteps returns the items of two packages of the resource "jobs":
// three jobs, then one changed, one repeated twice and one added.
func MergeSteps() [2]string { return [2]string{mergeFirst, mergeSecond} }

// JobLines returns n jobs, each with two locations, whose titles carry
// tag so that packages differ.
func JobLines(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"j%d","title":"%s %d","locations":[{"city":"A%d"},{"city":"B%d"}]}`+"\n", i, tag, i, i, i)
	}
	return b.String()
}

// WriteJob writes lines as a job file in a temporary folder of the test
// and returns its path.
func WriteJob(t testing.TB, table string, lines ...string) string {
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

// Column returns a nullable data column.
func Column(name string, typ schema.DataType) *schema.Column {
	return &schema.Column{Name: name, Type: typ, Nullable: true}
}

// SystemColumn returns a text system column such as _rl_id.
func SystemColumn(name string) *schema.Column {
	return &schema.Column{Name: name, Type: schema.Text, System: true}
}

// TreeSchema returns a schema "ashby" with a root table "candidates"
// with the given write disposition and primary key "id", a child table
// "candidates__emails" and a grandchild "candidates__emails__tags".
func TreeSchema(wd schema.WriteDisposition) *schema.Schema {
	id := Column("id", schema.Text)
	id.PrimaryKey = true
	id.Nullable = false
	root := &schema.Table{
		Name: "candidates", Resource: "candidates", WriteDisposition: wd,
		Columns: []*schema.Column{
			SystemColumn(schema.ColumnID), SystemColumn(schema.ColumnLoadID),
			id, Column("name", schema.Text),
		},
	}
	childCols := func(extra ...*schema.Column) []*schema.Column {
		return append([]*schema.Column{
			SystemColumn(schema.ColumnID), SystemColumn(schema.ColumnParentID), SystemColumn(schema.ColumnRootID),
			{Name: schema.ColumnListIndex, Type: schema.BigInt, System: true},
		}, extra...)
	}
	emails := &schema.Table{Name: "candidates__emails", Parent: "candidates", WriteDisposition: wd,
		Columns: childCols(Column("value", schema.Text))}
	tags := &schema.Table{Name: "candidates__emails__tags", Parent: "candidates__emails", WriteDisposition: wd,
		Columns: childCols(Column("value", schema.Text))}
	return &schema.Schema{Name: "ashby", Version: 1, Tables: []*schema.Table{root, emails, tags}}
}

// Candidate is an object of the tree schema: emails, each with tags.
type Candidate struct {
	ID, Name string
	// Emails lists the email addresses in list order.
	Emails []string
	// Tags are the tags of each email address.
	Tags map[string][]string
}

// NewCandidate returns a candidate with emails written "addr:tag1,tag2".
func NewCandidate(id, name string, emails ...string) Candidate {
	c := Candidate{ID: id, Name: name, Tags: map[string][]string{}}
	for _, e := range emails {
		addr, tags, _ := strings.Cut(e, ":")
		var list []string
		if tags != "" {
			list = strings.Split(tags, ",")
		}
		c.Tags[addr] = list
		c.Emails = append(c.Emails, addr)
	}
	return c
}

// TreeJobs writes the candidates as job files of the tree schema, one
// per table, the way the normalizer would, with row ids unique to the
// package.
func TreeJobs(t testing.TB, loadID string, cands ...Candidate) []destination.Job {
	t.Helper()
	var roots, emails, tags []string
	for seq, c := range cands {
		rootID := fmt.Sprintf("%s/%s/%d", loadID, c.ID, seq)
		roots = append(roots, fmt.Sprintf(`{"_rl_id":%q,"_rl_load_id":%q,"id":%q,"name":%q,"_rl_seq":%d}`,
			rootID, loadID, c.ID, c.Name, seq))
		for i, e := range c.Emails {
			emailID := fmt.Sprintf("%s/e%d", rootID, i)
			emails = append(emails, fmt.Sprintf(
				`{"_rl_id":%q,"_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
				emailID, rootID, rootID, i, e))
			for j, tag := range c.Tags[e] {
				tags = append(tags, fmt.Sprintf(
					`{"_rl_id":"%s/t%d","_rl_parent_id":%q,"_rl_root_id":%q,"_rl_list_idx":%d,"value":%q}`,
					emailID, j, emailID, rootID, j, tag))
			}
		}
	}
	return []destination.Job{
		{Table: "candidates", Path: WriteJob(t, "candidates", roots...)},
		{Table: "candidates__emails", Path: WriteJob(t, "candidates__emails", emails...)},
		{Table: "candidates__emails__tags", Path: WriteJob(t, "candidates__emails__tags", tags...)},
	}
}

// TreePackage returns a package of the tree schema with the candidates
// as its rows.
func TreePackage(t testing.TB, loadID string, wd schema.WriteDisposition, cands ...Candidate) *destination.Package {
	t.Helper()
	return &destination.Package{
		LoadID: loadID, PipelineName: Pipeline, Dataset: Dataset,
		Schema: TreeSchema(wd), Jobs: TreeJobs(t, loadID, cands...),
		Tables: []string{"candidates"},
	}
}

// TypesSchema returns a schema with one append table "values" that has a
// column of every data type.
func TypesSchema() *schema.Schema {
	return &schema.Schema{Name: "types", Tables: []*schema.Table{{
		Name: "values", WriteDisposition: schema.Append,
		Columns: []*schema.Column{
			SystemColumn(schema.ColumnID),
			SystemColumn(schema.ColumnLoadID),
			Column("n", schema.BigInt),
			Column("txt", schema.Text),
			Column("big", schema.BigInt),
			Column("dbl", schema.Double),
			Column("dec", schema.Decimal),
			Column("ok", schema.Bool),
			Column("ts", schema.Timestamp),
			Column("day", schema.Date),
			Column("doc", schema.JSON),
			Column("bin", schema.Binary),
		},
	}}}
}

// TypesRows returns job lines of TypesSchema with values at the edges of
// every type; column n numbers them 1 to 4.
func TypesRows() []string {
	return []string{
		`{"_rl_id":"r1","n":1,"txt":"héllo \"quoted\" \u00e9","big":9223372036854775807,"dbl":0.1,` +
			`"dec":12345678901234567890123456789.123456789,"ok":true,"ts":"2024-05-06T07:08:09.123Z",` +
			`"day":"2024-02-29","doc":{"a":[1,2.50,{"b":null}],"x":1234567890.123456789},"bin":"AAEC/w==","_rl_seq":0}`,
		`{"_rl_id":"r2","n":2,"big":-9223372036854775808,"dbl":-1.5e300,"dec":-0.000000001,"ok":false,` +
			`"ts":"1999-12-31T23:59:59.999Z","doc":"text","_rl_seq":1}`,
		`{"_rl_id":"r3","n":3,"big":4.0E2,"dec":1e3,"ts":"2024-05-06T07:08:09+02:00","doc":12.50,"_rl_seq":2}`,
		`{"_rl_id":"r4","n":4,"dec":0.0000000005,"doc":[],"_rl_seq":3}`,
	}
}
