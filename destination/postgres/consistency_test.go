package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

func TestReplaceReadersNeverSeeEmpty(t *testing.T) {
	c := openTest(t)
	h := schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}
	ps := &conformance.Sequence{Schema: schema.New("consistency")}
	mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: conformance.JobLines(3, "first")}))

	// A reader counts both tables in one statement, so it reads one
	// snapshot. Every snapshot must be a whole package: 3 jobs with 6
	// locations or 5 jobs with 10.
	q := fmt.Sprintf("SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s)",
		qualified(conformance.Dataset, "jobs"), qualified(conformance.Dataset, "jobs__locations"))
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
	postgres.SetBeforeCommit(c, func() {
		var jobs int64
		if err := c.DB().QueryRow("SELECT count(*) FROM " + qualified(conformance.Dataset, "jobs")).Scan(&jobs); err != nil {
			t.Error(err)
		}
		during = append(during, jobs)
	})
	for i := range 10 {
		n := 5
		if i%2 == 1 {
			n = 3
		}
		mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: conformance.JobLines(n, fmt.Sprint("load ", i))}))
	}
	postgres.SetBeforeCommit(c, nil)
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

func TestMergeSameObjectsTwice(t *testing.T) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			c := openTest(t)
			h := schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge, MergeStrategy: strategy}
			ps := &conformance.Sequence{Schema: schema.New("merge")}
			counts := func() [3]int64 {
				return [3]int64{count(t, c.DB(), "jobs"), count(t, c.DB(), "jobs__locations"),
					count(t, c.DB(), "jobs__locations__rooms")}
			}
			mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: conformance.MergeSteps()[0]}))
			first := counts()
			if want := [3]int64{3, 3, 2}; first != want {
				t.Fatalf("counts after the first load = %v, want %v", first, want)
			}
			mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: conformance.MergeSteps()[0]}))
			if got := counts(); got != first {
				t.Errorf("counts after loading the same objects again = %v, want %v", got, first)
			}

			// j1 changes: one location with one room instead of two
			// locations with two rooms.
			mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: `{"id":"j1","title":"Lead","locations":[{"city":"Bonn","rooms":[9]}]}`}))
			if got, want := counts(), [3]int64{3, 2, 1}; got != want {
				t.Errorf("counts after a changed object = %v, want %v", got, want)
			}
			cities := queryStrings(t, c.DB(), `SELECT j.id || ':' || l.city || ':' || coalesce(string_agg(r.value::text, ','), '')
				FROM `+qualified(conformance.Dataset, "jobs")+` j
				JOIN `+qualified(conformance.Dataset, "jobs__locations")+` l ON l._rl_parent_id = j._rl_id AND l._rl_root_id = j._rl_id
				LEFT JOIN `+qualified(conformance.Dataset, "jobs__locations__rooms")+` r ON r._rl_parent_id = l._rl_id AND r._rl_root_id = j._rl_id
				GROUP BY j.id, l.city, l._rl_id ORDER BY 1`)
			if want := []string{"j1:Bonn:9", "j2:Paris:"}; fmt.Sprint(cities) != fmt.Sprint(want) {
				t.Errorf("locations joined to their jobs = %q, want %q", cities, want)
			}
		})
	}
}

func TestHistoryOneCurrentRowPerKey(t *testing.T) {
	c := openTest(t)
	h := conformance.JobsHints(schema.History, "")
	ps := &conformance.Sequence{Schema: schema.New("history")}
	steps := []string{conformance.MergeSteps()[0], conformance.MergeSteps()[1], conformance.MergeSteps()[0], conformance.MergeSteps()[0]}
	// The first load adds 3 rows. The second adds 2, for a changed j1
	// and a new j4, because its last j2 equals the stored one. The third
	// adds 1 for j1 changed back, and the fourth changes nothing.
	wantRows := []int64{3, 5, 6, 6}
	for i, step := range steps {
		mustLoad(t, c, ps.Next(t, conformance.Items{Hints: h, Lines: step}))
		if n := count(t, c.DB(), "jobs"); n != wantRows[i] {
			t.Errorf("load %d: %d rows, want %d", i+1, n, wantRows[i])
		}
		dup := queryStrings(t, c.DB(), `SELECT id FROM `+qualified(conformance.Dataset, "jobs")+`
			WHERE _rl_valid_to IS NULL GROUP BY id HAVING count(*) > 1`)
		if len(dup) > 0 {
			t.Errorf("load %d: keys with more than one current row: %v", i+1, dup)
		}
		current := queryStrings(t, c.DB(), `SELECT count(*)::text FROM `+qualified(conformance.Dataset, "jobs")+` WHERE _rl_valid_to IS NULL`)
		if want := map[int]string{0: "3", 1: "4", 2: "4", 3: "4"}[i]; current[0] != want {
			t.Errorf("load %d: %s current rows, want %s", i+1, current[0], want)
		}
	}
	// A closed version keeps its own child rows.
	got := queryStrings(t, c.DB(), `SELECT j.title || ':' || string_agg(l.city, ',' ORDER BY l._rl_list_idx)
		FROM `+qualified(conformance.Dataset, "jobs")+` j JOIN `+qualified(conformance.Dataset, "jobs__locations")+` l ON l._rl_root_id = j._rl_id
		WHERE j.id = 'j1' GROUP BY j._rl_id, j.title, j._rl_valid_from ORDER BY j._rl_valid_from`)
	want := []string{"Engineer:Berlin,Oslo", "Lead Engineer:Berlin", "Engineer:Berlin,Oslo"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions of j1 = %q, want %q", got, want)
	}
}

// TestConcurrentClients loads packages into one dataset from two
// clients at once, as two processes would: the advisory lock makes them
// run one after the other, and each object ends up once.
func TestConcurrentClients(t *testing.T) {
	_, u := server.CreateDB(t)
	clients := []*postgres.Client{openURL(t, u), openURL(t, u)}
	packages := make([][]*destination.Package, len(clients))
	for i := range clients {
		ps := &conformance.Sequence{Schema: schema.New("concurrent")}
		for j := range 5 {
			p := ps.Next(t, conformance.Items{Hints: conformance.JobsHints(schema.Merge, ""), Lines: conformance.JobLines(20, fmt.Sprintf("client %d load %d", i, j))})
			p.LoadID = fmt.Sprintf("%d.%d", i, j)
			packages[i] = append(packages[i], p)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i, c := range clients {
		wg.Go(func() {
			for _, p := range packages[i] {
				errs <- c.Load(context.Background(), p)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	db := clients[0].DB()
	if n := count(t, db, "jobs"); n != 20 {
		t.Errorf("jobs = %d, want 20", n)
	}
	if n := count(t, db, "jobs__locations"); n != 40 {
		t.Errorf("locations = %d, want 40", n)
	}
	if n := count(t, db, schema.TableLoads); n != 10 {
		t.Errorf("loads = %d, want 10", n)
	}
	loads := queryStrings(t, db, "SELECT count(DISTINCT _rl_load_id)::text FROM "+qualified(conformance.Dataset, "jobs"))
	if strings.Join(loads, "") != "1" {
		t.Errorf("jobs come from %s loads, want all from the last one", loads)
	}
}
