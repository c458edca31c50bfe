package iceberg_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/schema"
)

func TestStateSchemaRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCatalog(t, dir, iceberg.CatalogSQL)
	if st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline"); err != nil || st != nil {
		t.Fatalf("State of an empty warehouse = %+v, %v; want nil, nil", st, err)
	}
	p := conformance.TreePackage(t, "1", schema.Merge, conformance.NewCandidate("id1", "Ann", "a@x:t1"))
	p.State = json.RawMessage(`{"token":"one"}`)
	p.CreatedAt = time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC)
	mustLoad(t, c, p)
	p2 := conformance.TreePackage(t, "2", schema.Merge, conformance.NewCandidate("id2", "Bob"))
	p2.State = json.RawMessage(`{"token":"two"}`)
	mustLoad(t, c, p2)

	// A new client on the same warehouse reads everything back.
	c.Close()
	c = openCatalog(t, dir, iceberg.CatalogSQL)
	for _, id := range []string{"1", "2"} {
		if ok, err := c.HasLoad(ctx, conformance.Dataset, id); err != nil || !ok {
			t.Errorf("HasLoad(%s) = %v, %v; want true", id, ok, err)
		}
	}
	if ok, err := c.HasLoad(ctx, conformance.Dataset, "3"); err != nil || ok {
		t.Errorf("HasLoad(3) = %v, %v; want false", ok, err)
	}
	st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline")
	if err != nil || st == nil {
		t.Fatalf("State = %+v, %v", st, err)
	}
	if string(st.State) != `{"token":"two"}` || st.Version != 2 || st.LoadID != "2" {
		t.Errorf("State = version %d, load %s, %s; want version 2, load 2, the second state", st.Version, st.LoadID, st.State)
	}
	s, err := c.Schema(ctx, conformance.Dataset, "ashby")
	if err != nil || s == nil {
		t.Fatalf("Schema = %v, %v", s, err)
	}
	if s.Hash() != conformance.TreeSchema(schema.Merge).Hash() {
		t.Errorf("stored schema hash %s, want %s", s.Hash(), conformance.TreeSchema(schema.Merge).Hash())
	}
	if err := c.Load(ctx, p2); err == nil {
		t.Error("loading package 2 again succeeded; want an error")
	}
}

func TestSchemaEvolution(t *testing.T) {
	c := openTest(t)
	ps := &conformance.Sequence{Schema: schema.New("evolve")}
	h := schema.Hints{Table: "jobs"}
	mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: `{"id":"j1","n":1}`}))
	// A new field adds a column; a string in a bigint column goes to a
	// variant column.
	mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: `{"id":"j2","n":"two","extra":true}`}))
	p := ps.Next(t)
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
	if ok, _ := c.HasLoad(context.Background(), conformance.Dataset, p.LoadID); ok {
		t.Error("HasLoad is true after a failed load")
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
