package ashbysim_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// pagedEndpoints returns the top-level endpoints that page with cursors,
// issue sync tokens and change with allChanges.
func pagedEndpoints(s *ashbysim.Server) []string {
	var out []string
	for _, endpoint := range s.Endpoints() {
		info, _ := s.Endpoint(endpoint)
		sets, _ := s.ParamSets(endpoint)
		if info.Incremental && !unchangedCatalogues[endpoint] && len(sets) == 1 {
			out = append(out, endpoint)
		}
	}
	return out
}

// unchangedCatalogues issue sync tokens, but no Changes field changes
// them, so their incremental listings are always empty.
var unchangedCatalogues = map[string]bool{
	"feedbackFormDefinition.list": true, "surveyFormDefinition.list": true,
	"interviewerPool.list": true, "interview.list": true, "interviewPlan.list": true,
	"jobTemplate.list": true,
}

func TestPageSizes(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 5, Candidates: 250})
	tests := []struct {
		name  string
		limit any
		pages []int
	}{
		{"Default", nil, []int{100, 100, 50}},
		{"Zero", 0, []int{100, 100, 50}},
		{"Negative", -3, []int{100, 100, 50}},
		{"Capped", 500, []int{100, 100, 50}},
		{"Small", 120.0, []int{100, 100, 50}},
		{"Exact", 50, []int{50, 50, 50, 50, 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]any{}
			if tt.limit != nil {
				params["limit"] = tt.limit
			}
			l := listAll(t, url, "candidate.list", params)
			var sizes []int
			for _, p := range l.Pages {
				sizes = append(sizes, len(p.Body.Results))
			}
			if !slices.Equal(sizes, tt.pages) {
				t.Errorf("page sizes %v, want %v", sizes, tt.pages)
			}
		})
	}
}

func TestCursorChaining(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 6, Candidates: 90})
	for _, endpoint := range pagedEndpoints(s) {
		t.Run(endpoint, func(t *testing.T) {
			params := s.ParamsForAll(endpoint)
			want := objectIDs(t, s, endpoint, params)
			limit := 4
			if len(want) <= 2*limit {
				limit = 1
			}
			params["limit"] = limit
			l := listAll(t, url, endpoint, params)
			if !slices.Equal(l.IDs, want) {
				t.Fatalf("paging returned %d ids, Objects %d; they differ", len(l.IDs), len(want))
			}
			seen := map[string]bool{}
			for _, id := range l.IDs {
				if seen[id] {
					t.Fatalf("id %s listed twice", id)
				}
				seen[id] = true
			}
			for i, p := range l.Pages {
				last := i == len(l.Pages)-1
				if got := *p.Body.MoreDataAvailable; got == last {
					t.Errorf("page %d: moreDataAvailable %v", i, got)
				}
				if (p.Body.NextCursor == nil) != last {
					t.Errorf("page %d of %d: nextCursor present: %v", i, len(l.Pages), p.Body.NextCursor != nil)
				}
				if (p.Body.SyncToken == nil) != !last {
					t.Errorf("page %d of %d: syncToken present: %v", i, len(l.Pages), p.Body.SyncToken != nil)
				}
				if !last && len(p.Body.Results) != limit {
					t.Errorf("page %d has %d results, want %d", i, len(p.Body.Results), limit)
				}
			}
			if len(l.Pages) < 2 {
				t.Errorf("only %d page(s); the test needs several", len(l.Pages))
			}
		})
	}
}

func TestTokensShort(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 6, Candidates: 100_000})
	r := post(t, url, testKey, "candidate.list", map[string]any{"limit": 1})
	cursor := *r.Body.NextCursor
	if len(cursor) > 24 {
		t.Errorf("cursor %q is %d characters long", cursor, len(cursor))
	}
	l := listAll(t, url, "user.list", nil)
	if len(l.SyncToken) == 0 || len(l.SyncToken) > 16 {
		t.Errorf("sync token %q has %d characters", l.SyncToken, len(l.SyncToken))
	}
}

func TestInvalidCursor(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 7, Candidates: 50})
	first := post(t, url, testKey, "candidate.list", map[string]any{"limit": 5})
	cursor := *first.Body.NextCursor
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", cursor, err)
	}
	raw[len(raw)/2] ^= 0x40
	tampered := base64.RawURLEncoding.EncodeToString(raw)

	other := ashbysim.New(ashbysim.Config{Seed: 8, Candidates: 50, APIKeys: map[string][]string{testKey: nil}})
	otherURL, err := other.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	foreign := *post(t, otherURL, testKey, "candidate.list", map[string]any{"limit": 5}).Body.NextCursor

	tests := []struct {
		name, endpoint, cursor string
	}{
		{"Garbage", "candidate.list", "not a cursor!"},
		{"Base64Noise", "candidate.list", "AAAAAAAA"},
		{"Tampered", "candidate.list", tampered},
		{"OtherEndpoint", "application.list", cursor},
		{"OtherSeed", "candidate.list", foreign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, testKey, tt.endpoint, map[string]any{"cursor": tt.cursor})
			checkError(t, r, http.StatusOK, "invalid_next_cursor")
		})
	}
	t.Run("StillValid", func(t *testing.T) {
		mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", map[string]any{"cursor": cursor}))
	})
}

func TestCursorNeedsSameSyncToken(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 7, Candidates: 50})
	token := listAll(t, url, "candidate.list", nil).SyncToken
	s.Apply(ashbysim.Changes{UpdatedCandidates: 10})
	later := listAll(t, url, "candidate.list", nil).SyncToken
	first := post(t, url, testKey, "candidate.list", map[string]any{"syncToken": token, "limit": 3})
	mustSucceed(t, "candidate.list", first)
	cursor := *first.Body.NextCursor
	fullCursor := *post(t, url, testKey, "candidate.list", map[string]any{"limit": 3}).Body.NextCursor

	tests := []struct {
		name string
		body map[string]any
	}{
		{"TokenDropped", map[string]any{"cursor": cursor}},
		{"OtherToken", map[string]any{"cursor": cursor, "syncToken": later}},
		{"TokenAddedToFullListing", map[string]any{"cursor": fullCursor, "syncToken": token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, post(t, url, testKey, "candidate.list", tt.body), http.StatusOK, "invalid_next_cursor")
		})
	}
}

func TestResponseShapes(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 9, Candidates: 400})
	tests := []struct {
		endpoint string
		members  []string // top-level members in order
	}{
		{"jobPosting.list", []string{"success", "results"}},
		{"archiveReason.list", []string{"success", "results"}},
		{"source.list", []string{"success", "results", "moreDataAvailable"}},
		{"department.list", []string{"success", "results", "moreDataAvailable", "syncToken"}},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			// limit is not a parameter of the first three: it must not
			// shorten them.
			r := post(t, url, testKey, tt.endpoint, map[string]any{"limit": 1})
			if tt.endpoint == "department.list" {
				r = post(t, url, testKey, tt.endpoint, nil)
			}
			mustSucceed(t, tt.endpoint, r)
			for _, member := range []string{"success", "results", "moreDataAvailable", "nextCursor", "syncToken"} {
				has := bytes.Contains(r.Raw, []byte(`"`+member+`":`))
				if has != slices.Contains(tt.members, member) {
					t.Errorf("member %s present: %v", member, has)
				}
			}
			if tt.endpoint != "department.list" && len(r.Body.Results) < 2 {
				t.Errorf("%s ignored that it has no limit and returned %d results", tt.endpoint, len(r.Body.Results))
			}
		})
	}
}
