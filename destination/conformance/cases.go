package conformance

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// testTypes loads a value of every type at its edges and reads it back.
func testTypes(t *testing.T, h Harness) {
	d := h.open(t)
	s := TypesSchema()
	p := &destination.Package{
		LoadID: "1", PipelineName: Pipeline, Dataset: Dataset, Schema: s, Tables: []string{"values"},
		Jobs: []destination.Job{{Table: "values", Path: WriteJob(t, "values", TypesRows()...)}},
	}
	load(t, d, p)

	tab := s.Table("values")
	var exprs []string
	var types []schema.DataType
	for _, col := range tab.Columns[1:] {
		exprs = append(exprs, selectExpr(col))
		types = append(types, col.Type)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + qualified("values") + " ORDER BY n"
	got := h.read(t, d, s).query(q, types...)
	// The columns are _rl_load_id, which the load fills in because the
	// file lacks it, then n, txt, big, dbl, dec, ok, ts, day, doc, bin.
	want := []string{
		`1|1|héllo "quoted" é|9223372036854775807|0.1|12345678901234567890123456789.123456789|true|` +
			`2024-05-06T07:08:09.123000Z|2024-02-29|{"a":[1,2.50,{"b":null}],"x":1234567890.123456789}|000102FF`,
		`1|2|<null>|-9223372036854775808|-1.5e+300|-0.000000001|false|1999-12-31T23:59:59.999000Z|<null>|"text"|<null>`,
		`1|3|<null>|400|<null>|1000.000000000|<null>|2024-05-06T05:08:09.000000Z|<null>|12.50|<null>`,
		`1|4|<null>|<null>|<null>|0.000000001|<null>|<null>|<null>|[]|<null>`,
	}
	assertRows(t, "values", got, want)
}

// testEvolution loads packages whose schema grows: a new column, a
// variant column for a value of a new type, and a new child table.
func testEvolution(t *testing.T, h Harness) {
	d := h.open(t)
	seq := &Sequence{Schema: schema.New("evolve")}
	jobs := schema.Hints{Table: "jobs"}
	load(t, d, seq.Next(t, Items{jobs, `{"id":1,"size":10}`}))

	p := seq.Next(t, Items{jobs, `{"id":2,"size":"large","added":true,"tags":["a","b"]}`})
	var variant string
	for _, col := range p.Schema.Table("jobs").Columns {
		if col.Variant {
			variant = col.Name
		}
	}
	if variant == "" {
		t.Fatal("the normalizer made no variant column for a text value in the bigint column size")
	}
	if p.Schema.Table("jobs__tags") == nil {
		t.Fatal("the normalizer made no child table jobs__tags")
	}
	load(t, d, p)
	p = seq.Next(t, Items{jobs, `{"id":3,"size":30}`})
	load(t, d, p)

	r := h.read(t, d, p.Schema)
	got := r.query("SELECT CAST(id AS VARCHAR), CAST(size AS VARCHAR), CAST(" + quote(variant) +
		" AS VARCHAR), CAST(added AS VARCHAR) FROM " + qualified("jobs") + " ORDER BY id")
	want := []string{"1|10|<null>|<null>", "2|<null>|large|true", "3|30|<null>|<null>"}
	assertRows(t, "jobs", got, want)

	got = r.query("SELECT CAST(t.value AS VARCHAR) || ' of ' || CAST(j.id AS VARCHAR) FROM " +
		qualified("jobs__tags") + " t JOIN " + qualified("jobs") + " j ON t._rl_parent_id = j._rl_id" +
		" ORDER BY t._rl_list_idx")
	assertRows(t, "jobs__tags joined to jobs", got, []string{"a of 2", "b of 2"})
}

// testSoftDelete loads complete and incomplete listings of a merge
// table that tracks deletes, with both merge strategies, and checks
// which rows carry _rl_deleted_at.
func testSoftDelete(t *testing.T, h Harness) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			d := h.open(t)
			hints := JobsHints(schema.Merge, strategy)
			hints.SoftDelete = true
			seq := &Sequence{Schema: schema.New("ashby")}
			// Package n is created on 2025-01-0n at 08:00 UTC, and a
			// delete is marked with the time of the package that found it.
			steps := []struct {
				lines    string
				complete bool
				deleted  []string // id|_rl_deleted_at
			}{
				{`{"id":1,"tags":["a"]}` + "\n" + `{"id":2}` + "\n" + `{"id":3}`, true, nil},
				// An incremental run lacks most objects: nothing is marked.
				{`{"id":2,"title":"x"}`, false, nil},
				// A full listing without 1 and 3 marks them.
				{`{"id":2}`, true, []string{"1|2025-01-03T08:00:00.000000Z", "3|2025-01-03T08:00:00.000000Z"}},
				// 3 comes back and is live again, while 1 keeps its first mark.
				{`{"id":2}` + "\n" + `{"id":3}`, true, []string{"1|2025-01-03T08:00:00.000000Z"}},
				// An empty full listing marks every live row.
				{"", true, []string{"1|2025-01-03T08:00:00.000000Z", "2|2025-01-05T08:00:00.000000Z",
					"3|2025-01-05T08:00:00.000000Z"}},
			}
			for i, st := range steps {
				p := seq.Next(t, Items{hints, st.lines})
				if st.complete {
					p.Complete = []string{"jobs"}
				}
				load(t, d, p)
				r := h.read(t, d, p.Schema)
				got := r.query("SELECT CAST(id AS VARCHAR), _rl_deleted_at FROM "+qualified("jobs")+
					" WHERE _rl_deleted_at IS NOT NULL ORDER BY id", schema.Text, schema.Timestamp)
				if !slices.Equal(got, st.deleted) {
					t.Fatalf("after load %d: deleted rows %q, want %q", i+1, got, st.deleted)
				}
				if n := r.count("jobs"); n != 3 {
					t.Fatalf("after load %d: %d rows, want 3 (deletes are marked, never removed)", i+1, n)
				}
				// The child rows of a deleted object stay.
				if n := r.count("jobs__tags"); n != 1 {
					t.Fatalf("after load %d: %d child rows, want 1", i+1, n)
				}
			}
		})
	}
}

// testDrop drops a table tree and a table that the same package loads
// again, then drops a table that no longer exists.
func testDrop(t *testing.T, h Harness) {
	d := h.open(t)
	seq := &Sequence{Schema: schema.New("drop")}
	users := schema.Hints{Table: "users"}
	load(t, d, seq.Next(t, Items{JobsHints(schema.Merge, ""), mergeFirst}, Items{users, `{"id":"u1"}`}))

	// The resource jobs is gone, so its tables are dropped, children
	// first. Users is dropped and loaded again in the same package.
	p := seq.Next(t, Items{users, `{"id":"u2"}`})
	p.Drop = []string{"jobs__locations__rooms", "jobs__locations", "jobs", "users"}
	p.Schema.Tables = slices.DeleteFunc(p.Schema.Tables, func(t *schema.Table) bool {
		return strings.HasPrefix(t.Name, "jobs")
	})
	seq.Schema = p.Schema
	load(t, d, p)
	r := h.read(t, d, p.Schema)
	for _, name := range r.tables() {
		if strings.HasPrefix(name, "jobs") {
			t.Errorf("table %s exists after the drop", name)
		}
	}
	assertRows(t, "users", r.query("SELECT id FROM "+qualified("users")), []string{"u2"})

	// Dropping a table that does not exist is no error.
	p = seq.Next(t, Items{users, `{"id":"u3"}`})
	p.Drop = []string{"jobs"}
	load(t, d, p)
	got := h.read(t, d, p.Schema).query("SELECT id FROM " + qualified("users") + " ORDER BY id")
	assertRows(t, "users", got, []string{"u2", "u3"})
}

// testStateAndSchema checks State, Schema, HasLoad and the load records
// before and after loads.
func testStateAndSchema(t *testing.T, h Harness) {
	ctx := context.Background()
	d := h.open(t)
	if st, err := d.State(ctx, Dataset, Pipeline); err != nil || st != nil {
		t.Fatalf("State before any load = %+v, %v; want nil, nil", st, err)
	}
	if s, err := d.Schema(ctx, Dataset, "ashby"); err != nil || s != nil {
		t.Fatalf("Schema before any load = %+v, %v; want nil, nil", s, err)
	}
	if ok, err := d.HasLoad(ctx, Dataset, "1"); err != nil || ok {
		t.Fatalf("HasLoad before any load = %v, %v; want false, nil", ok, err)
	}

	created := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	states := []string{`{"sync_token":"tok-1"}`, `{"sync_token":"tok-2", "nested":{"n":12345678901234567890}}`}
	for i, s := range states {
		p := TreePackage(t, []string{"1", "2"}[i], schema.Merge, NewCandidate("a", "Ann", "a@x:t1"))
		p.State = json.RawMessage(s)
		p.CreatedAt = created.Add(time.Duration(i) * time.Hour)
		load(t, d, p)
	}
	// A package without state leaves the stored state as it is; its
	// schema is a new version.
	last := TreePackage(t, "3", schema.Merge, NewCandidate("b", "Bob"))
	last.Schema.Version = 2
	last.Schema.Tables[0].Columns = append(last.Schema.Tables[0].Columns, Column("phone", schema.Text))
	last.CreatedAt = created.Add(2 * time.Hour)
	load(t, d, last)

	st, err := d.State(ctx, Dataset, Pipeline)
	if err != nil || st == nil {
		t.Fatalf("State = %+v, %v; want the state of load 2", st, err)
	}
	if st.Version != 2 {
		t.Errorf("state version = %d, want 2", st.Version)
	}
	// The text reads back byte for byte, spacing and big numbers included.
	if string(st.State) != states[1] {
		t.Errorf("state = %s, want %s", st.State, states[1])
	}
	if st.LoadID != "2" {
		t.Errorf("state load id = %q, want 2", st.LoadID)
	}
	if want := created.Add(time.Hour); !st.CreatedAt.Equal(want) {
		t.Errorf("state created at %v, want %v", st.CreatedAt, want)
	}
	if other, err := d.State(ctx, Dataset, "other_pipeline"); err != nil || other != nil {
		t.Errorf("State of another pipeline = %+v, %v; want nil, nil", other, err)
	}

	s, err := d.Schema(ctx, Dataset, "ashby")
	if err != nil || s == nil {
		t.Fatalf("Schema = %+v, %v; want the schema of load 3", s, err)
	}
	if s.Version != 2 || s.Hash() != last.Schema.Hash() {
		t.Errorf("stored schema has version %d and hash %s, want version 2 and hash %s",
			s.Version, s.Hash(), last.Schema.Hash())
	}
	if other, err := d.Schema(ctx, Dataset, "other_schema"); err != nil || other != nil {
		t.Errorf("Schema of another name = %+v, %v; want nil, nil", other, err)
	}

	for _, tt := range []struct {
		dataset, loadID string
		want            bool
	}{
		{Dataset, "1", true}, {Dataset, "3", true}, {Dataset, "4", false}, {"other_dataset", "1", false},
	} {
		if ok, err := d.HasLoad(ctx, tt.dataset, tt.loadID); err != nil || ok != tt.want {
			t.Errorf("HasLoad(%s, %s) = %v, %v; want %v", tt.dataset, tt.loadID, ok, err, tt.want)
		}
	}
	r := h.read(t, d, last.Schema)
	got := r.query("SELECT load_id FROM " + qualified(schema.TableLoads) + " ORDER BY load_id")
	assertRows(t, schema.TableLoads, got, []string{"1", "2", "3"})
	got = r.query("SELECT name FROM " + qualified("candidates") + " ORDER BY name")
	assertRows(t, "candidates", got, []string{"Ann", "Bob"})
}

// testSameLoadTwice loads a package with the load id of one already
// loaded: the destination rejects or skips it, and nothing changes.
func testSameLoadTwice(t *testing.T, h Harness) {
	d := h.open(t)
	first := TreePackage(t, "1", schema.Append, NewCandidate("a", "Ann", "a@x:t1"))
	first.State = json.RawMessage(`{"token":"one"}`)
	load(t, d, first)
	before := h.snapshot(t, d, first.Schema)

	again := TreePackage(t, "1", schema.Append, NewCandidate("b", "Bob", "b@x:t2"))
	again.State = json.RawMessage(`{"token":"two"}`)
	if err := d.Load(context.Background(), again); err != nil {
		t.Logf("the second load of id 1 was rejected: %v", err)
	}
	before.assertEqual(t, h.snapshot(t, d, first.Schema))
}

// testAtomicity loads a package that changes the schema and replaces
// every table but has one bad job. The load fails, and the tables, the
// state, the stored schema and the load records stay as they were.
func testAtomicity(t *testing.T, h Harness) {
	tests := []struct {
		name string
		// spoil makes the job of table users in p bad.
		spoil func(t *testing.T, p *destination.Package, job *destination.Job)
	}{
		{"WrongType", func(t *testing.T, p *destination.Package, job *destination.Job) {
			b, err := os.ReadFile(job.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"id":"u2"`) {
				t.Fatalf("job %s lacks the id u2: %s", job.Path, b)
			}
			// A number in the text column id.
			spoiled := strings.Replace(string(b), `"id":"u2"`, `"id":2`, 1)
			if err := os.WriteFile(job.Path, []byte(spoiled), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"MissingFile", func(t *testing.T, p *destination.Package, job *destination.Job) {
			job.Path = filepath.Join(t.TempDir(), "missing.jsonl")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := h.open(t)
			seq := &Sequence{Schema: schema.New("atomic")}
			jobs := schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}
			users := schema.Hints{Table: "users", WriteDisposition: schema.Replace}
			first := seq.Next(t, Items{jobs, mergeFirst}, Items{users, `{"id":"u1"}`})
			first.State = json.RawMessage(`{"token":"one"}`)
			load(t, d, first)
			before := h.snapshot(t, d, first.Schema)

			// The users job comes after those of jobs, so a destination
			// without atomic loads would have replaced jobs already.
			p := seq.Next(t,
				Items{jobs, `{"id":"j9","title":"New","salary":1.5,"locations":[{"city":"Rome"}],"skills":["go"]}`},
				Items{users, `{"id":"u2"}`})
			p.State = json.RawMessage(`{"token":"two"}`)
			i := slices.IndexFunc(p.Jobs, func(j destination.Job) bool { return j.Table == "users" })
			if i < 0 {
				t.Fatalf("package has no job for users: %+v", p.Jobs)
			}
			tt.spoil(t, p, &p.Jobs[i])
			if err := d.Load(context.Background(), p); err == nil {
				t.Fatal("a package with a bad job loaded without an error")
			}
			before.assertEqual(t, h.snapshot(t, d, first.Schema))
			if ok, err := d.HasLoad(context.Background(), Dataset, p.LoadID); err != nil || ok {
				t.Errorf("HasLoad of the failed load = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

// testShortenedName replaces a table whose name the normalizer
// shortened: the package lists the resource's own name, and the load
// must find the table by its resource.
func testShortenedName(t *testing.T, h Harness) {
	d := h.open(t)
	// A limit below the destination's own is always allowed, and makes
	// the normalizer shorten names for destinations without a limit.
	limit := destination.CapabilitiesOf(d).MaxIdentifierLength
	if limit == 0 || limit > 40 {
		limit = 40
	}
	hints := schema.Hints{
		Table:            "job_postings_of_every_department_in_every_office_around_the_world",
		WriteDisposition: schema.Replace,
	}
	seq := &Sequence{Schema: schema.New("short"), MaxIdentifierLength: limit}
	p := seq.Next(t, Items{hints, JobLines(2, "x")})
	if p.Schema.Table(hints.Table) != nil {
		t.Fatalf("the normalizer kept the table name %s with a limit of %d bytes", hints.Table, limit)
	}
	for _, tab := range p.Schema.Tables {
		if len(tab.Name) > limit {
			t.Fatalf("table name %s has %d bytes, more than %d", tab.Name, len(tab.Name), limit)
		}
	}
	root, child := p.Schema.Tables[0].Name, p.Schema.Tables[1].Name
	load(t, d, p)
	r := h.read(t, d, p.Schema)
	if n := r.count(root); n != 2 {
		t.Fatalf("%s has %d rows, want 2", root, n)
	}
	if n := r.count(child); n != 4 {
		t.Fatalf("%s has %d rows, want 4", child, n)
	}

	p = seq.Next(t, Items{hints, ``})
	load(t, d, p)
	r = h.read(t, d, p.Schema)
	if n := r.count(root); n != 0 {
		t.Errorf("%s has %d rows after an empty replace, want 0", root, n)
	}
	if n := r.count(child); n != 0 {
		t.Errorf("%s has %d rows after an empty replace, want 0", child, n)
	}
}

// snapshot is the part of a dataset that a failed or skipped load must
// leave unchanged.
type snapshot struct {
	tables []string
	rows   string
	loads  []string
	state  string
	schema string
}

// snapshot reads the tables of s with their rows, the load records, the
// stored state of Pipeline and the hash of the stored schema s.Name.
func (h Harness) snapshot(t *testing.T, d destination.Destination, s *schema.Schema) snapshot {
	t.Helper()
	ctx := context.Background()
	r := h.read(t, d, s)
	var rows strings.Builder
	r.dump(&rows)
	snap := snapshot{
		tables: r.tables(),
		rows:   rows.String(),
		loads:  r.query("SELECT load_id FROM " + qualified(schema.TableLoads) + " ORDER BY load_id"),
	}
	st, err := d.State(ctx, Dataset, Pipeline)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	if st != nil {
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		snap.state = string(b)
	}
	stored, err := d.Schema(ctx, Dataset, s.Name)
	if err != nil {
		t.Fatalf("read schema %s: %v", s.Name, err)
	}
	if stored != nil {
		snap.schema = stored.Hash()
	}
	return snap
}

func (s snapshot) assertEqual(t *testing.T, after snapshot) {
	t.Helper()
	if !slices.Equal(after.tables, s.tables) {
		t.Errorf("tables %q, want %q", after.tables, s.tables)
	}
	if after.rows != s.rows {
		t.Errorf("rows changed:\n%s\nwant\n%s", after.rows, s.rows)
	}
	if !slices.Equal(after.loads, s.loads) {
		t.Errorf("load records %q, want %q", after.loads, s.loads)
	}
	if after.state != s.state {
		t.Errorf("state %s, want %s", after.state, s.state)
	}
	if after.schema != s.schema {
		t.Errorf("stored schema hash %s, want %s", after.schema, s.schema)
	}
}

// assertRows compares the rows of a query, one line per row.
func assertRows(t *testing.T, label string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("rows of %s:\n got %q\nwant %q", label, got, want)
	}
}
