package ashby

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// keyInfo returns a handler that writes status and the JSON body.
func keyInfo(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func prepared(t *testing.T, h http.Handler, resources ...string) (*Source, *bytes.Buffer, error) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	src, err := New(Config{APIKey: "k", BaseURL: srv.URL, Resources: resources,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return src, &logs, src.Prepare(context.Background())
}

func names(src *Source) []string {
	var out []string
	for _, r := range src.Resources() {
		out = append(out, r.Name())
	}
	return out
}

func TestPreflightSkipsByScope(t *testing.T) {
	tests := []struct {
		name   string
		scopes string
		// skipped lists resources that must be left out, kept resources
		// that must stay.
		skipped, kept []string
	}{
		{"endpoint spelling", `["candidatesRead","apiKeysRead"]`,
			[]string{"offers", "offer_versions", "jobs", "job_interview_plans", "users", "user_interviewer_settings", "approvals"},
			[]string{"candidates", "applications", "candidate_notes", "application_history", "projects"}},
		{"colon spelling", `["jobs:read","offers:read"]`,
			[]string{"candidates", "candidate_notes", "users"},
			[]string{"jobs", "job_postings", "job_boards", "offers", "offer_versions"}},
		{"every scope", `["candidatesRead","jobsRead","interviewsRead","hiringProcessMetadataRead","organizationRead","offersRead","approvalsRead"]`,
			nil, ResourceNames()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, logs, err := prepared(t, keyInfo(200, `{"success":true,"results":{"title":"k","createdAt":"2024-01-01T00:00:00Z","scopes":`+tt.scopes+`}}`))
			if err != nil {
				t.Fatal(err)
			}
			got := names(src)
			for _, n := range tt.skipped {
				if slices.Contains(got, n) {
					t.Errorf("%s kept, want it skipped", n)
				}
				if !strings.Contains(logs.String(), "resource="+n+" ") {
					t.Errorf("no warning names %s:\n%s", n, logs)
				}
			}
			for _, n := range tt.kept {
				if !slices.Contains(got, n) {
					t.Errorf("%s skipped, want it kept", n)
				}
			}
			if len(tt.skipped) > 0 && !strings.Contains(logs.String(), "permission=") {
				t.Errorf("warnings do not name the missing permission:\n%s", logs)
			}
		})
	}
}

func TestPreflightWithoutAPIKeysRead(t *testing.T) {
	src, logs, err := prepared(t, keyInfo(403, `{"success":false,"errorInfo":{"code":"missing_endpoint_permission","message":"no"}}`), "candidates", "jobs")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(src); !slices.Equal(got, []string{"jobs", "candidates"}) {
		t.Errorf("resources %v, want every selected one", got)
	}
	if !strings.Contains(logs.String(), scopeAPIKeys) {
		t.Errorf("the warning does not name %s:\n%s", scopeAPIKeys, logs)
	}
}

func TestPreflightRejectedKey(t *testing.T) {
	_, _, err := prepared(t, keyInfo(401, `unauthorized`))
	if err == nil || !strings.Contains(err.Error(), "SOURCES__ASHBY__API_KEY") {
		t.Fatalf("error %v, want it to name SOURCES__ASHBY__API_KEY", err)
	}
}

// TestChildNotFoundSkipsParent reads application history for three
// applications, the second of which no longer exists in Ashby.
func TestChildNotFoundSkipsParent(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/application.list", keyInfo(200, `{"success":true,"results":[{"id":"a1"},{"id":"a2"},{"id":"a3"}],"moreDataAvailable":false,"syncToken":"t"}`))
	var asked []string
	mux.HandleFunc("/application.listHistory", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ ApplicationID string }
		json.NewDecoder(r.Body).Decode(&body)
		asked = append(asked, body.ApplicationID)
		switch body.ApplicationID {
		case "a2":
			keyInfo(200, `{"success":false,"errorInfo":{"code":"application_not_found","message":"gone"}}`)(w, r)
		case "a3":
			keyInfo(200, `{"success":true,"results":[{"id":"h3"}],"moreDataAvailable":false}`)(w, r)
		default:
			keyInfo(200, `{"success":true,"results":[{"id":"h1"}],"moreDataAvailable":false}`)(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var logs bytes.Buffer
	src, err := New(Config{APIKey: "k", BaseURL: srv.URL, Resources: []string{"applications", "application_history"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	var complete []bool
	for _, r := range src.Resources() {
		ctx, done := source.WithCompletion(context.Background())
		_, err := r.Extract(ctx, nil, func(items []json.RawMessage) error {
			if r.Name() == "application_history" {
				for _, it := range items {
					var v struct {
						ID     string `json:"id"`
						Parent string `json:"_applications_id"`
					}
					json.Unmarshal(it, &v)
					history = append(history, v.ID+"@"+v.Parent)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", r.Name(), err)
		}
		complete = append(complete, done())
	}
	if !slices.Equal(history, []string{"h1@a1", "h3@a3"}) {
		t.Errorf("history %v, want the entries of a1 and a3", history)
	}
	if !slices.Equal(asked, []string{"a1", "a2", "a3"}) {
		t.Errorf("asked for %v", asked)
	}
	if !strings.Contains(logs.String(), "application_not_found") {
		t.Errorf("no warning names the skipped parent's error:\n%s", logs.String())
	}
	// applications listed in full; the history missed a parent, so it
	// must not mark anything deleted.
	if !slices.Equal(complete, []bool{true, false}) {
		t.Errorf("complete %v, want [true false]", complete)
	}
}

func TestChildOtherErrorFails(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/candidate.list", keyInfo(200, `{"success":true,"results":[{"id":"c1"}],"moreDataAvailable":false,"syncToken":"t"}`))
	mux.HandleFunc("/candidate.listNotes", keyInfo(200, `{"success":false,"errorInfo":{"code":"invalid_input","message":"bad"}}`))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	src, err := New(Config{APIKey: "k", BaseURL: srv.URL, Resources: []string{"candidate_notes"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Resources()[0].Extract(context.Background(), nil, func([]json.RawMessage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "invalid_input") {
		t.Fatalf("error %v, want invalid_input to fail the resource", err)
	}
}

func TestPIIHints(t *testing.T) {
	for _, mode := range []schema.PIIMode{schema.PIIHash, schema.PIIMask, schema.PIIDrop} {
		src, err := New(Config{APIKey: "k", PII: mode})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range src.Resources() {
			h := r.Hints()
			for _, f := range personalFields[r.Name()] {
				if h.Columns[f].PII != mode {
					t.Errorf("%s: %s: pii %q, want %s", mode, r.Name(), f, h.Columns[f].PII)
				}
			}
		}
	}
	src, err := New(Config{APIKey: "k", PII: PIIKeep})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range src.Resources() {
		for f, c := range r.Hints().Columns {
			if c.PII != "" {
				t.Errorf("keep: %s: %s has pii %s", r.Name(), f, c.PII)
			}
		}
	}
	if _, err := New(Config{APIKey: "k", PII: "scramble"}); err == nil || !strings.Contains(err.Error(), "keep, hash, mask or drop") {
		t.Errorf("error %v, want the valid modes listed", err)
	}
	for name := range personalFields {
		if !slices.Contains(ResourceNames(), name) {
			t.Errorf("personal fields listed for unknown resource %s", name)
		}
	}
}
