package pipeline_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/ashby"
)

// Example loads an Ashby organisation, here the built-in emulator's, into
// a DuckDB file and reads a table back as rows and as Arrow records.
func Example() {
	dir, err := os.MkdirTemp("", "restload-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	sim := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 25, APIKeys: map[string][]string{"example-key": nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	src, err := ashby.New(ashby.Config{APIKey: "example-key", BaseURL: url})
	if err != nil {
		log.Fatal(err)
	}
	dest, err := duckdb.Open(filepath.Join(dir, "ashby_pipeline.duckdb"))
	if err != nil {
		log.Fatal(err)
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{
		Name:            "ashby_pipeline",
		Dataset:         "ashby_data",
		DataDir:         dir,
		Destination:     dest,
		DestinationName: "duckdb",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := p.Run(ctx, src)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("candidates loaded:", info.Rows()["candidates"])

	ds, err := p.Dataset(ctx)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := ds.Table("candidates").Rows(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("candidate rows:", len(rows))

	records, err := ds.Table("candidates").Records(ctx, 10)
	if err != nil {
		log.Fatal(err)
	}
	var n int64
	for _, r := range records {
		n += r.NumRows()
		r.Release()
	}
	field, _ := records[0].Schema().FieldsByName("created_at")
	fmt.Println("Arrow batches:", len(records), "rows:", n, "created_at:", field[0].Type)
	// Output:
	// candidates loaded: 25
	// candidate rows: 25
	// Arrow batches: 3 rows: 25 created_at: timestamp[us, tz=UTC]
}
