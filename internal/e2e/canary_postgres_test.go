package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
)

// TestPostgresPasswordNeverLeaks loads Ashby into PostgreSQL as a role
// whose unique password URLs must escape. It pauses a run while it loads,
// runs with a wrong password in URL and in keyword/value form, and runs
// the pipeline commands, sync and the web UI. Then it searches every
// output, file and value of the database for the passwords and the API
// key.
func TestPostgresPasswordNeverLeaks(t *testing.T) {
	apiKey := newSecret("API key", canaryValue("canary-api-", ""))
	password := newSecret("PostgreSQL password", canaryValue("canary-pg-", "@:/?#%"))
	wrong := newSecret("wrong PostgreSQL password", canaryValue("canary-pgx-", "@/"))
	ls := newLeakSearch(t, apiKey, password, wrong)
	sim, url := startSim(t, 19, 30, apiKey.value)
	srv := pgtest.Start(t)
	const role, database = "canary_loader", "canary_db"
	srv.Exec(t, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password.value))
	srv.Exec(t, "postgres", fmt.Sprintf("CREATE DATABASE %s OWNER %s", database, role))
	creds := srv.UserURL(role, password.value, database)
	e := newEnv(t)
	run := func(command, dsn string, args ...string) ([]byte, int) {
		t.Helper()
		out, code := runCaptured(t, canaryCmd(t, e, url, apiKey.value, []string{"DESTINATION__POSTGRES__CREDENTIALS=" + dsn}, args...))
		ls.output(command, out)
		return out, code
	}
	load := []string{"run", "ashby", "--destination", "postgres", "--progress", "none", "--log-level", "debug"}

	if out, code := run("first run", creds, append(load, "--log-format", "json")...); code != 0 {
		t.Fatalf("first run: exit code %d:\n%s", code, out)
	}
	sim.Apply(ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 2, UpdatedApplications: 2})
	packageFiles := 0
	cmd := canaryCmd(t, e, url, apiKey.value, []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds}, load...)
	out, code, paused := runPausedAtLoad(t, cmd, func() {
		packageFiles = countPackageFiles(t, e)
		ls.folder(e.dataDir)
	})
	ls.output("second run", out)
	if code != 0 {
		t.Errorf("second run: exit code %d:\n%s", code, out)
	}
	if !paused || packageFiles == 0 {
		t.Errorf("the second run was paused %v with %d package files; the search of extract and normalized files proves little",
			paused, packageFiles)
	}

	wrongURL := srv.UserURL(role, wrong.value, database)
	wrongKV := fmt.Sprintf("host=%s port=%d user=%s password='%s' dbname=%s sslmode=disable",
		srv.Host, srv.Port, role, wrong.value, database)
	for form, dsn := range map[string]string{"URL": wrongURL, "keyword/value": wrongKV} {
		out, code := run("run with a wrong password as "+form, dsn, load...)
		if code == 0 || !strings.Contains(string(out), "password") {
			t.Errorf("run with a wrong password as %s: exit code %d, want a failure that mentions the password:\n%s", form, code, out)
		}
	}

	for _, args := range pipelineCommands(pipelineName) {
		run(strings.Join(args, " "), creds, append(args, "--log-level", "debug")...)
	}
	run("query of the state table", creds, "query", pipelineName, "SELECT * FROM ashby_data._rl_pipeline_state", "--log-level", "debug")
	// sync rebuilds the working folder from the database, so the files it
	// writes come from what the destination stores.
	if err := os.RemoveAll(e.dataDir); err != nil {
		t.Fatal(err)
	}
	if out, code := run("pipeline sync", creds, "pipeline", pipelineName, "sync", "--destination", "postgres", "--log-level", "debug"); code != 0 {
		t.Errorf("sync: exit code %d:\n%s", code, out)
	}
	searchShow(t, ls, canaryCmd(t, e, url, apiKey.value, []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds},
		"show", pipelineName, "--port", "0", "--log-level", "debug"), pipelineName, "candidates", "_rl_pipeline_state", "_rl_loads")

	ls.folder(e.dir)
	db, err := postgres.OpenDB(t.Context(), postgres.Config{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ls.database("PostgreSQL", db, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if ls.files < 5 || ls.tables < 50 || ls.values < 500 {
		t.Errorf("the search covered too little: %s", ls.summary())
	}
	t.Log("searched " + ls.summary())
}
