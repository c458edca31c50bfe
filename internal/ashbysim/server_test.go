package ashbysim_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

var requestIDPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// checkError fails unless r is Ashby's error envelope with code and status.
func checkError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	if r.Body.Success {
		t.Errorf("success is true in an error response: %s", r.Raw)
	}
	if r.Body.ErrorInfo == nil || r.Body.ErrorInfo.Code != code {
		t.Fatalf("errorInfo.code is not %q: %s", code, r.Raw)
	}
	if !slices.Equal(r.Body.Errors, []string{code}) {
		t.Errorf("errors = %v, want [%s]", r.Body.Errors, code)
	}
	if r.Body.ErrorInfo.Message == "" {
		t.Error("errorInfo.message is empty")
	}
	if !requestIDPattern.MatchString(r.Body.ErrorInfo.RequestID) {
		t.Errorf("requestId %q is not ULID-shaped", r.Body.ErrorInfo.RequestID)
	}
}

func TestAuthMissing(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10})
	r := post(t, url, "", "candidate.list", nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", r.Status)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q, want a human-readable text body", r.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(r.Raw), "API key") {
		t.Errorf("401 body does not explain what is missing: %q", r.Raw)
	}
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

func TestAuthScopes(t *testing.T) {
	keys := map[string][]string{
		"all":  nil,
		"jobs": {ashbysim.ScopeJobsRead},
		"none": {},
	}
	s, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10, APIKeys: keys})
	tests := []struct {
		name, key, endpoint string
		status              int
	}{
		{"WrongKey", "not-a-key", "job.list", http.StatusForbidden},
		{"ScopeGranted", "jobs", "job.list", http.StatusOK},
		{"ScopeGrantedPostings", "jobs", "jobPosting.list", http.StatusOK},
		{"ScopeMissing", "jobs", "candidate.list", http.StatusForbidden},
		{"NoScopes", "none", "job.list", http.StatusForbidden},
		{"KeyInfoNeedsScope", "jobs", "apiKey.info", http.StatusForbidden},
		{"PasswordIgnored", "all", "offer.list", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, tt.key, tt.endpoint, nil)
			if tt.status == http.StatusOK {
				mustSucceed(t, tt.endpoint, r)
				return
			}
			checkError(t, r, tt.status, "missing_endpoint_permission")
		})
	}
	t.Run("NilScopesReadAll", func(t *testing.T) {
		for _, endpoint := range append(append(s.Endpoints(), s.ChildEndpoints()...), "apiKey.info") {
			params := s.ParamsForAll(endpoint)
			if sets, err := s.ParamSets(endpoint); err == nil {
				params = sets[0]
			}
			mustSucceed(t, endpoint, post(t, url, "all", endpoint, params))
		}
	})
}

func TestDefaultAPIKey(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 10})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustSucceed(t, "candidate.list", post(t, url, ashbysim.DefaultAPIKey, "candidate.list", nil))
	checkError(t, post(t, url, testKey, "candidate.list", nil), http.StatusForbidden, "missing_endpoint_permission")
}

func TestUnknownEndpoint(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10})
	for _, endpoint := range []string{"candidate.delete", "nothing", "", "candidate.list/extra"} {
		checkError(t, post(t, url, testKey, endpoint, nil), http.StatusNotFound, "endpoint_not_found")
	}
}

func TestMethodNotAllowed(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10})
	req, err := http.NewRequest(http.MethodGet, url+"/candidate.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testKey, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: status %d, Allow %q; want 405 and POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestInvalidInput(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10})
	jobs, err := s.Objects("job.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, endpoint, body string
	}{
		{"MalformedJSON", "candidate.list", `{"limit": 5`},
		{"ArrayBody", "candidate.list", `[1, 2]`},
		{"NullBody", "candidate.list", `null`},
		{"StringBody", "candidate.list", `"hello"`},
		{"LimitString", "candidate.list", `{"limit": "25"}`},
		{"LimitFraction", "candidate.list", `{"limit": 2.5}`},
		{"CursorNumber", "candidate.list", `{"cursor": 7}`},
		{"SyncTokenBool", "application.list", `{"syncToken": true}`},
		{"CreatedAfterString", "candidate.list", `{"createdAfter": "2024-01-01"}`},
		{"CreatedAfterFraction", "offer.list", `{"createdAfter": 1.5}`},
		{"IncludeArchivedString", "department.list", `{"includeArchived": "true"}`},
		{"IncludeDeactivatedNumber", "user.list", `{"includeDeactivated": 1}`},
		{"JobStatusUnknown", "job.list", `{"status": ["Open", "Paused"]}`},
		{"JobStatusNotArray", "job.list", `{"status": "Open"}`},
		{"ApplicationStatusUnknown", "application.list", `{"status": "Rejected"}`},
		{"JobIDNotUUID", "application.list", `{"jobId": "job-1"}`},
		{"OfferStatusEmpty", "offer.list", `{"offerStatus": []}`},
		{"ExpandUnknown", "job.list", `{"expand": ["openings", "history"]}`},
		{"ExpandLocationOnApplications", "application.list", `{"expand": ["location"]}`},
		{"ListedOnlyString", "jobPosting.list", `{"listedOnly": "yes"}`},
		{"SourceIncludeArchivedNumber", "source.list", `{"includeArchived": 0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, post(t, url, testKey, tt.endpoint, tt.body), http.StatusOK, "invalid_input")
		})
	}
	t.Run("ValidFilters", func(t *testing.T) {
		bodies := map[string]string{
			"application.list": `{"jobId": "` + idOf(t, jobs[0]) + `", "status": "Active", "createdAfter": 0}`,
			"offer.list":       `{"offerStatus": ["CandidateAccepted"], "acceptanceStatus": ["Accepted"], "approvalStatus": ["Approved"]}`,
			"job.list":         `{"status": ["Draft"], "expand": ["location"], "openedAfter": 0, "includeUnpublishedJobPostingsIds": true}`,
			"jobPosting.list":  `{"listedOnly": true, "location": "Nowhere"}`,
			"candidate.list":   `{"limit": null, "cursor": "", "syncToken": "", "unknownParameter": {"a": 1}}`,
		}
		for endpoint, body := range bodies {
			mustSucceed(t, endpoint, post(t, url, testKey, endpoint, body))
		}
	})
}

func TestEmptyBody(t *testing.T) {
	_, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10})
	r := post(t, url, testKey, "candidate.list", " ")
	mustSucceed(t, "candidate.list", r)
	if len(r.Body.Results) != 10 {
		t.Errorf("empty body listed %d candidates, want 10", len(r.Body.Results))
	}
}

func TestAPIKeyInfo(t *testing.T) {
	keys := map[string][]string{
		"all":     nil,
		"limited": {ashbysim.ScopeAPIKeysRead, ashbysim.ScopeCandidatesRead},
	}
	_, url := startServer(t, ashbysim.Config{Seed: 1, Candidates: 10, APIKeys: keys})
	tests := []struct {
		key    string
		scopes []string
	}{
		{"limited", []string{"apiKeysRead", "candidatesRead"}},
		{"all", []string{"apiKeysRead", "approvalsRead", "candidatesRead", "hiringProcessMetadataRead", "interviewsRead", "jobsRead", "offersRead", "organizationRead"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r := post(t, url, tt.key, "apiKey.info", nil)
			mustSucceed(t, "apiKey.info", r)
			info := decodeMap(t, r.Body.RawResults)
			if info["title"] == "" || info["createdAt"] == nil {
				t.Errorf("apiKey.info lacks title or createdAt: %s", r.Raw)
			}
			var scopes []string
			for _, s := range info["scopes"].([]any) {
				scopes = append(scopes, s.(string))
			}
			if !slices.Equal(scopes, tt.scopes) {
				t.Errorf("scopes %v, want %v", scopes, tt.scopes)
			}
			if strings.Contains(string(r.Raw), tt.key) {
				t.Error("apiKey.info echoes the key")
			}
		})
	}
}

func TestStartClose(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 10})
	if err := s.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	mustSucceed(t, "candidate.list", post(t, url, ashbysim.DefaultAPIKey, "candidate.list", nil))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Post(url+"/candidate.list", "application/json", strings.NewReader("{}")); err == nil {
		t.Error("server still answers after Close")
	}
	url, err = s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("restart after Close: %v", err)
	}
	defer s.Close()
	mustSucceed(t, "candidate.list", post(t, url, ashbysim.DefaultAPIKey, "candidate.list", nil))
}
