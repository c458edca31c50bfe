package postgres_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

func TestAppend(t *testing.T) {
	c := openTest(t)
	ann := newCandidate("a", "Ann", "a@x:t1,t2", "a@y")
	mustLoad(t, c, treePackage(t, "1", schema.Append, ann))
	mustLoad(t, c, treePackage(t, "2", schema.Append, ann))
	if got, want := treeCounts(t, c.DB()), [3]int64{2, 4, 4}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}
	ids := queryStrings(t, c.DB(), `SELECT _rl_load_id FROM `+qualified(testDataset, "candidates")+` ORDER BY 1`)
	if want := []string{"1", "2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("_rl_load_id = %v, want %v", ids, want)
	}
}

func TestReplace(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, treePackage(t, "1", schema.Replace,
		newCandidate("a", "Ann", "a@x:t1,t2"), newCandidate("b", "Bob", "b@x:t3")))
	// Until the commit, other connections see the old rows.
	var during []string
	postgres.SetBeforeCommit(c, func() { during = contents(t, c.DB()) })
	mustLoad(t, c, treePackage(t, "2", schema.Replace, newCandidate("c", "Cid", "c@x:t4")))
	postgres.SetBeforeCommit(c, nil)
	if want := []string{"a=Ann a@x[t1,t2]", "b=Bob b@x[t3]"}; !reflect.DeepEqual(during, want) {
		t.Errorf("before commit: %q, want %q", during, want)
	}
	if got, want := contents(t, c.DB()), []string{"c=Cid c@x[t4]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after replace: %q, want %q", got, want)
	}

	// A package that covers the table but has no rows empties it.
	empty := &destination.Package{
		LoadID: "3", Dataset: testDataset, Schema: treeSchema(schema.Replace), Tables: []string{"candidates"},
	}
	mustLoad(t, c, empty)
	if got := treeCounts(t, c.DB()); got != [3]int64{} {
		t.Errorf("counts after an empty replace = %v, want zeros", got)
	}
}

func TestReplaceOnlyListedTables(t *testing.T) {
	c := openTest(t)
	s := treeSchema(schema.Replace)
	s.Tables = append(s.Tables, &schema.Table{
		Name: "jobs", WriteDisposition: schema.Replace,
		Columns: []*schema.Column{systemCol(schema.ColumnID), col("title", schema.Text)},
	})
	p := treePackage(t, "1", schema.Replace, newCandidate("a", "Ann"))
	p.Schema = s
	p.Tables = []string{"candidates", "jobs"}
	p.Jobs = append(p.Jobs, destination.Job{Table: "jobs", Path: writeJob(t, "jobs", `{"_rl_id":"j","title":"T"}`)})
	mustLoad(t, c, p)

	p2 := treePackage(t, "2", schema.Replace, newCandidate("b", "Bob"))
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
	ann := newCandidate("a", "Ann", "a@x:t1,t2", "a@y:t3")
	bob := newCandidate("b", "Bob", "b@x:t4")
	cid := newCandidate("c", "Cid")

	mustLoad(t, c, treePackage(t, "1", schema.Merge, ann, bob, cid))
	first := treeCounts(t, c.DB())
	if want := [3]int64{3, 3, 4}; first != want {
		t.Fatalf("counts after first load = %v, want %v", first, want)
	}

	mustLoad(t, c, treePackage(t, "2", schema.Merge, ann, bob, cid))
	if got := treeCounts(t, c.DB()); got != first {
		t.Errorf("counts after loading the same objects again = %v, want %v", got, first)
	}

	// Ann lost an email and a tag, and Dan is new. Bob and Cid are not in
	// the package, so they stay as they are.
	ann2 := newCandidate("a", "Ann B.", "a@y:t3,t5")
	dan := newCandidate("d", "Dan", "d@x")
	mustLoad(t, c, treePackage(t, "3", schema.Merge, ann2, dan))
	want := []string{"a=Ann B. a@y[t3,t5]", "b=Bob b@x[t4]", "c=Cid", "d=Dan d@x"}
	if got := contents(t, c.DB()); !reflect.DeepEqual(got, want) {
		t.Errorf("after changes: %q, want %q", got, want)
	}
	if got, want := treeCounts(t, c.DB()), [3]int64{4, 3, 3}; got != want {
		t.Errorf("counts after changes = %v, want %v", got, want)
	}
	// No child row may point at a root row that is gone.
	orphans := queryStrings(t, c.DB(), `SELECT count(*)::text FROM `+qualified(testDataset, "candidates__emails__tags")+
		` WHERE _rl_root_id NOT IN (SELECT _rl_id FROM `+qualified(testDataset, "candidates")+`)`)
	if orphans[0] != "0" {
		t.Errorf("orphaned tags = %s, want 0", orphans[0])
	}
	// Merge trees get indexes on the columns that loads look rows up by.
	indexes := queryStrings(t, c.DB(), `SELECT tablename || ':' || indexdef FROM pg_indexes
		WHERE schemaname = $1 AND tablename LIKE 'candidates%' ORDER BY 1`, testDataset)
	if len(indexes) != 3 {
		t.Errorf("indexes = %q, want one per table of the tree", indexes)
	}
}

func TestMergeDedupBySeq(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, treePackage(t, "1", schema.Merge, newCandidate("a", "Ann", "old@x:t0")))

	// The package contains Ann three times. The row with the highest
	// _rl_seq wins, with its child rows only, wherever it is in the file.
	p := treePackage(t, "2", schema.Merge,
		newCandidate("a", "Ann 1", "a1@x:t1"),
		newCandidate("b", "Bob", "b@x"),
		newCandidate("a", "Ann 3", "a3@x:t3,t4", "a3@y"),
		newCandidate("a", "Ann 2", "a2@x:t2"))
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
			systemCol(schema.ColumnID),
			{Name: "object", Type: schema.Text, PrimaryKey: true},
			{Name: "key", Type: schema.BigInt, PrimaryKey: true},
			col("value", schema.Text),
		},
	}}}
	load := func(id string, lines ...string) {
		mustLoad(t, c, &destination.Package{LoadID: id, Dataset: testDataset, Schema: s, Tables: []string{"fields"},
			Jobs: []destination.Job{{Table: "fields", Path: writeJob(t, "fields", lines...)}}})
	}
	load("1", `{"_rl_id":"1","object":"o","key":1,"value":"a","_rl_seq":0}`,
		`{"_rl_id":"2","object":"o","key":2,"value":"b","_rl_seq":1}`)
	load("2", `{"_rl_id":"3","object":"o","key":2,"value":"B","_rl_seq":0}`,
		`{"_rl_id":"4","object":"p","key":1,"value":"c","_rl_seq":1}`)
	got := queryStrings(t, c.DB(), `SELECT object || key || value FROM `+qualified(testDataset, "fields")+` ORDER BY 1`)
	if want := []string{"o1a", "o2B", "p1c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestMergeWithoutKeyAppends(t *testing.T) {
	c := openTest(t)
	p := func(id string) *destination.Package {
		p := treePackage(t, id, schema.Merge, newCandidate("a", "Ann", "a@x"))
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
	p := treePackage(t, "1", schema.Merge, newCandidate("a", "Ann"))
	p.Jobs[0].Path = writeJob(t, "candidates", `{"_rl_id":"r","name":"Nobody","_rl_seq":0}`)
	err := c.Load(context.Background(), p)
	assertContains(t, err, "no value in primary key")
}

func TestDrop(t *testing.T) {
	c := openTest(t)
	ps := &packageSeq{s: schema.New("drop")}
	mustLoad(t, c, ps.next(t, items{jobsMerge, mergeSteps[0]}))
	p := ps.next(t, items{schema.Hints{Table: "users"}, `{"id":"u1"}`})
	// The resource jobs is gone: the package drops its tables, children
	// first, and loads the other resource in the same transaction.
	p.Drop = []string{"jobs__locations__rooms", "jobs__locations", "jobs"}
	p.Schema.Tables = slices.DeleteFunc(p.Schema.Tables, func(t *schema.Table) bool {
		return strings.HasPrefix(t.Name, "jobs")
	})
	ps.s = p.Schema
	mustLoad(t, c, p)
	for _, name := range p.Drop {
		if tableExists(t, c.DB(), name) {
			t.Errorf("table %s exists after the drop", name)
		}
	}
	if n := count(t, c.DB(), "users"); n != 1 {
		t.Errorf("users = %d, want 1", n)
	}

	// Dropping tables that do not exist is no error.
	p = ps.next(t, items{schema.Hints{Table: "users"}, `{"id":"u2"}`})
	p.Drop = []string{"jobs"}
	mustLoad(t, c, p)
}

func TestDropRolledBack(t *testing.T) {
	c := openTest(t)
	ps := &packageSeq{s: schema.New("drop")}
	mustLoad(t, c, ps.next(t, items{jobsMerge, mergeSteps[0]}))
	p := ps.next(t, items{schema.Hints{Table: "users"}, `{"id":"u1"}`})
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
	ps := &packageSeq{s: schema.New("golden")}
	h := schema.Hints{Table: "jobs", Contract: schema.Contract{Tables: schema.DiscardRow}}
	p := ps.next(t, items{h, `{"id":"j1"}`})
	if p.Schema.Table("jobs") != nil {
		t.Fatal("the contract let the table be created")
	}
	// The package lists a table that its schema lacks; the load skips it.
	mustLoad(t, c, p)
	if tableExists(t, c.DB(), "jobs") {
		t.Error("table jobs exists")
	}
	if ok, err := c.HasLoad(context.Background(), testDataset, p.LoadID); err != nil || !ok {
		t.Errorf("HasLoad = %v, %v; want true", ok, err)
	}
}
