package iceberg_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/iceberg"
	"github.com/restload/restload/schema"
)

// TestCrashBetweenCommits stops a load after each of its table commits
// in turn, then loads the same package again: until the commit point
// the package is not visible to HasLoad, State or the views, and the
// rerun stores every object once.
func TestCrashBetweenCommits(t *testing.T) {
	ctx := context.Background()
	for _, wd := range []schema.WriteDisposition{schema.Append, schema.Merge, schema.Replace} {
		// The package commits three data tables and the state, then
		// _rl_loads.
		for stopAfter := 1; stopAfter <= 4; stopAfter++ {
			t.Run(fmt.Sprintf("%s/%d", wd, stopAfter), func(t *testing.T) {
				c := openTest(t)
				first := conformance.TreePackage(t, "1", wd, conformance.NewCandidate("id1", "Ann", "a@x:t1"))
				first.State = json.RawMessage(`{"token":"one"}`)
				mustLoad(t, c, first)
				before := contents(t, c)

				second := conformance.TreePackage(t, "2", wd, conformance.NewCandidate("id1", "Ann B", "b@x:t2,t3"),
					conformance.NewCandidate("id2", "Bob", "c@x"))
				second.State = json.RawMessage(`{"token":"two"}`)
				var commits []string
				iceberg.SetAfterCommit(c, func(table string) error {
					commits = append(commits, table)
					if len(commits) == stopAfter {
						return errStop
					}
					return nil
				})
				err := c.Load(ctx, second)
				iceberg.SetAfterCommit(c, nil)
				if !errors.Is(err, errStop) {
					t.Fatalf("Load = %v after commits %v, want the stop error", err, commits)
				}
				if slices.Contains(commits, schema.TableLoads) {
					t.Fatalf("commits %v reached the commit point", commits)
				}
				if ok, err := c.HasLoad(ctx, conformance.Dataset, "2"); err != nil || ok {
					t.Errorf("HasLoad(2) = %v, %v after commits %v; want false", ok, err, commits)
				}
				if st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline"); err != nil || st == nil || string(st.State) != `{"token":"one"}` {
					t.Errorf("State after commits %v = %+v, %v; want the first state", commits, st, err)
				}
				if got := contents(t, c); !slices.Equal(got, before) {
					t.Errorf("views after commits %v = %q, want %q", commits, got, before)
				}

				mustLoad(t, c, second)
				want := []string{"id1=Ann B b@x[t2,t3]", "id2=Bob c@x"}
				if wd == schema.Append {
					want = []string{"id1=Ann a@x[t1]", "id1=Ann B b@x[t2,t3]", "id2=Bob c@x"}
				}
				if got := contents(t, c); !slices.Equal(got, want) {
					t.Errorf("views after the rerun = %q, want %q", got, want)
				}
				st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline")
				if err != nil || st == nil || string(st.State) != `{"token":"two"}` || st.Version != 2 {
					t.Errorf("State after the rerun = %+v, %v; want the second state, version 2", st, err)
				}
			})
		}
	}
}

// contents returns one line per candidate through the views: name, then
// each email with its tags.
func contents(t testing.TB, c *iceberg.Client) []string {
	t.Helper()
	q := `SELECT r.id || '=' || r.name || coalesce(' ' || (
		SELECT string_agg(e.value || coalesce('[' || (
			SELECT string_agg(g.value, ',' ORDER BY g._rl_list_idx)
			FROM ashby_data.candidates__emails__tags g
			WHERE g._rl_parent_id = e._rl_id) || ']', ''), ' ' ORDER BY e._rl_list_idx)
		FROM ashby_data.candidates__emails e
		WHERE e._rl_parent_id = r._rl_id), '')
		FROM ashby_data.candidates r ORDER BY r.id, r.name`
	return queryStrings(t, views(t, c), q)
}
