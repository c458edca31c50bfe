package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// counter is a resource that returns the items with ids above the last id
// in its state, up to total, each with a list of tags.
type counter struct {
	name  string
	total int
	fail  error
	// seen records the state each Extract call received.
	seen []string
}

func (c *counter) Name() string { return c.name }

func (c *counter) Hints() schema.Hints {
	return schema.Hints{Table: c.name, PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
}

func (c *counter) Extract(_ context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	var compact bytes.Buffer
	if len(state) > 0 {
		if err := json.Compact(&compact, state); err != nil {
			return nil, err
		}
	}
	c.seen = append(c.seen, compact.String())
	if c.fail != nil {
		return nil, c.fail
	}
	var st struct{ Last int }
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return nil, err
		}
	}
	var page []json.RawMessage
	for id := st.Last + 1; id <= c.total; id++ {
		page = append(page, json.RawMessage(fmt.Sprintf(`{"id": %d, "name": "item %d", "tags": ["a", "b"]}`, id, id)))
	}
	if err := emit(page); err != nil {
		return nil, err
	}
	return json.Marshal(struct{ Last int }{c.total})
}

type testSource struct{ resources []source.Resource }

func (s *testSource) Name() string                 { return "test" }
func (s *testSource) Resources() []source.Resource { return s.resources }

type fixture struct {
	t       *testing.T
	dataDir string
	dbPath  string
	dest    *duckdb.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dataDir: filepath.Join(dir, "data"), dbPath: filepath.Join(dir, "test.duckdb")}
	f.open()
	t.Cleanup(func() { f.dest.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	dest, err := duckdb.Open(f.dbPath)
	if err != nil {
		f.t.Fatal(err)
	}
	f.dest = dest
}

func (f *fixture) pipeline() *Pipeline {
	f.t.Helper()
	p, err := New(Config{Name: "test_pipeline", Dataset: "test_data", DataDir: f.dataDir, Destination: f.dest, DestinationName: "duckdb"})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.dest.DB().QueryRow(fmt.Sprintf(`SELECT count(*) FROM test_data.%q`, table)).Scan(&n); err != nil {
		f.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func (f *fixture) loads() int { return f.count("_rl_loads") }

// prepare runs the steps of a run up to the named one and stops there, as
// a process killed right after that step would.
func (f *fixture) prepare(src source.Source, upTo string) string {
	f.t.Helper()
	p := f.pipeline()
	if err := os.MkdirAll(p.packagesDir(), 0o700); err != nil {
		f.t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.restore(ctx, src.Name()); err != nil {
		f.t.Fatal(err)
	}
	dir, m, err := p.extract(ctx, src)
	if err != nil {
		f.t.Fatal(err)
	}
	if upTo == StatusExtracted {
		return dir
	}
	if err := p.normalize(dir, m); err != nil {
		f.t.Fatal(err)
	}
	if upTo == StatusNormalized {
		return dir
	}
	// Committed in the destination, but the process died before it
	// recorded that locally: put the package back as it was.
	if err := p.load(ctx, dir, m, &LoadInfo{}); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(p.dir, "loaded", m.LoadID), dir); err != nil {
		f.t.Fatal(err)
	}
	m.Status = StatusNormalized
	if err := writeManifest(dir, m); err != nil {
		f.t.Fatal(err)
	}
	return dir
}

func TestRunResumesInterruptedPackage(t *testing.T) {
	for _, step := range []string{StatusExtracted, StatusNormalized, "committed"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t)
			res := &counter{name: "items", total: 5}
			src := &testSource{resources: []source.Resource{res}}
			f.prepare(src, step)

			info, err := f.pipeline().Run(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.count("items"); got != 5 {
				t.Errorf("items: %d rows, want 5", got)
			}
			if got := f.count("items__tags"); got != 10 {
				t.Errorf("items__tags: %d rows, want 10", got)
			}
			if got := f.loads(); got != 2 {
				t.Errorf("%d loads recorded, want the resumed package and the new one", got)
			}
			// The new extract started from the state the resumed package
			// committed, so it fetched nothing.
			if last := res.seen[len(res.seen)-1]; last != `{"Last":5}` {
				t.Errorf("second extract got state %s, want the committed one", last)
			}
			if len(info.Packages) != 2 {
				t.Errorf("%d packages in the load info, want 2", len(info.Packages))
			}
			pending, err := listPackages(filepath.Join(f.dataDir, "pipelines", "test_pipeline", "packages"))
			if err != nil || len(pending) != 0 {
				t.Errorf("packages left pending: %v (%v)", pending, err)
			}
		})
	}
}

func TestRunRemovesUnfinishedExtract(t *testing.T) {
	f := newFixture(t)
	p := f.pipeline()
	partial := filepath.Join(p.packagesDir(), "1700000000.000001", extractDir)
	if err := os.MkdirAll(partial, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "items.jsonl"), []byte(`{"id": 99}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &testSource{resources: []source.Resource{&counter{name: "items", total: 3}}}
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(partial)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unfinished package still there: %v", err)
	}
	if got := f.count("items"); got != 3 {
		t.Errorf("items: %d rows, want 3 without the unfinished extract's item", got)
	}
}

func TestRunRestoresStateFromDestination(t *testing.T) {
	f := newFixture(t)
	res := &counter{name: "items", total: 4}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(f.dataDir); err != nil {
		t.Fatal(err)
	}
	res.total = 6
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := res.seen[1]; got != `{"Last":4}` {
		t.Errorf("extract after the working folder was removed got state %q, want the stored one", got)
	}
	if got := f.count("items"); got != 6 {
		t.Errorf("items: %d rows, want 6", got)
	}
	local, err := os.ReadFile(filepath.Join(f.dataDir, "pipelines", "test_pipeline", "state.json"))
	if err != nil || !strings.Contains(string(local), `"Last": 6`) {
		t.Errorf("local state copy %s (%v), want the committed state", local, err)
	}
}

func TestRunKeepsStateOfFailedResource(t *testing.T) {
	f := newFixture(t)
	good := &counter{name: "good", total: 2}
	bad := &counter{name: "bad", total: 2}
	src := &testSource{resources: []source.Resource{good, bad}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	good.total, bad.total = 3, 3
	bad.fail = errors.New("boom")
	info, err := f.pipeline().Run(context.Background(), src)
	var ee *ExtractError
	if !errors.As(err, &ee) || len(ee.Failed) != 1 || ee.Failed[0].Name != "bad" {
		t.Fatalf("error %v, want an ExtractError for bad", err)
	}
	if !strings.Contains(info.String(), "Resource bad FAILED and was not loaded: boom") {
		t.Errorf("summary does not name the failure:\n%s", info)
	}
	if got := f.count("good"); got != 3 {
		t.Errorf("good: %d rows, want 3", got)
	}
	bad.fail = nil
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := bad.seen[2]; got != `{"Last":2}` {
		t.Errorf("bad resumed from state %q, want the one before the failure", got)
	}
	if got := f.count("bad"); got != 3 {
		t.Errorf("bad: %d rows, want 3", got)
	}
}

func TestRunRejectsConcurrentRun(t *testing.T) {
	f := newFixture(t)
	p := f.pipeline()
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockDir(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, err = p.Run(context.Background(), &testSource{resources: []source.Resource{&counter{name: "items", total: 1}}})
	if err == nil || !strings.Contains(err.Error(), "in use by another run") {
		t.Fatalf("error %v, want the working folder named as in use", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	dest := newFixture(t).dest
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad name", Config{Name: "../x", Dataset: "d", Destination: dest}, `"../x"`},
		{"no dataset", Config{Name: "p", Destination: dest}, "dataset"},
		{"no destination", Config{Name: "p", Dataset: "d"}, "destination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to name %s", err, tc.want)
			}
		})
	}
}

func TestNewLoadIDGrows(t *testing.T) {
	ids := []string{"1800000000.000005"}
	now := mustTime(t, "2020-01-01T00:00:00Z")
	if got := newLoadID(now, ids); got != "1800000000.000006" {
		t.Errorf("load id %s, want one after the newest existing id", got)
	}
	if _, ok := loadIDMicros("12.5"); ok {
		t.Error("12.5 parsed as a load id")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRunWritesTrace(t *testing.T) {
	f := newFixture(t)
	good := &counter{name: "good", total: 3}
	bad := &counter{name: "bad", total: 1, fail: errors.New("boom")}
	p := f.pipeline()
	if _, err := p.Run(context.Background(), &testSource{resources: []source.Resource{good, bad}}); err == nil {
		t.Fatal("run with a failing resource returned no error")
	}
	tr, err := ReadTrace(p.WorkDir())
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range tr.Steps {
		steps = append(steps, s.Name)
	}
	if strings.Join(steps, ",") != "extract,normalize,load" {
		t.Errorf("steps %v, want extract, normalize and load", steps)
	}
	if len(tr.Resources) != 2 || tr.Resources[0].Items != 3 || tr.Resources[0].Pages != 1 {
		t.Errorf("resources %+v, want good with 3 items on 1 page", tr.Resources)
	}
	if tr.Resources[1].Error != "boom" {
		t.Errorf("bad resource error %q, want boom", tr.Resources[1].Error)
	}
	if !strings.Contains(tr.Error, "bad: boom") || tr.FinishedAt.Before(tr.StartedAt) {
		t.Errorf("trace error %q, finished %v, started %v", tr.Error, tr.FinishedAt, tr.StartedAt)
	}
	if len(tr.Packages) != 1 || tr.Packages[0].Rows["good"] != 3 {
		t.Errorf("packages %+v, want one with 3 rows of good", tr.Packages)
	}
}

// gate is a resource that waits until every gate of its group has
// started, so a run finishes only if they extract at the same time.
type gate struct {
	counter
	group *sync.WaitGroup
}

func (g *gate) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	g.group.Done()
	done := make(chan struct{})
	go func() { g.group.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("the other resources did not start: extract is not concurrent")
	}
	return g.counter.Extract(ctx, state, emit)
}

type concurrentSource struct {
	testSource
	limit int
}

func (s *concurrentSource) Concurrency() int { return s.limit }

func TestRunExtractsConcurrently(t *testing.T) {
	f := newFixture(t)
	var group sync.WaitGroup
	group.Add(3)
	var resources []source.Resource
	for _, name := range []string{"a", "b", "c"} {
		resources = append(resources, &gate{counter: counter{name: name, total: 2}, group: &group})
	}
	src := &concurrentSource{testSource: testSource{resources: resources}, limit: 3}
	p := f.pipeline()
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadTrace(p.WorkDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range tr.Resources {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("trace lists resources %v, want the source's order", names)
	}
	for _, name := range []string{"a", "b", "c"} {
		if got := f.count(name); got != 2 {
			t.Errorf("%s: %d rows, want 2", name, got)
		}
	}
}

// hinted is a counter whose items gain a field after the first run, under
// a contract that may freeze columns.
type hinted struct {
	counter
	contract schema.Contract
	extra    bool
}

func (h *hinted) Hints() schema.Hints {
	hints := h.counter.Hints()
	hints.Contract = h.contract
	return hints
}

func (h *hinted) Extract(_ context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	var st struct{ Last int }
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return nil, err
		}
	}
	var page []json.RawMessage
	for id := st.Last + 1; id <= h.total; id++ {
		item := fmt.Sprintf(`{"id": %d}`, id)
		if h.extra {
			item = fmt.Sprintf(`{"id": %d, "salary": "secret %d"}`, id, id)
		}
		page = append(page, json.RawMessage(item))
	}
	if err := emit(page); err != nil {
		return nil, err
	}
	return json.Marshal(struct{ Last int }{h.total})
}

func TestRunFrozenContractLoadsNothing(t *testing.T) {
	f := newFixture(t)
	res := &hinted{counter: counter{name: "items", total: 2}, contract: schema.Contract{Columns: schema.Freeze}}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	res.total, res.extra = 4, true
	_, err := f.pipeline().Run(context.Background(), src)
	var ce *schema.ContractError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a contract error", err)
	}
	for _, want := range []string{"items", "salary", "state was not advanced"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if got := f.count("items"); got != 2 {
		t.Errorf("items: %d rows, want the 2 of the first run", got)
	}
	if got := f.loads(); got != 1 {
		t.Errorf("%d loads recorded, want 1", got)
	}

	// With the contract relaxed, the next run extracts the same items
	// again from the old state and loads them.
	res.contract = schema.Contract{}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := f.count("items"); got != 4 {
		t.Errorf("items: %d rows, want 4", got)
	}
}

func TestRunDiscardsPackageOfLostState(t *testing.T) {
	for _, lose := range []string{"database file", "dataset"} {
		t.Run(lose, func(t *testing.T) {
			f := newFixture(t)
			res := &counter{name: "items", total: 5}
			src := &testSource{resources: []source.Resource{res}}
			if _, err := f.pipeline().Run(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			// A run extracts the 3 new items, then dies before loading them.
			res.total = 8
			f.prepare(src, StatusExtracted)

			p := f.pipeline()
			if lose == "database file" {
				f.dest.Close()
				if err := os.Remove(f.dbPath); err != nil {
					t.Fatal(err)
				}
				f.open()
				p = f.pipeline()
			} else {
				p.cfg.Dataset = "other_data"
			}
			if _, err := p.Run(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			var n int
			q := fmt.Sprintf(`SELECT count(*) FROM %q.items`, p.cfg.Dataset)
			if err := f.dest.DB().QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 8 {
				t.Errorf("%s.items: %d rows, want all 8: the pending package only held the 3 new ones", p.cfg.Dataset, n)
			}
		})
	}
}

func TestDropThenRunReloads(t *testing.T) {
	f := newFixture(t)
	items := &counter{name: "items", total: 5}
	other := &counter{name: "other", total: 2}
	src := &testSource{resources: []source.Resource{items, other}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	dropped, err := f.pipeline().Drop(context.Background(), "test", []string{"items"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(dropped, ",") != "items__tags,items" {
		t.Errorf("dropped %v, want the child table, then the root", dropped)
	}
	var n int
	err = f.dest.DB().QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'test_data' AND table_name LIKE 'items%'`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("%d items tables left (%v), want none", n, err)
	}
	if _, err := f.pipeline().Drop(context.Background(), "test", []string{"nope"}); err == nil || !strings.Contains(err.Error(), `unknown resource(s) nope`) {
		t.Errorf("drop of an unknown resource: %v", err)
	}

	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := items.seen[len(items.seen)-1]; got != "" {
		t.Errorf("items extract after the drop got state %q, want none", got)
	}
	if got := other.seen[len(other.seen)-1]; got != `{"Last":2}` {
		t.Errorf("other extract got state %q, want its own kept", got)
	}
	if got := f.count("items"); got != 5 {
		t.Errorf("items: %d rows after the reload, want 5", got)
	}
	if got := f.count("items__tags"); got != 10 {
		t.Errorf("items__tags: %d rows after the reload, want 10", got)
	}
}

func TestSyncRestoresWorkingFolder(t *testing.T) {
	f := newFixture(t)
	src := &testSource{resources: []source.Resource{&counter{name: "items", total: 3}}}
	p := f.pipeline()
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(f.dataDir); err != nil {
		t.Fatal(err)
	}
	if err := f.pipeline().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(p.WorkDir())
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, st.Resource("test", "items"))
	if compact.String() != `{"Last":3}` {
		t.Errorf("restored state %s, want the committed one", compact.String())
	}
	rec, err := ReadRecord(p.WorkDir())
	if err != nil || rec.Source != "test" || rec.Dataset != "test_data" {
		t.Errorf("record %+v (%v), want source test and dataset test_data", rec, err)
	}
	if _, err := os.Stat(filepath.Join(p.WorkDir(), "schemas", "test.schema.json")); err != nil {
		t.Errorf("schema not restored: %v", err)
	}
}
