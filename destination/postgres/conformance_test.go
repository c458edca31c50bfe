package postgres_test

import (
	"context"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
)

// TestConformance runs the suite on databases of the server that
// TestMain started.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Open: func(t *testing.T) destination.Destination {
			_, u := server.CreateDB(t)
			c, err := postgres.Open(context.Background(), postgres.Config{Credentials: u})
			if err != nil {
				t.Fatalf("open PostgreSQL: %v", err)
			}
			return c
		},
	})
}
