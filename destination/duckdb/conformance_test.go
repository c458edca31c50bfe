package duckdb_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/duckdb"
)

var update = flag.Bool("update", false, "rewrite the conformance golden files from the DuckDB destination's output")

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Open: func(t *testing.T) destination.Destination {
			c, err := duckdb.Open(filepath.Join(t.TempDir(), "test.duckdb"))
			if err != nil {
				t.Fatalf("open DuckDB: %v", err)
			}
			return c
		},
		UpdateGolden: *update,
	})
}
