package show

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/ashby"
)

const (
	demoPipeline   = "ashby_pipeline"
	demoDataset    = "ashby_data"
	emptyPipeline  = "empty_pipeline"
	markupPipeline = "markup_pipeline"
	// markup is a value that would run as script if a page did not
	// escape data.
	markup = `<script>alert("x")</script><b>bold</b>`
)

// Facts of the demo dataset, read right after loading it.
var (
	demoApplications int64
	// demoParentID is the _rl_id of an application with custom fields,
	// and demoChildren the number of its rows in
	// applications__custom_fields.
	demoParentID string
	demoChildren int64
)

// dataDir holds the pipelines that every test reads: the Ashby demo, a
// pipeline whose dataset is empty and one whose data contains markup.
var dataDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "restload-show-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dataDir = dir
	if err := setupPipelines(dir); err != nil {
		fmt.Fprintln(os.Stderr, "set up pipelines:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func setupPipelines(dir string) error {
	if err := loadDemo(dir); err != nil {
		return fmt.Errorf("load demo: %w", err)
	}
	if err := createEmpty(dir); err != nil {
		return fmt.Errorf("create empty pipeline: %w", err)
	}
	if err := createMarkup(dir); err != nil {
		return fmt.Errorf("create markup pipeline: %w", err)
	}
	return nil
}

// loadDemo loads a small organisation of the Ashby emulator into
// dir/ashby_pipeline.duckdb with a real pipeline run.
func loadDemo(dir string) error {
	const key = "show-test-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 7, Candidates: 40, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()
	src, err := ashby.New(ashby.Config{APIKey: key, BaseURL: url, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: time.Second})
	if err != nil {
		return err
	}
	dest, err := duckdb.Open(filepath.Join(dir, demoPipeline+".duckdb"))
	if err != nil {
		return err
	}
	defer dest.Close()
	p, err := pipeline.New(pipeline.Config{Name: demoPipeline, Dataset: demoDataset, DataDir: dir,
		Destination: dest, DestinationName: "duckdb"})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := p.Run(ctx, src); err != nil {
		return err
	}
	db := dest.DB()
	if err := db.QueryRow(`SELECT count(*) FROM ashby_data.applications`).Scan(&demoApplications); err != nil {
		return err
	}
	return db.QueryRow(`SELECT _rl_parent_id, count(*) FROM ashby_data.applications__custom_fields
		GROUP BY 1 ORDER BY 1 LIMIT 1`).Scan(&demoParentID, &demoChildren)
}

// writeRecord writes a pipeline record that points at a DuckDB file.
func writeRecord(dir, name, source, dataset, dbPath string) error {
	wd := pipeline.WorkDir(dir, name)
	if err := os.MkdirAll(wd, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(pipeline.Record{Pipeline: name, Source: source, Dataset: dataset,
		DestinationName: "duckdb", Location: "duckdb:///" + dbPath})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(wd, pipeline.RecordFile), b, 0o644)
}

// createEmpty creates a pipeline whose DuckDB file holds no tables.
func createEmpty(dir string) error {
	path := filepath.Join(dir, emptyPipeline+".duckdb")
	c, err := duckdb.Open(path)
	if err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	return writeRecord(dir, emptyPipeline, "ashby", "empty_data", path)
}

// createMarkup creates a pipeline with one table, written by SQL and
// without a stored schema, whose values and names contain markup.
func createMarkup(dir string) error {
	path := filepath.Join(dir, markupPipeline+".duckdb")
	c, err := duckdb.Open(path)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{
		`CREATE SCHEMA markup_data`,
		`CREATE TABLE markup_data.people (_rl_id VARCHAR, name VARCHAR, note VARCHAR)`,
		`INSERT INTO markup_data.people VALUES ('p1', $1, 'plain'), ('p2', 'Ada', $1)`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, markup)
		}
		if _, err := c.DB().Exec(q, args...); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return writeRecord(dir, markupPipeline, "people", "markup_data", path)
}

// openTestSource opens a pipeline of dataDir as the command does for
// DuckDB: read-only.
func openTestSource(_ context.Context, name string) (*Source, error) {
	wd := pipeline.WorkDir(dataDir, name)
	rec, err := pipeline.ReadRecord(wd)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q has no record in %s", ErrPipelineNotFound, name, wd)
	}
	if err != nil {
		return nil, err
	}
	c, err := duckdb.OpenReadOnly(strings.TrimPrefix(rec.Location, "duckdb:///"))
	if err != nil {
		return nil, err
	}
	return &Source{WorkDir: wd, Record: *rec, Destination: c, DB: c.DB(), Close: c.Close}, nil
}

// newTestServer returns a test server over dataDir's pipelines.
func newTestServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.Open == nil {
		cfg.Open = openTestSource
	}
	cfg.List = func() ([]string, error) { return pipeline.List(dataDir) }
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return ts
}

// get requests path and returns the status and body.
func get(t *testing.T, ts *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := ts.Client().Get(ts.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp, string(b)
}
