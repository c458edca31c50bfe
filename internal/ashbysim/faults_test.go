package ashbysim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

func addFault(t *testing.T, s *ashbysim.Server, f ashbysim.Fault) {
	t.Helper()
	if err := s.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func TestFaultRateLimit(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Endpoint: "candidate.list", Times: 2, RetryAfter: 3})
	mustSucceed(t, "job.list", post(t, url, testKey, "job.list", nil))
	for i := range 2 {
		r := post(t, url, testKey, "candidate.list", nil)
		checkError(t, r, http.StatusTooManyRequests, "rate_limited")
		if got := r.Header.Get("Retry-After"); got != "3" {
			t.Errorf("response %d: Retry-After %q, want 3", i, got)
		}
	}
	r := post(t, url, testKey, "candidate.list", nil)
	mustSucceed(t, "candidate.list", r)
	if r.Header.Get("Retry-After") != "" {
		t.Error("Retry-After on a normal response")
	}
}

func TestFaultServerError(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultServerError, Times: 1, Status: http.StatusBadGateway})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultServerError, Endpoint: "user.list", Times: 1})
	checkError(t, post(t, url, testKey, "offer.list", nil), http.StatusBadGateway, "server_error")
	checkError(t, post(t, url, testKey, "user.list", nil), http.StatusInternalServerError, "server_error")
	mustSucceed(t, "user.list", post(t, url, testKey, "user.list", nil))
	mustSucceed(t, "offer.list", post(t, url, testKey, "offer.list", nil))
}

func TestFaultSyncTokenExpired(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	token := listAll(t, url, "candidate.list", nil).SyncToken
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultSyncTokenExpired, Endpoint: "candidate.list"})
	mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", nil))
	for range 3 {
		checkError(t, post(t, url, testKey, "candidate.list", map[string]any{"syncToken": token}), http.StatusOK, "sync_token_expired")
	}
	s.ClearFaults()
	mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", map[string]any{"syncToken": token}))
}

func TestFaultInvalidCursor(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultInvalidCursor, Times: 1})
	first := post(t, url, testKey, "application.list", map[string]any{"limit": 5})
	mustSucceed(t, "application.list", first)
	next := map[string]any{"limit": 5, "cursor": *first.Body.NextCursor}
	checkError(t, post(t, url, testKey, "application.list", next), http.StatusOK, "invalid_next_cursor")
	mustSucceed(t, "application.list", post(t, url, testKey, "application.list", next))
}

func TestFaultErrorCode(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	token := listAll(t, url, "candidate.list", nil).SyncToken
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultErrorCode, Endpoint: "offer.list", Code: "offer_module_unavailable"})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultErrorCode, Code: "incremental_sync_too_large", OnlyWithSyncToken: true, Times: 1})
	for range 2 {
		checkError(t, post(t, url, testKey, "offer.list", nil), http.StatusOK, "offer_module_unavailable")
	}
	mustSucceed(t, "job.list", post(t, url, testKey, "job.list", nil))
	mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", nil))
	checkError(t, post(t, url, testKey, "candidate.list", map[string]any{"syncToken": token}), http.StatusOK, "incremental_sync_too_large")
	mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", map[string]any{"syncToken": token}))
}

func TestFaultAfterAuth(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 31, Candidates: 20})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultServerError, Times: 1})
	if r := post(t, url, "", "job.list", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("request without key: status %d, want 401", r.Status)
	}
	checkError(t, post(t, url, "wrong", "job.list", nil), http.StatusForbidden, "missing_endpoint_permission")
	checkError(t, post(t, url, testKey, "job.list", `{"limit": `), http.StatusOK, "invalid_input")
	checkError(t, post(t, url, testKey, "job.list", nil), http.StatusInternalServerError, "server_error")
	var faults int
	for _, r := range s.Requests() {
		if r.Fault {
			faults++
		}
	}
	if faults != 1 {
		t.Errorf("request log marks %d responses as faults, want 1", faults)
	}
}

func TestAddFaultRejects(t *testing.T) {
	s := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 5})
	tests := []struct {
		name  string
		fault ashbysim.Fault
	}{
		{"NoKind", ashbysim.Fault{}},
		{"UnknownKind", ashbysim.Fault{Kind: 99}},
		{"CodeMissing", ashbysim.Fault{Kind: ashbysim.FaultErrorCode}},
		{"StatusNot5xx", ashbysim.Fault{Kind: ashbysim.FaultServerError, Status: 404}},
		{"NegativeTimes", ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Times: -1}},
		{"UnknownEndpoint", ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Endpoint: "candidates.list"}},
		{"NegativeRetryAfter", ashbysim.Fault{Kind: ashbysim.FaultRateLimit, RetryAfter: -1}},
		{"NegativeSkip", ashbysim.Fault{Kind: ashbysim.FaultServerError, Skip: -1}},
		{"NegativeDelay", ashbysim.Fault{Kind: ashbysim.FaultSlow, Delay: -time.Second}},
		{"DelayOnRateLimit", ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Delay: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddFault(tt.fault); err == nil {
				t.Error("AddFault accepted an invalid fault")
			}
		})
	}
}
