package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

func TestReplace(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, conformance.TreePackage(t, "1", schema.Replace,
		conformance.NewCandidate("a", "Ann", "a@x:t1,t2"), conformance.NewCandidate("b", "Bob", "b@x:t3")))
	// Until the commit, other connections see the old rows.
	var during []string
	postgres.SetBeforeCommit(c, func() { during = contents(t, c.DB()) })
	mustLoad(t, c, conformance.TreePackage(t, "2", schema.Replace, conformance.NewCandidate("c", "Cid", "c@x:t4")))
	postgres.SetBeforeCommit(c, nil)
	if want := []string{"a=Ann a@x[t1,t2]", "b=Bob b@x[t3]"}; !reflect.DeepEqual(during, want) {
		t.Errorf("before commit: %q, want %q", during, want)
	}
	if got, want := contents(t, c.DB()), []string{"c=Cid c@x[t4]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after replace: %q, want %q", got, want)
	}

	// A package that covers the table but has no rows empties it.
	empty := &destination.Package{
		LoadID: "3", Dataset: conformance.Dataset, Schema: conformance.TreeSchema(schema.Replace), Tables: []string{"candidates"},
	}
	mustLoad(t, c, empty)
	if got := treeCounts(t, c.DB()); got != [3]int64{} {
		t.Errorf("counts after an empty replace = %v, want zeros", got)
	}
}

func TestReplaceOnlyListedTables(t *testing.T) {
	c := openTest(t)
	s := conformance.TreeSchema(schema.Replace)
	s.Tables = append(s.Tables, &schema.Table{
		Name: "jobs", WriteDisposition: schema.Replace,
		Columns: []*schema.Column{conformance.SystemColumn(schema.ColumnID), conformance.Column("title", schema.Text)},
	})
	p := conformance.TreePackage(t, "1", schema.Replace, conformance.NewCandidate("a", "Ann"))
	p.Schema = s
	p.Tables = []string{"candidates", "jobs"}
	p.Jobs = append(p.Jobs, destination.Job{Table: "jobs", Path: conformance.WriteJob(t, "jobs", `{"_rl_id":"j","title":"T"}`)})
	mustLoad(t, c, p)

	p2 := conformance.TreePackage(t, "2", schema.Replace, conformance.NewCandidate("b", "Bob"))
	p2.Schema = s
	mustLoad(t, c, p2)
	if n := count(t, c.DB(), "jobs"); n != 1 {
		t.Errorf("jobs = %d after a package that does not cover it, want 1", n)
	}
	if got, want := contents(t, c.DB()), []string{"b=Bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("candidates = %q, want %q", got, want)
	}
}

func TestMerge(t *testing.T) {
	c := openTest(t)
	ann := conformance.NewCandidate("a", "Ann", "a@x:t1,t2", "a@y:t3")
	bob := conformance.NewCandidate("b", "Bob", "b@x:t4")
	cid := conformance.NewCandidate("c", "Cid")

	mustLoad(t, c, conformance.TreePackage(t, "1", schema.Merge, ann, bob, cid))
	first := treeCounts(t, c.DB())
	if want := [3]int64{3, 3, 4}; first != want {
		t.Fatalf("counts after first load = %v, want %v", first, want)
	}

	mustLoad(t, c, conformance.TreePackage(t, "2", schema.Merge, ann, bob, cid))
	if got := treeCounts(t, c.DB()); got != first {
		t.Errorf("counts after loading the same objects again = %v, want %v", got, first)
	}

	// Ann lost an email and a tag, and Dan is new. Bob and Cid are not in
	// the package, so they stay as they are.
	ann2 := conformance.NewCandidate("a", "Ann B.", "a@y:t3,t5")
	dan := conformance.NewCandidate("d", "Dan", "d@x")
	mustLoad(t, c, conformance.TreePackage(t, "3", schema.Merge, ann2, dan))
	want := []string{"a=Ann B. a@y[t3,t5]", "b=Bob b@x[t4]", "c=Cid", "d=Dan d@x"}
	if got := contents(t, c.DB()); !reflect.DeepEqual(got, want) {
		t.Errorf("after changes: %q, want %q", got, want)
	}
	if got, want := treeCounts(t, c.DB()), [3]int64{4, 3, 3}; got != want {
		t.Errorf("counts after changes = %v, want %v", got, want)
	}
	// No child row may point at a root row that is gone.
	orphans := queryStrings(t, c.DB(), `SELECT count(*)::text FROM `+qualified(conformance.Dataset, "candidates__emails__tags")+
		` WHERE _rl_root_id NOT IN (SELECT _rl_id FROM `+qualified(conformance.Dataset, "candidates")+`)`)
	if orphans[0] != "0" {
		t.Errorf("orphaned tags = %s, want 0", orphans[0])
	}
	// Merge trees get indexes on the columns that loads look rows up by.
	indexes := queryStrings(t, c.DB(), `SELECT tablename || ':' || indexdef FROM pg_indexes
		WHERE schemaname = $1 AND tablename LIKE 'candidates%' ORDER BY 1`, conformance.Dataset)
	if len(indexes) != 3 {
		t.Errorf("indexes = %q, want one per table of the tree", indexes)
	}
}

func TestMergeDedupBySeq(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, conformance.TreePackage(t, "1", schema.Merge, conformance.NewCandidate("a", "Ann", "old@x:t0")))

	// The package contains Ann three times. The row with the highest
	// _rl_seq wins, with its child rows only, wherever it is in the file.
	p := conformance.TreePackage(t, "2", schema.Merge,
		conformance.NewCandidate("a", "Ann 1", "a1@x:t1"),
		conformance.NewCandidate("b", "Bob", "b@x"),
		conformance.NewCandidate("a", "Ann 3", "a3@x:t3,t4", "a3@y"),
		conformance.NewCandidate("a", "Ann 2", "a2@x:t2"))
	// Reverse the root rows in the file: the order of lines must not
	// matter, only _rl_seq.
	reverseLines(t, p.Jobs[0].Path)
	// Give the third Ann the highest sequence number.
	rewriteJob(t, p.Jobs[0].Path, `"name":"Ann 3","_rl_seq":2`, `"name":"Ann 3","_rl_seq":9`)
	mustLoad(t, c, p)

	want := []string{"a=Ann 3 a3@x[t3,t4] a3@y", "b=Bob b@x"}
	if got := contents(t, c.DB()); !reflect.DeepEqual(got, want) {
		t.Errorf("after dedup: %q, want %q", got, want)
	}
	if got, want := treeCounts(t, c.DB()), [3]int64{2, 3, 2}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

func TestMergeCompositeKey(t *testing.T) {
	c := openTest(t)
	s := &schema.Schema{Name: "k", Tables: []*schema.Table{{
		Name: "fields", WriteDisposition: schema.Merge,
		Columns: []*schema.Column{
			conformance.SystemColumn(schema.ColumnID),
			{Name: "object", Type: schema.Text, PrimaryKey: true},
			{Name: "key", Type: schema.BigInt, PrimaryKey: true},
			conformance.Column("value", schema.Text),
		},
	}}}
	load := func(id string, lines ...string) {
		mustLoad(t, c, &destination.Package{LoadID: id, Dataset: conformance.Dataset, Schema: s, Tables: []string{"fields"},
			Jobs: []destination.Job{{Table: "fields", Path: conformance.WriteJob(t, "fields", lines...)}}})
	}
	load("1", `{"_rl_id":"1","object":"o","key":1,"value":"a","_rl_seq":0}`,
		`{"_rl_id":"2","object":"o","key":2,"value":"b","_rl_seq":1}`)
	load("2", `{"_rl_id":"3","object":"o","key":2,"value":"B","_rl_seq":0}`,
		`{"_rl_id":"4","object":"p","key":1,"value":"c","_rl_seq":1}`)
	got := queryStrings(t, c.DB(), `SELECT object || key || value FROM `+qualified(conformance.Dataset, "fields")+` ORDER BY 1`)
	if want := []string{"o1a", "o2B", "p1c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestMergeWithoutKeyAppends(t *testing.T) {
	c := openTest(t)
	p := func(id string) *destination.Package {
		p := conformance.TreePackage(t, id, schema.Merge, conformance.NewCandidate("a", "Ann", "a@x"))
		p.Schema.Tables[0].Column("id").PrimaryKey = false
		return p
	}
	mustLoad(t, c, p("1"))
	mustLoad(t, c, p("2"))
	if got, want := treeCounts(t, c.DB()), [3]int64{2, 2, 0}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

func TestMergeRejectsNullKey(t *testing.T) {
	c := openTest(t)
	p := conformance.TreePackage(t, "1", schema.Merge, conformance.NewCandidate("a", "Ann"))
	p.Jobs[0].Path = conformance.WriteJob(t, "candidates", `{"_rl_id":"r","name":"Nobody","_rl_seq":0}`)
	err := c.Load(context.Background(), p)
	assertContains(t, err, "no value in primary key")
}

func TestDropRolledBack(t *testing.T) {
	c := openTest(t)
	ps := &conformance.Sequence{Schema: schema.New("drop")}
	mustLoad(t, c, ps.Next(t, conformance.Items{Hints: conformance.JobsHints(schema.Merge, ""), Lines: conformance.MergeSteps()[0]}))
	p := ps.Next(t, conformance.Items{Hints: schema.Hints{Table: "users"}, Lines: `{"id":"u1"}`})
	p.Drop = []string{"jobs__locations__rooms", "jobs__locations", "jobs"}
	rewriteJob(t, p.Jobs[0].Path, `"id":"u1"`, `"id":"u1","unknown":1`)
	if err := c.Load(context.Background(), p); err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	if n := count(t, c.DB(), "jobs"); n != 3 {
		t.Errorf("jobs = %d after a failed load with drops, want 3", n)
	}
}

func TestContractKeptTableOut(t *testing.T) {
	c := openTest(t)
	ps := &conformance.Sequence{Schema: schema.New("golden")}
	h := schema.Hints{Table: "jobs", Contract: schema.Contract{Tables: schema.DiscardRow}}
	p := ps.Next(t, conformance.Items{Hints: h, Lines: `{"id":"j1"}`})
	if p.Schema.Table("jobs") != nil {
		t.Fatal("the contract let the table be created")
	}
	// The package lists a table that its schema lacks; the load skips it.
	mustLoad(t, c, p)
	if tableExists(t, c.DB(), "jobs") {
		t.Error("table jobs exists")
	}
	if ok, err := c.HasLoad(context.Background(), conformance.Dataset, p.LoadID); err != nil || !ok {
		t.Errorf("HasLoad = %v, %v; want true", ok, err)
	}
}
