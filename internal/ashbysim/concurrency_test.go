package ashbysim_test

import (
	"sync"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// TestConcurrentUse pages through several endpoints while changes, faults
// and log reads happen; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 71, Candidates: 500})
	var wg sync.WaitGroup
	for _, endpoint := range []string{"candidate.list", "application.list", "offer.list", "user.list"} {
		wg.Go(func() {
			for range 3 {
				l := listAll(t, url, endpoint, map[string]any{"limit": 50})
				if len(l.IDs) == 0 || l.SyncToken == "" {
					t.Errorf("%s: %d objects, token %q", endpoint, len(l.IDs), l.SyncToken)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			s.Apply(ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 5, NewApplications: 3, ArchivedApplications: 2, DeactivatedUsers: 1})
			if err := s.AddFault(ashbysim.Fault{Kind: ashbysim.FaultErrorCode, Code: "unused", Endpoint: "apiKey.info"}); err != nil {
				t.Error(err)
			}
			s.Requests()
			if _, err := s.Count("candidate.list", nil); err != nil {
				t.Error(err)
			}
		}
		s.ClearFaults()
	})
	wg.Wait()
}
