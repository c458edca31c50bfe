package duckdb

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// jobLines returns n jobs, each with two locations, whose titles carry
// tag so that packages differ.
func jobLines(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"j%d","title":"%s %d","locations":[{"city":"A%d"},{"city":"B%d"}]}`+"\n", i, tag, i, i, i)
	}
	return b.String()
}

func TestReplace_readersNeverSeeEmpty(t *testing.T) {
	c := openTest(t)
	h := schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}
	ps := &packageSeq{s: schema.New("consistency")}
	mustLoad(t, c, ps.next(t, items{h, jobLines(3, "first")}))

	// A reader counts both tables in one statement, so it reads one
	// snapshot. Every snapshot must be a whole package: 3 jobs with 6
	// locations or 5 jobs with 10.
	q := fmt.Sprintf("SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s)",
		qualified(testDataset, "jobs"), qualified(testDataset, "jobs__locations"))
	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		reads atomic.Int64
		bad   = make(chan string, 1)
	)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				var jobs, locations int64
				if err := c.DB().QueryRow(q).Scan(&jobs, &locations); err != nil {
					select {
					case bad <- err.Error():
					default:
					}
					return
				}
				reads.Add(1)
				if !(jobs == 3 && locations == 6) && !(jobs == 5 && locations == 10) {
					select {
					case bad <- fmt.Sprintf("%d jobs and %d locations", jobs, locations):
					default:
					}
				}
			}
		})
	}
	var during []int64
	c.beforeCommit = func() {
		var jobs int64
		if err := c.DB().QueryRow("SELECT count(*) FROM " + qualified(testDataset, "jobs")).Scan(&jobs); err != nil {
			t.Error(err)
		}
		during = append(during, jobs)
	}
	for i := range 10 {
		n := 5
		if i%2 == 1 {
			n = 3
		}
		mustLoad(t, c, ps.next(t, items{h, jobLines(n, fmt.Sprint("load ", i))}))
	}
	c.beforeCommit = nil
	stop.Store(true)
	wg.Wait()
	select {
	case msg := <-bad:
		t.Errorf("a reader saw %s", msg)
	default:
	}
	if reads.Load() < 10 {
		t.Errorf("readers made %d reads during 10 loads; want more to prove anything", reads.Load())
	}
	// Just before each commit, other connections still see the previous
	// package.
	want := []int64{3, 5, 3, 5, 3, 5, 3, 5, 3, 5}
	if fmt.Sprint(during) != fmt.Sprint(want) {
		t.Errorf("jobs seen before each commit = %v, want %v", during, want)
	}
}

func TestMerge_sameObjectsTwice(t *testing.T) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			c := openTest(t)
			h := schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge, MergeStrategy: strategy}
			ps := &packageSeq{s: schema.New("merge")}
			counts := func() [3]int64 {
				return [3]int64{count(t, c.DB(), "jobs"), count(t, c.DB(), "jobs__locations"),
					count(t, c.DB(), "jobs__locations__rooms")}
			}
			mustLoad(t, c, ps.next(t, items{h, mergeSteps[0]}))
			first := counts()
			if want := [3]int64{3, 3, 2}; first != want {
				t.Fatalf("counts after the first load = %v, want %v", first, want)
			}
			mustLoad(t, c, ps.next(t, items{h, mergeSteps[0]}))
			if got := counts(); got != first {
				t.Errorf("counts after loading the same objects again = %v, want %v", got, first)
			}

			// j1 changes: one location with one room instead of two
			// locations with two rooms.
			mustLoad(t, c, ps.next(t, items{h, `{"id":"j1","title":"Lead","locations":[{"city":"Bonn","rooms":[9]}]}`}))
			if got, want := counts(), [3]int64{3, 2, 1}; got != want {
				t.Errorf("counts after a changed object = %v, want %v", got, want)
			}
			cities := queryStrings(t, c.DB(), `SELECT j.id || ':' || l.city || ':' || coalesce(string_agg(r.value::VARCHAR, ','), '')
				FROM `+qualified(testDataset, "jobs")+` j
				JOIN `+qualified(testDataset, "jobs__locations")+` l ON l._rl_parent_id = j._rl_id AND l._rl_root_id = j._rl_id
				LEFT JOIN `+qualified(testDataset, "jobs__locations__rooms")+` r ON r._rl_parent_id = l._rl_id AND r._rl_root_id = j._rl_id
				GROUP BY j.id, l.city, l._rl_id ORDER BY 1`)
			if want := []string{"j1:Bonn:9", "j2:Paris:"}; fmt.Sprint(cities) != fmt.Sprint(want) {
				t.Errorf("locations joined to their jobs = %q, want %q", cities, want)
			}
		})
	}
}

func TestHistory_oneCurrentRowPerKey(t *testing.T) {
	c := openTest(t)
	h := jobsHistory
	ps := &packageSeq{s: schema.New("history")}
	steps := []string{mergeSteps[0], mergeSteps[1], mergeSteps[0], mergeSteps[0]}
	// The first load adds 3 rows. The second adds 2, for a changed j1
	// and a new j4, because its last j2 equals the stored one. The third
	// adds 1 for j1 changed back, and the fourth changes nothing.
	wantRows := []int64{3, 5, 6, 6}
	for i, step := range steps {
		mustLoad(t, c, ps.next(t, items{h, step}))
		if n := count(t, c.DB(), "jobs"); n != wantRows[i] {
			t.Errorf("load %d: %d rows, want %d", i+1, n, wantRows[i])
		}
		dup := queryStrings(t, c.DB(), `SELECT id FROM `+qualified(testDataset, "jobs")+`
			WHERE _rl_valid_to IS NULL GROUP BY id HAVING count(*) > 1`)
		if len(dup) > 0 {
			t.Errorf("load %d: keys with more than one current row: %v", i+1, dup)
		}
		current := queryStrings(t, c.DB(), `SELECT count(*)::VARCHAR FROM `+qualified(testDataset, "jobs")+` WHERE _rl_valid_to IS NULL`)
		if want := map[int]string{0: "3", 1: "4", 2: "4", 3: "4"}[i]; current[0] != want {
			t.Errorf("load %d: %s current rows, want %s", i+1, current[0], want)
		}
	}
	// A closed version keeps its own child rows.
	got := queryStrings(t, c.DB(), `SELECT j.title || ':' || string_agg(l.city, ',' ORDER BY l._rl_list_idx)
		FROM `+qualified(testDataset, "jobs")+` j JOIN `+qualified(testDataset, "jobs__locations")+` l ON l._rl_root_id = j._rl_id
		WHERE j.id = 'j1' GROUP BY j._rl_id, j.title, j._rl_valid_from ORDER BY j._rl_valid_from`)
	want := []string{"Engineer:Berlin,Oslo", "Lead Engineer:Berlin", "Engineer:Berlin,Oslo"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions of j1 = %q, want %q", got, want)
	}
}

func TestSchema_storedAsYAML(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	// A dataset written before the YAML column existed.
	if _, err := c.DB().Exec("CREATE SCHEMA " + sqlload.Ident(testDataset)); err != nil {
		t.Fatal(err)
	}
	old := `CREATE TABLE ` + qualified(testDataset, schema.TableVersion) + ` (version BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL, version_hash VARCHAR NOT NULL, schema JSON NOT NULL, inserted_at TIMESTAMPTZ NOT NULL)`
	if _, err := c.DB().Exec(old); err != nil {
		t.Fatal(err)
	}
	ps := &packageSeq{s: schema.New("yaml")}
	p := ps.next(t, items{jobsMerge, mergeSteps[0]})
	mustLoad(t, c, p)

	want, err := p.Schema.YAML()
	if err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, c.DB(), "SELECT schema_yaml || '|' || version_hash FROM "+qualified(testDataset, schema.TableVersion))
	if fmt.Sprint(got) != fmt.Sprint([]string{string(want) + "|" + p.Schema.Hash()}) {
		t.Errorf("stored YAML and hash = %q, want %q", got, string(want))
	}
	back, err := schema.ParseYAML([]byte(strings.TrimSuffix(got[0], "|"+p.Schema.Hash())))
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != p.Schema.Hash() {
		t.Error("the stored YAML reads back to another schema")
	}
	s, err := c.Schema(ctx, testDataset, "yaml")
	if err != nil || s == nil || s.Hash() != p.Schema.Hash() {
		t.Errorf("Schema = %v, %v; want the loaded schema", s, err)
	}
}
