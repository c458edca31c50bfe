package e2e

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
)

func TestRetriesRateLimitAndServerErrors(t *testing.T) {
	const key = "test-key-retry"
	sim, url := startSim(t, 3, 150, key)
	addFault(t, sim, ashbysim.Fault{Endpoint: "candidate.list", Kind: ashbysim.FaultRateLimit, RetryAfter: 1, Times: 2})
	addFault(t, sim, ashbysim.Fault{Endpoint: "application.list", Kind: ashbysim.FaultServerError, Times: 3})
	e := newEnv(t)
	started := time.Now()
	if _, err := e.runInProcess(t, url, key); err != nil {
		t.Fatalf("run: %v", err)
	}
	// Two 429s that each ask for one second were honoured.
	if d := time.Since(started); d < 2*time.Second {
		t.Errorf("run took %v, want at least the 2 s that Retry-After asked for", d)
	}
	statuses := map[string][]int{}
	for _, req := range sim.Requests() {
		statuses[req.Endpoint] = append(statuses[req.Endpoint], req.Status)
	}
	if s := statuses["candidate.list"]; len(s) < 3 || s[0] != 429 || s[1] != 429 {
		t.Errorf("candidate.list statuses %v, want two 429s then success", s)
	}
	if s := statuses["application.list"]; len(s) < 4 || s[0] < 500 || s[2] < 500 {
		t.Errorf("application.list statuses %v, want three 5xx then success", s)
	}
	checkDataset(t, e, sim)
}

func TestSyncTokenExpiredRelists(t *testing.T) {
	const key = "test-key-expired"
	sim, url := startSim(t, 5, 150, key)
	e := newEnv(t)
	if _, err := e.runInProcess(t, url, key); err != nil {
		t.Fatalf("first run: %v", err)
	}
	sim.Apply(ashbysim.Changes{NewCandidates: 3, UpdatedCandidates: 4})
	addFault(t, sim, ashbysim.Fault{Endpoint: "candidate.list", Kind: ashbysim.FaultSyncTokenExpired, Times: 1})
	sim.ResetRequests()
	info, err := e.runInProcess(t, url, key)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	var withToken, withoutToken int
	for _, req := range sim.Requests() {
		if req.Endpoint != "candidate.list" {
			continue
		}
		if _, ok := req.Body["syncToken"]; ok {
			withToken++
		} else if _, ok := req.Body["cursor"]; !ok {
			withoutToken++
		}
	}
	if withToken < 1 || withoutToken != 1 {
		t.Errorf("candidate.list: %d requests with a token, %d full listings started; want a token request then one full listing", withToken, withoutToken)
	}
	if got, want := info.Rows()["candidates"], int64(len(objects(t, sim, "candidate.list"))); got != want {
		t.Errorf("relist fetched %d candidates, want all %d", got, want)
	}
	checkDataset(t, e, sim)
}

func TestErrorBodyFailsOnlyThatResource(t *testing.T) {
	const key = "test-key-error"
	sim, url := startSim(t, 9, 100, key)
	e := newEnv(t)
	if _, err := e.runInProcess(t, url, key); err != nil {
		t.Fatalf("first run: %v", err)
	}
	before := storedTokens(t, e)
	sim.Apply(ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 2})
	addFault(t, sim, ashbysim.Fault{Endpoint: "candidate.list", Kind: ashbysim.FaultErrorCode, Code: "candidate_list_broken"})
	info, err := e.runInProcess(t, url, key)
	var ee *pipeline.ExtractError
	if !errors.As(err, &ee) {
		t.Fatalf("run error %v, want an ExtractError", err)
	}
	// The children of candidates need its listing, so they fail with it.
	var failed []string
	for _, f := range ee.Failed {
		failed = append(failed, f.Name)
	}
	if want := []string{"candidates", "candidate_notes", "candidate_projects", "candidate_client_info"}; !slices.Equal(failed, want) {
		t.Errorf("failed resources %v, want %v", failed, want)
	}
	if !strings.Contains(err.Error(), "candidate_list_broken") {
		t.Errorf("error %q does not carry Ashby's code", err)
	}
	if len(info.Packages) != 1 {
		t.Errorf("%d packages loaded, want 1 with the other resources", len(info.Packages))
	}
	after := storedTokens(t, e)
	if after["candidates"] != before["candidates"] {
		t.Errorf("candidates token advanced from %q to %q although the resource failed", before["candidates"], after["candidates"])
	}
	for name, tok := range before {
		if name != "candidates" && after[name] == "" && tok != "" {
			t.Errorf("%s lost its token", name)
		}
	}

	// The binary exits non-zero and names the resource and Ashby's code.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := e.command(ctx, url, key, "run", "ashby").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("restload run ended with %v, want a non-zero exit; output:\n%s", err, out)
	}
	for _, want := range []string{"candidates", "candidate_list_broken"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Once the fault clears, the next run catches up.
	sim.ClearFaults()
	if _, err := e.runInProcess(t, url, key); err != nil {
		t.Fatalf("run after the fault cleared: %v", err)
	}
	checkDataset(t, e, sim)
}

func TestInvalidCursorRestartsListing(t *testing.T) {
	const key = "test-key-cursor"
	sim, url := startSim(t, 21, 350, key)
	addFault(t, sim, ashbysim.Fault{Endpoint: "candidate.list", Kind: ashbysim.FaultInvalidCursor, Times: 1})
	e := newEnv(t)
	info, err := e.runInProcess(t, url, key)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	starts, rejected := 0, 0
	for _, req := range sim.Requests() {
		if req.Endpoint != "candidate.list" {
			continue
		}
		if req.Cursor == "" {
			starts++
		}
		if req.ErrorCode == "invalid_next_cursor" {
			rejected++
		}
	}
	if rejected != 1 || starts != 2 {
		t.Errorf("candidate.list: %d cursors rejected and %d listings started, want 1 and 2", rejected, starts)
	}
	// The pages read before the restart are read again; merge keeps one
	// row per candidate.
	if fetched, want := info.Rows()["candidates"], int64(len(objects(t, sim, "candidate.list"))); fetched <= want {
		t.Errorf("fetched %d candidates, want more than the %d objects because the first page was read twice", fetched, want)
	}
	checkDataset(t, e, sim)
}
