package filesystem_test

import (
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/filesystem"
)

func TestConformance(t *testing.T) {
	for _, format := range []filesystem.Format{filesystem.Parquet, filesystem.JSONL, filesystem.CSV} {
		t.Run(string(format), func(t *testing.T) {
			conformance.Run(t, conformance.Harness{
				Open: func(t *testing.T) destination.Destination {
					c, err := filesystem.Open(filesystem.Config{BucketURL: t.TempDir(), Format: format})
					if err != nil {
						t.Fatalf("open the filesystem destination: %v", err)
					}
					return c
				},
				UpsertNewRowID: true,
			})
		})
	}
}
