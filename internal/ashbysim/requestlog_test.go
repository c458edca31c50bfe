package ashbysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

func TestRequestLog(t *testing.T) {
	const secret = "unique-secret-key-4f9c1d"
	keys := map[string][]string{secret: {ashbysim.ScopeCandidatesRead}}
	s, url := startServer(t, ashbysim.Config{Seed: 41, Candidates: 30, APIKeys: keys})
	first := post(t, url, secret, "candidate.list", map[string]any{"limit": 5})
	post(t, url, secret, "candidate.list", map[string]any{"limit": 5, "cursor": *first.Body.NextCursor, "syncToken": "bogus"})
	post(t, url, secret, "job.list", nil)
	post(t, url, "", "candidate.list", nil)
	post(t, url, "wrong-key", "candidate.list", nil)
	post(t, url, secret, "candidate.list", `{"limit": `)

	log := s.Requests()
	if len(log) != 6 {
		t.Fatalf("%d requests logged, want 6", len(log))
	}
	want := []struct {
		endpoint string
		auth     ashbysim.AuthOutcome
		status   int
		code     string
	}{
		{"candidate.list", ashbysim.AuthOK, http.StatusOK, ""},
		{"candidate.list", ashbysim.AuthOK, http.StatusOK, "sync_token_invalid"},
		{"job.list", ashbysim.AuthMissingScope, http.StatusForbidden, "missing_endpoint_permission"},
		{"candidate.list", ashbysim.AuthMissing, http.StatusUnauthorized, ""},
		{"candidate.list", ashbysim.AuthInvalidKey, http.StatusForbidden, "missing_endpoint_permission"},
		{"candidate.list", ashbysim.AuthOK, http.StatusOK, "invalid_input"},
	}
	for i, w := range want {
		r := log[i]
		if r.Seq != i+1 || r.Endpoint != w.endpoint || r.Auth != w.auth || r.Status != w.status || r.ErrorCode != w.code {
			t.Errorf("entry %d = seq %d %s %s %d %q; want %s %s %d %q",
				i, r.Seq, r.Endpoint, r.Auth, r.Status, r.ErrorCode, w.endpoint, w.auth, w.status, w.code)
		}
	}
	if log[0].Results != 5 || log[0].Body["limit"] != json.Number("5") {
		t.Errorf("entry 0: results %d, body %v", log[0].Results, log[0].Body)
	}
	if log[1].Cursor != *first.Body.NextCursor || log[1].SyncToken != "bogus" {
		t.Errorf("entry 1: cursor %q, syncToken %q", log[1].Cursor, log[1].SyncToken)
	}
	if log[5].Body != nil {
		t.Errorf("malformed body decoded as %v", log[5].Body)
	}
	if dump := fmt.Sprintf("%#v", log); strings.Contains(dump, secret) {
		t.Error("the request log contains the API key")
	}

	s.ResetRequests()
	post(t, url, secret, "candidate.list", nil)
	log = s.Requests()
	if len(log) != 1 {
		t.Fatalf("after reset: %d entries, want 1", len(log))
	}
	if log[0].Seq != 7 {
		t.Errorf("after reset: seq %d, want 7", log[0].Seq)
	}
}

func TestRequestLogLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		max   int
	}{
		{"Capped", 10, 10},
		{"Off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := startServer(t, ashbysim.Config{Seed: 41, Candidates: 5, RequestLogLimit: tt.limit})
			for range 25 {
				post(t, url, testKey, "user.list", nil)
			}
			log := s.Requests()
			if len(log) > tt.max {
				t.Fatalf("%d entries kept, limit %d", len(log), tt.max)
			}
			if tt.max > 0 && log[len(log)-1].Seq != 25 {
				t.Errorf("newest entry has seq %d, want 25", log[len(log)-1].Seq)
			}
		})
	}
}
