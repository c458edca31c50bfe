package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/source/ashby"
)

const webhookSecret = "e2e-webhook-secret"

// webhookServer is a running "restload webhook serve ashby" process.
type webhookServer struct {
	t      *testing.T
	url    string // the webhook URL, with path
	addr   string // host:port
	cancel context.CancelFunc
	done   chan error
	stderr *os.File
	proc   *os.Process
}

// startWebhookServer starts the server in the env's folder on addr and
// waits until it prints its URL. Port 0 picks a free port.
func startWebhookServer(t *testing.T, e *env, addr string, args ...string) *webhookServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	all := append([]string{"webhook", "serve", "ashby", "--addr", addr}, args...)
	cmd := e.command(ctx, "", "", all...)
	cmd.Env = append(cmd.Env, "SOURCES__ASHBY__WEBHOOK_SECRET="+webhookSecret)
	// Cancelling the context sends SIGTERM, so a server that a failed
	// test leaves running still drains and exits.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stderr, err := os.CreateTemp(e.dir, "webhook-stderr-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start webhook server: %v", err)
	}
	s := &webhookServer{t: t, cancel: cancel, done: make(chan error, 1), stderr: stderr, proc: cmd.Process}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() { s.stop(); stderr.Close() })
	select {
	case line := <-lines:
		rest, ok := strings.CutPrefix(line, "Serving Ashby webhooks at ")
		if !ok {
			t.Fatalf("unexpected first line from the webhook server: %q", line)
		}
		s.url, _, _ = strings.Cut(rest, " ")
		s.addr = strings.TrimPrefix(strings.TrimSuffix(s.url, "/webhooks/ashby"), "http://")
	case err := <-s.done:
		t.Fatalf("webhook server exited at start: %v\n%s", err, s.logs())
	case <-time.After(time.Minute):
		t.Fatalf("webhook server printed no URL within a minute\n%s", s.logs())
	}
	return s
}

func (s *webhookServer) logs() string {
	b, _ := os.ReadFile(s.stderr.Name())
	return string(b)
}

// stop sends SIGTERM and waits for the server to drain and exit; it
// returns the exit error. Calling it again returns nil.
func (s *webhookServer) stop() error {
	s.t.Helper()
	if s.done == nil {
		return nil
	}
	s.proc.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-s.done:
	case <-time.After(2 * time.Minute):
		s.proc.Kill()
		err = <-s.done
		err = fmt.Errorf("no exit within 2 minutes of SIGTERM: %v", err)
	}
	s.cancel()
	s.done = nil
	return err
}

// kill ends the server with SIGKILL, as a crash would.
func (s *webhookServer) kill() {
	s.t.Helper()
	if err := s.proc.Kill(); err != nil {
		s.t.Fatalf("kill webhook server: %v", err)
	}
	<-s.done
	s.cancel()
	s.done = nil
}

// stopCleanly stops the server and fails the test unless it exited 0.
func (s *webhookServer) stopCleanly() {
	s.t.Helper()
	if err := s.stop(); err != nil {
		s.t.Fatalf("webhook server exit: %v\n%s", err, s.logs())
	}
}

// waitDelivered waits for the emulator's deliveries and fails the test if
// any event was not accepted.
func waitDelivered(t *testing.T, sim *ashbysim.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sim.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
}

// deliveredIDs returns the distinct webhookActionIds that the receiver
// accepted, pings excluded.
func deliveredIDs(sim *ashbysim.Server) []string {
	var ids []string
	for _, d := range sim.Deliveries() {
		if d.OK() && d.Action != ashbysim.ActionPing && !slices.Contains(ids, d.WebhookActionID) {
			ids = append(ids, d.WebhookActionID)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkChanged compares the loaded rows of the objects that Apply changed
// with the emulator's objects, field by field.
func checkChanged(t *testing.T, e *env, sim *ashbysim.Server, changed map[string][]string) {
	t.Helper()
	c, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sch, err := c.Schema(t.Context(), datasetName, "ashby")
	if err != nil || sch == nil {
		t.Fatalf("read stored schema: %v (schema %v)", err, sch)
	}
	r := &reconstructor{t: t, db: c.DB(), dataset: datasetName, sch: sch}
	tables := map[string]string{"application.list": "applications", "job.list": "jobs", "offer.list": "offers"}
	for endpoint, table := range tables {
		ids := changed[endpoint]
		if len(ids) == 0 {
			t.Errorf("Apply changed no objects of %s; the test needs some", endpoint)
			continue
		}
		compared := 0
		for _, raw := range objects(t, sim, endpoint) {
			item := decodeItem(t, raw)
			id, _ := item["id"].(string)
			if !slices.Contains(ids, id) {
				continue
			}
			compared++
			key := map[string]any{"id": id}
			for _, d := range diff(fmt.Sprintf("%s%v", table, key), canonical(item), canonical(r.root(table, key))) {
				t.Error(d)
			}
		}
		if compared != len(ids) {
			t.Errorf("%s: compared %d of the %d changed objects; the others are not listed", table, compared, len(ids))
		}
	}
}

// loadedEventIDs returns the webhook_action_id of every webhook_events
// row, sorted.
func loadedEventIDs(t *testing.T, e *env) []string {
	t.Helper()
	db, closeDB := e.openDB(t)
	defer closeDB()
	rows, err := db.Query(fmt.Sprintf(`SELECT webhook_action_id FROM %q.%q ORDER BY 1`, datasetName, ashby.WebhookEventsTable))
	if err != nil {
		t.Fatalf("query webhook_events: %v", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestWebhookServeLoadsEvents(t *testing.T) {
	const key = "e2e-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 7, Candidates: 40, APIKeys: map[string][]string{key: nil},
		Webhooks: ashbysim.WebhookConfig{RetryBase: 5 * time.Millisecond, DuplicateDeliveries: true}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	e := newEnv(t)

	runAgainst(t, e, url, key, nil, "run", "ashby", "--progress", "none")
	srv := startWebhookServer(t, e, "127.0.0.1:0", "--batch-wait", "200ms")
	if _, err := sim.AddWebhook(t.Context(), ashbysim.Webhook{URL: srv.url, Secret: webhookSecret}); err != nil {
		t.Fatalf("add webhook (the ping must succeed): %v\n%s", err, srv.logs())
	}

	// A request signed with another secret is rejected and stores nothing.
	forged := []byte(`{"webhookActionId":"forged-1","action":"jobCreate","data":{"job":{"id":"forged-job"}}}`)
	req, err := http.NewRequest(http.MethodPost, srv.url, bytes.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ashby-Signature", ashbysim.Sign("another-secret", forged))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send forged request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged signature: status %d, want 401", resp.StatusCode)
	}

	changed := sim.Apply(ashbysim.Changes{NewApplications: 2, UpdatedApplications: 3, NewOffers: 1, UpdatedOffers: 1, UpdatedJobs: 1})
	waitDelivered(t, sim)
	// Stopping drains the spool, so every accepted event is loaded after.
	srv.stopCleanly()

	checkChanged(t, e, sim, changed)
	want := deliveredIDs(sim)
	if len(want) == 0 {
		t.Fatal("the emulator delivered no events")
	}
	copies := 0
	for _, d := range sim.Deliveries() {
		if d.OK() && d.Duplicate {
			copies++
		}
	}
	if copies == 0 {
		t.Error("no duplicate deliveries were accepted; the test does not cover dedupe")
	}
	got := loadedEventIDs(t, e)
	t.Logf("%d distinct events delivered, %d duplicate copies accepted", len(want), copies)
	if !slices.Equal(got, want) {
		t.Errorf("webhook_events ids = %v, want the %d delivered ids once each: %v", got, len(want), want)
	}
	if slices.Contains(got, "forged-1") {
		t.Error("the forged event was loaded")
	}
	db, closeDB := e.openDB(t)
	n := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.jobs WHERE id = 'forged-job'`, datasetName))
	closeDB()
	if n != 0 {
		t.Error("the forged job was loaded")
	}

	// An event acknowledged with 200 survives SIGKILL before its batch.
	// The server comes back on the address the webhook names.
	addr := srv.addr
	srv = startWebhookServer(t, e, addr, "--batch-wait", "1h")
	changed = sim.Apply(ashbysim.Changes{UpdatedApplications: 1, UpdatedJobs: 1, UpdatedOffers: 1})
	waitDelivered(t, sim)
	before := loadedEventIDs(t, e)
	srv.kill()
	if got := loadedEventIDs(t, e); !slices.Equal(got, before) {
		t.Fatalf("a batch loaded before the kill (webhook_events %d rows, then %d); use a longer --batch-wait", len(before), len(got))
	}
	entries, err := os.ReadDir(filepath.Join(e.dataDir, "webhook-spools", pipelineName))
	if err != nil {
		t.Fatalf("read spool after the kill: %v", err)
	}
	pending := 0
	for _, en := range entries {
		if en.Name() != "acked" {
			pending++
		}
	}
	if pending == 0 {
		t.Fatal("spool is empty after the kill; want the accepted events pending")
	}
	srv = startWebhookServer(t, e, addr, "--batch-wait", "1h")
	srv.stopCleanly()
	checkChanged(t, e, sim, changed)
	if got, want := loadedEventIDs(t, e), deliveredIDs(sim); !slices.Equal(got, want) {
		t.Errorf("after restart webhook_events ids = %v, want %v", got, want)
	}
}

// queryStrings returns the first column of every row of q, sorted.
func queryStrings(t *testing.T, e *env, q string) []string {
	t.Helper()
	db, closeDB := e.openDB(t)
	defer closeDB()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sorted(out)
}

// TestWebhookServeMarksDeletes deletes and merges candidates and deletes
// offers in the emulator. Once the server has loaded their webhooks,
// exactly those rows carry _rl_deleted_at, and every other row stays
// live, without a full relist.
func TestWebhookServeMarksDeletes(t *testing.T) {
	const key = "e2e-key-deletes"
	sim := ashbysim.New(ashbysim.Config{Seed: 11, Candidates: 60, APIKeys: map[string][]string{key: nil},
		Webhooks: ashbysim.WebhookConfig{RetryBase: 5 * time.Millisecond}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	e := newEnv(t)
	runAgainst(t, e, url, key, nil, "run", "ashby", "--progress", "none")
	before := map[string][]string{"candidates": ids(t, sim, "candidate.list"), "offers": ids(t, sim, "offer.list")}

	srv := startWebhookServer(t, e, "127.0.0.1:0", "--batch-wait", "200ms")
	if _, err := sim.AddWebhook(t.Context(), ashbysim.Webhook{URL: srv.url, Secret: webhookSecret}); err != nil {
		t.Fatalf("add webhook (the ping must succeed): %v\n%s", err, srv.logs())
	}
	sim.Apply(ashbysim.Changes{DeletedCandidates: 2, MergedCandidates: 2, DeletedOffers: 2, DeletedJobPostings: 1})
	waitDelivered(t, sim)
	srv.stopCleanly()
	if got, want := loadedEventIDs(t, e), deliveredIDs(sim); !slices.Equal(got, want) {
		t.Fatalf("webhook_events ids = %v, want the delivered ids %v", got, want)
	}

	// The objects that the delete and merge events named.
	reported := map[string][]string{
		"candidates": sorted(append(
			queryStrings(t, e, fmt.Sprintf(`SELECT object_id FROM %q.%q WHERE object_type = 'candidate'`, datasetName, ashby.WebhookDeletesTable)),
			queryStrings(t, e, fmt.Sprintf(`SELECT deleted_candidate_id FROM %q.%q`, datasetName, ashby.CandidateMergesTable))...)),
		"offers": queryStrings(t, e, fmt.Sprintf(`SELECT object_id FROM %q.%q WHERE object_type = 'offer'`, datasetName, ashby.WebhookDeletesTable)),
	}
	after := map[string][]string{"candidates": ids(t, sim, "candidate.list"), "offers": ids(t, sim, "offer.list")}
	for table, n := range map[string]int{"candidates": 4, "offers": 2} {
		if len(reported[table]) != n {
			t.Fatalf("the webhooks reported %d deleted %s (%v), want %d", len(reported[table]), table, reported[table], n)
		}
		for _, id := range reported[table] {
			if !slices.Contains(before[table], id) || slices.Contains(after[table], id) {
				t.Errorf("reported %s %s was not deleted in the emulator", table, id)
			}
		}
		if got := deletedAt(t, e, table); !slices.Equal(got, reported[table]) {
			t.Errorf("%s marked deleted %v, want exactly the reported %v", table, got, reported[table])
		}
		db, closeDB := e.openDB(t)
		live := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q WHERE _rl_deleted_at IS NULL`, datasetName, table))
		closeDB()
		if want := len(before[table]) - n; live != want {
			t.Errorf("%s has %d live rows, want %d: every row but the reported ones", table, live, want)
		}
	}
}
