package ashby_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/webhook"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// event builds a spooled event whose payload carries data, received n
// seconds after t0.
func event(t *testing.T, id, action, data string, n int) webhook.Event {
	t.Helper()
	body := fmt.Sprintf(`{"webhookActionId":%q,"action":%q,"data":%s}`, id, action, data)
	if !json.Valid([]byte(body)) {
		t.Fatalf("invalid test payload %s", body)
	}
	return webhook.Event{ID: id, Action: action, Received: t0.Add(time.Duration(n) * time.Second), Body: []byte(body)}
}

// extracted runs every resource of src with state and returns the
// decoded items by resource name.
func extracted(t *testing.T, src source.Source, state json.RawMessage) map[string][]map[string]any {
	t.Helper()
	items, _ := extractAll(t, src, state)
	return items
}

// extractAll runs every resource of src with state and returns the
// decoded items and the keys marked deleted, by resource name. Each key
// is its values' JSON text joined by commas.
func extractAll(t *testing.T, src source.Source, state json.RawMessage) (map[string][]map[string]any, map[string][]string) {
	t.Helper()
	out := map[string][]map[string]any{}
	deleted := map[string][]string{}
	for _, r := range src.Resources() {
		ctx := source.WithDeletions(context.Background(), func(key []json.RawMessage) error {
			parts := make([]string, len(key))
			for i, v := range key {
				parts[i] = string(v)
			}
			deleted[r.Name()] = append(deleted[r.Name()], strings.Join(parts, ","))
			return nil
		})
		next, err := r.Extract(ctx, state, func(items []json.RawMessage) error {
			for _, it := range items {
				var m map[string]any
				if err := json.Unmarshal(it, &m); err != nil {
					return err
				}
				out[r.Name()] = append(out[r.Name()], m)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("extract %s: %v", r.Name(), err)
		}
		if string(next) != string(state) {
			t.Errorf("extract %s returned state %s, want the stored state %s", r.Name(), next, state)
		}
	}
	return out, deleted
}

func newSource(t *testing.T, cfg ashby.Config, events ...webhook.Event) *ashby.WebhookSource {
	t.Helper()
	src, err := ashby.NewWebhookSource(events, cfg)
	if err != nil {
		t.Fatalf("NewWebhookSource: %v", err)
	}
	if src.Name() != "ashby" {
		t.Fatalf("Name() = %q, want ashby", src.Name())
	}
	return src
}

func ids(items []map[string]any, field string) []string {
	var out []string
	for _, it := range items {
		s, _ := it[field].(string)
		out = append(out, s)
	}
	return out
}

func TestWebhookSourceTables(t *testing.T) {
	src := newSource(t, ashby.Config{},
		event(t, "w1", "applicationSubmit", `{"application":{"id":"a1","updatedAt":"2026-03-01T10:00:00Z"}}`, 1),
		event(t, "w2", "jobCreate", `{"job":{"id":"j1"}}`, 2),
		event(t, "w3", "openingCreate", `{"opening":{"id":"o1"}}`, 3),
		event(t, "w4", "interviewScheduleUpdate", `{"interviewSchedule":{"id":"s1"}}`, 4),
		event(t, "w5", "surveySubmit", `{"surveySubmission":{"id":"q1","surveyType":"Questionnaire"}}`, 5),
		event(t, "w6", "surveySubmit", `{"surveySubmission":{"id":"c1","surveyType":"CandidateExperience"}}`, 6),
		event(t, "w7", "jobPostingPublish", `{"jobPosting":{"id":"p1","jobId":"j1"}}`, 7),
		event(t, "w8", "pushToHRIS", `{"application":{"id":"a2"}}`, 8),
		event(t, "w9", "takeHomeAssignmentAssigned", `{"assignment":{"id":"t1"}}`, 9),
	)
	got := extracted(t, src, nil)
	want := map[string][]string{
		"applications":                     {"a1", "a2"},
		"jobs":                             {"j1"},
		"openings":                         {"o1"},
		"interview_schedules":              {"s1"},
		"survey_submissions_questionnaire": {"q1"},
		"survey_submissions_candidate_experience": {"c1"},
		"webhook_job_postings":                    {"p1"},
	}
	for table, w := range want {
		if g := ids(got[table], "id"); !slices.Equal(g, w) {
			t.Errorf("%s ids = %v, want %v", table, g, w)
		}
	}
	events := got[ashby.WebhookEventsTable]
	if g := ids(events, "webhook_action_id"); !slices.Equal(g, []string{"w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"}) {
		t.Errorf("webhook_events ids = %v, want every event in order", g)
	}
	unknown := events[8]
	if unknown["action"] != "takeHomeAssignmentAssigned" {
		t.Errorf("action = %v, want takeHomeAssignmentAssigned", unknown["action"])
	}
	if unknown["received_at"] != "2026-03-01T12:00:09Z" {
		t.Errorf("received_at = %v, want 2026-03-01T12:00:09Z", unknown["received_at"])
	}
	data, _ := unknown["data"].(map[string]any)
	if _, ok := data["assignment"]; !ok {
		t.Errorf("data = %v, want the payload's data kept", unknown["data"])
	}
	if len(got) != len(want)+1 {
		t.Errorf("resources = %d, want %d", len(got), len(want)+1)
	}
}

func TestWebhookSourceHintsMatchPolling(t *testing.T) {
	for _, mode := range []schema.PIIMode{"", schema.PIIHash} {
		t.Run(string(mode), func(t *testing.T) {
			offer := `{"offer":{"id":"f1","versions":[{"id":"v1"}]}}`
			src := newSource(t, ashby.Config{PII: mode},
				event(t, "w1", "candidateHire", `{"application":{"id":"a1"},`+offer[1:], 1),
				event(t, "w2", "jobUpdate", `{"job":{"id":"j1"}}`, 2),
				event(t, "w3", "jobPostingUpdate", `{"jobPosting":{"id":"p1"}}`, 3))
			polling, err := ashby.New(ashby.Config{APIKey: "unused", PII: mode})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]schema.Hints{}
			for _, r := range polling.Resources() {
				want[r.Name()] = r.Hints()
			}
			for _, r := range src.Resources() {
				h := r.Hints()
				if h.WriteDisposition != schema.Merge {
					t.Errorf("%s: write disposition %q, want merge", r.Name(), h.WriteDisposition)
				}
				switch r.Name() {
				case ashby.WebhookEventsTable:
					if !slices.Equal(h.PrimaryKey, []string{"webhook_action_id"}) {
						t.Errorf("%s: primary key %v", r.Name(), h.PrimaryKey)
					}
					continue
				case ashby.WebhookJobPostingsTable:
					if !slices.Equal(h.PrimaryKey, []string{"id"}) || h.Table != ashby.WebhookJobPostingsTable {
						t.Errorf("%s: key %v table %q, want key id", r.Name(), h.PrimaryKey, h.Table)
					}
					if !h.SoftDelete {
						t.Errorf("%s: SoftDelete not set; jobPostingDelete marks its rows", r.Name())
					}
					continue
				}
				w, ok := want[r.Name()]
				if !ok {
					t.Errorf("%s: no polling resource of that name", r.Name())
					continue
				}
				if !reflect.DeepEqual(h, w) {
					t.Errorf("%s hints = %+v, want the polling hints %+v", r.Name(), h, w)
				}
			}
		})
	}
}

func TestWebhookSourceNewestWins(t *testing.T) {
	src := newSource(t, ashby.Config{},
		event(t, "w1", "applicationUpdate", `{"application":{"id":"a1","updatedAt":"2026-03-01T10:00:05Z","status":"newer"}}`, 1),
		event(t, "w2", "candidateStageChange", `{"application":{"id":"a1","updatedAt":"2026-03-01T10:00:01Z","status":"older"}}`, 2),
		event(t, "w3", "applicationUpdate", `{"application":{"id":"a2","updatedAt":"2026-03-01T10:00:00Z","status":"first"}}`, 3),
		event(t, "w4", "applicationUpdate", `{"application":{"id":"a2","updatedAt":"2026-03-01T10:00:00Z","status":"second"}}`, 4),
		event(t, "w5", "jobUpdate", `{"job":{"id":"j1","title":"first"}}`, 5),
		event(t, "w6", "jobUpdate", `{"job":{"id":"j1","title":"second"}}`, 6),
	)
	got := extracted(t, src, nil)
	apps := got["applications"]
	if g := ids(apps, "id"); !slices.Equal(g, []string{"a1", "a2"}) {
		t.Fatalf("application ids = %v, want one row per application", g)
	}
	if apps[0]["status"] != "newer" {
		t.Errorf("a1 status = %v, want the later updatedAt to win", apps[0]["status"])
	}
	if apps[1]["status"] != "second" {
		t.Errorf("a2 status = %v, want the later-received event to win a tie", apps[1]["status"])
	}
	if g := ids(got["jobs"], "title"); !slices.Equal(g, []string{"second"}) {
		t.Errorf("job titles = %v, want the later-received job without updatedAt", g)
	}
	if n := len(got[ashby.WebhookEventsTable]); n != 6 {
		t.Errorf("webhook_events rows = %d, want 6", n)
	}
}

func TestWebhookSourceOffers(t *testing.T) {
	offer := `{"offer":{"id":"f1","offerStatus":"Sent","formDefinition":{"sections":[]},
		"versions":[{"id":"v1","createdAt":"2026-02-01T00:00:00Z"},{"id":"v2","createdAt":"2026-02-02T00:00:00Z"}]}}`
	src := newSource(t, ashby.Config{}, event(t, "w1", "offerUpdate", offer, 1))
	got := extracted(t, src, nil)
	offers := got["offers"]
	if len(offers) != 1 {
		t.Fatalf("offers = %v, want one", offers)
	}
	for _, f := range []string{"versions", "formDefinition"} {
		if _, ok := offers[0][f]; ok {
			t.Errorf("offer keeps %s; offer.list has none", f)
		}
	}
	if offers[0]["offerStatus"] != "Sent" {
		t.Errorf("offerStatus = %v, want Sent", offers[0]["offerStatus"])
	}
	versions := got["offer_versions"]
	if g := ids(versions, "id"); !slices.Equal(g, []string{"v1", "v2"}) {
		t.Errorf("version ids = %v, want v1 v2", g)
	}
	if g := ids(versions, "_offers_id"); !slices.Equal(g, []string{"f1", "f1"}) {
		t.Errorf("version _offers_id = %v, want f1 f1", g)
	}
}

func TestWebhookSourceMergesAndDeletes(t *testing.T) {
	src := newSource(t, ashby.Config{},
		event(t, "w1", "candidateMerge", `{"deletedCandidate":{"id":"c1"},"mergedCandidate":{"id":"c2"}}`, 1),
		event(t, "w2", "candidateDelete", `{"candidate":{"id":"c3"}}`, 2),
		event(t, "w3", "offerDelete", `{"offer":{"id":"f1","applicationId":"a1"}}`, 3),
		event(t, "w4", "jobPostingDelete", `{"jobPosting":{"id":"p1","jobId":"j1"}}`, 4),
		// A second delete of c3 marks it once.
		event(t, "w5", "candidateDelete", `{"candidate":{"id":"c3"}}`, 5),
	)
	got, deleted := extractAll(t, src, nil)
	wantDeleted := map[string][]string{
		"candidates":                  {`"c1"`, `"c3"`},
		"offers":                      {`"f1"`},
		ashby.WebhookJobPostingsTable: {`"p1"`},
	}
	if !reflect.DeepEqual(deleted, wantDeleted) {
		t.Errorf("deleted keys = %v, want %v", deleted, wantDeleted)
	}
	for _, r := range src.Resources() {
		if _, ok := wantDeleted[r.Name()]; ok && !r.Hints().SoftDelete {
			t.Errorf("%s: SoftDelete not set, so its rows cannot be marked deleted", r.Name())
		}
	}
	merges := got[ashby.CandidateMergesTable]
	wantMerge := map[string]any{"deleted_candidate_id": "c1", "merged_candidate_id": "c2",
		"webhook_action_id": "w1", "received_at": "2026-03-01T12:00:01Z"}
	if len(merges) != 1 || !reflect.DeepEqual(merges[0], wantMerge) {
		t.Errorf("candidate_merges = %v, want [%v]", merges, wantMerge)
	}
	deletes := got[ashby.WebhookDeletesTable]
	if g := ids(deletes, "object_type"); !slices.Equal(g, []string{"candidate", "offer", "job_posting", "candidate"}) {
		t.Errorf("object types = %v", g)
	}
	if g := ids(deletes, "object_id"); !slices.Equal(g, []string{"c3", "f1", "p1", "c3"}) {
		t.Errorf("object ids = %v", g)
	}
	if g := ids(deletes, "webhook_action_id"); !slices.Equal(g, []string{"w2", "w3", "w4", "w5"}) {
		t.Errorf("webhook_action_ids = %v", g)
	}
	for _, table := range []string{"candidates", "offers", ashby.WebhookJobPostingsTable} {
		if _, ok := got[table]; ok {
			t.Errorf("a delete event emitted a %s row", table)
		}
	}
	if n := len(got[ashby.WebhookEventsTable]); n != 5 {
		t.Errorf("webhook_events rows = %d, want 5", n)
	}
}

func TestWebhookSourceDeleteOrder(t *testing.T) {
	src := newSource(t, ashby.Config{},
		// An upsert before the delete is loaded, and the delete marks it.
		event(t, "w1", "offerUpdate", `{"offer":{"id":"f1","offerStatus":"Sent"}}`, 1),
		event(t, "w2", "offerDelete", `{"offer":{"id":"f1"}}`, 2),
		// An upsert after the delete is stale and left out.
		event(t, "w3", "offerDelete", `{"offer":{"id":"f2"}}`, 3),
		event(t, "w4", "offerUpdate", `{"offer":{"id":"f2","offerStatus":"Sent"}}`, 4),
		event(t, "w5", "jobPostingDelete", `{"jobPosting":{"id":"p1"}}`, 5),
		event(t, "w6", "jobPostingUpdate", `{"jobPosting":{"id":"p1"}}`, 6),
		event(t, "w7", "jobPostingUpdate", `{"jobPosting":{"id":"p2"}}`, 7),
		event(t, "w8", "offerUpdate", `{"offer":{"id":"f3"}}`, 8),
	)
	got, deleted := extractAll(t, src, nil)
	if g := ids(got["offers"], "id"); !slices.Equal(g, []string{"f1", "f3"}) {
		t.Errorf("offer ids = %v, want f1 and f3 without the stale f2", g)
	}
	if g := ids(got[ashby.WebhookJobPostingsTable], "id"); !slices.Equal(g, []string{"p2"}) {
		t.Errorf("posting ids = %v, want p2 without the stale p1", g)
	}
	if g := deleted["offers"]; !slices.Equal(g, []string{`"f1"`, `"f2"`}) {
		t.Errorf("deleted offers = %v, want f1 f2", g)
	}
	if g := deleted[ashby.WebhookJobPostingsTable]; !slices.Equal(g, []string{`"p1"`}) {
		t.Errorf("deleted postings = %v, want p1", g)
	}
	if n := len(got[ashby.WebhookEventsTable]); n != 8 {
		t.Errorf("webhook_events rows = %d, want every event", n)
	}
}

func TestWebhookSourcePIIOmitsData(t *testing.T) {
	for _, mode := range []schema.PIIMode{schema.PIIDrop, schema.PIIHash, schema.PIIMask} {
		t.Run(string(mode), func(t *testing.T) {
			src := newSource(t, ashby.Config{PII: mode},
				event(t, "w1", "applicationSubmit", `{"application":{"id":"a1","candidate":{"name":"Ada"}}}`, 1))
			got := extracted(t, src, nil)
			row := got[ashby.WebhookEventsTable][0]
			if _, ok := row["data"]; ok {
				t.Errorf("webhook_events row has data at PII mode %s: %v", mode, row)
			}
			for _, r := range src.Resources() {
				if _, ok := r.Hints().Columns["data"]; ok && r.Name() == ashby.WebhookEventsTable {
					t.Errorf("data column hint set at PII mode %s", mode)
				}
			}
			// The object's table still gets the row; its hints transform
			// the personal fields.
			if len(got["applications"]) != 1 {
				t.Errorf("applications = %v, want one row", got["applications"])
			}
		})
	}
}

func TestWebhookSourceDataHint(t *testing.T) {
	src := newSource(t, ashby.Config{PII: ashby.PIIKeep}, event(t, "w1", "jobCreate", `{"job":{"id":"j1"}}`, 1))
	for _, r := range src.Resources() {
		if r.Name() != ashby.WebhookEventsTable {
			continue
		}
		if dt := r.Hints().Columns["data"].DataType; dt != schema.JSON {
			t.Errorf("data column type = %q, want json so it is stored whole", dt)
		}
		return
	}
	t.Fatal("no webhook_events resource")
}

func TestWebhookSourceKeepsState(t *testing.T) {
	state := json.RawMessage(`{"sync_token":"tok"}`)
	src := newSource(t, ashby.Config{}, event(t, "w1", "applicationUpdate", `{"application":{"id":"a1"}}`, 1))
	// extracted fails the test when a resource returns another state.
	extracted(t, src, state)
}

func TestWebhookSourceSkipsObjectWithoutID(t *testing.T) {
	src := newSource(t, ashby.Config{},
		event(t, "w1", "applicationUpdate", `{"application":{"status":"x"}}`, 1),
		event(t, "w2", "surveySubmit", `{"surveySubmission":{"id":"s1","surveyType":"Unknown"}}`, 2))
	got := extracted(t, src, nil)
	if len(got["applications"]) != 0 {
		t.Errorf("applications = %v, want none for an object without id", got["applications"])
	}
	if n := len(got[ashby.WebhookEventsTable]); n != 2 {
		t.Errorf("webhook_events rows = %d, want both events kept", n)
	}
}

func TestWebhookSourceErrors(t *testing.T) {
	tests := []struct {
		name   string
		events []webhook.Event
		cfg    ashby.Config
	}{
		{"invalid PII mode", nil, ashby.Config{PII: "scramble"}},
		{"body not JSON", []webhook.Event{{ID: "w1", Action: "jobCreate", Body: []byte("{")}}, ashby.Config{}},
		{"data missing", []webhook.Event{{ID: "w1", Action: "jobCreate", Body: []byte(`{"action":"jobCreate"}`)}}, ashby.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ashby.NewWebhookSource(tt.events, tt.cfg); err == nil {
				t.Error("NewWebhookSource returned no error")
			}
		})
	}
}

func TestWebhookSourceEmptyBatch(t *testing.T) {
	src := newSource(t, ashby.Config{})
	if n := len(src.Resources()); n != 0 {
		t.Errorf("resources = %d, want none for an empty batch", n)
	}
}
