package iceberg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/schema"
)

// goldenDir contains the expected tables after each load of
// dispositionTests: the DuckDB destination's golden files, since every
// destination must store the same rows for the same packages.
var goldenDir = filepath.Join("..", "duckdb", "testdata", "golden")

func TestDispositionsGolden(t *testing.T) {
	for _, tt := range dispositionTests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			ps := &packageSeq{s: schema.New("golden")}
			var out bytes.Buffer
			for i, load := range tt.loads {
				p := ps.next(t, load...)
				mustLoad(t, c, p)
				db := views(t, c)
				fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
				for _, tab := range p.Schema.Tables {
					fmt.Fprintf(&out, "-- %s --\n", tab.Name)
					for _, row := range tableRows(t, db, tab) {
						fmt.Fprintln(&out, row)
					}
				}
			}
			path := filepath.Join(goldenDir, tt.name+".txt")
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file: %v", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", path, out.Bytes())
			}
		})
	}
}

func TestSoftDelete(t *testing.T) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			c := openTest(t)
			h := schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
				MergeStrategy: strategy, SoftDelete: true}
			ps := &packageSeq{s: schema.New("ashby")}
			steps := []struct {
				lines    string
				complete bool
				// deleted lists "id:load" for each deleted row, the load
				// being the package number whose time marked it.
				deleted []string
			}{
				{`{"id":1,"tags":["a"]}` + "\n" + `{"id":2}` + "\n" + `{"id":3}` + "\n", true, nil},
				{`{"id":2,"title":"x"}` + "\n", false, nil},
				{`{"id":2}` + "\n", true, []string{"1:3", "3:3"}},
				{`{"id":2}` + "\n" + `{"id":3}` + "\n", true, []string{"1:3"}},
				{"", true, []string{"1:3", "2:5", "3:5"}},
			}
			for i, st := range steps {
				p := ps.next(t, items{hints: h, lines: st.lines})
				if st.complete {
					p.Complete = []string{"jobs"}
				}
				mustLoad(t, c, p)
				db := views(t, c)
				got := queryStrings(t, db, `SELECT id::VARCHAR || ':' ||
					(datediff('day', TIMESTAMPTZ '2025-01-01 08:00:00+00', _rl_deleted_at) + 1)::VARCHAR
					FROM ashby_data.jobs WHERE _rl_deleted_at IS NOT NULL ORDER BY id`)
				if !slices.Equal(got, st.deleted) {
					t.Fatalf("step %d: deleted rows %v, want %v", i+1, got, st.deleted)
				}
				if n := count(t, db, "jobs"); n != 3 && i > 0 {
					t.Fatalf("step %d: %d rows, want 3 (deletes are marked, never removed)", i+1, n)
				}
			}
			if n := count(t, views(t, c), "jobs__tags"); n != 1 {
				t.Fatalf("child rows: %d, want 1", n)
			}
		})
	}
}

func TestStateSchemaRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCatalog(t, dir, iceberg.CatalogSQL)
	if st, err := c.State(ctx, testDataset, "ashby_pipeline"); err != nil || st != nil {
		t.Fatalf("State of an empty warehouse = %+v, %v; want nil, nil", st, err)
	}
	p := treePackage(t, "1", schema.Merge, newCandidate("id1", "Ann", "a@x:t1"))
	p.State = json.RawMessage(`{"token":"one"}`)
	p.CreatedAt = time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC)
	mustLoad(t, c, p)
	p2 := treePackage(t, "2", schema.Merge, newCandidate("id2", "Bob"))
	p2.State = json.RawMessage(`{"token":"two"}`)
	mustLoad(t, c, p2)

	// A new client on the same warehouse reads everything back.
	c.Close()
	c = openCatalog(t, dir, iceberg.CatalogSQL)
	for _, id := range []string{"1", "2"} {
		if ok, err := c.HasLoad(ctx, testDataset, id); err != nil || !ok {
			t.Errorf("HasLoad(%s) = %v, %v; want true", id, ok, err)
		}
	}
	if ok, err := c.HasLoad(ctx, testDataset, "3"); err != nil || ok {
		t.Errorf("HasLoad(3) = %v, %v; want false", ok, err)
	}
	st, err := c.State(ctx, testDataset, "ashby_pipeline")
	if err != nil || st == nil {
		t.Fatalf("State = %+v, %v", st, err)
	}
	if string(st.State) != `{"token":"two"}` || st.Version != 2 || st.LoadID != "2" {
		t.Errorf("State = version %d, load %s, %s; want version 2, load 2, the second state", st.Version, st.LoadID, st.State)
	}
	s, err := c.Schema(ctx, testDataset, "ashby")
	if err != nil || s == nil {
		t.Fatalf("Schema = %v, %v", s, err)
	}
	if s.Hash() != treeSchema(schema.Merge).Hash() {
		t.Errorf("stored schema hash %s, want %s", s.Hash(), treeSchema(schema.Merge).Hash())
	}
	if err := c.Load(ctx, p2); err == nil {
		t.Error("loading package 2 again succeeded; want an error")
	}
}

func TestLoadTypes(t *testing.T) {
	c := openTest(t)
	p := treePackage(t, "1", schema.Append)
	p.Schema = typesSchema()
	p.Jobs = []destination.Job{{Table: "values", Path: writeJob(t, "values", typesRows...)}}
	p.Tables = []string{"values"}
	mustLoad(t, c, p)
	got := queryStrings(t, views(t, c), `SELECT concat_ws('|', n, txt, big, dbl, dec, ok,
		strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'), day, doc, hex(bin)) FROM ashby_data."values" ORDER BY n`)
	want := []string{
		`1|héllo "quoted" é|9223372036854775807|0.1|12345678901234567890123456789.123456789|true|2024-05-06T07:08:09.123000Z|2024-02-29|{"a":[1,2.50,{"b":null}],"x":1234567890.123456789}|000102FF`,
		`2|-9223372036854775808|-1.5e+300|-0.000000001|false|1999-12-31T23:59:59.999000Z|"text"`,
		`3|400|1000.000000000|2024-05-06T05:08:09.000000Z|12.50`,
		`4|0.000000001|[]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows =\n%q\nwant\n%q", got, want)
	}
}

func TestSchemaEvolution(t *testing.T) {
	c := openTest(t)
	ps := &packageSeq{s: schema.New("evolve")}
	h := schema.Hints{Table: "jobs"}
	mustLoad(t, c, ps.next(t, items{h, `{"id":"j1","n":1}`}))
	// A new field adds a column; a string in a bigint column goes to a
	// variant column.
	mustLoad(t, c, ps.next(t, items{h, `{"id":"j2","n":"two","extra":true}`}))
	p := ps.next(t)
	got := queryStrings(t, views(t, c), `SELECT concat_ws('|', id, n, "n__v_text", extra) FROM ashby_data.jobs ORDER BY id`)
	if want := []string{"j1|1", "j2|two|true"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}

	// A column whose type changes in a way Iceberg cannot follow fails
	// before anything commits.
	bad := p.Schema.Clone()
	bad.Table("jobs").Column("n").Type = schema.Text
	p.Schema = bad
	p.Tables = []string{"jobs"}
	err := c.Load(context.Background(), p)
	assertContains(t, err, "iceberg", "column n of table jobs", "drop the table or load into a new dataset")
	if ok, _ := c.HasLoad(context.Background(), testDataset, p.LoadID); ok {
		t.Error("HasLoad is true after a failed load")
	}
}

func TestFilesystemCatalog(t *testing.T) {
	c := openCatalog(t, "file://"+t.TempDir(), iceberg.CatalogFilesystem)
	ps := &packageSeq{s: schema.New("fs")}
	mustLoad(t, c, ps.next(t, items{jobsMerge, mergeSteps[0]}))
	mustLoad(t, c, ps.next(t, items{jobsMerge, mergeSteps[1]}))
	got := queryStrings(t, views(t, c), "SELECT id || '=' || title FROM ashby_data.jobs ORDER BY id")
	if want := []string{"j1=Lead Engineer", "j2=Designer", "j3=Analyst", "j4=Writer"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  iceberg.Config
		want string
	}{
		{"empty", iceberg.Config{}, "warehouse is empty"},
		{"scheme", iceberg.Config{Warehouse: "s3://bucket/w"}, "use a local path or a file:// URL"},
		{"catalog", iceberg.Config{Warehouse: t.TempDir(), Catalog: "rest"}, `set the catalog to "sql" or "filesystem"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iceberg.Open(context.Background(), tt.cfg)
			assertContains(t, err, tt.want)
		})
	}
}

// errStop is the error that stops a load between commits in tests.
var errStop = errors.New("stopped between commits")
