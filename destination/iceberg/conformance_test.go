package iceberg_test

import (
	"context"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/iceberg"
)

func TestConformance(t *testing.T) {
	for _, catalog := range []string{iceberg.CatalogSQL, iceberg.CatalogFilesystem} {
		t.Run(catalog, func(t *testing.T) {
			conformance.Run(t, conformance.Harness{
				Open: func(t *testing.T) destination.Destination {
					c, err := iceberg.Open(context.Background(), iceberg.Config{Warehouse: t.TempDir(), Catalog: catalog})
					if err != nil {
						t.Fatalf("open the Iceberg destination: %v", err)
					}
					return c
				},
			})
		})
	}
}
