package ashbysim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restload/restload/internal/ashbysim"
)

// hookRequest is one request a test receiver got.
type hookRequest struct {
	At     time.Time
	Header http.Header
	Body   []byte
	Action string
	ID     string
	Data   map[string]json.RawMessage
}

// receiver is a webhook receiver on loopback that records requests and
// responds with the status that respond returns for the n-th request
// (from 1) of an action id.
type receiver struct {
	URL     string
	mu      sync.Mutex
	reqs    []hookRequest
	seen    map[string]int
	respond func(action string, n int) int
}

func startReceiver(t *testing.T, respond func(action string, n int) int) *receiver {
	t.Helper()
	r := &receiver{seen: map[string]int{}, respond: respond}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("read webhook body: %v", err)
		}
		var payload struct {
			WebhookActionID string                     `json:"webhookActionId"`
			Action          string                     `json:"action"`
			Data            map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("webhook body is not JSON: %v: %s", err, body)
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, hookRequest{At: time.Now(), Header: req.Header.Clone(), Body: body,
			Action: payload.Action, ID: payload.WebhookActionID, Data: payload.Data})
		r.seen[payload.WebhookActionID]++
		n := r.seen[payload.WebhookActionID]
		r.mu.Unlock()
		status := http.StatusOK
		if r.respond != nil {
			status = r.respond(payload.Action, n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hook"
	return r
}

func (r *receiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// events returns the requests other than pings.
func (r *receiver) events() []hookRequest {
	var out []hookRequest
	for _, req := range r.requests() {
		if req.Action != ashbysim.ActionPing {
			out = append(out, req)
		}
	}
	return out
}

// failEvents responds 200 to pings and status to the first failures
// attempts of every event.
func failEvents(status, failures int) func(string, int) int {
	return func(action string, n int) int {
		if action == ashbysim.ActionPing || n > failures {
			return http.StatusOK
		}
		return status
	}
}

func addWebhook(t *testing.T, s *ashbysim.Server, w ashbysim.Webhook) string {
	t.Helper()
	id, err := s.AddWebhook(t.Context(), w)
	if err != nil {
		t.Fatalf("add webhook: %v", err)
	}
	return id
}

func waitDelivered(t *testing.T, s *ashbysim.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
}

// newHookServer returns an emulator whose retries take milliseconds.
func newHookServer(t *testing.T, cfg ashbysim.WebhookConfig) *ashbysim.Server {
	t.Helper()
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	s := ashbysim.New(ashbysim.Config{Seed: 5, Candidates: 200, Webhooks: cfg})
	t.Cleanup(func() { s.Close() })
	return s
}

// everyChange makes changes that cause every action Apply sends.
var everyChange = ashbysim.Changes{
	NewApplications: 3, UpdatedApplications: 40, ArchivedApplications: 3,
	NewJobs: 1, UpdatedJobs: 4, NewOffers: 2, UpdatedOffers: 3, DeletedOffers: 1,
	NewInterviewSchedules: 2, UpdatedInterviewSchedules: 2, NewOpenings: 2,
	NewSurveySubmissions: 2, DeletedCandidates: 1, MergedCandidates: 1, DeletedJobPostings: 1,
}

func hmacHex(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestWebhook_Signature(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	signed := startReceiver(t, nil)
	unsigned := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: signed.URL, Secret: "s3cret-token"})
	addWebhook(t, s, ashbysim.Webhook{URL: unsigned.URL})
	s.Apply(everyChange)
	waitDelivered(t, s)

	reqs := signed.requests()
	if len(reqs) < 20 {
		t.Fatalf("signed receiver got %d requests, want at least 20", len(reqs))
	}
	for _, r := range reqs {
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", r.Action, got)
		}
		sig := r.Header.Get("Ashby-Signature")
		if want := "sha256=" + hmacHex("s3cret-token", r.Body); sig != want {
			t.Errorf("%s: Ashby-Signature %q, want %q", r.Action, sig, want)
		}
		if sig == "sha256="+hmacHex("other-secret", r.Body) {
			t.Errorf("%s: signature verifies with the wrong secret", r.Action)
		}
		if sig != ashbysim.Sign("s3cret-token", r.Body) {
			t.Errorf("%s: Sign disagrees with the header", r.Action)
		}
	}
	for _, r := range unsigned.requests() {
		if _, ok := r.Header["Ashby-Signature"]; ok {
			t.Errorf("%s: unsigned webhook got an Ashby-Signature header", r.Action)
		}
	}

	// Both webhooks get every event once, under the same id.
	ids := func(reqs []hookRequest) []string {
		var out []string
		for _, r := range reqs {
			if r.Action != ashbysim.ActionPing {
				out = append(out, r.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	a, b := ids(reqs), ids(unsigned.requests())
	if !slices.Equal(a, b) {
		t.Errorf("webhooks got different webhookActionIds:\n%v\n%v", a, b)
	}
	if len(slices.Compact(slices.Clone(a))) != len(a) {
		t.Errorf("a webhookActionId repeats across events: %v", a)
	}
}

func TestWebhook_AllActionsSent(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	r := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL})
	s.Apply(everyChange)
	waitDelivered(t, s)
	got := map[string]bool{}
	for _, req := range r.events() {
		got[req.Action] = true
	}
	for _, action := range ashbysim.WebhookActions() {
		if !got[action] && action != ashbysim.ActionJobPostingUnpublish &&
			action != ashbysim.ActionJobPostingPublish {
			t.Errorf("no %s event", action)
		}
	}
	if !got[ashbysim.ActionJobPostingPublish] && !got[ashbysim.ActionJobPostingUnpublish] {
		t.Error("no jobPostingPublish or jobPostingUnpublish event")
	}
}

func TestWebhook_RetrySchedule(t *testing.T) {
	const base = 20 * time.Millisecond
	s := newHookServer(t, ashbysim.WebhookConfig{RetryBase: base})
	r := startReceiver(t, failEvents(http.StatusInternalServerError, 3))
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL, Actions: []string{ashbysim.ActionJobCreate}})
	s.Apply(ashbysim.Changes{NewJobs: 1})
	waitDelivered(t, s)

	reqs := r.events()
	if len(reqs) != 4 {
		t.Fatalf("got %d attempts, want 4 (3 failures, then success)", len(reqs))
	}
	for n := 1; n < len(reqs); n++ {
		if reqs[n].ID != reqs[0].ID {
			t.Errorf("attempt %d has webhookActionId %s, want %s", n+1, reqs[n].ID, reqs[0].ID)
		}
		if string(reqs[n].Body) != string(reqs[0].Body) {
			t.Errorf("attempt %d has another body than attempt 1", n+1)
		}
		gap := reqs[n].At.Sub(reqs[n-1].At)
		if want := time.Duration(1<<n-1) * base; gap < want {
			t.Errorf("delay before retry %d is %v, want at least %v", n, gap, want)
		}
	}
	var attempts []int
	for _, d := range s.Deliveries() {
		if d.Action == ashbysim.ActionJobCreate {
			attempts = append(attempts, d.Attempt)
			wantRetry := d.Attempt < 4
			if d.Retry != wantRetry {
				t.Errorf("attempt %d: Retry %v, want %v", d.Attempt, d.Retry, wantRetry)
			}
			if d.OK() != (d.Attempt == 4) {
				t.Errorf("attempt %d: OK %v, status %d", d.Attempt, d.OK(), d.Status)
			}
		}
	}
	if !slices.Equal(attempts, []int{1, 2, 3, 4}) {
		t.Errorf("delivery log attempts %v, want [1 2 3 4]", attempts)
	}
}

func TestWebhook_RetryStatuses(t *testing.T) {
	tests := []struct {
		status int
		want   int // attempts
	}{
		{http.StatusUnauthorized, 1},
		{http.StatusForbidden, 1},
		{http.StatusNotFound, 1},
		{http.StatusMethodNotAllowed, 1},
		{http.StatusGone, 1},
		{http.StatusBadRequest, 5},
		{http.StatusTooManyRequests, 5},
		{http.StatusInternalServerError, 5},
		{http.StatusServiceUnavailable, 5},
		{http.StatusFound, 5},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s := newHookServer(t, ashbysim.WebhookConfig{MaxAttempts: 5, RetryBase: time.Millisecond})
			r := startReceiver(t, failEvents(tt.status, 100))
			addWebhook(t, s, ashbysim.Webhook{URL: r.URL, Actions: []string{ashbysim.ActionJobCreate}})
			s.Apply(ashbysim.Changes{NewJobs: 1})
			waitDelivered(t, s)
			if got := len(r.events()); got != tt.want {
				t.Errorf("status %d: %d attempts, want %d", tt.status, got, tt.want)
			}
		})
	}
}

func TestWebhook_TimeoutRetried(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{Timeout: 50 * time.Millisecond})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 2 { // the first event attempt; call 1 is the ping
			time.Sleep(200 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)

	addWebhook(t, s, ashbysim.Webhook{URL: srv.URL, Actions: []string{ashbysim.ActionJobCreate}})
	s.Apply(ashbysim.Changes{NewJobs: 1})
	waitDelivered(t, s)

	var log []ashbysim.Delivery
	for _, d := range s.Deliveries() {
		if d.Action == ashbysim.ActionJobCreate {
			log = append(log, d)
		}
	}
	if len(log) != 2 {
		t.Fatalf("got %d attempts, want 2: %+v", len(log), log)
	}
	if log[0].OK() {
		t.Errorf("timed-out attempt logged as a success: %+v", log[0])
	}
	if !log[0].Retry {
		t.Errorf("timed-out attempt logged without a retry: %+v", log[0])
	}
	if log[0].Status != 0 {
		t.Errorf("timed-out attempt logged with status %d, want 0", log[0].Status)
	}
	if !log[1].OK() {
		t.Errorf("second attempt logged as %+v, want success", log[1])
	}
}

func TestWebhook_Duplicates(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{DuplicateDeliveries: true, Reorder: true})
	r := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL})
	s.Apply(ashbysim.Changes{NewJobs: 2, UpdatedApplications: 5})
	waitDelivered(t, s)
	bodies := map[string][]string{}
	for _, req := range r.events() {
		bodies[req.ID] = append(bodies[req.ID], string(req.Body))
	}
	if len(bodies) == 0 {
		t.Fatal("no events delivered")
	}
	for id, got := range bodies {
		if len(got) != 2 {
			t.Errorf("event %s delivered %d times, want 2", id, len(got))
			continue
		}
		if got[0] != got[1] {
			t.Errorf("event %s: the two copies differ", id)
		}
	}
}

func TestWebhook_Ping(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	var mu sync.Mutex
	healthy := false
	r := startReceiver(t, func(string, int) int {
		mu.Lock()
		defer mu.Unlock()
		if healthy {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	id, err := s.AddWebhook(t.Context(), ashbysim.Webhook{URL: r.URL, Secret: "k"})
	if !errors.Is(err, ashbysim.ErrPingFailed) {
		t.Fatalf("AddWebhook with a failing receiver: error %v, want ErrPingFailed", err)
	}
	if enabled, ok := s.WebhookEnabled(id); !ok || enabled {
		t.Fatalf("webhook after failed ping: enabled %v, exists %v; want disabled", enabled, ok)
	}
	reqs := r.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1 ping without retries", len(reqs))
	}
	var ping struct {
		Action string         `json:"action"`
		Data   map[string]any `json:"data"`
		ID     string         `json:"webhookActionId"`
	}
	if err := json.Unmarshal(reqs[0].Body, &ping); err != nil {
		t.Fatal(err)
	}
	if ping.Action != "ping" {
		t.Errorf("ping action %q, want ping", ping.Action)
	}
	if ping.Data["webhookActionType"] != "ping" {
		t.Errorf("ping data %v, want webhookActionType ping", ping.Data)
	}
	if ping.ID == "" {
		t.Error("ping has no webhookActionId")
	}
	if got := reqs[0].Header.Get("Ashby-Signature"); got != "sha256="+hmacHex("k", reqs[0].Body) {
		t.Errorf("ping signature %q does not verify", got)
	}

	s.Apply(ashbysim.Changes{NewJobs: 1})
	waitDelivered(t, s)
	if got := len(r.events()); got != 0 {
		t.Errorf("disabled webhook got %d events", got)
	}

	mu.Lock()
	healthy = true
	mu.Unlock()
	if err := s.EnableWebhook(t.Context(), id); err != nil {
		t.Fatalf("enable webhook: %v", err)
	}
	s.Apply(ashbysim.Changes{NewJobs: 1})
	waitDelivered(t, s)
	if got := len(r.events()); got == 0 {
		t.Error("enabled webhook got no events")
	}
}

func TestWebhook_Actions(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	r := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL,
		Actions: []string{ashbysim.ActionOfferCreate, ashbysim.ActionCandidateDelete}})
	s.Apply(everyChange)
	waitDelivered(t, s)
	counts := map[string]int{}
	for _, req := range r.events() {
		counts[req.Action]++
	}
	want := map[string]int{ashbysim.ActionOfferCreate: 2, ashbysim.ActionCandidateDelete: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("actions received %v, want %v", counts, want)
	}
}

func TestWebhook_AddRejects(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	for name, w := range map[string]ashbysim.Webhook{
		"relative URL":   {URL: "/hook"},
		"ftp URL":        {URL: "ftp://127.0.0.1/hook"},
		"unknown action": {URL: "http://127.0.0.1:1/hook", Actions: []string{"candidateCreate"}},
	} {
		if _, err := s.AddWebhook(t.Context(), w); err == nil || errors.Is(err, ashbysim.ErrPingFailed) {
			t.Errorf("%s: error %v, want a rejection before the ping", name, err)
		}
	}
}

// webhookSchema returns the request body schema of a webhook action in
// the OpenAPI document, with references inlined.
func webhookSchema(t *testing.T, action string) *openapi3.Schema {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	item := doc.Webhooks[action]
	if item == nil || item.Post == nil || item.Post.RequestBody == nil {
		return nil
	}
	ref := item.Post.RequestBody.Value.Content.Get("application/json").Schema
	webhookSchemaMu.Lock()
	defer webhookSchemaMu.Unlock()
	if !inlineRefs(ref, map[*openapi3.Schema]bool{}) {
		t.Fatalf("schema of webhook %s is recursive", action)
	}
	return ref.Value
}

var webhookSchemaMu sync.Mutex

// listItem maps the data member of an event to the list endpoint whose
// items have the same shape.
var listItem = map[string]string{
	"application":       "application.list",
	"job":               "job.list",
	"opening":           "opening.list",
	"interviewSchedule": "interviewSchedule.list",
}

// dataMembers lists the members of the data of each action.
var dataMembers = map[string][]string{
	"applicationSubmit":       {"application"},
	"applicationUpdate":       {"application"},
	"candidateStageChange":    {"application"},
	"candidateHire":           {"application", "offer"},
	"candidateDelete":         {"candidate"},
	"candidateMerge":          {"deletedCandidate", "mergedCandidate"},
	"jobCreate":               {"job"},
	"jobUpdate":               {"job"},
	"jobPostingPublish":       {"jobPosting"},
	"jobPostingUnpublish":     {"jobPosting"},
	"jobPostingUpdate":        {"jobPosting"},
	"jobPostingDelete":        {"jobPosting"},
	"offerCreate":             {"offer"},
	"offerUpdate":             {"offer"},
	"offerDelete":             {"offer"},
	"interviewScheduleCreate": {"interviewSchedule"},
	"interviewScheduleUpdate": {"interviewSchedule"},
	"openingCreate":           {"opening"},
	"surveySubmit":            {"surveySubmission"},
	"ping":                    {"webhookActionType"},
}

func TestWebhook_PayloadSchemas(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{})
	r := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL})
	s.Apply(everyChange)
	waitDelivered(t, s)

	lists := map[string]map[string]json.RawMessage{} // endpoint -> id -> item
	for _, endpoint := range listItem {
		items, err := s.Objects(endpoint, s.ParamsForAll(endpoint))
		if err != nil {
			t.Fatal(err)
		}
		lists[endpoint] = map[string]json.RawMessage{}
		for _, item := range items {
			lists[endpoint][idOf(t, item)] = item
		}
	}

	validated := map[string]bool{}
	for _, req := range r.requests() {
		var members []string
		for m := range req.Data {
			members = append(members, m)
		}
		slices.Sort(members)
		if want := dataMembers[req.Action]; !slices.Equal(members, want) {
			// candidateHire leaves out offer when no offer was accepted.
			if req.Action != "candidateHire" || !slices.Equal(members, []string{"application"}) {
				t.Errorf("%s: data members %v, want %v", req.Action, members, want)
			}
		}
		if req.Action == "jobPostingDelete" {
			var posting map[string]string
			if err := json.Unmarshal(req.Data["jobPosting"], &posting); err != nil {
				t.Fatalf("jobPostingDelete: %v", err)
			}
			if len(posting) != 2 || posting["id"] == "" || posting["jobId"] == "" {
				t.Errorf("jobPostingDelete: jobPosting %v, want only id and jobId", posting)
			}
		}
		if raw, ok := req.Data["offer"]; ok && req.Action != "offerDelete" {
			want, err := s.Objects("offer.info", map[string]any{"offerId": idOf(t, raw)})
			if err != nil {
				t.Fatalf("%s: offer.info of %s: %v", req.Action, idOf(t, raw), err)
			}
			if len(want) != 1 || string(want[0]) != string(raw) {
				t.Errorf("%s: offer differs from offer.info:\n%s\n%s", req.Action, raw, want)
			}
		}
		schema := webhookSchema(t, req.Action)
		if schema != nil {
			var body any
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatal(err)
			}
			err := schema.VisitJSON(body, openapi3.EnableJSONSchema2020(),
				openapi3.WithStringFormatValidator("uuid", lowercaseUUID),
				openapi3.WithStringFormatValidator("date-time", utcMillis))
			if err != nil {
				msg := err.Error()
				if len(msg) > 2000 {
					msg = msg[:2000] + "..."
				}
				t.Errorf("%s payload does not match its OpenAPI schema:\n%s", req.Action, msg)
			}
			validated[req.Action] = true
		}
		for member, endpoint := range listItem {
			raw, ok := req.Data[member]
			if !ok {
				continue
			}
			want, ok := lists[endpoint][idOf(t, raw)]
			if !ok {
				t.Errorf("%s: %s %s is not in %s", req.Action, member, idOf(t, raw), endpoint)
				continue
			}
			if member == "application" {
				var m map[string]any
				json.Unmarshal(raw, &m)
				if _, ok := m["openings"]; ok {
					t.Errorf("%s: application has openings, which webhooks leave out", req.Action)
				}
			}
			if string(raw) != string(want) {
				t.Errorf("%s: %s differs from its %s item:\n%s\n%s", req.Action, member, endpoint, raw, want)
			}
		}
	}
	for _, action := range []string{"applicationSubmit", "applicationUpdate",
		"candidateStageChange", "candidateHire", "candidateDelete", "candidateMerge",
		"offerCreate", "offerUpdate", "offerDelete", "jobCreate", "jobUpdate", "jobPostingUpdate",
		"openingCreate", "interviewScheduleCreate", "interviewScheduleUpdate", "surveySubmit",
		"ping"} {
		if !validated[action] {
			t.Errorf("no %s payload was validated", action)
		}
	}
}

func TestWebhook_CloseDropsPending(t *testing.T) {
	s := newHookServer(t, ashbysim.WebhookConfig{RetryBase: time.Hour})
	r := startReceiver(t, failEvents(http.StatusServiceUnavailable, 100))
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL, Actions: []string{ashbysim.ActionJobCreate}})
	s.Apply(ashbysim.Changes{NewJobs: 3})

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := s.WaitDelivered(ctx); err == nil {
		t.Fatal("WaitDelivered returned nil while retries wait an hour")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, s)
	if got := len(r.events()); got != 3 {
		t.Errorf("got %d attempts, want 3 first attempts and no retries", got)
	}

	// A later Apply delivers again.
	s.Apply(ashbysim.Changes{NewJobs: 1})
	deadline := time.Now().Add(10 * time.Second)
	for len(r.events()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := len(r.events()); got != 4 {
		t.Errorf("after Close and Apply: %d attempts, want 4", got)
	}
}

// BenchmarkWebhookDelivery measures signed deliveries to a receiver on
// loopback with the default four workers.
func BenchmarkWebhookDelivery(b *testing.B) {
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		received.Add(1)
	}))
	defer srv.Close()
	s := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 10_000, RequestLogLimit: -1})
	defer s.Close()
	if _, err := s.AddWebhook(b.Context(), ashbysim.Webhook{URL: srv.URL, Secret: "x"}); err != nil {
		b.Fatal(err)
	}
	received.Store(0)
	for b.Loop() {
		s.Apply(ashbysim.Changes{UpdatedApplications: 100})
		if err := s.WaitDelivered(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(received.Load())/b.Elapsed().Seconds(), "events/s")
}

// receivedIDs applies everyChange to a fresh emulator with one worker
// and returns the webhookActionIds in the order they arrived.
func receivedIDs(t *testing.T, reorder bool) []string {
	t.Helper()
	s := newHookServer(t, ashbysim.WebhookConfig{Workers: 1, Reorder: reorder})
	r := startReceiver(t, nil)
	addWebhook(t, s, ashbysim.Webhook{URL: r.URL})
	s.Apply(everyChange)
	waitDelivered(t, s)
	var ids []string
	for _, req := range r.events() {
		ids = append(ids, req.ID)
	}
	return ids
}

func TestWebhook_Reorder(t *testing.T) {
	ordered := receivedIDs(t, false)
	again := receivedIDs(t, false)
	shuffled := receivedIDs(t, true)
	if !slices.Equal(ordered, again) {
		t.Error("two emulators with the same seed and changes sent different events or orders")
	}
	if slices.Equal(ordered, shuffled) {
		t.Errorf("Reorder kept the order of %d events", len(ordered))
	}
	sorted := slices.Sorted(slices.Values(shuffled))
	if !slices.Equal(slices.Sorted(slices.Values(ordered)), sorted) {
		t.Error("Reorder changed which events were sent")
	}
}
