package webhookload

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/restload/restload/source/ashby"
)

// Expectation is the rows that one table must hold after a load: exactly
// one row for each key.
type Expectation struct {
	Table string
	// Column is the key column, "id" for object tables and
	// "webhook_action_id" for the tables with one row per event.
	Column string
	// Keys are the expected key values, sorted and distinct.
	Keys []string
}

// expectedRow is one row that an event puts into a table.
type expectedRow struct {
	table, column, key string
}

// Expect returns the rows that loading deliveries must leave in the
// destination, by table, following how the Ashby source sorts events into
// tables. Every event is a row of webhook_events. The objects of
// application, job, opening, offer, interview schedule and job posting
// events are rows of their tables. Deletes and merges are rows of
// webhook_deletes and candidate_merges. Survey submissions, offer
// versions and the _rl_deleted_at marks are not checked.
func Expect(deliveries []Delivery) ([]Expectation, error) {
	byTable := map[string]*Expectation{}
	var order []string
	add := func(r expectedRow) {
		e := byTable[r.table]
		if e == nil {
			e = &Expectation{Table: r.table, Column: r.column}
			byTable[r.table] = e
			order = append(order, r.table)
		}
		e.Keys = append(e.Keys, r.key)
	}
	for _, d := range deliveries {
		var env envelope
		if err := json.Unmarshal(d.Body, &env); err != nil {
			return nil, fmt.Errorf("expect rows of webhook event %s: decode payload: %w", d.ID, err)
		}
		add(expectedRow{ashby.WebhookEventsTable, "webhook_action_id", d.ID})
		for _, r := range rowsOf(env) {
			add(r)
		}
	}
	out := make([]Expectation, 0, len(order))
	for _, table := range order {
		e := byTable[table]
		slices.Sort(e.Keys)
		e.Keys = slices.Compact(e.Keys)
		out = append(out, *e)
	}
	return out, nil
}

// rowsOf returns the rows other than its webhook_events row that an event
// puts into the destination.
func rowsOf(env envelope) []expectedRow {
	object := func(table, member string) []expectedRow {
		if id := idOf(env.Data[member]); id != "" {
			return []expectedRow{{table, "id", id}}
		}
		return nil
	}
	record := func(table, member string) []expectedRow {
		if member == "" || idOf(env.Data[member]) != "" {
			return []expectedRow{{table, "webhook_action_id", env.ID}}
		}
		return nil
	}
	switch env.Action {
	case "applicationSubmit", "applicationUpdate", "candidateStageChange", "pushToHRIS":
		return object("applications", "application")
	case "candidateHire":
		return append(object("applications", "application"), object("offers", "offer")...)
	case "jobCreate", "jobUpdate":
		return object("jobs", "job")
	case "openingCreate":
		return object("openings", "opening")
	case "offerCreate", "offerUpdate":
		return object("offers", "offer")
	case "interviewScheduleCreate", "interviewScheduleUpdate":
		return object("interview_schedules", "interviewSchedule")
	case "jobPostingPublish", "jobPostingUnpublish", "jobPostingUpdate":
		return object(ashby.WebhookJobPostingsTable, "jobPosting")
	case "candidateMerge":
		return record(ashby.CandidateMergesTable, "")
	case "candidateDelete":
		return record(ashby.WebhookDeletesTable, "candidate")
	case "offerDelete":
		return record(ashby.WebhookDeletesTable, "offer")
	case "jobPostingDelete":
		return record(ashby.WebhookDeletesTable, "jobPosting")
	}
	return nil
}

// idOf returns the id member of a JSON object, or "".
func idOf(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.ID
}

// nullKey stands for a NULL key value in errors.
const nullKey = "<null>"

// maxListed is the number of keys that an error lists per problem.
const maxListed = 5

// Verify checks that each table of want in dataset holds exactly one row
// per expected key and no other row. It returns the number of rows it
// read and an error that names, per table, the keys that are missing,
// repeated or unexpected.
func Verify(ctx context.Context, db *sql.DB, dataset string, want []Expectation) (int, error) {
	rows := 0
	var problems []error
	for _, e := range want {
		got, err := countKeys(ctx, db, dataset, e.Table, e.Column)
		if err != nil {
			return rows, err
		}
		for _, n := range got {
			rows += n
		}
		if err := compareKeys(e, got); err != nil {
			problems = append(problems, err)
		}
	}
	return rows, errors.Join(problems...)
}

// countKeys returns how many rows of dataset.table have each value of
// column.
func countKeys(ctx context.Context, db *sql.DB, dataset, table, column string) (map[string]int, error) {
	q := fmt.Sprintf(`SELECT CAST(%s AS VARCHAR), count(*) FROM %s.%s GROUP BY 1`,
		quoteIdent(column), quoteIdent(dataset), quoteIdent(table))
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count rows of %s.%s by %s: %w", dataset, table, column, err)
	}
	defer rs.Close()
	got := map[string]int{}
	for rs.Next() {
		var key sql.NullString
		var n int
		if err := rs.Scan(&key, &n); err != nil {
			return nil, fmt.Errorf("count rows of %s.%s by %s: %w", dataset, table, column, err)
		}
		k := key.String
		if !key.Valid {
			k = nullKey
		}
		got[k] += n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("count rows of %s.%s by %s: %w", dataset, table, column, err)
	}
	return got, nil
}

// compareKeys compares the row counts per key of a table with e.
func compareKeys(e Expectation, got map[string]int) error {
	var missing, repeated, unexpected []string
	for _, key := range e.Keys {
		switch n := got[key]; {
		case n == 0:
			missing = append(missing, key)
		case n > 1:
			repeated = append(repeated, fmt.Sprintf("%s (%d rows)", key, n))
		}
	}
	for key := range got {
		if _, ok := slices.BinarySearch(e.Keys, key); !ok {
			unexpected = append(unexpected, key)
		}
	}
	slices.Sort(unexpected)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing: %s", len(missing), listKeys(missing)))
	}
	if len(repeated) > 0 {
		parts = append(parts, fmt.Sprintf("%d repeated: %s", len(repeated), listKeys(repeated)))
	}
	if len(unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected: %s", len(unexpected), listKeys(unexpected)))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("table %s, %d expected rows by %s: %s", e.Table, len(e.Keys), e.Column, strings.Join(parts, "; "))
}

func listKeys(keys []string) string {
	if len(keys) <= maxListed {
		return strings.Join(keys, ", ")
	}
	return strings.Join(keys[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(keys)-maxListed)
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
