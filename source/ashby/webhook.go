package ashby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
	"github.com/restload/restload/webhook"
)

// Tables that only webhook batches fill.
const (
	// WebhookEventsTable holds every event of every batch, keyed by
	// webhook_action_id.
	WebhookEventsTable = "webhook_events"
	// WebhookJobPostingsTable holds the postings that webhooks carry,
	// keyed by id. The polling table job_postings is keyed by the posting
	// id and the job board, because jobPosting.list lists one board at a
	// time, but a webhook payload names no board. Writing such a posting
	// into job_postings would need a board id to complete the key, so
	// webhook postings have a table of their own.
	WebhookJobPostingsTable = "webhook_job_postings"
	// CandidateMergesTable records candidateMerge events.
	CandidateMergesTable = "candidate_merges"
	// WebhookDeletesTable records candidateDelete, offerDelete and
	// jobPostingDelete events.
	WebhookDeletesTable = "webhook_deletes"
)

// Object types in the object_type column of WebhookDeletesTable.
const (
	DeletedCandidate  = "candidate"
	DeletedOffer      = "offer"
	DeletedJobPosting = "job_posting"
)

// WebhookSource is the Ashby source of one batch of webhook events. It is
// named "ashby" like the polling source, so both fill the same tables in
// the same dataset.
//
// Each object that an event carries goes to the table that the polling
// source fills with it, merged by the same primary key and with the same
// hints, and every event is also kept in WebhookEventsTable. Unlike the
// polling resources, the webhook resources never mark rows deleted for
// being absent, because a batch is never a complete listing. Delete
// events mark the object's row instead: candidateDelete sets
// _rl_deleted_at on the candidate in candidates, offerDelete on the offer
// in offers, jobPostingDelete on the posting in WebhookJobPostingsTable,
// and candidateMerge on the merged-away candidate in candidates. The
// events are also recorded in WebhookDeletesTable and
// CandidateMergesTable.
//
// NOTE: events of one object are ordered only within a batch (see
// NewWebhookSource). A delivery retried late can arrive in a later batch
// than a newer event of the same object and then overwrites the newer row.
// Such a delivery also makes a row live again that an earlier batch
// marked deleted.
type WebhookSource struct {
	resources []source.Resource
}

var _ source.Source = (*WebhookSource)(nil)

// Name returns "ashby".
func (s *WebhookSource) Name() string { return "ashby" }

// Resources returns one resource per table that the batch affects.
func (s *WebhookSource) Resources() []source.Resource { return s.resources }

// NewWebhookSource builds the source of events, a batch in arrival order.
// Only cfg.PII and cfg.Logger are read; no request goes to Ashby.
//
// When a batch holds several events of one object, the object with the
// later updatedAt is loaded. Objects without a comparable updatedAt, or
// with equal ones, are loaded from the later-received event. An event
// that carries an object after a delete of that object in the batch is
// left out, because Ashby does not bring deleted objects back. A delete
// after such an event still marks the loaded row.
//
// With cfg.PII set to hash, mask or drop, the rows of WebhookEventsTable
// have no data column. A payload contains the personal data of the
// objects in it, and their PII hints cannot reach into a JSON value that
// is stored whole.
//
// An event whose body is not the JSON object the receiver accepted is an
// error, because loading the batch without it would drop the event. An
// event whose object lacks an id, and a survey submission of an unknown
// survey type, are kept in WebhookEventsTable only, with a warning.
func NewWebhookSource(events []webhook.Event, cfg Config) (*WebhookSource, error) {
	switch cfg.PII {
	case "", PIIKeep, schema.PIIHash, schema.PIIMask, schema.PIIDrop:
	default:
		return nil, fmt.Errorf("invalid PII mode %q: use keep, hash, mask or drop", cfg.PII)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hints, err := pollingHints(cfg.PII)
	if err != nil {
		return nil, err
	}
	b := &batch{
		logger:     logger,
		keepData:   cfg.PII == "" || cfg.PII == PIIKeep,
		objects:    map[string]*objectTable{},
		hints:      hints,
		recordRows: map[string][]json.RawMessage{},
	}
	for i, ev := range events {
		if err := b.add(i, ev); err != nil {
			return nil, err
		}
	}
	return &WebhookSource{resources: b.resources()}, nil
}

// pollingHints returns the hints of every polling resource with the PII
// mode applied as the polling source applies it. SoftDelete stays set as
// the polling source sets it: delete events need it, and hints that
// differ between the two sources would change the tables' schema back
// and forth.
func pollingHints(mode schema.PIIMode) (map[string]schema.Hints, error) {
	def := Definition(DefaultBaseURL)
	if mode != "" && mode != PIIKeep {
		for i := range def.Resources {
			def.Resources[i].Columns = piiHints(def.Resources[i].Name, def.Resources[i].Columns, mode)
		}
	}
	// These resources only report their hints and send no request, so
	// the definition needs no API key.
	def.Client.Auth = nil
	src, err := rest.New(def, rest.Options{Hooks: hooks(slog.New(slog.DiscardHandler))})
	if err != nil {
		return nil, fmt.Errorf("build the Ashby definition: %w", err)
	}
	defer src.Close()
	out := map[string]schema.Hints{}
	for _, r := range src.Resources() {
		out[r.Name()] = r.Hints()
	}
	postings, ok := out["job_postings"]
	if !ok {
		return nil, errors.New("the Ashby definition has no job_postings resource")
	}
	postings.Table = WebhookJobPostingsTable
	postings.PrimaryKey = []string{"id"}
	out[WebhookJobPostingsTable] = postings
	return out, nil
}

// recordHints returns the hints of the tables that hold one row per
// event, merged by webhook_action_id so that a batch loaded again after a
// crash changes nothing.
func recordHints(table string, columns map[string]schema.ColumnHint) schema.Hints {
	return schema.Hints{
		Table:            table,
		PrimaryKey:       []string{"webhook_action_id"},
		WriteDisposition: schema.Merge,
		Columns:          columns,
	}
}

// batchResource emits the items of one table and marks the objects that
// the batch deleted.
type batchResource struct {
	name    string
	hints   schema.Hints
	items   []json.RawMessage
	deleted []string // ids
}

func (r *batchResource) Name() string        { return r.name }
func (r *batchResource) Hints() schema.Hints { return r.hints }

// Extract emits the items and returns state unchanged. A webhook resource
// shares its name, and so its state, with the polling resource of the same
// table, and that state holds the polling source's sync token.
func (r *batchResource) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(r.items) > 0 {
		if err := emit(r.items); err != nil {
			return nil, err
		}
	}
	for _, id := range r.deleted {
		if err := source.MarkDeleted(ctx, id); err != nil {
			return nil, fmt.Errorf("mark %s %s deleted: %w", r.name, id, err)
		}
	}
	return state, nil
}

// resources returns the resources of the batch: object tables in the
// order they first appeared, then the event record tables. A table that
// only delete events name gets a resource without items.
func (b *batch) resources() []source.Resource {
	var out []source.Resource
	for _, table := range b.order {
		t := b.objects[table]
		items := make([]json.RawMessage, 0, len(t.ids))
		for _, id := range t.ids {
			items = append(items, t.byID[id].item)
		}
		out = append(out, &batchResource{name: table, hints: b.hints[table], items: items, deleted: t.deleted})
	}
	dataHint := map[string]schema.ColumnHint{"data": {DataType: schema.JSON}}
	if !b.keepData {
		dataHint = nil
	}
	records := []struct {
		table string
		cols  map[string]schema.ColumnHint
	}{
		{WebhookEventsTable, dataHint},
		{CandidateMergesTable, nil},
		{WebhookDeletesTable, nil},
	}
	for _, rec := range records {
		if rows := b.recordRows[rec.table]; len(rows) > 0 {
			out = append(out, &batchResource{name: rec.table, hints: recordHints(rec.table, rec.cols), items: rows})
		}
	}
	return out
}

// objectTable holds the newest version of each object of one table,
// and the ids of the objects that the batch deleted.
type objectTable struct {
	ids     []string
	byID    map[string]*object
	deleted []string
	// isDeleted contains the ids in deleted.
	isDeleted map[string]bool
}

type object struct {
	item    json.RawMessage
	updated time.Time // zero when the object has no usable updatedAt
}

// batch sorts the events of a batch into tables.
type batch struct {
	logger   *slog.Logger
	keepData bool
	hints    map[string]schema.Hints
	// objects maps table names to their objects, and order lists the
	// table names in the order they first appeared.
	objects    map[string]*objectTable
	order      []string
	recordRows map[string][]json.RawMessage
}

// payload is the body of an Ashby webhook request.
type payload struct {
	Data map[string]json.RawMessage `json:"data"`
}

// add sorts event i of the batch into its tables.
func (b *batch) add(i int, ev webhook.Event) error {
	var p payload
	if err := json.Unmarshal(ev.Body, &p); err != nil || p.Data == nil {
		if err == nil {
			err = errors.New("data is not a JSON object")
		}
		return fmt.Errorf("decode webhook event %s (%s), number %d of the batch: %w; remove its file from the spool to skip it", ev.ID, ev.Action, i+1, err)
	}
	received := ev.Received.UTC().Format(time.RFC3339Nano)
	row := map[string]any{"webhook_action_id": ev.ID, "action": ev.Action, "received_at": received}
	if b.keepData {
		row["data"] = rawObject(p.Data)
	}
	b.record(WebhookEventsTable, row)

	d := p.Data
	log := b.logger.With("action", ev.Action, "webhook_action_id", ev.ID)
	switch ev.Action {
	case "applicationSubmit", "applicationUpdate", "candidateStageChange", "pushToHRIS":
		b.addObject("applications", d["application"], log)
	case "candidateHire":
		b.addObject("applications", d["application"], log)
		if len(d["offer"]) > 0 && string(d["offer"]) != "null" {
			b.addOffer(d["offer"], log)
		}
	case "jobCreate", "jobUpdate":
		b.addObject("jobs", d["job"], log)
	case "openingCreate":
		b.addObject("openings", d["opening"], log)
	case "offerCreate", "offerUpdate":
		b.addOffer(d["offer"], log)
	case "interviewScheduleCreate", "interviewScheduleUpdate":
		b.addObject("interview_schedules", d["interviewSchedule"], log)
	case "jobPostingPublish", "jobPostingUnpublish", "jobPostingUpdate":
		b.addObject(WebhookJobPostingsTable, d["jobPosting"], log)
	case "surveySubmit":
		b.addSurvey(d["surveySubmission"], log)
	case "candidateMerge":
		deleted := idOf(d["deletedCandidate"])
		b.record(CandidateMergesTable, map[string]any{
			"deleted_candidate_id": deleted,
			"merged_candidate_id":  idOf(d["mergedCandidate"]),
			"webhook_action_id":    ev.ID,
			"received_at":          received,
		})
		if deleted != "" {
			b.markDeleted("candidates", deleted)
		}
	case "candidateDelete":
		b.addDelete("candidates", DeletedCandidate, d["candidate"], ev.ID, received, log)
	case "offerDelete":
		b.addDelete("offers", DeletedOffer, d["offer"], ev.ID, received, log)
	case "jobPostingDelete":
		b.addDelete(WebhookJobPostingsTable, DeletedJobPosting, d["jobPosting"], ev.ID, received, log)
	}
	// Other actions (interviewPlanTransition, signatureRequestUpdate,
	// take-home assignments and actions Ashby adds later) are kept in
	// WebhookEventsTable only.
	return nil
}

// addObject stores raw as an object of table unless an object with the
// same id and a later updatedAt is already in the batch.
func (b *batch) addObject(table string, raw json.RawMessage, log *slog.Logger) {
	var fields struct {
		ID        string `json:"id"`
		UpdatedAt string `json:"updatedAt"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &fields) != nil || fields.ID == "" {
		log.Warn("webhook object has no id, kept in "+WebhookEventsTable+" only", "table", table)
		return
	}
	t := b.table(table)
	if t.isDeleted[fields.ID] {
		// Ashby does not bring a deleted object back, so an event that
		// follows its delete in the batch is stale.
		log.Debug("webhook object deleted earlier in the batch, left out", "table", table, "id", fields.ID)
		return
	}
	next := &object{item: raw}
	if ts, err := time.Parse(time.RFC3339Nano, fields.UpdatedAt); err == nil {
		next.updated = ts
	}
	prev, seen := t.byID[fields.ID]
	if !seen {
		t.ids = append(t.ids, fields.ID)
	} else if !prev.updated.IsZero() && !next.updated.IsZero() && next.updated.Before(prev.updated) {
		return
	}
	t.byID[fields.ID] = next
}

// addOffer stores an offer as offer.list shows it, without its versions
// and form, and each version as offer.info lists it with the offer's id
// in _offers_id, as the polling resource offer_versions stores them.
func (b *batch) addOffer(raw json.RawMessage, log *slog.Logger) {
	var offer map[string]json.RawMessage
	if json.Unmarshal(raw, &offer) != nil || offer == nil {
		log.Warn("webhook offer is not an object, kept in " + WebhookEventsTable + " only")
		return
	}
	var versions []map[string]json.RawMessage
	if v, ok := offer["versions"]; ok && json.Unmarshal(v, &versions) != nil {
		log.Warn("webhook offer versions are not a list of objects, left out")
		versions = nil
	}
	delete(offer, "versions")
	delete(offer, "formDefinition")
	b.addObject("offers", rawObject(offer), log)
	id, ok := offer["id"]
	if !ok {
		return
	}
	for _, v := range versions {
		v["_offers_id"] = id
		b.addObject("offer_versions", rawObject(v), log)
	}
}

// addSurvey stores a survey submission in the polling table of its
// survey type.
func (b *batch) addSurvey(raw json.RawMessage, log *slog.Logger) {
	var fields struct {
		SurveyType string `json:"surveyType"`
	}
	_ = json.Unmarshal(raw, &fields)
	var table string
	switch fields.SurveyType {
	case surveyCandidateExp:
		table = "survey_submissions_candidate_experience"
	case surveyQuestionnaire:
		table = "survey_submissions_questionnaire"
	default:
		log.Warn("survey submission of unknown survey type, kept in "+WebhookEventsTable+" only",
			"survey_type", fields.SurveyType, "known", surveyCandidateExp+", "+surveyQuestionnaire)
		return
	}
	b.addObject(table, raw, log)
}

// table returns the objects of the named table, creating them on first
// use.
func (b *batch) table(name string) *objectTable {
	t := b.objects[name]
	if t == nil {
		t = &objectTable{byID: map[string]*object{}, isDeleted: map[string]bool{}}
		b.objects[name] = t
		b.order = append(b.order, name)
	}
	return t
}

// addDelete records a delete event in WebhookDeletesTable and marks the
// object deleted in table.
func (b *batch) addDelete(table, objectType string, raw json.RawMessage, id, received string, log *slog.Logger) {
	objectID := idOf(raw)
	if objectID == "" {
		log.Warn("delete event names no object id, kept in " + WebhookEventsTable + " only")
		return
	}
	b.record(WebhookDeletesTable, map[string]any{
		"object_type":       objectType,
		"object_id":         objectID,
		"webhook_action_id": id,
		"received_at":       received,
	})
	b.markDeleted(table, objectID)
}

// markDeleted marks the object id of table deleted. An object that an
// earlier event of the batch carried is still loaded, and the delete
// then marks its row, since deletes apply after the rows of a package.
func (b *batch) markDeleted(table, id string) {
	t := b.table(table)
	if !t.isDeleted[id] {
		t.isDeleted[id] = true
		t.deleted = append(t.deleted, id)
	}
}

// record adds a row to one of the tables keyed by webhook_action_id. The
// spool passes each id once per batch, so rows do not repeat.
func (b *batch) record(table string, row map[string]any) {
	b.recordRows[table] = append(b.recordRows[table], mustMarshal(row))
}

// idOf returns the id member of a JSON object, or "".
func idOf(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.ID
}

func rawObject(m map[string]json.RawMessage) json.RawMessage { return mustMarshal(m) }

// mustMarshal encodes a row or object built in this file from strings
// and decoded JSON, for which encoding/json returns no error.
func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode webhook row: %v", err))
	}
	return b
}
