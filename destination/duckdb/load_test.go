package duckdb

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

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

func TestLoadTypes(t *testing.T) {
	c := openTest(t)
	job := writeJob(t, "values",
		`{"_rl_id":"r1","n":1,"txt":"héllo \"quoted\" \u00e9","big":9223372036854775807,"dbl":0.1,`+
			`"dec":12345678901234567890123456789.123456789,"ok":true,"ts":"2024-05-06T07:08:09.123Z",`+
			`"day":"2024-02-29","doc":{"a":[1,2.50,{"b":null}],"x":1234567890.123456789},"bin":"AAEC/w==","_rl_seq":0}`,
		`{"_rl_id":"r2","n":2,"big":-9223372036854775808,"dbl":-1.5e300,"dec":-0.000000001,"ok":false,`+
			`"ts":"1999-12-31T23:59:59.999Z","doc":"text","_rl_seq":1}`,
		`{"_rl_id":"r3","n":3,"big":4.0E2,"dec":1e3,"ts":"2024-05-06T07:08:09Z","doc":12.50,"_rl_seq":2}`,
		`{"_rl_id":"r4","n":4,"dec":0.0000000005,"doc":[],"_rl_seq":3}`,
	)
	mustLoad(t, c, &destination.Package{
		LoadID: "1", Dataset: testDataset, Schema: typesSchema(),
		Jobs: []destination.Job{{Table: "values", Path: job}}, Tables: []string{"values"},
	})

	tests := []struct {
		expr string
		want []string
	}{
		{"txt", []string{`héllo "quoted" é`, "<null>", "<null>", "<null>"}},
		{"big::VARCHAR", []string{"9223372036854775807", "-9223372036854775808", "400", "<null>"}},
		{"dbl::VARCHAR", []string{"0.1", "-1.5e+300", "<null>", "<null>"}},
		{"dec::VARCHAR", []string{"12345678901234567890123456789.123456789", "-0.000000001", "1000.000000000", "0.000000001"}},
		{"ok::VARCHAR", []string{"true", "false", "<null>", "<null>"}},
		{"strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')", []string{
			"2024-05-06T07:08:09.123Z", "1999-12-31T23:59:59.999Z", "2024-05-06T07:08:09.000Z", "<null>"}},
		{"epoch_ms(ts)::VARCHAR", []string{"1714979289123", "946684799999", "1714979289000", "<null>"}},
		{"day::VARCHAR", []string{"2024-02-29", "<null>", "<null>", "<null>"}},
		{"doc::VARCHAR", []string{`{"a":[1,2.50,{"b":null}],"x":1234567890.123456789}`, `"text"`, "12.50", "[]"}},
		// The stored text is exact, but DuckDB's JSON functions parse
		// fractional numbers as doubles.
		{"json_extract_string(doc, '$.a[1]')", []string{"2.5", "<null>", "<null>", "<null>"}},
		{"hex(bin)", []string{"000102FF", "<null>", "<null>", "<null>"}},
	}
	for _, tt := range tests {
		q := "SELECT " + tt.expr + " FROM " + qualified(testDataset, "values") + " ORDER BY n"
		got := queryStrings(t, c.DB(), q)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}

	var ts time.Time
	if err := c.DB().QueryRow("SELECT ts FROM " + qualified(testDataset, "values") + " WHERE n = 1").Scan(&ts); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC); !ts.Equal(want) || ts.Location() != time.UTC {
		t.Errorf("ts = %v, want %v in UTC", ts, want)
	}
	var typ string
	q := `SELECT data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = 'values' AND column_name = 'ts'`
	if err := c.DB().QueryRow(q, testDataset).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "TIMESTAMP WITH TIME ZONE" {
		t.Errorf("ts column type = %s, want TIMESTAMP WITH TIME ZONE", typ)
	}
}

func TestLoadMigrates(t *testing.T) {
	c := openTest(t)
	s1 := &schema.Schema{Name: "m", Tables: []*schema.Table{{
		Name: "jobs", WriteDisposition: schema.Append,
		Columns: []*schema.Column{systemCol(schema.ColumnID), col("title", schema.Text)},
	}}}
	mustLoad(t, c, &destination.Package{
		LoadID: "1", Dataset: testDataset, Schema: s1, Tables: []string{"jobs"},
		Jobs: []destination.Job{{Table: "jobs", Path: writeJob(t, "jobs", `{"_rl_id":"j1","title":"Engineer"}`)}},
	})

	s2 := s1.Clone()
	s2.Tables[0].Columns = append(s2.Tables[0].Columns, col("salary", schema.Decimal), col("open", schema.Bool))
	s2.Tables = append(s2.Tables, &schema.Table{
		Name: "jobs__locations", Parent: "jobs", WriteDisposition: schema.Append,
		Columns: []*schema.Column{systemCol(schema.ColumnID), systemCol(schema.ColumnParentID), col("city", schema.Text)},
	})
	mustLoad(t, c, &destination.Package{
		LoadID: "2", Dataset: testDataset, Schema: s2, Tables: []string{"jobs"},
		Jobs: []destination.Job{
			{Table: "jobs", Path: writeJob(t, "jobs", `{"_rl_id":"j2","title":"Designer","salary":1.5,"open":true}`)},
			{Table: "jobs__locations", Path: writeJob(t, "jobs__locations", `{"_rl_id":"l1","_rl_parent_id":"j2","city":"Oslo"}`)},
		},
	})

	cols := queryStrings(t, c.DB(), `SELECT column_name FROM duckdb_columns()
		WHERE schema_name = ? AND table_name = 'jobs' ORDER BY column_index`, testDataset)
	if want := []string{"_rl_id", "title", "salary", "open"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("jobs columns = %v, want %v", cols, want)
	}
	got := queryStrings(t, c.DB(), "SELECT concat_ws('|', title, coalesce(salary::VARCHAR, 'null')) FROM "+
		qualified(testDataset, "jobs")+" ORDER BY title")
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
		LoadID: "1", Dataset: testDataset, Schema: typesSchema(), Tables: []string{"values"},
		Jobs: []destination.Job{
			{Table: "values", Path: writeJob(t, "values")},
			{Table: "values", Path: writeJob(t, "values", `{"_rl_id":"a","n":7}`, ``, `{"_rl_id":"b"}`)},
		},
	}
	mustLoad(t, c, p)
	got := queryStrings(t, c.DB(), "SELECT concat_ws('|', coalesce(n::VARCHAR, 'null'), coalesce(txt, 'null'), "+
		"coalesce(doc::VARCHAR, 'null')) FROM "+qualified(testDataset, "values")+" ORDER BY n NULLS LAST")
	if want := []string{"7|null|null", "null|null|null"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	// The files have no _rl_load_id, so the load fills it in.
	ids := queryStrings(t, c.DB(), "SELECT _rl_load_id FROM "+qualified(testDataset, "values"))
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			good := writeJob(t, "values", `{"n":100}`)
			bad := writeJob(t, "values", tt.lines...)
			p := &destination.Package{
				LoadID: "1", PipelineName: "p", Dataset: testDataset, Schema: typesSchema(),
				Tables: []string{"values"}, State: []byte(`{"token":"t"}`),
				Jobs: []destination.Job{{Table: "values", Path: good}, {Table: "values", Path: bad}},
			}
			err := c.Load(context.Background(), p)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, part := range []string{"table values", bad, tt.want} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			assertNothingLoaded(t, c)
		})
	}
}

// assertNothingLoaded checks that the dataset holds no trace of a load.
func assertNothingLoaded(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	if ok, err := c.HasLoad(ctx, testDataset, "1"); err != nil || ok {
		t.Errorf("HasLoad = %v, %v; want false", ok, err)
	}
	var n int64
	q := "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ?"
	if err := c.DB().QueryRow(q, testDataset).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("dataset has %d tables after a rolled back load, want 0", n)
	}
	if st, err := c.State(ctx, testDataset, "p"); err != nil || st != nil {
		t.Errorf("State = %v, %v; want nil", st, err)
	}
	left := queryStrings(t, c.DB(), "SELECT table_name FROM duckdb_tables() WHERE temporary")
	if len(left) != 0 {
		t.Errorf("temporary tables left: %v", left)
	}
}

func TestLoadRejectsBadPackage(t *testing.T) {
	c := openTest(t)
	tests := []struct {
		name string
		p    *destination.Package
	}{
		{"Nil", nil},
		{"NoLoadID", &destination.Package{Dataset: "d", Schema: typesSchema()}},
		{"NoDataset", &destination.Package{LoadID: "1", Schema: typesSchema()}},
		{"NoSchema", &destination.Package{LoadID: "1", Dataset: "d"}},
		{"InvalidState", &destination.Package{LoadID: "1", Dataset: "d", Schema: typesSchema(), PipelineName: "p", State: []byte("{")}},
		{"UnknownTable", &destination.Package{LoadID: "1", Dataset: "d", Schema: typesSchema(),
			Jobs: []destination.Job{{Table: "nope", Path: "/nonexistent"}}}},
		{"MissingFile", &destination.Package{LoadID: "1", Dataset: "d", Schema: typesSchema(),
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
	p := treePackage(t, "1", schema.Append, newCandidate("a", "Ann"))
	if err := c.Load(ctx, p); err == nil {
		t.Fatal("Load with a canceled context succeeded")
	}
	mustLoad(t, c, p)
	if n := count(t, c.DB(), "candidates"); n != 1 {
		t.Errorf("candidates = %d, want 1", n)
	}
}
