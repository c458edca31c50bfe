package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/source/ashby"
)

// TestPostgresDestination loads the Ashby emulator into a PostgreSQL
// server that the test starts, through the binary, and reads it back
// with the query and pipeline commands.
func TestPostgresDestination(t *testing.T) {
	const key = "test-key-postgres"
	sim, url := startSim(t, 21, 150, key)
	srv := pgtest.Start(t)
	_, creds := srv.CreateDB(t)
	e := newEnv(t)
	pg := []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds}

	out := runAgainst(t, e, url, key, pg, "run", "ashby", "--destination", "postgres", "--progress", "none")
	if !strings.Contains(out, "loaded to destination postgres") || strings.Contains(out, srv.Password) {
		t.Errorf("summary does not name postgres, or shows the password:\n%s", out)
	}
	db, err := postgres.OpenDB(t.Context(), postgres.Config{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	for _, ri := range ashby.Resources() {
		names = append(names, ri.Name)
	}
	checkCounts(t, db, sim, names...)

	out = runAgainst(t, e, url, key, pg, "query", pipelineName, "SELECT count(*) AS n FROM ashby_data.candidates", "--format", "csv")
	if want := fmt.Sprintf("n\n%d\n", len(objects(t, sim, "candidate.list"))); out != want {
		t.Errorf("query printed %q, want %q", out, want)
	}
	out = runAgainst(t, e, url, key, pg, "pipeline", pipelineName, "info")
	if !strings.Contains(out, "postgres") || strings.Contains(out, srv.Password) {
		t.Errorf("info does not name postgres, or shows the password:\n%s", out)
	}

	// A second run after changes loads only what changed.
	changed := sim.Apply(ashbysim.Changes{NewCandidates: 3, UpdatedCandidates: 4})
	out = runAgainst(t, e, url, key, pg, "run", "ashby", "--destination", "postgres", "--progress", "none")
	if want := fmt.Sprintf("- candidates: %d row(s)", len(changed["candidate.list"])); !strings.Contains(out, want) {
		t.Errorf("second run: summary lacks %q:\n%s", want, out)
	}
	checkCounts(t, db, sim, names...)
}
