package ashby

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/restload/restload/schema"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a test server that returns the next of its responses for
// each request and records the request bodies.
type scripted struct {
	mu        sync.Mutex
	responses []func(w http.ResponseWriter)
	bodies    []map[string]any
	auth      []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(b, &body)
	s.bodies = append(s.bodies, body)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if len(s.responses) == 0 {
		http.Error(w, "script ended", http.StatusTeapot)
		return
	}
	next := s.responses[0]
	s.responses = s.responses[1:]
	next(w)
}

func jsonResponse(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newTestSource(t *testing.T, s *scripted, resources ...string) *Source {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	src, err := New(Config{APIKey: "k", BaseURL: srv.URL, Resources: resources, RetryDelay: time.Millisecond, MaxRetryDelay: 50 * time.Millisecond, MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func extractAll(t *testing.T, src *Source, state string) ([]string, json.RawMessage, error) {
	t.Helper()
	var ids []string
	r := src.Resources()[0]
	var st json.RawMessage
	if state != "" {
		st = json.RawMessage(state)
	}
	next, err := r.Extract(context.Background(), st, func(items []json.RawMessage) error {
		for _, it := range items {
			var v struct{ ID string }
			json.Unmarshal(it, &v)
			ids = append(ids, v.ID)
		}
		return nil
	})
	return ids, next, err
}

func TestExtractPagesAndStoresToken(t *testing.T) {
	s := &scripted{responses: []func(http.ResponseWriter){
		jsonResponse(200, `{"success":true,"results":[{"id":"a"},{"id":"b"}],"moreDataAvailable":true,"nextCursor":"c1"}`),
		jsonResponse(200, `{"success":true,"results":[{"id":"c"}],"moreDataAvailable":false,"syncToken":"tok1"}`),
	}}
	ids, next, err := extractAll(t, newTestSource(t, s, "candidates"), "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Errorf("ids %v", ids)
	}
	if string(next) != `{"sync_token":"tok1"}` {
		t.Errorf("state %s", next)
	}
	if s.bodies[0]["limit"] != float64(100) || s.bodies[0]["cursor"] != nil {
		t.Errorf("first body %v", s.bodies[0])
	}
	if s.bodies[1]["cursor"] != "c1" {
		t.Errorf("second body %v", s.bodies[1])
	}
	if s.auth[0] != "Basic az0=" && s.auth[0] != "Basic azo=" {
		t.Errorf("authorization %q, want basic auth with the key as user name", s.auth[0])
	}
}

func TestExtractSendsTokenWithCursor(t *testing.T) {
	s := &scripted{responses: []func(http.ResponseWriter){
		jsonResponse(200, `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":true,"nextCursor":"c1"}`),
		jsonResponse(200, `{"success":true,"results":[],"moreDataAvailable":false,"syncToken":"tok2"}`),
	}}
	_, next, err := extractAll(t, newTestSource(t, s, "candidates"), `{"sync_token":"tok1"}`)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range s.bodies {
		if b["syncToken"] != "tok1" {
			t.Errorf("request %d body %v lacks the stored token", i, b)
		}
	}
	if string(next) != `{"sync_token":"tok2"}` {
		t.Errorf("state %s", next)
	}
}

func TestExtractRelistsOnTokenErrors(t *testing.T) {
	for _, code := range []string{"sync_token_expired", "sync_token_invalid", "incremental_sync_too_large"} {
		t.Run(code, func(t *testing.T) {
			s := &scripted{responses: []func(http.ResponseWriter){
				jsonResponse(200, `{"success":false,"errors":["`+code+`"],"errorInfo":{"code":"`+code+`","message":"run a full sync"}}`),
				jsonResponse(200, `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":false,"syncToken":"fresh"}`),
			}}
			ids, next, err := extractAll(t, newTestSource(t, s, "candidates"), `{"sync_token":"old"}`)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || string(next) != `{"sync_token":"fresh"}` {
				t.Errorf("ids %v state %s", ids, next)
			}
			if _, ok := s.bodies[1]["syncToken"]; ok {
				t.Errorf("relist sent a token: %v", s.bodies[1])
			}
		})
	}
}

func TestExtractRestartsOnCursorError(t *testing.T) {
	s := &scripted{responses: []func(http.ResponseWriter){
		jsonResponse(200, `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":true,"nextCursor":"c1"}`),
		jsonResponse(200, `{"success":false,"errorInfo":{"code":"next_cursor_expired","message":"restart"}}`),
		jsonResponse(200, `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":true,"nextCursor":"c2"}`),
		jsonResponse(200, `{"success":true,"results":[{"id":"b"}],"moreDataAvailable":false,"syncToken":"t"}`),
	}}
	ids, _, err := extractAll(t, newTestSource(t, s, "candidates"), "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "a,a,b" {
		t.Errorf("ids %v, want the first page again after the restart", ids)
	}
	if _, ok := s.bodies[2]["cursor"]; ok {
		t.Errorf("restart sent a cursor: %v", s.bodies[2])
	}
}

func TestExtractRejectsRepeatedCursor(t *testing.T) {
	page := `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":true,"nextCursor":"same"}`
	s := &scripted{responses: []func(http.ResponseWriter){
		jsonResponse(200, page), jsonResponse(200, page), jsonResponse(200, page),
	}}
	_, _, err := extractAll(t, newTestSource(t, s, "candidates"), "")
	if err == nil || !strings.Contains(err.Error(), `cursor "same" was returned before`) {
		t.Fatalf("error %v, want the repeated cursor named", err)
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name      string
		responses []func(http.ResponseWriter)
		code      string
		want      []string
	}{
		{"error info", []func(http.ResponseWriter){jsonResponse(200, `{"success":false,"errorInfo":{"code":"invalid_input","message":"bad limit","requestId":"R1"}}`)},
			"invalid_input", []string{"candidate.list", "invalid_input", "bad limit", "R1"}},
		{"deprecated errors", []func(http.ResponseWriter){jsonResponse(200, `{"success":false,"errors":["old_style"]}`)},
			"old_style", []string{"old_style"}},
		{"error objects", []func(http.ResponseWriter){jsonResponse(200, `{"success":false,"errors":[{"code":"obj_style"}]}`)},
			"obj_style", []string{"obj_style"}},
		{"unauthorized", []func(http.ResponseWriter){jsonResponse(401, `Unauthorized`)},
			"", []string{"HTTP 401", "SOURCES__ASHBY__API_KEY"}},
		{"missing permission", []func(http.ResponseWriter){jsonResponse(403, `{"success":false,"errorInfo":{"code":"missing_endpoint_permission","message":"needs candidatesRead"}}`)},
			"missing_endpoint_permission", []string{"HTTP 403", "candidatesRead", "permission"}},
		{"not json", []func(http.ResponseWriter){jsonResponse(200, `<html>oops</html>`)},
			"", []string{"not the JSON envelope", "<html>oops"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{responses: tc.responses}
			_, _, err := extractAll(t, newTestSource(t, s, "candidates"), "")
			if err == nil {
				t.Fatal("no error")
			}
			var ae *APIError
			if tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code) {
				t.Errorf("error %v, want code %s", err, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(s.bodies) != 1 {
				t.Errorf("%d requests, want 1: errors other than 429 and 5xx are not retried", len(s.bodies))
			}
		})
	}
}

func TestRetriesThenGivesUp(t *testing.T) {
	var responses []func(http.ResponseWriter)
	for range 4 {
		responses = append(responses, jsonResponse(503, `down`))
	}
	s := &scripted{responses: responses}
	_, _, err := extractAll(t, newTestSource(t, s, "candidates"), "")
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("error %v, want HTTP 503 after 4 attempts", err)
	}
	if len(s.bodies) != 4 {
		t.Errorf("%d requests, want 4", len(s.bodies))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing key", Config{}, "SOURCES__ASHBY__API_KEY"},
		{"bad url", Config{APIKey: "k", BaseURL: "ftp://x"}, "SOURCES__ASHBY__BASE_URL"},
		{"credentials in url", Config{APIKey: "k", BaseURL: "https://key123@api.example.com"}, "contains credentials"},
		{"plain http", Config{APIKey: "k", BaseURL: "http://api.example.com"}, "unencrypted"},
		{"blank key", Config{APIKey: "   "}, "SOURCES__ASHBY__API_KEY"},
		{"unknown resource", Config{APIKey: "k", Resources: []string{"candidate"}}, `"candidate"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to name %s", err, tc.want)
			}
		})
	}
}

func TestDefinitionMatchesResources(t *testing.T) {
	if err := Definition(DefaultBaseURL).Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range src.Resources() {
		names = append(names, r.Name())
		h := r.Hints()
		// Every resource merges by key and marks the rows a complete
		// listing lacks as deleted.
		if h.Table != r.Name() || len(h.PrimaryKey) == 0 || h.WriteDisposition != schema.Merge || !h.SoftDelete {
			t.Errorf("%s hints %+v, want table %s with a key, merged, tracking deletes", r.Name(), h, r.Name())
		}
	}
	if strings.Join(names, ",") != strings.Join(ResourceNames(), ",") {
		t.Errorf("resources %v, want %v", names, ResourceNames())
	}
	if len(names) < 40 {
		t.Errorf("%d resources, want every readable endpoint (40 or more)", len(names))
	}
}

func TestRequestBodies(t *testing.T) {
	tests := []struct {
		resource string
		want     string
	}{
		{"jobs", `{"limit":100,"status":["Draft","Open","Closed","Archived"]}`},
		{"users", `{"includeDeactivated":true,"limit":100}`},
		{"sources", `{"includeArchived":true}`},
		{"job_boards", `{}`},
		{"hiring_team_roles", `{"namesOnly":false}`},
		{"survey_submissions_questionnaire", `{"limit":100,"surveyType":"Questionnaire"}`},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			s := &scripted{responses: []func(http.ResponseWriter){
				jsonResponse(200, `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":false,"syncToken":"t"}`),
			}}
			if _, _, err := extractAll(t, newTestSource(t, s, tc.resource), ""); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(s.bodies[0])
			if string(got) != tc.want {
				t.Errorf("body %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBaseURLCredentialsNotEchoed(t *testing.T) {
	_, err := New(Config{APIKey: "k", BaseURL: "https://key123:pw@api.example.com"})
	if err == nil || strings.Contains(err.Error(), "key123") || strings.Contains(err.Error(), "pw@") {
		t.Errorf("error %v, want a rejection that does not repeat the credentials", err)
	}
}

func TestUnreachableAPIFailsFast(t *testing.T) {
	src, err := New(Config{APIKey: "k", BaseURL: "http://127.0.0.1:1", MaxRetries: 2, RetryDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	emit := func([]json.RawMessage) error { return nil }
	resources := src.Resources()
	if _, err := resources[0].Extract(context.Background(), nil, emit); err == nil || !strings.Contains(err.Error(), "SOURCES__ASHBY__BASE_URL") {
		t.Fatalf("first resource: error %v, want the base URL variable named", err)
	}
	started := time.Now()
	for _, r := range resources[1:] {
		_, err := r.Extract(context.Background(), nil, emit)
		if err == nil || !strings.Contains(err.Error(), "skipped because") {
			t.Errorf("%s: error %v, want it skipped", r.Name(), err)
		}
	}
	if d := time.Since(started); d > time.Second {
		t.Errorf("the other resources took %v, want them skipped at once", d)
	}
}
