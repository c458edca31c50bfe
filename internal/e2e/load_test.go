package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/ashby"
)

// expected holds, per Ashby resource, the items that a complete load of
// the emulator's current organisation stores, decoded.
type expected map[string][]map[string]any

// expectedItems asks the emulator for the objects of every resource as
// the source reads them: root resources with the parameters under which
// the emulator lists everything, children once per parent item with the
// parent's id added as _<parent>_id, and items below "results" picked by
// the resource's selector.
func expectedItems(t *testing.T, sim *ashbysim.Server, only ...string) expected {
	t.Helper()
	exp := expected{}
	for _, ri := range ashby.Resources() {
		if len(only) > 0 && !slices.Contains(only, ri.Name) {
			continue
		}
		list := func(extra map[string]any) []map[string]any {
			params := sim.ParamsForAll(ri.Endpoint)
			for k, v := range ri.Body {
				params[k] = v
			}
			for k, v := range extra {
				params[k] = v
			}
			raws, err := sim.Objects(ri.Endpoint, params)
			if err != nil {
				t.Fatalf("emulator objects of %s %v: %v", ri.Endpoint, params, err)
			}
			var items []map[string]any
			member, nested := strings.CutPrefix(ri.Selector, "results.")
			for _, raw := range raws {
				item := decodeItem(t, raw)
				if !nested {
					items = append(items, item)
					continue
				}
				elems, _ := item[member].([]any)
				for _, e := range elems {
					items = append(items, e.(map[string]any))
				}
			}
			return items
		}
		if ri.Parent == "" {
			exp[ri.Name] = list(nil)
			continue
		}
		parents, ok := exp[ri.Parent]
		if !ok {
			parents = expectedItems(t, sim, ri.Parent)[ri.Parent]
		}
		exp[ri.Name] = []map[string]any{}
		for _, p := range parents {
			id := p["id"].(string)
			for _, item := range list(map[string]any{ri.ParentParam: id}) {
				item["_"+ri.Parent+"_id"] = id
				exp[ri.Name] = append(exp[ri.Name], item)
			}
		}
	}
	return exp
}

// keyOf returns the key columns of a resource's item with their values.
func keyOf(ri ashby.ResourceInfo, item map[string]any) map[string]any {
	key := map[string]any{}
	for _, f := range ri.PrimaryKey {
		key[schema.NormalizeIdentifier(f)] = item[f]
	}
	return key
}

// checkDataset compares every table of the loaded dataset with the
// emulator's current objects: the live rows (no _rl_deleted_at) and
// their child rows counted against the objects and their lists, no
// duplicate keys, and every field, nested and list fields included, of a
// sample of objects plus the objects whose id is in always.
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
	exp := expectedItems(t, sim)
	for _, ri := range ashby.Resources() {
		table, items := ri.Name, exp[ri.Name]
		if sch.Table(table) == nil {
			if len(items) > 0 {
				t.Errorf("table %s is missing: the emulator has %d objects", table, len(items))
			}
			continue
		}
		got := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q WHERE _rl_deleted_at IS NULL`, datasetName, table))
		if got != len(items) {
			t.Errorf("%s: %d live rows, emulator has %d objects", table, got, len(items))
		}
		distinct := distinctKeys(t, db, ri)
		all := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q`, datasetName, table))
		if distinct != all {
			t.Errorf("%s: %d rows but %d distinct keys", table, all, distinct)
		}
		wantChildren := map[string]int{}
		step := max(1, len(items)/sampleSize)
		for i, item := range items {
			expectedChildCounts(table, item, wantChildren)
			id, _ := item["id"].(string)
			if i%step != 0 && !slices.Contains(always, id) {
				continue
			}
			for _, d := range diff(fmt.Sprintf("%s%v", table, keyOf(ri, item)), canonical(item), canonical(r.root(table, keyOf(ri, item)))) {
				t.Error(d)
			}
		}
		for _, child := range sch.Descendants(table) {
			n := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q c JOIN %q.%q r ON c._rl_root_id = r._rl_id
				WHERE r._rl_deleted_at IS NULL`, datasetName, child.Name, datasetName, table))
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

	// The source called only the read endpoints it lists and the
	// preflight: no write endpoint, nothing with side effects.
	allowed := map[string]bool{"apiKey.info": true}
	for _, ri := range ashby.Resources() {
		allowed[ri.Endpoint] = true
	}
	for _, r := range sim.Requests() {
		if !allowed[r.Endpoint] {
			t.Errorf("the source called %s", r.Endpoint)
		}
	}
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
		table := tableOf(req)
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

// tableOf returns the root resource whose requests look like req: its
// endpoint, with the resource's fixed body members.
func tableOf(req ashbysim.Request) string {
	for _, ri := range ashby.Resources() {
		if ri.Parent != "" || ri.Endpoint != req.Endpoint {
			continue
		}
		match := true
		for k, v := range ri.Body {
			if fmt.Sprint(req.Body[k]) != fmt.Sprint(v) {
				match = false
			}
		}
		if match {
			return ri.Name
		}
	}
	return ""
}

// distinctKeys counts the distinct primary keys of a resource's table.
func distinctKeys(t *testing.T, db *sql.DB, ri ashby.ResourceInfo) int {
	t.Helper()
	var cols []string
	for _, f := range ri.PrimaryKey {
		cols = append(cols, fmt.Sprintf("%q", schema.NormalizeIdentifier(f)))
	}
	return count(t, db, fmt.Sprintf(`SELECT count(*) FROM (SELECT DISTINCT %s FROM %q.%q) AS k`,
		strings.Join(cols, ", "), datasetName, ri.Name))
}

// checkCounts checks that each named resource's table holds one live row
// per emulator object and no key twice.
func checkCounts(t *testing.T, db *sql.DB, sim *ashbysim.Server, tables ...string) {
	t.Helper()
	exp := expectedItems(t, sim, tables...)
	for _, ri := range ashby.Resources() {
		if !slices.Contains(tables, ri.Name) {
			continue
		}
		want := len(exp[ri.Name])
		if got := count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q WHERE _rl_deleted_at IS NULL`, datasetName, ri.Name)); got != want {
			t.Errorf("%s: %d live rows, want %d", ri.Name, got, want)
		}
		if got := distinctKeys(t, db, ri); got != want {
			t.Errorf("%s: %d distinct keys, want %d", ri.Name, got, want)
		}
	}
}

func childRows(t *testing.T, db *sql.DB, table, rootID string) int {
	t.Helper()
	return count(t, db, fmt.Sprintf(`SELECT count(*) FROM %q.%q c JOIN %q.%q r ON c._rl_root_id = r._rl_id WHERE r.id = ?`,
		datasetName, table, datasetName, "candidates"), rootID)
}
