package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/ashby"
)

// runSource runs the Ashby source built from cfg into the env's DuckDB
// file; fullRefresh ignores the stored sync tokens.
func (e *env) runSource(t *testing.T, cfg ashby.Config, fullRefresh bool) (*pipeline.LoadInfo, error) {
	t.Helper()
	cfg.RetryDelay, cfg.MaxRetryDelay = 10*time.Millisecond, 2*time.Second
	src, err := ashby.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dest, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{Name: pipelineName, Dataset: datasetName, DataDir: e.dataDir,
		Destination: dest, DestinationName: "duckdb", FullRefresh: fullRefresh})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return p.Run(ctx, src)
}

// ids returns the ids of an endpoint's objects.
func ids(t *testing.T, sim *ashbysim.Server, endpoint string) []string {
	t.Helper()
	var out []string
	for _, raw := range objects(t, sim, endpoint) {
		out = append(out, decodeItem(t, raw)["id"].(string))
	}
	sort.Strings(out)
	return out
}

// requested returns, sorted and without repeats, the values of member in
// the bodies of the requests to endpoint.
func requested(sim *ashbysim.Server, endpoint, member string) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Endpoint == endpoint {
			if v, ok := r.Body[member].(string); ok {
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// TestChildrenOnlyForChangedParents changes some candidates, applications
// and offers, and checks that the next run requests the children of
// exactly those parents and that the dataset then matches the emulator.
func TestChildrenOnlyForChangedParents(t *testing.T) {
	const key = "test-key-children"
	sim, url := startSim(t, 31, 250, key)
	e := newEnv(t)
	if _, err := e.runSource(t, ashby.Config{APIKey: key, BaseURL: url}, false); err != nil {
		t.Fatalf("first run: %v", err)
	}
	changed := sim.Apply(ashbysim.Changes{UpdatedCandidates: 6, UpdatedApplications: 5, UpdatedOffers: 3, UpdatedJobs: 2, NewUsers: 2})
	sim.ResetRequests()
	if _, err := e.runSource(t, ashby.Config{APIKey: key, BaseURL: url}, false); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, tc := range []struct{ child, member, parent string }{
		{"candidate.listNotes", "candidateId", "candidate.list"},
		{"candidate.listProjects", "candidateId", "candidate.list"},
		{"candidate.listClientInfo", "candidateId", "candidate.list"},
		{"application.listHistory", "applicationId", "application.list"},
		{"offer.info", "offerId", "offer.list"},
		{"jobInterviewPlan.info", "jobId", "job.list"},
		{"user.interviewerSettings", "userId", "user.list"},
	} {
		want := sorted(changed[tc.parent])
		if len(want) == 0 {
			t.Fatalf("the changes touched no object of %s", tc.parent)
		}
		if got := requested(sim, tc.child, tc.member); !slices.Equal(got, want) {
			t.Errorf("%s was asked for %d parents %v, want the %d changed ones %v", tc.child, len(got), got, len(want), want)
		}
	}
	// Notes added by the update arrive.
	if len(changed["candidate.listNotes"]) == 0 {
		t.Error("the update added no candidate notes; the check below would be weak")
	}
	checkDataset(t, e, sim, slices.Concat(changed["candidate.list"], changed["application.list"], changed["offer.list"])...)
}

// deletedAt returns the ids of a table's rows that are marked deleted.
func deletedAt(t *testing.T, e *env, table string) []string {
	t.Helper()
	db, done := e.openDB(t)
	defer done()
	rows, err := db.Query(fmt.Sprintf(`SELECT id FROM %q.%q WHERE _rl_deleted_at IS NOT NULL ORDER BY id`, datasetName, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// TestDeletesMarkedAfterFullRelist deletes and merges objects in the
// emulator. Catalogues, listed in full every run, mark their deleted rows
// at once; incremental resources keep them live until a full relist
// (--full-refresh), which marks them and nothing else.
func TestDeletesMarkedAfterFullRelist(t *testing.T) {
	const key = "test-key-deletes"
	sim, url := startSim(t, 33, 250, key)
	e := newEnv(t)
	cfg := ashby.Config{APIKey: key, BaseURL: url}
	if _, err := e.runSource(t, cfg, false); err != nil {
		t.Fatalf("first run: %v", err)
	}
	before := map[string][]string{}
	for _, ep := range []string{"candidate.list", "application.list", "offer.list", "sourceTrackingLink.list"} {
		before[ep] = ids(t, sim, ep)
	}
	sim.Apply(ashbysim.Changes{DeletedCandidates: 2, DeletedApplications: 3, DeletedOffers: 1,
		DeletedSourceTrackingLinks: 1, MergedCandidates: 2})
	gone := map[string][]string{}
	for ep, list := range before {
		after := ids(t, sim, ep)
		for _, id := range list {
			if !slices.Contains(after, id) {
				gone[ep] = append(gone[ep], id)
			}
		}
		if len(gone[ep]) == 0 {
			t.Fatalf("the changes deleted nothing from %s", ep)
		}
	}

	// An incremental run cannot see deletes in incremental lists; the
	// catalogue is listed whole and marks its deleted row.
	if _, err := e.runSource(t, cfg, false); err != nil {
		t.Fatalf("incremental run: %v", err)
	}
	if got := deletedAt(t, e, "candidates"); len(got) != 0 {
		t.Errorf("an incremental run marked candidates %v deleted, want none", got)
	}
	if got, want := deletedAt(t, e, "source_tracking_links"), gone["sourceTrackingLink.list"]; !slices.Equal(got, want) {
		t.Errorf("source_tracking_links marked %v, want %v", got, want)
	}

	// A full relist marks exactly the objects Ashby no longer returns.
	if _, err := e.runSource(t, cfg, true); err != nil {
		t.Fatalf("full refresh: %v", err)
	}
	for table, ep := range map[string]string{"candidates": "candidate.list", "applications": "application.list", "offers": "offer.list"} {
		if got, want := deletedAt(t, e, table), gone[ep]; !slices.Equal(got, want) {
			t.Errorf("%s marked deleted %v, want %v", table, got, want)
		}
	}
	// Live rows equal the emulator's objects, field by field; merged
	// candidates' applications now name the surviving candidate.
	checkDataset(t, e, sim)
}

// TestParentNotFoundSkipped makes application.listHistory return
// application_not_found for two applications: the run loads everything
// else, warns about them, and exits cleanly.
func TestParentNotFoundSkipped(t *testing.T) {
	const key = "test-key-notfound"
	sim, url := startSim(t, 35, 120, key)
	apps := ids(t, sim, "application.list")
	addFault(t, sim, ashbysim.Fault{Kind: ashbysim.FaultParentNotFound, Endpoint: "application.listHistory", IDs: apps[:2]})
	e := newEnv(t)
	var logs bytes.Buffer
	cfg := ashby.Config{APIKey: key, BaseURL: url, Resources: []string{"applications", "application_history"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if _, err := e.runSource(t, cfg, false); err != nil {
		t.Fatalf("run: %v", err)
	}
	if n := strings.Count(logs.String(), "application_not_found"); n != 2 {
		t.Errorf("%d warnings name application_not_found, want 2:\n%s", n, logs.String())
	}
	db, done := e.openDB(t)
	defer done()
	for i, id := range apps {
		n := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.application_history WHERE _applications_id = ?`, datasetName), id)
		if i < 2 && n != 0 {
			t.Errorf("application %s: %d history rows, want none (skipped)", id, n)
		}
		if i >= 2 && n == 0 {
			t.Errorf("application %s: no history rows", id)
		}
	}
}

// TestPreflightSkipsByScope gives the key read access to candidates only:
// the run loads the candidate resources, skips the others with a warning
// that names the permission, and succeeds.
func TestPreflightSkipsByScope(t *testing.T) {
	const key = "test-key-scopes"
	sim := ashbysim.New(ashbysim.Config{Seed: 37, Candidates: 80,
		APIKeys: map[string][]string{key: {ashbysim.ScopeCandidatesRead, ashbysim.ScopeAPIKeysRead}}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	e := newEnv(t)
	out := runAgainst(t, e, url, key, nil, "run", "ashby", "--progress", "none")
	for _, want := range []string{"- candidates: 80 row(s)", "permission=jobsRead", "permission=offersRead", "permission=organizationRead"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, r := range sim.Requests() {
		if r.Status == 403 {
			t.Errorf("request to %s was refused: preflight should have skipped it", r.Endpoint)
		}
	}
	db, done := e.openDB(t)
	defer done()
	if n := count(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('jobs', 'offers', 'users')`, datasetName); n != 0 {
		t.Errorf("%d tables of unreadable resources exist", n)
	}
}

// inFlight is a transport that delays each request a little and records
// the most requests it had in flight at once.
type inFlight struct {
	mu       sync.Mutex
	now, max int
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.now++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}()
	time.Sleep(5 * time.Millisecond)
	return http.DefaultTransport.RoundTrip(req)
}

// TestAshbyExtractsResourcesConcurrently runs the source with one
// resource at a time and with the default bound, and checks that the
// second keeps at most that many requests in flight, more than one, and
// loads the same rows.
func TestAshbyExtractsResourcesConcurrently(t *testing.T) {
	const key = "concurrency-key"
	_, url := startSim(t, 41, 60, key)
	rows := map[int]map[string]int64{}
	for _, limit := range []int{1, 0} {
		e := newEnv(t)
		tr := &inFlight{}
		info, err := e.runSource(t, ashby.Config{APIKey: key, BaseURL: url, Concurrency: limit,
			HTTPClient: &http.Client{Transport: tr}}, false)
		if err != nil {
			t.Fatalf("run with concurrency %d: %v", limit, err)
		}
		want := max(limit, 1)
		if limit == 0 {
			want = ashby.DefaultConcurrency
		}
		if tr.max > want {
			t.Errorf("concurrency %d: %d requests in flight at once, want at most %d", limit, tr.max, want)
		}
		if limit == 0 && tr.max < 2 {
			t.Errorf("default concurrency: at most %d request in flight, want resources extracted at the same time", tr.max)
		}
		rows[limit] = info.Rows()
	}
	if len(rows[1]) < 40 {
		t.Fatalf("one at a time loaded only %d tables", len(rows[1]))
	}
	if fmt.Sprint(rows[0]) != fmt.Sprint(rows[1]) {
		t.Errorf("rows per table differ:\n concurrent  %v\n one at a time %v", rows[0], rows[1])
	}
}
