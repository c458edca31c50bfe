package duckdb

import (
	"slices"
	"testing"

	"github.com/restload/restload/schema"
)

// TestSoftDelete loads complete and incomplete listings of a merge table
// that tracks deletes and checks which rows carry _rl_deleted_at.
func TestSoftDelete(t *testing.T) {
	for _, strategy := range []schema.MergeStrategy{schema.DeleteInsert, schema.Upsert} {
		t.Run(string(strategy), func(t *testing.T) {
			c := openTest(t)
			h := schema.Hints{Table: "jobs", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
				MergeStrategy: strategy, SoftDelete: true}
			ps := &packageSeq{s: schema.New("ashby")}
			steps := []struct {
				lines    string
				complete bool
				// deleted lists "id:load" for each deleted row, the load
				// being the package number whose time marked it.
				deleted []string
			}{
				{`{"id":1,"tags":["a"]}` + "\n" + `{"id":2}` + "\n" + `{"id":3}` + "\n", true, nil},
				// An incremental run lacks most objects: nothing is marked.
				{`{"id":2,"title":"x"}` + "\n", false, nil},
				// A full listing without 1 and 3 marks them.
				{`{"id":2}` + "\n", true, []string{"1:3", "3:3"}},
				// 3 comes back and is live again; 1 keeps its first mark.
				{`{"id":2}` + "\n" + `{"id":3}` + "\n", true, []string{"1:3"}},
				// An empty full listing marks every live row.
				{"", true, []string{"1:3", "2:5", "3:5"}},
			}
			for i, st := range steps {
				p := ps.next(t, items{hints: h, lines: st.lines})
				if st.complete {
					p.Complete = []string{"jobs"}
				}
				mustLoad(t, c, p)
				got := queryStrings(t, c.DB(), `SELECT id::text || ':' || (date_diff('day', TIMESTAMPTZ '2025-01-01 08:00:00+00', _rl_deleted_at) + 1)::text
					FROM ashby_data.jobs WHERE _rl_deleted_at IS NOT NULL ORDER BY id`)
				if !slices.Equal(got, st.deleted) {
					t.Fatalf("step %d: deleted rows %v, want %v", i+1, got, st.deleted)
				}
				if n := count(t, c.DB(), "jobs"); n != 3 && i > 0 {
					t.Fatalf("step %d: %d rows, want 3 (deletes are marked, never removed)", i+1, n)
				}
			}
			// The child rows of a deleted object stay.
			if n := count(t, c.DB(), "jobs__tags"); n != 1 {
				t.Fatalf("child rows: %d, want 1", n)
			}
		})
	}
}
