package webhookload

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/restload/restload/destination/duckdb"
)

// sampleDeliveries covers an object event, a hire with an offer, a
// delete, an unknown action and a copy.
func sampleDeliveries() []Delivery {
	d := func(id, action, data string) Delivery {
		body := fmt.Sprintf(`{"webhookActionId":%q,"action":%q,"data":%s}`, id, action, data)
		return Delivery{ID: id, Action: action, Body: []byte(body)}
	}
	ds := []Delivery{
		d("e1", "applicationUpdate", `{"application":{"id":"app-1","status":"Active"}}`),
		d("e2", "candidateHire", `{"application":{"id":"app-2"},"offer":{"id":"off-1","versions":[]}}`),
		d("e3", "offerDelete", `{"offer":{"id":"off-9","applicationId":"app-2"}}`),
		d("e4", "interviewPlanTransition", `{"application":{"id":"app-3"}}`),
		d("e5", "candidateHire", `{"application":{"id":"app-2"},"offer":null}`),
	}
	c := ds[0]
	c.Copy = true
	return append(ds, c)
}

func TestExpect(t *testing.T) {
	got, err := Expect(sampleDeliveries())
	if err != nil {
		t.Fatal(err)
	}
	want := []Expectation{
		{"webhook_events", "webhook_action_id", []string{"e1", "e2", "e3", "e4", "e5"}},
		{"applications", "id", []string{"app-1", "app-2"}},
		{"offers", "id", []string{"off-1"}},
		{"webhook_deletes", "webhook_action_id", []string{"e3"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expect =\n%v\nwant\n%v", got, want)
	}
}

func TestExpectInvalidBody(t *testing.T) {
	_, err := Expect([]Delivery{{ID: "x", Body: []byte("not json")}})
	if err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("Expect of an invalid body: error %v, want one naming the event", err)
	}
}

// loadSample creates the tables that loading sampleDeliveries leaves,
// then runs the extra statements.
func loadSample(t *testing.T, extra ...string) *sql.DB {
	t.Helper()
	db, err := duckdb.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	stmts := []string{
		`CREATE SCHEMA ds`,
		`CREATE TABLE ds.webhook_events (webhook_action_id VARCHAR, action VARCHAR)`,
		`INSERT INTO ds.webhook_events VALUES ('e1','applicationUpdate'), ('e2','candidateHire'),
			('e3','offerDelete'), ('e4','interviewPlanTransition'), ('e5','candidateHire')`,
		`CREATE TABLE ds.applications (id VARCHAR, status VARCHAR)`,
		`INSERT INTO ds.applications VALUES ('app-1','Active'), ('app-2', NULL)`,
		`CREATE TABLE ds.offers (id VARCHAR)`,
		`INSERT INTO ds.offers VALUES ('off-1')`,
		`CREATE TABLE ds.webhook_deletes (webhook_action_id VARCHAR, object_id VARCHAR)`,
		`INSERT INTO ds.webhook_deletes VALUES ('e3','off-9')`,
	}
	for _, q := range append(stmts, extra...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name  string
		extra []string
		want  string // substring of the error; empty for none
	}{
		{"complete", nil, ""},
		{"event missing", []string{`DELETE FROM ds.webhook_events WHERE webhook_action_id = 'e4'`},
			"table webhook_events, 5 expected rows by webhook_action_id: 1 missing: e4"},
		{"object missing", []string{`DELETE FROM ds.applications WHERE id = 'app-2'`},
			"table applications, 2 expected rows by id: 1 missing: app-2"},
		{"event loaded twice", []string{`INSERT INTO ds.webhook_events VALUES ('e2','candidateHire')`},
			"1 repeated: e2 (2 rows)"},
		{"unexpected row", []string{`INSERT INTO ds.offers VALUES ('off-7')`},
			"table offers, 1 expected rows by id: 1 unexpected: off-7"},
		{"null key", []string{`INSERT INTO ds.offers VALUES (NULL)`},
			"1 unexpected: <null>"},
	}
	want, err := Expect(sampleDeliveries())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := loadSample(t, tt.extra...)
			rows, err := Verify(t.Context(), db, "ds", want)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Verify: %v", err)
				}
				if rows != 9 {
					t.Errorf("Verify read %d rows, want 9", rows)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestVerifyMissingTable(t *testing.T) {
	db := loadSample(t, `DROP TABLE ds.offers`)
	want, err := Expect(sampleDeliveries())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(t.Context(), db, "ds", want); err == nil || !strings.Contains(err.Error(), "ds.offers") {
		t.Errorf("Verify without the offers table: error %v, want one naming ds.offers", err)
	}
}
