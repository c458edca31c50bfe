package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
)

// checkDataset compares every table of the loaded dataset with the
// emulator's current objects: root and child row counts and no duplicate
// ids over all objects, and every field, nested and list fields included,
// of a sample of objects plus the objects named in always.
func checkDataset(t *testing.T, e *env, sim *ashbysim.Server, always ...string) {
	t.Helper()
	c, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	db := c.DB()
	sch, err := c.Schema(t.Context(), datasetName, "ashby")
	if err != nil || sch == nil {
		t.Fatalf("read stored schema: %v (schema %v)", err, sch)
	}
	r := &reconstructor{t: t, db: db, dataset: datasetName, sch: sch}
	for _, table := range sortedKeys(endpoints) {
		items := objects(t, sim, endpoints[table])
		got := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q`, datasetName, table))
		if got != len(items) {
			t.Errorf("%s: %d rows, emulator has %d objects", table, got, len(items))
		}
		distinct := count(t, db, fmt.Sprintf(`SELECT count(DISTINCT id) FROM %q.%q`, datasetName, table))
		if distinct != got {
			t.Errorf("%s: %d rows but %d distinct ids", table, got, distinct)
		}
		wantChildren := map[string]int{}
		step := max(1, len(items)/sampleSize)
		for i, raw := range items {
			item := decodeItem(t, raw)
			expectedChildCounts(table, item, wantChildren)
			id, _ := item["id"].(string)
			if i%step != 0 && !slices.Contains(always, id) {
				continue
			}
			for _, d := range diff(table+"["+id+"]", canonical(item), canonical(r.root(table, id))) {
				t.Error(d)
			}
		}
		for _, child := range sch.Descendants(table) {
			n := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q`, datasetName, child.Name))
			if n != wantChildren[child.Name] {
				t.Errorf("%s: %d rows, emulator objects hold %d list elements", child.Name, n, wantChildren[child.Name])
			}
			delete(wantChildren, child.Name)
		}
		for name, n := range wantChildren {
			if n > 0 {
				t.Errorf("table %s is missing: emulator objects hold %d list elements", name, n)
			}
		}
	}
}

// sampleSize is about how many objects per table checkDataset compares
// field by field.
const sampleSize = 60

func TestLoadMatchesEmulator(t *testing.T) {
	const key = "test-key-load"
	sim, url := startSim(t, 7, 300, key)
	e := newEnv(t)
	info, err := e.runInProcess(t, url, key)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(info.Packages) != 1 {
		t.Errorf("%d packages loaded, want 1", len(info.Packages))
	}
	checkDataset(t, e, sim)
}

// TestEmulatorCoversValueKinds guards the field comparison: it is only as
// strong as the data, which must hold custom field values of every JSON
// kind and timestamps with milliseconds.
func TestEmulatorCoversValueKinds(t *testing.T) {
	sim := ashbysim.New(ashbysim.Config{Seed: 7, Candidates: 300})
	kinds := map[string]bool{}
	millis := false
	for _, raw := range objects(t, sim, "candidate.list") {
		item := decodeItem(t, raw)
		fields, _ := item["customFields"].([]any)
		for _, f := range fields {
			v := f.(map[string]any)["value"]
			kinds[fmt.Sprintf("%T", v)] = true
		}
		if s, _ := item["createdAt"].(string); len(s) == len("2024-01-05T09:15:00.123Z") && s[20:23] != "000" {
			millis = true
		}
	}
	for _, k := range []string{"bool", "string", "json.Number", "[]interface {}", "map[string]interface {}"} {
		if !kinds[k] {
			t.Errorf("no candidate custom field value of kind %s (kinds seen: %v)", k, kinds)
		}
	}
	if !millis {
		t.Error("no candidate createdAt with non-zero milliseconds")
	}
}

func TestIncrementalSync(t *testing.T) {
	const key = "test-key-incremental"
	sim, url := startSim(t, 11, 200, key)
	e := newEnv(t)
	if _, err := e.runInProcess(t, url, key); err != nil {
		t.Fatalf("first run: %v", err)
	}
	tokens := storedTokens(t, e)
	if tokens["candidates"] == "" {
		t.Fatalf("no sync token stored for candidates: %v", tokens)
	}

	changed := sim.Apply(ashbysim.Changes{NewCandidates: 5, UpdatedCandidates: 7, ArchivedApplications: 4, NewApplications: 3, UpdatedJobs: 2})
	sim.ResetRequests()
	info, err := e.runInProcess(t, url, key)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}

	// Every first request of an incremental list carried the stored token.
	first := map[string]bool{}
	for _, req := range sim.Requests() {
		table := tableOf(req.Endpoint)
		if table == "" || first[table] || tokens[table] == "" {
			continue
		}
		first[table] = true
		if got, _ := req.Body["syncToken"].(string); got != tokens[table] {
			t.Errorf("%s: first request sent syncToken %q, want the stored %q", req.Endpoint, got, tokens[table])
		}
	}
	rows := info.Rows()
	for _, tc := range []struct{ table, endpoint string }{
		{"candidates", "candidate.list"},
		{"applications", "application.list"},
		{"jobs", "job.list"},
	} {
		if want := len(changed[tc.endpoint]); rows[tc.table] != int64(want) {
			t.Errorf("%s: %d rows fetched, want only the %d changed objects", tc.table, rows[tc.table], want)
		}
	}
	checkDataset(t, e, sim, slices.Concat(changed["candidate.list"], changed["application.list"], changed["job.list"])...)

	// The child rows of updated candidates were replaced: each has as many
	// email rows as its new list, although the update changed the length.
	db, closeDB := e.openDB(t)
	defer closeDB()
	current := map[string]map[string]any{}
	for _, raw := range objects(t, sim, "candidate.list") {
		item := decodeItem(t, raw)
		current[item["id"].(string)] = item
	}
	for _, id := range changed["candidate.list"] {
		emails, _ := current[id]["emailAddresses"].([]any)
		if got := childRows(t, db, "candidates__email_addresses", id); got != len(emails) {
			t.Errorf("candidate %s: %d email rows, want %d", id, got, len(emails))
		}
	}
}

// storedTokens reads the sync token of each resource from the state
// committed in the dataset.
func storedTokens(t *testing.T, e *env) map[string]string {
	t.Helper()
	c, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.State(t.Context(), datasetName, pipelineName)
	if err != nil || st == nil {
		t.Fatalf("read state: %v (%v)", err, st)
	}
	var state struct {
		Sources map[string]struct {
			Resources map[string]struct {
				SyncToken string `json:"sync_token"`
			} `json:"resources"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(st.State, &state); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, r := range state.Sources["ashby"].Resources {
		out[name] = r.SyncToken
	}
	return out
}

func tableOf(endpoint string) string {
	for table, ep := range endpoints {
		if ep == endpoint {
			return table
		}
	}
	return ""
}

func childRows(t *testing.T, db *sql.DB, table, rootID string) int {
	t.Helper()
	return count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q c JOIN %q.%q r ON c._rl_root_id = r._rl_id WHERE r.id = ?`,
		datasetName, table, datasetName, "candidates"), rootID)
}
