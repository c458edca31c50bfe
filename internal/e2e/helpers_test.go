package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/ashby"
)

const (
	pipelineName = "ashby_pipeline"
	datasetName  = "ashby_data"
)

// binary is the restload binary built once for the tests that run it as
// a separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "restload-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "restload")
	build := exec.Command("go", "build", "-o", binary, "github.com/restload/restload/cmd/restload")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build restload:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startSim serves an emulator with one API key that may read everything.
func startSim(t *testing.T, seed int64, candidates int, key string) (*ashbysim.Server, string) {
	t.Helper()
	sim := ashbysim.New(ashbysim.Config{Seed: seed, Candidates: candidates, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, url
}

// env is one pipeline's folders: the DuckDB file and the data folder.
type env struct {
	dir     string
	dataDir string
	dbPath  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{dir: dir, dataDir: filepath.Join(dir, "data"), dbPath: filepath.Join(dir, pipelineName+".duckdb")}
}

// runInProcess runs the Ashby source against url into the env's DuckDB
// file, with short retry delays.
func (e *env) runInProcess(t *testing.T, url, key string) (*pipeline.LoadInfo, error) {
	t.Helper()
	src, err := ashby.New(ashby.Config{APIKey: key, BaseURL: url, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dest, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{
		Name: pipelineName, Dataset: datasetName, DataDir: e.dataDir,
		Destination: dest, DestinationName: "duckdb",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return p.Run(ctx, src)
}

// openDB opens the env's DuckDB file for queries; it must be closed
// before the next run opens it.
func (e *env) openDB(t *testing.T) (*sql.DB, func()) {
	t.Helper()
	c, err := duckdb.Open(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	return c.DB(), func() { c.Close() }
}

// command returns the restload binary set up to run in the env's folder
// against url with key.
func (e *env) command(ctx context.Context, url, key string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(),
		"RESTLOAD_DATA_DIR="+e.dataDir,
		"HOME="+e.dir,
		"SOURCES__ASHBY__API_KEY="+key,
		"SOURCES__ASHBY__BASE_URL="+url,
	)
	return cmd
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// objects returns every current object of an endpoint, archived and
// deactivated ones included, as a full listing by the source returns them.
func objects(t *testing.T, sim *ashbysim.Server, endpoint string) []json.RawMessage {
	t.Helper()
	items, err := sim.Objects(endpoint, sim.ParamsForAll(endpoint))
	if err != nil {
		t.Fatalf("emulator objects of %s: %v", endpoint, err)
	}
	return items
}

func addFault(t *testing.T, sim *ashbysim.Server, f ashbysim.Fault) {
	t.Helper()
	if err := sim.AddFault(f); err != nil {
		t.Fatalf("add fault: %v", err)
	}
}
