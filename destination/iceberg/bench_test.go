package iceberg_test

import (
	"fmt"
	"testing"

	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/schema"
)

// BenchmarkLoadMerge loads 100k candidates, each with two emails and two
// tags on the first email, into a merge table tree in a warehouse with
// the SQL catalog: 100k root rows and 200k rows in each child table per
// package. Loads after the first rewrite the stored rows of every key.
func BenchmarkLoadMerge(b *testing.B) {
	const n = 100_000
	cands := make([]conformance.Candidate, n)
	for i := range cands {
		cands[i] = conformance.NewCandidate(fmt.Sprintf("cand-%07d", i), fmt.Sprintf("Candidate Number %d", i),
			fmt.Sprintf("c%d@example.com:t1,t2", i), fmt.Sprintf("c%d@work.example.com", i))
	}
	c := openTest(b)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		p := conformance.TreePackage(b, fmt.Sprintf("1735718400.%06d", i+1), schema.Merge, cands...)
		b.StartTimer()
		mustLoad(b, c, p)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
}
