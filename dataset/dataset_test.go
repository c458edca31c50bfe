package dataset_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// typed is a resource whose items hold a value of every column type.
type typed struct{}

func (typed) Name() string { return "things" }
func (typed) Hints() schema.Hints {
	return schema.Hints{Table: "things", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
}
func (typed) Extract(_ context.Context, _ json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	return nil, emit([]json.RawMessage{
		json.RawMessage(`{"id": 2, "name": "b", "price": 0.5, "big": 123456789012345678901.25, "ok": false, "at": "2024-01-02T03:04:05.678Z", "tags": ["x"]}`),
		json.RawMessage(`{"id": 1, "name": "a", "price": 1.25, "big": 1.5, "ok": true, "at": "2024-01-01T00:00:00.001+01:00", "tags": ["y", "z"]}`),
	})
}

type src struct{}

func (src) Name() string                 { return "test" }
func (src) Resources() []source.Resource { return []source.Resource{typed{}} }

func loaded(t *testing.T) *dataset.Dataset {
	t.Helper()
	dir := t.TempDir()
	dest, err := duckdb.Open(filepath.Join(dir, "t.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dest.Close() })
	p, err := pipeline.New(pipeline.Config{Name: "t", Dataset: "t_data", DataDir: dir, Destination: dest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), src{}); err != nil {
		t.Fatal(err)
	}
	ds, err := p.Dataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestTableRows(t *testing.T) {
	ds := loaded(t)
	rows, err := ds.Table("things").Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["id"] != int64(1) || rows[1]["id"] != int64(2) {
		t.Fatalf("rows %v, want ids 1 and 2 in key order", rows)
	}
	if at, ok := rows[0]["at"].(time.Time); !ok || !at.Equal(time.Date(2023, 12, 31, 23, 0, 0, 1e6, time.UTC)) {
		t.Errorf("at = %v, want the instant in UTC with its millisecond", rows[0]["at"])
	}
	tags, err := ds.Table("things__tags").Rows(context.Background())
	if err != nil || len(tags) != 3 {
		t.Errorf("child rows %v (%v), want 3", tags, err)
	}
	if _, err := ds.Table("nope").Rows(context.Background()); !errors.Is(err, dataset.ErrNotFound) {
		t.Errorf("unknown table: error %v, want ErrNotFound", err)
	}
}

func TestTableRecords(t *testing.T) {
	ds := loaded(t)
	recs, err := ds.Table("things").Records(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if len(recs) != 2 {
		t.Fatalf("%d batches, want 2 of one row", len(recs))
	}
	r := recs[0]
	col := func(name string) arrow.Array {
		idx := r.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %v", name, r.Schema())
		}
		return r.Column(idx[0])
	}
	if got := col("id").(*array.Int64).Value(0); got != 1 {
		t.Errorf("id = %d, want 1", got)
	}
	if got := col("price").(*array.Float64).Value(0); got != 1.25 {
		t.Errorf("price = %v, want 1.25", got)
	}
	if got := col("ok").(*array.Boolean).Value(0); !got {
		t.Error("ok = false, want true")
	}
	if got := col("name").(*array.String).Value(0); got != "a" {
		t.Errorf("name = %q, want a", got)
	}
	ts := col("at").(*array.Timestamp).Value(0)
	if want := time.Date(2023, 12, 31, 23, 0, 0, 1e6, time.UTC).UnixMicro(); int64(ts) != want {
		t.Errorf("at = %d µs, want %d", ts, want)
	}
	big := recs[1].Column(recs[1].Schema().FieldIndices("big")[0])
	if dec, ok := big.(*array.Decimal128); !ok || dec.ValueStr(0) != "123456789012345678901.25" {
		t.Errorf("big = %v (%T, %q), want the exact decimal", big, big, big.ValueStr(0))
	}
}
