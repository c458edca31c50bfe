package postgres_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

func TestSchemaStored(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()

	s, err := c.Schema(ctx, conformance.Dataset, "ashby")
	if err != nil || s != nil {
		t.Fatalf("Schema before any load = %v, %v; want nil, nil", s, err)
	}

	p := conformance.TreePackage(t, "1", schema.Merge, conformance.NewCandidate("a", "Ann"))
	mustLoad(t, c, p)
	mustLoad(t, c, conformance.TreePackage(t, "2", schema.Merge, conformance.NewCandidate("b", "Bob")))
	if n := count(t, c.DB(), schema.TableVersion); n != 1 {
		t.Errorf("schema versions after two loads of one schema = %d, want 1", n)
	}
	got, err := c.Schema(ctx, conformance.Dataset, "ashby")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p.Schema) {
		t.Errorf("Schema = %+v, want %+v", got, p.Schema)
	}

	p3 := conformance.TreePackage(t, "3", schema.Merge, conformance.NewCandidate("c", "Cid"))
	p3.Schema.Version = 2
	p3.Schema.Tables[0].Columns = append(p3.Schema.Tables[0].Columns, conformance.Column("phone", schema.Text))
	mustLoad(t, c, p3)
	if n := count(t, c.DB(), schema.TableVersion); n != 2 {
		t.Errorf("schema versions after a change = %d, want 2", n)
	}
	got, err = c.Schema(ctx, conformance.Dataset, "ashby")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Hash() != p3.Schema.Hash() {
		t.Errorf("Schema version %d hash %s, want version 2 hash %s", got.Version, got.Hash(), p3.Schema.Hash())
	}

	hashes := queryStrings(t, c.DB(), "SELECT schema_version_hash FROM "+
		qualified(conformance.Dataset, schema.TableLoads)+" ORDER BY load_id")
	want := []string{p.Schema.Hash(), p.Schema.Hash(), p3.Schema.Hash()}
	if !reflect.DeepEqual(hashes, want) {
		t.Errorf("schema_version_hash of loads = %v, want %v", hashes, want)
	}

	yaml, err := p3.Schema.YAML()
	if err != nil {
		t.Fatal(err)
	}
	stored := queryStrings(t, c.DB(), "SELECT schema_yaml FROM "+qualified(conformance.Dataset, schema.TableVersion)+
		" WHERE version = 2")
	if !reflect.DeepEqual(stored, []string{string(yaml)}) {
		t.Errorf("schema_yaml = %q, want %q", stored, yaml)
	}
}

func TestLoadTypes(t *testing.T) {
	c := openTest(t)
	mustLoad(t, c, &destination.Package{
		LoadID: "1", Dataset: conformance.Dataset, Schema: conformance.TypesSchema(),
		Jobs: []destination.Job{{Table: "values", Path: conformance.WriteJob(t, "values", conformance.TypesRows()...)}}, Tables: []string{"values"},
	})

	tests := []struct {
		expr string
		want []string
	}{
		{"txt", []string{`héllo "quoted" é`, "<null>", "<null>", "<null>"}},
		{"big::text", []string{"9223372036854775807", "-9223372036854775808", "400", "<null>"}},
		{"dbl::text", []string{"0.1", "-1.5e+300", "<null>", "<null>"}},
		{"dec::text", []string{"12345678901234567890123456789.123456789", "-0.000000001", "1000.000000000", "0.000000001"}},
		{"ok::text", []string{"true", "false", "<null>", "<null>"}},
		{`to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, []string{
			"2024-05-06T07:08:09.123Z", "1999-12-31T23:59:59.999Z", "2024-05-06T05:08:09.000Z", "<null>"}},
		{"(extract(epoch FROM ts) * 1000)::bigint::text", []string{"1714979289123", "946684799999", "1714972089000", "<null>"}},
		{"day::text", []string{"2024-02-29", "<null>", "<null>", "<null>"}},
		// jsonb keeps the numbers exact but rewrites the spacing.
		{"doc::text", []string{`{"a": [1, 2.50, {"b": null}], "x": 1234567890.123456789}`, `"text"`, "12.50", "[]"}},
		{"doc->'a'->>1", []string{"2.50", "<null>", "<null>", "<null>"}},
		{"encode(bin, 'hex')", []string{"000102ff", "<null>", "<null>", "<null>"}},
	}
	for _, tt := range tests {
		q := "SELECT " + tt.expr + " FROM " + qualified(conformance.Dataset, "values") + " ORDER BY n"
		got := queryStrings(t, c.DB(), q)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}

	var ts time.Time
	if err := c.DB().QueryRow("SELECT ts FROM " + qualified(conformance.Dataset, "values") + " WHERE n = 1").Scan(&ts); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC); !ts.Equal(want) {
		t.Errorf("ts = %v, want %v", ts, want)
	}
	types := queryStrings(t, c.DB(), `SELECT column_name || ' ' || data_type ||
		coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '')
		FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'values'
		AND column_name NOT IN ('n', 'big', 'dbl') ORDER BY ordinal_position`, conformance.Dataset)
	want := []string{"_rl_id text", "_rl_load_id text", "txt text", "dec numeric(38,9)", "ok boolean",
		"ts timestamp with time zone", "day date", "doc jsonb", "bin bytea"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("column types = %q, want %q", types, want)
	}
}

func TestLoadMigrates(t *testing.T) {
	c := openTest(t)
	s1 := &schema.Schema{Name: "m", Tables: []*schema.Table{{
		Name: "jobs", WriteDisposition: schema.Append,
		Columns: []*schema.Column{conformance.SystemColumn(schema.ColumnID), conformance.Column("title", schema.Text)},
	}}}
	mustLoad(t, c, &destination.Package{
		LoadID: "1", Dataset: conformance.Dataset, Schema: s1, Tables: []string{"jobs"},
		Jobs: []destination.Job{{Table: "jobs", Path: conformance.WriteJob(t, "jobs", `{"_rl_id":"j1","title":"Engineer"}`)}},
	})

	s2 := s1.Clone()
	s2.Tables[0].Columns = append(s2.Tables[0].Columns, conformance.Column("salary", schema.Decimal), conformance.Column("open", schema.Bool))
	s2.Tables = append(s2.Tables, &schema.Table{
		Name: "jobs__locations", Parent: "jobs", WriteDisposition: schema.Append,
		Columns: []*schema.Column{conformance.SystemColumn(schema.ColumnID), conformance.SystemColumn(schema.ColumnParentID), conformance.Column("city", schema.Text)},
	})
	mustLoad(t, c, &destination.Package{
		LoadID: "2", Dataset: conformance.Dataset, Schema: s2, Tables: []string{"jobs"},
		Jobs: []destination.Job{
			{Table: "jobs", Path: conformance.WriteJob(t, "jobs", `{"_rl_id":"j2","title":"Designer","salary":1.5,"open":true}`)},
			{Table: "jobs__locations", Path: conformance.WriteJob(t, "jobs__locations", `{"_rl_id":"l1","_rl_parent_id":"j2","city":"Oslo"}`)},
		},
	})

	cols := queryStrings(t, c.DB(), `SELECT column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'jobs' ORDER BY ordinal_position`, conformance.Dataset)
	if want := []string{"_rl_id", "title", "salary", "open"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("jobs columns = %v, want %v", cols, want)
	}
	got := queryStrings(t, c.DB(), "SELECT concat_ws('|', title, coalesce(salary::text, 'null')) FROM "+
		qualified(conformance.Dataset, "jobs")+" ORDER BY title")
	if want := []string{"Designer|1.500000000", "Engineer|null"}; !reflect.DeepEqual(got, want) {
		t.Errorf("jobs rows = %v, want %v", got, want)
	}
	if n := count(t, c.DB(), "jobs__locations"); n != 1 {
		t.Errorf("jobs__locations rows = %d, want 1", n)
	}
}

func TestLoadSparseJobs(t *testing.T) {
	c := openTest(t)
	p := &destination.Package{
		LoadID: "1", Dataset: conformance.Dataset, Schema: conformance.TypesSchema(), Tables: []string{"values"},
		Jobs: []destination.Job{
			{Table: "values", Path: conformance.WriteJob(t, "values")},
			{Table: "values", Path: conformance.WriteJob(t, "values", `{"_rl_id":"a","n":7}`, ``, `{"_rl_id":"b"}`)},
		},
	}
	mustLoad(t, c, p)
	got := queryStrings(t, c.DB(), "SELECT concat_ws('|', coalesce(n::text, 'null'), coalesce(txt, 'null'), "+
		"coalesce(doc::text, 'null')) FROM "+qualified(conformance.Dataset, "values")+" ORDER BY n NULLS LAST")
	if want := []string{"7|null|null", "null|null|null"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	// The files have no _rl_load_id, so the load fills it in.
	ids := queryStrings(t, c.DB(), "SELECT _rl_load_id FROM "+qualified(conformance.Dataset, "values"))
	if want := []string{"1", "1"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("_rl_load_id = %v, want %v", ids, want)
	}
}

func TestLoadRollback(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string // in the error message
	}{
		{"MalformedJSON", []string{`{"n":1}`, `{"n":2,`}, "row 2"},
		{"WrongType", []string{`{"n":"one"}`}, "column n: expected a JSON number, got string"},
		{"NotInteger", []string{`{"n":1.5}`}, "not an integer"},
		{"BadTimestamp", []string{`{"ts":"2024-05-06 07:08:09"}`}, "invalid RFC 3339 timestamp"},
		{"BadBase64", []string{`{"bin":"***"}`}, "invalid base64"},
		{"UnknownKey", []string{`{"n":1,"surprise":2}`}, `key "surprise" is not a column`},
		{"DuplicateKey", []string{`{"n":1,"n":2}`}, "duplicate"},
		{"NotObject", []string{`[1]`}, "expected a JSON object"},
		{"DecimalOverflow", []string{`{"dec":1e40}`}, "more than 38 digits"},
		{"NulInText", []string{`{"n":1}`, `{"txt":"a\u0000b"}`}, "row 2: column txt: text contains a NUL character"},
		{"NulInJSON", []string{`{"doc":{"k":"a\u0000"}}`}, `column doc: JSON value contains the escape \u0000`},
		{"BigIntRange", []string{`{"n":9223372036854775808}`}, "out of the bigint range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			good := conformance.WriteJob(t, "values", `{"n":100}`)
			bad := conformance.WriteJob(t, "values", tt.lines...)
			p := &destination.Package{
				LoadID: "1", PipelineName: "p", Dataset: conformance.Dataset, Schema: conformance.TypesSchema(),
				Tables: []string{"values"}, State: []byte(`{"token":"t"}`),
				Jobs: []destination.Job{{Table: "values", Path: good}, {Table: "values", Path: bad}},
			}
			err := c.Load(context.Background(), p)
			assertContains(t, err, "table values", bad, tt.want)
			assertNothingLoaded(t, c)
		})
	}
}

// assertNothingLoaded checks that the database holds no trace of a load.
func assertNothingLoaded(t *testing.T, c *postgres.Client) {
	t.Helper()
	ctx := context.Background()
	if ok, err := c.HasLoad(ctx, conformance.Dataset, "1"); err != nil || ok {
		t.Errorf("HasLoad = %v, %v; want false", ok, err)
	}
	var n int64
	if err := c.DB().QueryRow("SELECT count(*) FROM pg_namespace WHERE nspname = $1", conformance.Dataset).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s exists after a rolled back load", conformance.Dataset)
	}
	if st, err := c.State(ctx, conformance.Dataset, "p"); err != nil || st != nil {
		t.Errorf("State = %v, %v; want nil", st, err)
	}
	// pg_class lists the temporary tables of every session.
	left := queryStrings(t, c.DB(), "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname LIKE '\\_rl\\_%'")
	if len(left) != 0 {
		t.Errorf("temporary tables left: %v", left)
	}
}

// assertUnchangedAfterFirst checks that the dataset holds exactly what
// the package "1" of TestRollbackKeepsEarlierLoad and TestNotNullRollback
// loaded.
func assertUnchangedAfterFirst(t *testing.T, c *postgres.Client) {
	t.Helper()
	ctx := context.Background()
	if ok, _ := c.HasLoad(ctx, conformance.Dataset, "2"); ok {
		t.Error("HasLoad(2) = true after a failed load")
	}
	if got, want := contents(t, c.DB()), []string{"a=Ann a@x[t1,t2]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("candidates = %q, want %q", got, want)
	}
	if n := count(t, c.DB(), schema.TableLoads); n != 1 {
		t.Errorf("loads = %d, want 1", n)
	}
	st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline")
	if err != nil || st == nil || string(st.State) != `{"token":"one"}` || st.Version != 1 {
		t.Errorf("State = %+v, %v; want version 1 with token one", st, err)
	}
	if n := count(t, c.DB(), schema.TableVersion); n != 1 {
		t.Errorf("schema versions = %d, want 1", n)
	}
}

func TestNotNullRollback(t *testing.T) {
	c := openTest(t)
	first := conformance.TreePackage(t, "1", schema.Replace, conformance.NewCandidate("a", "Ann", "a@x:t1,t2"))
	first.State = json.RawMessage(`{"token":"one"}`)
	mustLoad(t, c, first)

	// The second package changes the schema (a new column and a new
	// table) and replaces the rows, but one root row lacks the primary
	// key, which is NOT NULL in the table. The load reaches the insert
	// before it fails.
	p := conformance.TreePackage(t, "2", schema.Replace, conformance.NewCandidate("b", "Bob", "b@x"))
	p.State = json.RawMessage(`{"token":"two"}`)
	p.Schema.Tables[0].Columns = append(p.Schema.Tables[0].Columns, conformance.Column("phone", schema.Text))
	p.Schema.Tables = append(p.Schema.Tables, &schema.Table{Name: "jobs", WriteDisposition: schema.Append,
		Columns: []*schema.Column{conformance.SystemColumn(schema.ColumnID)}})
	p.Jobs[0].Path = conformance.WriteJob(t, "candidates",
		`{"_rl_id":"r1","id":"b","name":"Bob","phone":"1","_rl_seq":0}`,
		`{"_rl_id":"r2","name":"No id","_rl_seq":1}`)
	err := c.Load(context.Background(), p)
	assertContains(t, err, "insert rows into table candidates", "not-null", "23502")

	assertUnchangedAfterFirst(t, c)
	if tableExists(t, c.DB(), "jobs") {
		t.Error("table jobs exists after a failed load")
	}
	cols := queryStrings(t, c.DB(), `SELECT column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'candidates' AND column_name = 'phone'`, conformance.Dataset)
	if len(cols) != 0 {
		t.Error("column phone exists after a failed load")
	}
}

func TestLoadRejectsBadPackage(t *testing.T) {
	c := openTest(t)
	tests := []struct {
		name string
		p    *destination.Package
	}{
		{"Nil", nil},
		{"NoLoadID", &destination.Package{Dataset: "d", Schema: conformance.TypesSchema()}},
		{"NoDataset", &destination.Package{LoadID: "1", Schema: conformance.TypesSchema()}},
		{"NoSchema", &destination.Package{LoadID: "1", Dataset: "d"}},
		{"InvalidState", &destination.Package{LoadID: "1", Dataset: "d", Schema: conformance.TypesSchema(), PipelineName: "p", State: []byte("{")}},
		{"UnknownTable", &destination.Package{LoadID: "1", Dataset: "d", Schema: conformance.TypesSchema(),
			Jobs: []destination.Job{{Table: "nope", Path: "/nonexistent"}}}},
		{"MissingFile", &destination.Package{LoadID: "1", Dataset: "d", Schema: conformance.TypesSchema(),
			Jobs: []destination.Job{{Table: "values", Path: "/nonexistent/values.jsonl"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Load(context.Background(), tt.p); err == nil {
				t.Error("Load succeeded, want an error")
			}
		})
	}
}

func TestLoadCanceled(t *testing.T) {
	c := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := conformance.TreePackage(t, "1", schema.Append, conformance.NewCandidate("a", "Ann"))
	if err := c.Load(ctx, p); err == nil {
		t.Fatal("Load with a canceled context succeeded")
	}
	mustLoad(t, c, p)
	if n := count(t, c.DB(), "candidates"); n != 1 {
		t.Errorf("candidates = %d, want 1", n)
	}
}

func TestIdentifierLength(t *testing.T) {
	name63 := strings.Repeat("c", 63)
	name64 := strings.Repeat("c", 64)
	tests := []struct {
		name    string
		dataset string
		table   string
		column  string
		want    string // in the error; empty for success
	}{
		{"Column63", conformance.Dataset, "t", name63, ""},
		{"Column64", conformance.Dataset, "t", name64, `column name "` + name64 + `" has 64 bytes`},
		{"Table64", conformance.Dataset, name64, "c", `table name "` + name64 + `" has 64 bytes`},
		{"Dataset64", name64, "t", "c", `dataset name "` + name64 + `" has 64 bytes`},
		{"MultiByte", conformance.Dataset, "t", strings.Repeat("é", 32), "has 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			s := &schema.Schema{Name: "long", Tables: []*schema.Table{{Name: tt.table, WriteDisposition: schema.Append,
				Columns: []*schema.Column{conformance.Column(tt.column, schema.Text)}}}}
			p := &destination.Package{LoadID: "1", Dataset: tt.dataset, Schema: s, Tables: []string{tt.table},
				Jobs: []destination.Job{{Table: tt.table, Path: conformance.WriteJob(t, "t", `{"`+tt.column+`":"v"}`)}}}
			err := c.Load(context.Background(), p)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				got := queryStrings(t, c.DB(), "SELECT "+quote(tt.column)+" FROM "+qualified(tt.dataset, tt.table))
				if !reflect.DeepEqual(got, []string{"v"}) {
					t.Errorf("rows = %q, want [v]", got)
				}
				return
			}
			assertContains(t, err, tt.want, "63", "CapabilitiesOf")
		})
	}
}

func TestNormalizerShortensNames(t *testing.T) {
	c := openTest(t)
	long := strings.Repeat("very_long_field_name_", 4) // 84 bytes
	ps := &conformance.Sequence{Schema: schema.New("short"), MaxIdentifierLength: destination.CapabilitiesOf(c).MaxIdentifierLength}
	p := ps.Next(t, conformance.Items{Hints: schema.Hints{Table: "jobs"}, Lines: `{"id":1,"` + long + `":"x","` + long + `list":[1]}`})
	mustLoad(t, c, p)
	for _, tab := range p.Schema.Tables {
		if len(tab.Name) > 63 {
			t.Errorf("table %s has more than 63 bytes", tab.Name)
		}
		if !tableExists(t, c.DB(), tab.Name) {
			t.Errorf("table %s does not exist", tab.Name)
		}
		if count(t, c.DB(), tab.Name) != 1 {
			t.Errorf("table %s does not have 1 row", tab.Name)
		}
	}
}
