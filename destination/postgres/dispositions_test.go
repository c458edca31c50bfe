package postgres_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
)

// goldenDir contains the expected tables after each load of
// dispositionTests. They are the DuckDB destination's golden files:
// both destinations must store the same rows for the same packages.
var goldenDir = filepath.Join("..", "duckdb", "testdata", "golden")

func TestDispositionsGolden(t *testing.T) {
	for _, tt := range dispositionTests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t)
			ps := &packageSeq{s: schema.New("golden")}
			var out bytes.Buffer
			for i, load := range tt.loads {
				p := ps.next(t, load...)
				mustLoad(t, c, p)
				fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
				for _, tab := range p.Schema.Tables {
					fmt.Fprintf(&out, "-- %s --\n", tab.Name)
					for _, row := range tableRows(t, c.DB(), tab) {
						fmt.Fprintln(&out, row)
					}
				}
			}
			path := filepath.Join(goldenDir, tt.name+".txt")
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file: %v", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", path, out.Bytes())
			}
		})
	}
}

// tableRows returns the rows of a dataset table as lines of
// column=value pairs, NULL columns left out, sorted by bytes, with
// timestamps in UTC to the microsecond.
func tableRows(t testing.TB, db *sql.DB, tab *schema.Table) []string {
	t.Helper()
	exprs := make([]string, len(tab.Columns))
	for i, col := range tab.Columns {
		e := quote(col.Name)
		if col.Type == schema.Timestamp {
			e = fmt.Sprintf(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, e)
		}
		exprs[i] = e + "::text"
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), qualified(testDataset, tab.Name))
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("query %s: %v", tab.Name, err)
	}
	defer rows.Close()
	var out []string
	vals := make([]sql.NullString, len(tab.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for i, v := range vals {
			if v.Valid {
				parts = append(parts, tab.Columns[i].Name+"="+v.String)
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Every row starts with its unique _rl_id, so sorting the lines
	// sorts by it.
	slices.Sort(out)
	return out
}

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
				got := queryStrings(t, c.DB(), `SELECT id::text || ':' ||
					(extract(day FROM _rl_deleted_at - timestamptz '2025-01-01 08:00:00+00')::int + 1)::text
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
