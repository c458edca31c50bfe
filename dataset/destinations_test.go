package dataset_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/pipeline"
)

// TestEveryDestination loads the same items into every destination and
// reads them back through Pipeline.Dataset as rows and Arrow records.
func TestEveryDestination(t *testing.T) {
	ctx := context.Background()
	opens := map[string]func(t *testing.T, dir string) destination.Destination{
		"duckdb": func(t *testing.T, dir string) destination.Destination {
			d, err := duckdb.Open(filepath.Join(dir, "t.duckdb"))
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"postgres": func(t *testing.T, dir string) destination.Destination {
			_, url := pgtest.Start(t).CreateDB(t)
			d, err := postgres.Open(ctx, postgres.Config{Credentials: url})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"filesystem": func(t *testing.T, dir string) destination.Destination {
			d, err := filesystem.Open(filesystem.Config{BucketURL: filepath.Join(dir, "files")})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"iceberg": func(t *testing.T, dir string) destination.Destination {
			d, err := iceberg.Open(ctx, iceberg.Config{Warehouse: filepath.Join(dir, "warehouse")})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
	}
	for _, kind := range []string{"duckdb", "postgres", "filesystem", "iceberg"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			dest := opens[kind](t, dir)
			defer dest.Close()
			p, err := pipeline.New(pipeline.Config{Name: "t", Dataset: "t_data", DataDir: dir, Destination: dest})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Run(ctx, src{}); err != nil {
				t.Fatal(err)
			}
			ds, err := p.Dataset(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			rows, err := ds.Table("things").Rows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%v %v %v %v %v", len(rows), rows[0]["id"], rows[0]["name"], rows[1]["id"], rows[1]["name"]); got != "2 1 a 2 b" {
				t.Errorf("rows: %s, want ids 1 and 2 named a and b", got)
			}
			tags, err := ds.Table("things__tags").Rows(ctx)
			if err != nil || len(tags) != 3 {
				t.Errorf("child rows %v (%v), want 3", tags, err)
			}
			recs, err := ds.Table("things").Records(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := int64(0)
			for _, r := range recs {
				n += r.NumRows()
				r.Release()
			}
			if n != 2 {
				t.Errorf("records: %d rows, want 2", n)
			}
		})
	}
}
