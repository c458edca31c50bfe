package ashbysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// childCounts returns the number of children of each parent of a
// per-parent endpoint, by parent id.
func childCounts(t *testing.T, s *ashbysim.Server, endpoint string) map[string]int {
	t.Helper()
	info, _ := s.Endpoint(endpoint)
	sets, err := s.ParamSets(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, params := range sets {
		items, err := s.Objects(endpoint, params)
		if err != nil {
			t.Fatal(err)
		}
		out[params[info.ParentParam].(string)] = len(items)
	}
	return out
}

func TestChildCounts(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 71, Candidates: 300})
	tests := []struct {
		endpoint       string
		minAvg, maxAvg float64
		maxEach        int
	}{
		{"application.listHistory", 2, 6, 8},
		{"candidate.listNotes", 1, 2, 3},
		{"candidate.listProjects", 0.1, 0.3, 1},
		{"candidate.listClientInfo", 0.4, 1.2, 4},
		{"interviewStage.list", 8, 8, 8},
		{"user.listInterviewerPauses", 0.1, 1, 2},
		{"offer.info", 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			counts := childCounts(t, s, tt.endpoint)
			total := 0
			for parent, n := range counts {
				total += n
				if n > tt.maxEach {
					t.Errorf("parent %s has %d children, want at most %d", parent, n, tt.maxEach)
				}
			}
			avg := float64(total) / float64(len(counts))
			if avg < tt.minAvg || avg > tt.maxAvg {
				t.Errorf("%.2f children per parent over %d parents, want %.1f to %.1f",
					avg, len(counts), tt.minAvg, tt.maxAvg)
			}
		})
	}
}

func TestChildChangesReported(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 72, Candidates: 200})
	endpoints := []string{"application.listHistory", "candidate.listNotes", "candidate.listClientInfo",
		"offer.info", "candidate.listProjects", "jobInterviewPlan.info", "user.interviewerSettings"}
	before := map[string]map[string]string{}
	for _, endpoint := range endpoints {
		before[endpoint] = childSnapshot(t, s, endpoint)
	}
	changed := s.Apply(ashbysim.Changes{
		UpdatedCandidates: 5, NewApplications: 6, UpdatedApplications: 4, ArchivedApplications: 3,
		NewOffers: 2, UpdatedOffers: 3, UpdatedProjects: 1, NewJobs: 1, NewUsers: 1,
		MergedCandidates: 1,
	})
	for _, endpoint := range endpoints {
		t.Run(endpoint, func(t *testing.T) {
			after := childSnapshot(t, s, endpoint)
			var differ []string
			for parent, items := range after {
				if before[endpoint][parent] != items {
					differ = append(differ, parent)
				}
			}
			if len(differ) == 0 {
				t.Fatal("no parent's children changed")
			}
			if !slices.Equal(sorted(differ), sorted(changed[endpoint])) {
				t.Errorf("children changed for %d parents %v, Apply reported %d %v",
					len(differ), sorted(differ), len(changed[endpoint]), sorted(changed[endpoint]))
			}
		})
	}
}

// childSnapshot returns the children of every parent as one string each.
func childSnapshot(t *testing.T, s *ashbysim.Server, endpoint string) map[string]string {
	t.Helper()
	info, _ := s.Endpoint(endpoint)
	sets, err := s.ParamSets(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, params := range sets {
		items, err := s.Objects(endpoint, params)
		if err != nil {
			t.Fatal(err)
		}
		out[params[info.ParentParam].(string)] = fmt.Sprintf("%s", items)
	}
	return out
}

func TestChildGrowsWithParent(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 73, Candidates: 150})
	counts := map[string]map[string]int{}
	for _, endpoint := range []string{"application.listHistory", "candidate.listNotes", "offer.info"} {
		counts[endpoint] = childCounts(t, s, endpoint)
	}
	changed := s.Apply(ashbysim.Changes{UpdatedCandidates: 3, UpdatedApplications: 3, UpdatedOffers: 2})
	t.Run("HistoryEntry", func(t *testing.T) {
		for _, app := range changed["application.listHistory"] {
			items, err := s.Objects("application.listHistory", map[string]any{"applicationId": app})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != counts["application.listHistory"][app]+1 {
				t.Errorf("application %s has %d history entries, had %d", app, len(items), counts["application.listHistory"][app])
			}
		}
	})
	t.Run("Note", func(t *testing.T) {
		for _, c := range changed["candidate.listNotes"] {
			r := post(t, url, testKey, "candidate.listNotes", map[string]any{"candidateId": c})
			mustSucceed(t, "candidate.listNotes", r)
			if len(r.Body.Results) != counts["candidate.listNotes"][c]+1 {
				t.Errorf("candidate %s has %d notes, had %d", c, len(r.Body.Results), counts["candidate.listNotes"][c])
			}
		}
	})
	t.Run("OfferVersion", func(t *testing.T) {
		for _, offer := range changed["offer.info"] {
			r := post(t, url, testKey, "offer.info", map[string]any{"offerId": offer})
			mustSucceed(t, "offer.info", r)
			var info struct {
				LatestVersion struct{ ID string } `json:"latestVersion"`
				Versions      []struct{ ID string }
			}
			if err := json.Unmarshal(r.Body.RawResults, &info); err != nil {
				t.Fatal(err)
			}
			if len(info.Versions) != 2 {
				t.Fatalf("offer %s has %d versions after one update, want 2", offer, len(info.Versions))
			}
			if info.Versions[1].ID != info.LatestVersion.ID || info.Versions[0].ID == info.Versions[1].ID {
				t.Errorf("offer %s: versions %v, latest %s", offer, info.Versions, info.LatestVersion.ID)
			}
		}
	})
}

func TestDeletesVanish(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 74, Candidates: 200})
	before := loadCatalogue(t, s)
	s.Apply(ashbysim.Changes{
		DeletedCandidates: 3, DeletedApplications: 3, DeletedOffers: 2, DeletedOpenings: 2,
		DeletedJobPostings: 1, DeletedSourceTrackingLinks: 1,
	})
	after := loadCatalogue(t, s)
	for _, endpoint := range []string{"candidate.list", "application.list", "offer.list", "opening.list",
		"jobPosting.list", "sourceTrackingLink.list"} {
		t.Run(endpoint, func(t *testing.T) {
			var gone []string
			for id := range before[endpoint] {
				if after[endpoint][id] == nil {
					gone = append(gone, id)
				}
			}
			if len(gone) == 0 {
				t.Fatal("no object vanished")
			}
			for id := range after[endpoint] {
				if before[endpoint][id] == nil {
					t.Errorf("%s appeared", id)
				}
			}
			// The relations of the remaining objects still hold.
			checkRelations(t, after)
		})
	}
	t.Run("CascadeToApplications", func(t *testing.T) {
		for id, app := range before["application.list"] {
			cand := app["candidate"].(map[string]any)["id"].(string)
			if after["candidate.list"][cand] == nil && after["application.list"][id] != nil {
				t.Errorf("application %s of deleted candidate %s is still listed", id, cand)
			}
		}
	})
	t.Run("ChildrenNotFound", func(t *testing.T) {
		for endpoint, parents := range map[string]string{
			"candidate.listNotes": "candidate.list", "application.listHistory": "application.list",
			"offer.info": "offer.list",
		} {
			info, _ := s.Endpoint(endpoint)
			for id := range before[parents] {
				if after[parents][id] != nil {
					continue
				}
				r := post(t, url, testKey, endpoint, map[string]any{info.ParentParam: id})
				checkError(t, r, http.StatusOK, info.NotFoundCode)
			}
		}
	})
}

func TestDeletesNotIncremental(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 75, Candidates: 150})
	token, err := s.SyncToken("candidate.list")
	if err != nil {
		t.Fatal(err)
	}
	updated := s.Apply(ashbysim.Changes{UpdatedCandidates: 40})["candidate.list"]
	s.Apply(ashbysim.Changes{DeletedCandidates: 40})
	l := listAll(t, url, "candidate.list", map[string]any{"syncToken": token})
	current := map[string]bool{}
	for _, id := range objectIDs(t, s, "candidate.list", nil) {
		current[id] = true
	}
	for _, id := range l.IDs {
		if !current[id] {
			t.Errorf("incremental listing returned deleted candidate %s", id)
		}
	}
	if len(l.IDs) >= len(updated) {
		t.Errorf("incremental listing returned %d of %d updated candidates; 40 random deletes should hit some",
			len(l.IDs), len(updated))
	}
}

func TestMergeMovesApplications(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 76, Candidates: 120})
	before := loadCatalogue(t, s)
	changed := s.Apply(ashbysim.Changes{MergedCandidates: 2})
	after := loadCatalogue(t, s)
	var merged []string
	for id := range before["candidate.list"] {
		if after["candidate.list"][id] == nil {
			merged = append(merged, id)
		}
	}
	if len(merged) != 2 {
		t.Fatalf("%d candidates vanished, want 2", len(merged))
	}
	for _, from := range merged {
		for _, appID := range before["candidate.list"][from]["applicationIds"].([]any) {
			app := after["application.list"][appID.(string)]
			if app == nil {
				t.Errorf("application %s of merged candidate %s vanished", appID, from)
				continue
			}
			into := app["candidate"].(map[string]any)["id"].(string)
			if into == from || after["candidate.list"][into] == nil {
				t.Errorf("application %s names candidate %s after the merge", appID, into)
			}
			if !slices.Contains(changed["application.list"], appID.(string)) {
				t.Errorf("moved application %s is not reported as changed", appID)
			}
			if !slices.Contains(changed["candidate.list"], into) {
				t.Errorf("candidate %s that gained application %s is not reported as changed", into, appID)
			}
		}
	}
	checkRelations(t, after)
}

func TestParentNotFoundFault(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 77, Candidates: 60})
	apps, err := s.ParentIDs("application.listHistory")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("FirstN", func(t *testing.T) {
		if err := s.AddFault(ashbysim.Fault{Kind: ashbysim.FaultParentNotFound, Endpoint: "application.listHistory", Times: 2}); err != nil {
			t.Fatal(err)
		}
		defer s.ClearFaults()
		for k, app := range apps[:3] {
			r := post(t, url, testKey, "application.listHistory", map[string]any{"applicationId": app})
			if k < 2 {
				checkError(t, r, http.StatusOK, "application_not_found")
			} else {
				mustSucceed(t, "application.listHistory", r)
			}
		}
	})
	t.Run("GivenIDs", func(t *testing.T) {
		if err := s.AddFault(ashbysim.Fault{Kind: ashbysim.FaultParentNotFound, IDs: []string{apps[1]}}); err != nil {
			t.Fatal(err)
		}
		defer s.ClearFaults()
		for range 2 {
			mustSucceed(t, "application.listHistory", post(t, url, testKey, "application.listHistory", map[string]any{"applicationId": apps[0]}))
			r := post(t, url, testKey, "application.listHistory", map[string]any{"applicationId": apps[1]})
			checkError(t, r, http.StatusOK, "application_not_found")
		}
		mustSucceed(t, "application.list", post(t, url, testKey, "application.list", nil))
	})
	t.Run("InvalidEndpoint", func(t *testing.T) {
		if err := s.AddFault(ashbysim.Fault{Kind: ashbysim.FaultParentNotFound, Endpoint: "candidate.list"}); err == nil {
			t.Error("a parent fault on a list endpoint was accepted")
		}
	})
}

func TestNewScopes(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 78, Candidates: 30, APIKeys: map[string][]string{
		"candidates": {ashbysim.ScopeCandidatesRead},
		"approvals":  {ashbysim.ScopeApprovalsRead},
		"interviews": {ashbysim.ScopeInterviewsRead},
	}})
	tests := []struct {
		key, endpoint string
		status        int
	}{
		{"candidates", "approval.list", http.StatusForbidden},
		{"approvals", "approval.list", http.StatusOK},
		{"candidates", "project.list", http.StatusOK},
		{"candidates", "interviewPlan.list", http.StatusForbidden},
		{"interviews", "interviewPlan.list", http.StatusOK},
		{"interviews", "interviewStageGroup.list", http.StatusOK},
		{"interviews", "opening.list", http.StatusForbidden},
		{"candidates", "offer.info", http.StatusForbidden},
		{"candidates", "user.interviewerSettings", http.StatusForbidden},
		{"candidates", "jobBoard.list", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.endpoint, func(t *testing.T) {
			r := post(t, url, tt.key, tt.endpoint, nil)
			if tt.status == http.StatusOK {
				mustSucceed(t, tt.endpoint, r)
				return
			}
			checkError(t, r, tt.status, "missing_endpoint_permission")
		})
	}
}

func TestSurveyTypeTokens(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 79, Candidates: 200})
	tokens := map[string]string{}
	for _, typ := range []string{"CandidateExperience", "Questionnaire"} {
		tokens[typ] = listAll(t, url, "surveySubmission.list", map[string]any{"surveyType": typ, "limit": 7}).SyncToken
	}
	if tokens["CandidateExperience"] == tokens["Questionnaire"] {
		t.Fatal("both survey types got the same sync token")
	}
	changed := s.Apply(ashbysim.Changes{NewSurveySubmissions: 12})
	var got []string
	for typ, token := range tokens {
		l := listAll(t, url, "surveySubmission.list", map[string]any{"surveyType": typ, "syncToken": token})
		for _, item := range l.Items {
			if m := decodeMap(t, item); m["surveyType"] != typ {
				t.Errorf("%s listing returned a %v submission", typ, m["surveyType"])
			}
		}
		got = append(got, l.IDs...)
	}
	if !slices.Equal(sorted(got), sorted(changed["surveySubmission.list"])) {
		t.Errorf("incremental listings returned %v, Apply changed %v", sorted(got), sorted(changed["surveySubmission.list"]))
	}
	r := post(t, url, testKey, "surveySubmission.list",
		map[string]any{"surveyType": "Questionnaire", "syncToken": tokens["CandidateExperience"]})
	checkError(t, r, http.StatusOK, "sync_token_invalid")
}

func TestJobBoards(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 80, Candidates: 400})
	boards := listAll(t, url, "jobBoard.list", nil)
	internal := 0
	for _, item := range boards.Items {
		if decodeMap(t, item)["isInternal"] == true {
			internal++
		}
	}
	if len(boards.IDs) < 2 || internal == 0 {
		t.Fatalf("%d boards, %d internal; want at least two, one internal", len(boards.IDs), internal)
	}
	seen := map[string]string{}
	for _, board := range boards.IDs {
		l := listAll(t, url, "jobPosting.list", map[string]any{"jobBoardId": board})
		if len(l.IDs) == 0 {
			t.Errorf("board %s has no postings", board)
		}
		for _, id := range l.IDs {
			if other, ok := seen[id]; ok {
				t.Errorf("posting %s is on boards %s and %s", id, other, board)
			}
			seen[id] = board
		}
	}
	primary := listAll(t, url, "jobPosting.list", nil)
	if !slices.Equal(primary.IDs, objectIDs(t, s, "jobPosting.list", map[string]any{"jobBoardId": boards.IDs[0]})) {
		t.Error("jobPosting.list without jobBoardId differs from the first board's postings")
	}
}

func TestHiringTeamRoleNames(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 81, Candidates: 10})
	names := post(t, url, testKey, "hiringTeamRole.list", nil)
	mustSucceed(t, "hiringTeamRole.list", names)
	var titles []string
	if err := json.Unmarshal(names.Body.RawResults, &titles); err != nil {
		t.Fatalf("namesOnly default: results are not strings: %s", names.Raw)
	}
	full := post(t, url, testKey, "hiringTeamRole.list", map[string]any{"namesOnly": false})
	mustSucceed(t, "hiringTeamRole.list", full)
	for k, item := range full.Body.Results {
		m := decodeMap(t, item)
		if m["id"] == nil || m["title"] != titles[k] {
			t.Errorf("role %d: %s, want id and title %q", k, item, titles[k])
		}
	}
}

func TestDeterministicChildren(t *testing.T) {
	cfg := ashbysim.Config{Seed: 82, Candidates: 90}
	a, b := ashbysim.New(cfg), ashbysim.New(cfg)
	changes := ashbysim.Changes{UpdatedCandidates: 3, UpdatedOffers: 2, MergedCandidates: 1, DeletedApplications: 2}
	for round := range 2 {
		for _, endpoint := range a.ChildEndpoints() {
			if sa, sb := childSnapshot(t, a, endpoint), childSnapshot(t, b, endpoint); fmt.Sprint(sa) != fmt.Sprint(sb) {
				t.Fatalf("round %d: %s differs between two servers with the same seed", round, endpoint)
			}
		}
		if ca, cb := a.Apply(changes), b.Apply(changes); fmt.Sprint(ca) != fmt.Sprint(cb) {
			t.Fatalf("the same changes picked different objects")
		}
	}
}
