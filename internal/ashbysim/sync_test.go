package ashbysim_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// allChanges touches every kind of object.
var allChanges = ashbysim.Changes{
	NewCandidates: 4, UpdatedCandidates: 5, NewApplications: 4, UpdatedApplications: 3,
	ArchivedApplications: 3, NewJobs: 2, UpdatedJobs: 3, NewOffers: 2, UpdatedOffers: 2,
	NewInterviewSchedules: 2, UpdatedInterviewSchedules: 2, NewUsers: 1, DeactivatedUsers: 1,
	NewDepartments: 1, ArchivedDepartments: 1, NewLocations: 1, ArchivedLocations: 1,
	NewCandidateTags: 1, ArchivedCandidateTags: 1, NewCustomFields: 1, ArchivedCustomFields: 1,
	NewOpenings: 2, UpdatedOpenings: 2, NewApplicationFeedback: 2, UpdatedApplicationFeedback: 2,
	NewApprovals: 2, UpdatedApprovals: 2, NewProjects: 1, UpdatedProjects: 2,
	NewSurveySubmissions: 6, NewSurveyRequests: 3,
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestIncrementalSync(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 21, Candidates: 300})
	tokens := map[string]string{}
	for _, endpoint := range pagedEndpoints(s) {
		tokens[endpoint] = listAll(t, url, endpoint, s.ParamsForAll(endpoint)).SyncToken
	}
	changed := s.Apply(allChanges)
	for _, endpoint := range pagedEndpoints(s) {
		t.Run(endpoint, func(t *testing.T) {
			params := s.ParamsForAll(endpoint)
			params["syncToken"] = tokens[endpoint]
			params["limit"] = 1
			l := listAll(t, url, endpoint, params)
			if len(changed[endpoint]) == 0 {
				t.Fatalf("Apply reported no changes for %s", endpoint)
			}
			if !slices.Equal(sorted(l.IDs), sorted(changed[endpoint])) {
				t.Fatalf("incremental listing returned %v, Apply changed %v", sorted(l.IDs), sorted(changed[endpoint]))
			}
			if len(l.Pages) < 2 {
				t.Errorf("incremental listing fitted one page; the test needs several")
			}
			for i, p := range l.Pages[1:] {
				if p.Body.SyncToken != nil && i < len(l.Pages)-2 {
					t.Errorf("page %d carries a sync token", i+1)
				}
			}

			// The changed objects are the current ones.
			current, err := s.Objects(endpoint, s.ParamsForAll(endpoint))
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]json.RawMessage{}
			for _, o := range current {
				byID[idOf(t, o)] = o
			}
			for i, item := range l.Items {
				if string(byID[l.IDs[i]]) != string(item) {
					t.Errorf("incremental item %s differs from Objects:\n%s\n%s", l.IDs[i], item, byID[l.IDs[i]])
				}
			}

			// Nothing changed since the new token.
			params["syncToken"] = l.SyncToken
			again := listAll(t, url, endpoint, params)
			if len(again.IDs) != 0 || again.SyncToken == "" {
				t.Errorf("second incremental listing returned %d objects, token %q", len(again.IDs), again.SyncToken)
			}
			fromParams := s.ParamsForAll(endpoint)
			fromParams["syncToken"] = tokens[endpoint]
			fromObjects, err := s.Objects(endpoint, fromParams)
			if err != nil {
				t.Fatal(err)
			}
			if len(fromObjects) == 0 {
				t.Error("Objects with a syncToken returned nothing")
			}
		})
	}
}

func TestUpdatedCandidateChildren(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 22, Candidates: 200})
	before := map[string]map[string]any{}
	for _, item := range listAll(t, url, "candidate.list", nil).Items {
		m := decodeMap(t, item)
		before[m["id"].(string)] = m
	}
	changed := s.Apply(ashbysim.Changes{UpdatedCandidates: 20})
	if len(changed["candidate.list"]) != 20 {
		t.Fatalf("Apply updated %d candidates, want 20", len(changed["candidate.list"]))
	}
	after := map[string]map[string]any{}
	for _, item := range listAll(t, url, "candidate.list", nil).Items {
		m := decodeMap(t, item)
		after[m["id"].(string)] = m
	}
	for _, id := range changed["candidate.list"] {
		old, cur := before[id], after[id]
		for _, list := range []string{"emailAddresses", "phoneNumbers", "tags", "socialLinks"} {
			if len(old[list].([]any)) == len(cur[list].([]any)) {
				t.Errorf("candidate %s: %s kept %d entries", id, list, len(cur[list].([]any)))
			}
		}
		if cur["updatedAt"].(string) <= old["updatedAt"].(string) {
			t.Errorf("candidate %s: updatedAt %v not after %v", id, cur["updatedAt"], old["updatedAt"])
		}
		if cur["createdAt"] != old["createdAt"] || cur["name"] != old["name"] {
			t.Errorf("candidate %s: createdAt or name changed", id)
		}
	}
	unchanged := 0
	for id, old := range before {
		if !slices.Contains(changed["candidate.list"], id) {
			if old["updatedAt"] != after[id]["updatedAt"] {
				t.Errorf("candidate %s changed without being reported", id)
			}
			unchanged++
		}
	}
	if unchanged != 180 {
		t.Errorf("%d unchanged candidates, want 180", unchanged)
	}
}

func TestTokenCoversChangesWhilePaging(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 23, Candidates: 300})
	first := post(t, url, testKey, "candidate.list", map[string]any{"limit": 50})
	mustSucceed(t, "candidate.list", first)
	changed := s.Apply(ashbysim.Changes{UpdatedCandidates: 30, NewCandidates: 2})
	body := map[string]any{"limit": 50, "cursor": *first.Body.NextCursor}
	var token string
	for {
		r := post(t, url, testKey, "candidate.list", body)
		mustSucceed(t, "candidate.list", r)
		if !*r.Body.MoreDataAvailable {
			token = *r.Body.SyncToken
			break
		}
		body["cursor"] = *r.Body.NextCursor
	}
	l := listAll(t, url, "candidate.list", map[string]any{"syncToken": token})
	if !slices.Equal(sorted(l.IDs), sorted(changed["candidate.list"])) {
		t.Errorf("changes made during paging: got %d ids back, want the %d changed", len(l.IDs), len(changed["candidate.list"]))
	}
}

func TestInvalidSyncToken(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 24, Candidates: 50})
	userToken := listAll(t, url, "user.list", nil).SyncToken

	ahead := ashbysim.New(ashbysim.Config{Seed: 24, Candidates: 50})
	ahead.Apply(ashbysim.Changes{UpdatedCandidates: 1})
	futureToken, err := ahead.SyncToken("candidate.list")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
	}{
		{"Garbage", "%%%"},
		{"Noise", "dGhpcyBpcyBub3Q"},
		{"OtherEndpoint", userToken},
		{"FromLaterState", futureToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, post(t, url, testKey, "candidate.list", map[string]any{"syncToken": tt.token}), http.StatusOK, "sync_token_invalid")
		})
	}
	t.Run("SameState", func(t *testing.T) {
		s.Apply(ashbysim.Changes{UpdatedCandidates: 1})
		r := post(t, url, testKey, "candidate.list", map[string]any{"syncToken": futureToken})
		mustSucceed(t, "candidate.list", r)
		if len(r.Body.Results) != 0 {
			t.Errorf("token of the current state returned %d changes", len(r.Body.Results))
		}
	})
	if _, err := s.SyncToken("source.list"); err == nil {
		t.Error("SyncToken issued a token for source.list, which has no incremental sync")
	}
}

func TestNewApplications(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 25, Candidates: 100})
	changed := s.Apply(ashbysim.Changes{NewCandidates: 3, NewApplications: 6})
	if len(changed["application.list"]) != 6 {
		t.Fatalf("Apply added %d applications, want 6", len(changed["application.list"]))
	}
	candidates := map[string]map[string]any{}
	for _, item := range listAll(t, url, "candidate.list", nil).Items {
		m := decodeMap(t, item)
		candidates[m["id"].(string)] = m
	}
	if len(candidates) != 103 {
		t.Errorf("%d candidates after adding 3 to 100", len(candidates))
	}
	apps := map[string]map[string]any{}
	for _, item := range listAll(t, url, "application.list", nil).Items {
		m := decodeMap(t, item)
		apps[m["id"].(string)] = m
	}
	for _, id := range changed["application.list"] {
		app, ok := apps[id]
		if !ok {
			t.Fatalf("new application %s not listed", id)
		}
		owner := app["candidate"].(map[string]any)["id"].(string)
		if !slices.Contains(changed["candidate.list"], owner) {
			t.Errorf("candidate %s of new application %s not reported as changed", owner, id)
		}
		var listed bool
		for _, a := range candidates[owner]["applicationIds"].([]any) {
			listed = listed || a == id
		}
		if !listed {
			t.Errorf("candidate %s does not list its new application %s", owner, id)
		}
		if app["status"] != "Active" {
			t.Errorf("new application %s has status %v", id, app["status"])
		}
	}
}

func TestArchivedApplications(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 26, Candidates: 100})
	changed := s.Apply(ashbysim.Changes{ArchivedApplications: 5})
	apps := map[string]map[string]any{}
	for _, item := range listAll(t, url, "application.list", nil).Items {
		m := decodeMap(t, item)
		apps[m["id"].(string)] = m
	}
	for _, id := range changed["application.list"] {
		app := apps[id]
		if app["status"] != "Archived" || app["archiveReason"] == nil || app["archivedAt"] != app["updatedAt"] {
			t.Errorf("archived application %s: status %v, archiveReason %v, archivedAt %v, updatedAt %v",
				id, app["status"], app["archiveReason"], app["archivedAt"], app["updatedAt"])
		}
	}
	archived := listAll(t, url, "application.list", map[string]any{"status": "Archived"})
	for _, id := range changed["application.list"] {
		if !slices.Contains(archived.IDs, id) {
			t.Errorf("status filter Archived misses %s", id)
		}
	}
	for _, item := range archived.Items {
		if decodeMap(t, item)["status"] != "Archived" {
			t.Fatalf("status filter Archived returned %s", item)
		}
	}
}

func TestCreatedAfter(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 27, Candidates: 150})
	for _, endpoint := range []string{"candidate.list", "application.list", "job.list", "offer.list", "interviewSchedule.list"} {
		t.Run(endpoint, func(t *testing.T) {
			all, err := s.Objects(endpoint, nil)
			if err != nil {
				t.Fatal(err)
			}
			created := func(item json.RawMessage) int64 {
				m := decodeMap(t, item)
				if endpoint == "offer.list" {
					// Offers carry their creation time in the first version.
					m = m["latestVersion"].(map[string]any)
				}
				return parseMillis(t, m["createdAt"].(string))
			}
			cut := created(all[len(all)/2])
			var want []string
			for _, item := range all {
				if created(item) > cut {
					want = append(want, idOf(t, item))
				}
			}
			got := listAll(t, url, endpoint, map[string]any{"createdAfter": cut, "limit": 7}).IDs
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("createdAfter %d returned %d objects, want %d", cut, len(got), len(want))
			}
		})
	}
}
