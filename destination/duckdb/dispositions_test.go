package duckdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

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
	jobsMerge   = schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
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
