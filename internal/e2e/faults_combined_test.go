package e2e

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/ashby"
)

// faultKey is the API key of the fault tests; no message may contain it.
const faultKey = "test-key-faults-5e1d0c"

// faultCase is a run under several faults at once. The run follows a
// fault-free load and a batch of changes, so that it is incremental and
// has rows to lose.
type faultCase struct {
	name    string
	changes ashbysim.Changes
	faults  []ashbysim.Fault
	// timeout bounds each request; zero means two seconds.
	timeout time.Duration
	// failed lists the resources the run must fail, in resource order.
	failed []string
	// mayFailEarly allows the run to fail before it extracts anything,
	// with an error that contains causes, instead of succeeding.
	mayFailEarly bool
	// causes are texts that the error of every failed resource contains.
	causes []string
	// postgres runs the case against PostgreSQL as well as DuckDB.
	postgres bool
	// requests checks the emulator's log of the faulted run.
	requests func(t *testing.T, reqs []ashbysim.Request)
}

// onLists returns f once for the list endpoint of each fault resource.
// Bursts use it, or Skip 1, to spare the preflight request to
// apiKey.info that starts every run, because the preflight retries on a
// schedule of its own. The PreflightBurst case covers that request.
func onLists(f ashbysim.Fault) []ashbysim.Fault {
	var out []ashbysim.Fault
	for _, ri := range ashby.Resources() {
		if slices.Contains(faultResources, ri.Name) {
			f.Endpoint = ri.Endpoint
			out = append(out, f)
		}
	}
	return out
}

// TestFaultCombinations runs the Ashby source under bursts of 429 and
// 5xx, slow, truncated and hanging responses, success:false in the middle
// of a listing, sync token and cursor expiry on later pages, and faults
// that outlast the retries. Each run must either load data equal to the
// emulator's or fail only the resources that the faults broke. A failure
// must name the resource, the endpoint and the cause, never the API key,
// and keep every row loaded before. The next fault-free run must then
// load everything.
func TestFaultCombinations(t *testing.T) {
	cases := []faultCase{
		{
			name:    "BurstsOf429And5xxWithSlowBodies",
			changes: ashbysim.Changes{NewCandidates: 5, UpdatedCandidates: 30, UpdatedApplications: 20, NewOffers: 3},
			faults: append(onLists(ashbysim.Fault{Kind: ashbysim.FaultRateLimit, RetryAfter: 1, Times: 2}),
				ashbysim.Fault{Kind: ashbysim.FaultServerError, Status: http.StatusServiceUnavailable, Skip: 1, Times: 4},
				ashbysim.Fault{Kind: ashbysim.FaultSlow, Delay: 150 * time.Millisecond, Skip: 1, Times: 4}),
			postgres: true,
			requests: func(t *testing.T, reqs []ashbysim.Request) {
				t.Helper()
				limited := map[string]int{}
				var unavailable int
				for _, r := range reqs {
					switch r.Status {
					case http.StatusTooManyRequests:
						limited[r.Endpoint]++
					case http.StatusServiceUnavailable:
						unavailable++
					}
				}
				for _, f := range onLists(ashbysim.Fault{}) {
					if limited[f.Endpoint] != 2 {
						t.Errorf("%s got %d responses with 429, want 2", f.Endpoint, limited[f.Endpoint])
					}
				}
				if unavailable != 4 {
					t.Errorf("%d responses with 503, want 4", unavailable)
				}
			},
		},
		{
			name:    "TruncatedBodiesAndTimeouts",
			changes: ashbysim.Changes{UpdatedCandidates: 40, NewApplications: 5},
			timeout: 500 * time.Millisecond,
			faults: []ashbysim.Fault{
				{Kind: ashbysim.FaultTruncated, Skip: 1, Times: 3},
				// Page 2 of the candidates hangs, twice.
				{Kind: ashbysim.FaultHang, Endpoint: "candidate.list", OnlyWithCursor: true, Times: 2},
				// A body slower than the timeout times out while it is read.
				{Kind: ashbysim.FaultSlow, Endpoint: "application.list", Delay: 2 * time.Second, Times: 1},
			},
			requests: func(t *testing.T, reqs []ashbysim.Request) {
				t.Helper()
				if n := countFaulted(reqs, "candidate.list", 0); n != 2 {
					t.Errorf("%d candidate.list requests hung, want 2", n)
				}
			},
		},
		{
			name:    "SuccessFalseOnPageThree",
			changes: ashbysim.Changes{UpdatedCandidates: 55, UpdatedOffers: 4},
			faults: []ashbysim.Fault{
				{Kind: ashbysim.FaultErrorCode, Endpoint: "candidate.list", Code: "internal_error",
					OnlyWithCursor: true, Skip: 1},
				{Kind: ashbysim.FaultRateLimit, Skip: 1, Times: 4},
			},
			failed:   []string{"candidates"},
			causes:   []string{"page 3 of candidates", "candidate.list", "internal_error"},
			postgres: true,
		},
		{
			name:    "SyncTokenAndCursorExpiryMidListing",
			changes: ashbysim.Changes{UpdatedCandidates: 55, UpdatedApplications: 20, NewInterviewSchedules: 3},
			faults: append([]ashbysim.Fault{
				{Kind: ashbysim.FaultSyncTokenExpired, Endpoint: "candidate.list", OnlyWithCursor: true,
					Skip: 1, Times: 1},
				{Kind: ashbysim.FaultErrorCode, Endpoint: "application.list", Code: "next_cursor_expired",
					OnlyWithCursor: true, Times: 1},
			}, onLists(ashbysim.Fault{Kind: ashbysim.FaultServerError, Times: 2})...),
			requests: checkExpiryRestarts,
		},
		{
			name:    "ServerErrorOutlastsRetries",
			changes: ashbysim.Changes{UpdatedOffers: 5, NewOffers: 2, UpdatedCandidates: 10},
			faults: append([]ashbysim.Fault{{Kind: ashbysim.FaultServerError, Endpoint: "offer.list"}},
				onLists(ashbysim.Fault{Kind: ashbysim.FaultRateLimit, Times: 1})...),
			failed: []string{"offers"},
			causes: []string{"offer.list", "HTTP 500", "gave up after"},
		},
		{
			name:    "TruncatedOutlastsRetries",
			changes: ashbysim.Changes{UpdatedInterviewSchedules: 6, UpdatedJobs: 2},
			faults: []ashbysim.Fault{
				{Kind: ashbysim.FaultTruncated, Endpoint: "interviewSchedule.list"},
				{Kind: ashbysim.FaultSlow, Delay: 100 * time.Millisecond, Skip: 1, Times: 3},
			},
			failed: []string{"interview_schedules"},
			causes: []string{"interviewSchedule.list", "unexpected EOF", "gave up after"},
		},
		{
			name:    "HangOutlastsRetries",
			changes: ashbysim.Changes{UpdatedJobs: 3, UpdatedCandidates: 5},
			timeout: 300 * time.Millisecond,
			faults: []ashbysim.Fault{
				{Kind: ashbysim.FaultHang, Endpoint: "job.list"},
				{Kind: ashbysim.FaultServerError, Status: http.StatusBadGateway, Skip: 1, Times: 3},
			},
			failed: []string{"jobs"},
			causes: []string{"job.list", "Timeout", "gave up after"},
		},
		{
			// The preflight waits 1, 2 and 4 seconds between its four
			// attempts, whatever the source's retry settings.
			name:         "PreflightBurst",
			changes:      ashbysim.Changes{UpdatedCandidates: 5},
			faults:       []ashbysim.Fault{{Kind: ashbysim.FaultRateLimit, Endpoint: "apiKey.info", RetryAfter: 1, Times: 4}},
			mayFailEarly: true,
			causes:       []string{"apiKey.info", "429"},
		},
	}
	pg := pgtest.Start(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runFaultCase(t, duckdbTarget(), tc)
		})
		if !tc.postgres {
			continue
		}
		t.Run(tc.name+"OnPostgres", func(t *testing.T) {
			t.Parallel()
			runFaultCase(t, postgresTarget(t, pg), tc)
		})
	}
}

// faultResources are the resources the fault tests load.
var faultResources = crashResources

func runFaultCase(t *testing.T, tg destTarget, tc faultCase) {
	sim, url := startSim(t, 17, 60, faultKey)
	e := newEnv(t)
	var logs lockedBuffer
	cfg := ashby.Config{
		APIKey: faultKey, BaseURL: url, Resources: faultResources,
		HTTPClient: &http.Client{Timeout: cmp.Or(tc.timeout, 2*time.Second)},
		Logger:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond, MaxTotalWait: 5 * time.Second,
	}
	if _, err := tg.runSource(t, e, cfg); err != nil {
		t.Fatalf("first run, without faults: %v", err)
	}
	before := currentObjects(t, sim, faultResources, nil)

	sim.Apply(tc.changes)
	for _, f := range tc.faults {
		addFault(t, sim, f)
	}
	sim.ResetRequests()
	_, err := tg.runSource(t, e, cfg)
	if tc.requests != nil {
		tc.requests(t, sim.Requests())
	}
	if strings.Contains(logs.String(), faultKey) {
		t.Error("the log contains the API key")
	}
	if err != nil {
		t.Logf("run under faults: %v", err)
	}
	now := currentObjects(t, sim, faultResources, nil)
	if err == nil && len(tc.failed) == 0 {
		checkTarget(t, tg, e, now, sim)
		return
	}
	var want objectSet
	switch {
	case len(tc.failed) > 0:
		checkFailure(t, err, tc)
		// Failed resources keep what was loaded before, the others are
		// current.
		want = objectSet{}
		for name, objs := range now {
			want[name] = objs
			if slices.Contains(tc.failed, name) {
				want[name] = before[name]
			}
		}
	case tc.mayFailEarly:
		checkEarlyFailure(t, err, tc)
		want = before
	default:
		t.Fatalf("run under faults: %v", err)
	}
	st := tg.open(t, e)
	for _, p := range datasetProblems(t, st, want, nil) {
		t.Errorf("after the failed run: %s", p)
	}
	st.Close()

	sim.ClearFaults()
	if _, err := tg.runSource(t, e, cfg); err != nil {
		t.Fatalf("run after the faults cleared: %v", err)
	}
	checkTarget(t, tg, e, now, sim)
}

// checkFailure checks that err reports exactly the resources tc breaks,
// each with its causes, and never the API key.
func checkFailure(t *testing.T, err error, tc faultCase) {
	t.Helper()
	var ee *pipeline.ExtractError
	if !errors.As(err, &ee) {
		t.Fatalf("run error %v, want an ExtractError for %v", err, tc.failed)
	}
	var names []string
	for _, f := range ee.Failed {
		names = append(names, f.Name)
		for _, c := range tc.causes {
			if !strings.Contains(f.Error, c) {
				t.Errorf("error of %s lacks %q: %s", f.Name, c, f.Error)
			}
		}
	}
	if !slices.Equal(names, tc.failed) {
		t.Errorf("failed resources %v, want %v", names, tc.failed)
	}
	msg := err.Error()
	if strings.Contains(msg, faultKey) {
		t.Errorf("the error contains the API key: %s", msg)
	}
	for _, name := range tc.failed {
		if !strings.Contains(msg, name) {
			t.Errorf("the error does not name %s: %s", name, msg)
		}
	}
}

// checkEarlyFailure checks the error of a run that failed before it
// extracted anything.
func checkEarlyFailure(t *testing.T, err error, tc faultCase) {
	t.Helper()
	var ee *pipeline.ExtractError
	if errors.As(err, &ee) {
		t.Fatalf("run error %v, want a failure before the extract", err)
	}
	msg := err.Error()
	for _, c := range tc.causes {
		if !strings.Contains(msg, c) {
			t.Errorf("the error lacks %q: %s", c, msg)
		}
	}
	if strings.Contains(msg, faultKey) {
		t.Errorf("the error contains the API key: %s", msg)
	}
}

// checkTarget compares the whole dataset with want and checks the state.
func checkTarget(t *testing.T, tg destTarget, e *env, want objectSet, sim *ashbysim.Server) {
	t.Helper()
	st := tg.open(t, e)
	defer st.Close()
	for _, p := range datasetProblems(t, st, want, nil) {
		t.Error(p)
	}
	for _, p := range stateProblems(t, st, e, sim, faultResources) {
		t.Error(p)
	}
}

// checkExpiryRestarts checks the request log of a run whose candidate
// sync token expired on page 3 and whose application cursor expired on
// page 2: candidates were listed again in full, applications restarted
// from page 1 with the same token.
func checkExpiryRestarts(t *testing.T, reqs []ashbysim.Request) {
	t.Helper()
	var cands, apps []ashbysim.Request
	for _, r := range reqs {
		if r.Status != http.StatusOK {
			continue
		}
		switch r.Endpoint {
		case "candidate.list":
			cands = append(cands, r)
		case "application.list":
			apps = append(apps, r)
		}
	}
	expired := slices.IndexFunc(cands, func(r ashbysim.Request) bool { return r.ErrorCode == "sync_token_expired" })
	if expired != 2 || cands[expired].Cursor == "" {
		t.Fatalf("candidate.list: sync token expired at request %d, want the third (page 3, with a cursor): %s",
			expired, describeRequests(cands))
	}
	if next := cands[expired+1]; next.SyncToken != "" || next.Cursor != "" {
		t.Errorf("candidate.list: after the expiry, request with token %q and cursor %q, want a full listing from page 1",
			next.SyncToken, next.Cursor)
	}
	rejected := slices.IndexFunc(apps, func(r ashbysim.Request) bool { return r.ErrorCode == "next_cursor_expired" })
	if rejected != 1 {
		t.Fatalf("application.list: cursor expired at request %d, want the second (page 2): %s", rejected, describeRequests(apps))
	}
	if next := apps[rejected+1]; next.SyncToken == "" || next.Cursor != "" {
		t.Errorf("application.list: after the expiry, request with token %q and cursor %q, want page 1 with the stored token",
			next.SyncToken, next.Cursor)
	}
}

func describeRequests(reqs []ashbysim.Request) string {
	var b strings.Builder
	for i, r := range reqs {
		fmt.Fprintf(&b, "\n  #%d token=%v cursor=%v code=%q", i, r.SyncToken != "", r.Cursor != "", r.ErrorCode)
	}
	return b.String()
}

// countFaulted counts the requests to endpoint whose response a fault
// replaced or shaped and whose status was status (0 when none was sent).
func countFaulted(reqs []ashbysim.Request, endpoint string, status int) int {
	n := 0
	for _, r := range reqs {
		if r.Endpoint == endpoint && r.Fault && r.Status == status {
			n++
		}
	}
	return n
}

// faultPageLimit is the page size of the fault runs: small, so that a
// listing of a small organisation has the pages that mid-listing faults
// need.
const faultPageLimit = 25

// faultSource returns the Ashby source built from cfg with the page size
// of every paginated resource set to faultPageLimit.
func faultSource(t *testing.T, cfg ashby.Config) *ashby.Source {
	t.Helper()
	def := ashby.Definition(cfg.BaseURL)
	def.Resources = slices.Clone(def.Resources)
	for i, r := range def.Resources {
		if _, ok := r.Endpoint.JSON["limit"]; !ok {
			continue
		}
		body := maps.Clone(r.Endpoint.JSON)
		body["limit"] = faultPageLimit
		def.Resources[i].Endpoint.JSON = body
	}
	src, err := ashby.NewFromDefinition(def, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// runSource runs the Ashby source built from cfg in process into the
// target's destination, with pages of faultPageLimit items.
func (tg destTarget) runSource(t *testing.T, e *env, cfg ashby.Config) (*pipeline.LoadInfo, error) {
	t.Helper()
	src := faultSource(t, cfg)
	dest := tg.open(t, e)
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{Name: pipelineName, Dataset: datasetName, DataDir: e.dataDir,
		Destination: dest, DestinationName: tg.name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return p.Run(ctx, src)
}

// lockedBuffer is a bytes.Buffer that concurrent loggers may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
