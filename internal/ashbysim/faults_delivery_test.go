package ashbysim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// faultStep is one request of a fault sequence and the response it
// expects.
type faultStep struct {
	endpoint string
	// next continues the endpoint's listing with the cursor of its last
	// successful page.
	next   bool
	status int
	code   string // expected errorInfo.code; "" expects success
}

// TestFaultCounting runs request sequences against faults that count:
// Skip, Times and PerEndpoint, alone and together.
func TestFaultCounting(t *testing.T) {
	ok := func(endpoint string) faultStep { return faultStep{endpoint: endpoint, status: http.StatusOK} }
	page := func(status int, code string) faultStep {
		return faultStep{endpoint: "candidate.list", next: true, status: status, code: code}
	}
	rateLimited := func(endpoint string) faultStep {
		return faultStep{endpoint: endpoint, status: http.StatusTooManyRequests, code: "rate_limited"}
	}
	serverError := func(endpoint string) faultStep {
		return faultStep{endpoint: endpoint, status: http.StatusInternalServerError, code: "server_error"}
	}
	tests := []struct {
		name   string
		faults []ashbysim.Fault
		steps  []faultStep
	}{
		{
			name: "SkipHitsPageThree",
			faults: []ashbysim.Fault{{Kind: ashbysim.FaultErrorCode, Endpoint: "candidate.list",
				Code: "next_cursor_expired", OnlyWithCursor: true, Skip: 1, Times: 1}},
			steps: []faultStep{ok("candidate.list"), page(http.StatusOK, ""),
				page(http.StatusOK, "next_cursor_expired"), page(http.StatusOK, ""), page(http.StatusOK, "")},
		},
		{
			name:   "SharedCount",
			faults: []ashbysim.Fault{{Kind: ashbysim.FaultServerError, Times: 2}},
			steps:  []faultStep{serverError("job.list"), serverError("user.list"), ok("user.list"), ok("job.list")},
		},
		{
			name:   "PerEndpointBurst",
			faults: []ashbysim.Fault{{Kind: ashbysim.FaultRateLimit, Times: 2, PerEndpoint: true}},
			steps: []faultStep{rateLimited("job.list"), rateLimited("user.list"), rateLimited("job.list"),
				ok("job.list"), rateLimited("user.list"), ok("user.list"), rateLimited("department.list")},
		},
		{
			name:   "PerEndpointSkip",
			faults: []ashbysim.Fault{{Kind: ashbysim.FaultServerError, Skip: 1, Times: 1, PerEndpoint: true}},
			steps: []faultStep{ok("job.list"), ok("user.list"), serverError("job.list"), serverError("user.list"),
				ok("job.list"), ok("user.list")},
		},
		{
			name: "SkippedFallsThrough",
			faults: []ashbysim.Fault{
				{Kind: ashbysim.FaultServerError, Endpoint: "job.list", Skip: 1, Times: 1},
				{Kind: ashbysim.FaultRateLimit, Endpoint: "job.list", Times: 1},
			},
			steps: []faultStep{rateLimited("job.list"), serverError("job.list"), ok("job.list")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := startServer(t, ashbysim.Config{Seed: 41, Candidates: 40})
			for _, f := range tt.faults {
				addFault(t, s, f)
			}
			cursors := map[string]string{}
			for i, st := range tt.steps {
				body := map[string]any{"limit": 10}
				if st.next {
					body["cursor"] = cursors[st.endpoint]
				}
				r := post(t, url, testKey, st.endpoint, body)
				if st.code != "" {
					checkError(t, r, st.status, st.code)
					continue
				}
				if r.Status != http.StatusOK || !r.Body.Success {
					t.Fatalf("step %d (%s): status %d, body %s; want success", i, st.endpoint, r.Status, r.Raw)
				}
				if r.Body.NextCursor != nil {
					cursors[st.endpoint] = *r.Body.NextCursor
				}
			}
		})
	}
}

// send posts body to an endpoint with client and returns the response
// with its body read as far as the connection allowed, and the read
// error.
func send(t *testing.T, client *http.Client, url, endpoint, body string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/"+endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testKey, "")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

func TestFaultSlow(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 43, Candidates: 60})
	want := post(t, url, testKey, "candidate.list", map[string]any{"limit": 50})
	const delay = 400 * time.Millisecond
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultSlow, Endpoint: "candidate.list", Times: 1, Delay: delay})
	started := time.Now()
	got := post(t, url, testKey, "candidate.list", map[string]any{"limit": 50})
	elapsed := time.Since(started)
	mustSucceed(t, "candidate.list", got)
	if !bytes.Equal(got.Raw, want.Raw) {
		t.Errorf("slow body (%d bytes) differs from the normal one (%d bytes)", len(got.Raw), len(want.Raw))
	}
	if elapsed < delay {
		t.Errorf("slow response took %v, want at least %v", elapsed, delay)
	}
	started = time.Now()
	mustSucceed(t, "candidate.list", post(t, url, testKey, "candidate.list", map[string]any{"limit": 50}))
	if d := time.Since(started); d >= delay {
		t.Errorf("response after the fault took %v: the fault outlived Times", d)
	}
}

func TestFaultTruncated(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 43, Candidates: 60})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultTruncated, Endpoint: "application.list", Times: 1})
	resp, raw, err := send(t, http.DefaultClient, url, "application.list", `{"limit": 20}`)
	if resp == nil {
		t.Fatalf("request failed before the response: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading the body gave %v, want an unexpected EOF", err)
	}
	if resp.ContentLength <= 0 || int64(len(raw)) != resp.ContentLength/2 {
		t.Errorf("received %d bytes of a %d-byte body, want half", len(raw), resp.ContentLength)
	}
	if json.Valid(raw) {
		t.Errorf("the cut body of %d bytes is valid JSON", len(raw))
	}
	mustSucceed(t, "application.list", post(t, url, testKey, "application.list", map[string]any{"limit": 20}))
	reqs := s.Requests()
	if len(reqs) != 2 || !reqs[0].Fault || reqs[0].Status != http.StatusOK || reqs[1].Fault {
		t.Errorf("request log %+v, want the faulted 200 then a normal request", reqs)
	}
}

func TestFaultHang(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 43, Candidates: 60})
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultHang, Endpoint: "job.list", Times: 1})
	impatient := &http.Client{Timeout: 200 * time.Millisecond}
	_, _, err := send(t, impatient, url, "job.list", `{}`)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("request to a hanging endpoint gave %v, want a client timeout", err)
	}
	// The handler ends once it notices the closed connection.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(s.Requests()) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the hung request never reached the request log")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := s.Requests()[0]; !r.Fault || r.Status != 0 {
		t.Errorf("hung request logged with fault %v and status %d, want true and 0", r.Fault, r.Status)
	}
	resp, raw, err := send(t, impatient, url, "job.list", `{}`)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request after the fault: %v", err)
	}
	if !json.Valid(raw) {
		t.Errorf("response after the fault is not JSON: %s", raw)
	}
}

// TestFaultHangBound checks that a hang ends after the fault's Delay with
// the normal response.
func TestFaultHangBound(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 43, Candidates: 60})
	const delay = 300 * time.Millisecond
	addFault(t, s, ashbysim.Fault{Kind: ashbysim.FaultHang, Endpoint: "job.list", Delay: delay})
	started := time.Now()
	r := post(t, url, testKey, "job.list", nil)
	mustSucceed(t, "job.list", r)
	if d := time.Since(started); d < delay {
		t.Errorf("held for %v, want at least %v", d, delay)
	}
	mustSucceed(t, "user.list", post(t, url, testKey, "user.list", nil))
}
