// Package conformance is a test suite that every destination passes: the
// same load packages go in, and the same query results must come out.
//
// A destination's tests call Run with a Harness that opens a fresh,
// empty destination per case. The suite reads the loaded data back
// through dataset.Open: SQL destinations run the queries on their own
// connection, and file destinations through DuckDB views. Queries are
// written in the SQL that DuckDB and PostgreSQL share, and values are
// compared as text in one form for every destination (timestamps in UTC
// to the microsecond, binary as upper-case hex, JSON compacted with
// sorted keys).
//
// The package also exports the fixtures that the cases use, so that
// destination-specific tests build their packages the same way.
package conformance

import (
	"context"
	"testing"

	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Harness connects the suite to one destination.
type Harness struct {
	// Open returns a new destination with no data in it. Each case calls
	// it once and closes the destination when the case ends.
	Open func(t *testing.T) destination.Destination

	// Dataset opens loaded data for queries, with the schema whose
	// tables a case reads. Nil means dataset.Open.
	Dataset func(ctx context.Context, d destination.Destination, name string, s *schema.Schema) (*dataset.Dataset, error)

	// UpsertNewRowID is set by destinations where an upsert gives an
	// object the _rl_id of its newest row instead of keeping the row id
	// of its first load, together with new ids for its child rows. The
	// filesystem destination does so because it rewrites an object's
	// rows rather than updating them in place. The disposition cases
	// that upsert then compare rows with every row id masked, which still
	// checks that child rows point at their parents through the
	// remaining columns.
	UpsertNewRowID bool

	// UpdateGolden makes the disposition cases rewrite their golden files
	// from this destination's output instead of comparing with them.
	// Only the DuckDB destination's tests set it.
	UpdateGolden bool
}

// Run runs every conformance case against the destinations of h, each
// case on a destination of its own.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("conformance harness has no Open function")
	}
	cases := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"Dispositions", testDispositions},
		{"Types", testTypes},
		{"Evolution", testEvolution},
		{"SoftDelete", testSoftDelete},
		{"DeleteByKey", testDeleteByKey},
		{"Drop", testDrop},
		{"StateAndSchema", testStateAndSchema},
		{"SameLoadTwice", testSameLoadTwice},
		{"Atomicity", testAtomicity},
		{"ShortenedName", testShortenedName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, h) })
	}
}

// open returns a new destination of h that closes when the test ends.
func (h Harness) open(t *testing.T) destination.Destination {
	t.Helper()
	d := h.Open(t)
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close destination %s: %v", d.Location(), err)
		}
	})
	return d
}

// load loads p into d and fails the test on error.
func load(t testing.TB, d destination.Destination, p *destination.Package) {
	t.Helper()
	if err := d.Load(context.Background(), p); err != nil {
		t.Fatalf("load package %s: %v", p.LoadID, err)
	}
}
