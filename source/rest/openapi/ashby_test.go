package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/source/rest"
)

// coreAshby lists the Ashby resources whose tables the generated
// definition must load as the built-in source does. locations is not
// among them: the built-in source sets includeLocationHierarchy to load
// regions too, and nothing in the document tells that flag apart from
// filters that a generator should leave alone.
var coreAshby = []string{
	"candidates", "applications", "jobs", "offers", "users", "departments",
	"openings", "interview_schedules", "projects", "approvals", "application_feedback",
	"archive_reasons", "candidate_tags", "custom_fields", "interview_plans", "interview_stages",
	"application_history", "candidate_notes",
}

func TestAshbyMatchesBuiltIn(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the emulator twice into DuckDB")
	}
	const key = "generated-test-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 7, Candidates: 150, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	def := generate(t, "ashby.yml", "ashby", url)
	cfg := def.Config
	// The emulator serves the lists that the built-in source reads; the
	// document has more, such as assessment.list.
	served := append(sim.Endpoints(), sim.ChildEndpoints()...)
	var kept []rest.Resource
	for _, r := range cfg.Resources {
		if slices.Contains(served, r.Endpoint.Path) {
			kept = append(kept, r)
		}
	}
	cfg.Resources = kept
	for _, name := range coreAshby {
		if !slices.ContainsFunc(kept, func(r rest.Resource) bool { return r.Name == name }) {
			t.Errorf("generated definition lacks resource %s", name)
		}
	}
	genDB := runDefinition(t, cfg, key)
	generated := tableRows(t, genDB, "ashby_data")

	src, err := ashby.New(ashby.Config{APIKey: key, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	builtInDB := load(t, "ashby", src)
	builtIn := tableRows(t, builtInDB, "ashby_data")

	for _, root := range coreAshby {
		if builtIn[root] == 0 {
			t.Errorf("built-in source loaded no rows into %s: the comparison proves nothing", root)
		}
		for table, want := range builtIn {
			if table != root && !strings.HasPrefix(table, root+"__") {
				continue
			}
			got, ok := generated[table]
			if !ok {
				t.Errorf("table %s: missing from the generated load (built-in has %d rows)", table, want)
				continue
			}
			if got != want {
				t.Errorf("table %s: generated load has %d rows, built-in %d", table, got, want)
			}
			gotCols, wantCols := columns(t, genDB, "ashby_data", table), columns(t, builtInDB, "ashby_data", table)
			if !slices.Equal(gotCols, wantCols) {
				t.Errorf("table %s: generated columns %v, built-in %v", table, gotCols, wantCols)
			}
		}
		for table := range generated {
			if (table == root || strings.HasPrefix(table, root+"__")) && !hasKey(builtIn, table) {
				t.Errorf("table %s: only in the generated load", table)
			}
		}
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
