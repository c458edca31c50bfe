package duckdb

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// treeCounts returns the row counts of the three tables of the tree
// schema.
func treeCounts(t *testing.T, c *Client) [3]int64 {
	t.Helper()
	return [3]int64{
		count(t, c.DB(), "candidates"),
		count(t, c.DB(), "candidates__emails"),
		count(t, c.DB(), "candidates__emails__tags"),
	}
}

// contents returns one line per candidate: name, then each email with its
// tags, by joining the three tables on the parent ids.
func contents(t *testing.T, c *Client) []string {
	t.Helper()
	q := `SELECT r.id || '=' || r.name || coalesce(' ' || (
		SELECT string_agg(e.value || coalesce('[' || (
			SELECT string_agg(g.value, ',' ORDER BY g._rl_list_idx)
			FROM ` + qualified(testDataset, "candidates__emails__tags") + ` g
			WHERE g._rl_parent_id = e._rl_id) || ']', ''), ' ' ORDER BY e._rl_list_idx)
		FROM ` + qualified(testDataset, "candidates__emails") + ` e
		WHERE e._rl_parent_id = r._rl_id), '')
		FROM ` + qualified(testDataset, "candidates") + ` r ORDER BY r.id, r.name`
	return queryStrings(t, c.DB(), q)
}

func TestReplace(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, treePackage(t, "1", schema.Replace,
		newCandidate("a", "Ann", "a@x:t1,t2"), newCandidate("b", "Bob", "b@x:t3")))
	// Until the commit, other connections see the old rows.
	var during []string
	c.beforeCommit = func() { during = contents(t, c) }
	mustLoad(t, c, treePackage(t, "2", schema.Replace, newCandidate("c", "Cid", "c@x:t4")))
	c.beforeCommit = nil
	if want := []string{"a=Ann a@x[t1,t2]", "b=Bob b@x[t3]"}; !reflect.DeepEqual(during, want) {
		t.Errorf("before commit: %q, want %q", during, want)
	}
	if got, want := contents(t, c), []string{"c=Cid c@x[t4]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after replace: %q, want %q", got, want)
	}

	// A package that covers the table but has no rows empties it.
	empty := &destination.Package{
		LoadID: "3", Dataset: testDataset, Schema: treeSchema(schema.Replace), Tables: []string{"candidates"},
	}
	mustLoad(t, c, empty)
	if got := treeCounts(t, c); got != [3]int64{} {
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
	if got, want := contents(t, c), []string{"b=Bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("candidates = %q, want %q", got, want)
	}
}

func TestMerge(t *testing.T) {
	c := openTest(t)
	ann := newCandidate("a", "Ann", "a@x:t1,t2", "a@y:t3")
	bob := newCandidate("b", "Bob", "b@x:t4")
	cid := newCandidate("c", "Cid")

	mustLoad(t, c, treePackage(t, "1", schema.Merge, ann, bob, cid))
	first := treeCounts(t, c)
	if want := [3]int64{3, 3, 4}; first != want {
		t.Fatalf("counts after first load = %v, want %v", first, want)
	}

	mustLoad(t, c, treePackage(t, "2", schema.Merge, ann, bob, cid))
	if got := treeCounts(t, c); got != first {
		t.Errorf("counts after loading the same objects again = %v, want %v", got, first)
	}

	// Ann lost an email and a tag, and Dan is new. Bob and Cid are not in
	// the package, so they stay as they are.
	ann2 := newCandidate("a", "Ann B.", "a@y:t3,t5")
	dan := newCandidate("d", "Dan", "d@x")
	mustLoad(t, c, treePackage(t, "3", schema.Merge, ann2, dan))
	want := []string{"a=Ann B. a@y[t3,t5]", "b=Bob b@x[t4]", "c=Cid", "d=Dan d@x"}
	if got := contents(t, c); !reflect.DeepEqual(got, want) {
		t.Errorf("after changes: %q, want %q", got, want)
	}
	if got, want := treeCounts(t, c), [3]int64{4, 3, 3}; got != want {
		t.Errorf("counts after changes = %v, want %v", got, want)
	}
	// No child row may point at a root row that is gone.
	orphans := queryStrings(t, c.DB(), `SELECT count(*)::VARCHAR FROM `+qualified(testDataset, "candidates__emails__tags")+
		` WHERE _rl_root_id NOT IN (SELECT _rl_id FROM `+qualified(testDataset, "candidates")+`)`)
	if orphans[0] != "0" {
		t.Errorf("orphaned tags = %s, want 0", orphans[0])
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
	if got := contents(t, c); !reflect.DeepEqual(got, want) {
		t.Errorf("after dedup: %q, want %q", got, want)
	}
	if got, want := treeCounts(t, c), [3]int64{2, 3, 2}; got != want {
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
	if got, want := treeCounts(t, c), [3]int64{2, 2, 0}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}
}

func TestMergeRejectsNullKey(t *testing.T) {
	c := openTest(t)
	p := treePackage(t, "1", schema.Merge, newCandidate("a", "Ann"))
	p.Jobs[0].Path = writeJob(t, "candidates", `{"_rl_id":"r","name":"Nobody","_rl_seq":0}`)
	err := c.Load(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "no value in primary key") {
		t.Errorf("Load = %v, want a primary key error", err)
	}
}

func reverseLines(t *testing.T, path string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, path)), "\n")
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	writeFile(t, path, strings.Join(lines, "\n")+"\n")
}

func rewriteJob(t *testing.T, path, old, new string) {
	t.Helper()
	s := readFile(t, path)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not contain %s", path, old)
	}
	writeFile(t, path, strings.Replace(s, old, new, 1))
}
