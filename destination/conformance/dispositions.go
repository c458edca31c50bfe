package conformance

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
)

// dispositionCase is a list of packages loaded one after the other. Its
// golden file contains every table after each load.
type dispositionCase struct {
	name  string
	loads [][]Items
	// upsert marks cases with upsert loads, whose row ids a destination
	// with Harness.UpsertNewRowID sets differently.
	upsert bool
}

func dispositionCases() []dispositionCase {
	merge := JobsHints(schema.Merge, "")
	upsert := JobsHints(schema.Merge, schema.Upsert)
	history := JobsHints(schema.History, "")
	hardDelete := func(h schema.Hints, col string) schema.Hints {
		return withColumns(h, map[string]schema.ColumnHint{col: {HardDelete: true}})
	}
	retire := JobsHints(schema.History, "")
	retire.RetireAbsent = true
	replace := schema.Hints{Table: "jobs", WriteDisposition: schema.Replace}
	byDay := schema.Hints{Table: "events", WriteDisposition: schema.Merge,
		Columns: map[string]schema.ColumnHint{"day": {MergeKey: true}}}
	return []dispositionCase{
		{name: "append", loads: [][]Items{
			{{schema.Hints{Table: "jobs"}, `{"id":"j1","tags":["a"]}`}},
			{{schema.Hints{Table: "jobs"}, `{"id":"j1","tags":["a"]}` + "\n" + `{"id":"j2"}`}},
		}},
		{name: "replace", loads: [][]Items{
			{{replace, mergeFirst}},
			{{replace, `{"id":"j9","title":"Only","locations":[{"city":"Bern"}]}`}},
			// A package that covers the table without items empties it.
			{{replace, ``}},
		}},
		{name: "merge_delete_insert", loads: [][]Items{
			{{merge, mergeFirst}},
			{{merge, mergeSecond}},
		}},
		{name: "merge_upsert", upsert: true, loads: [][]Items{
			{{upsert, mergeFirst}},
			{{upsert, mergeSecond}},
		}},
		{name: "merge_hard_delete", upsert: true, loads: [][]Items{
			{{hardDelete(merge, "isDeleted"), mergeFirst}},
			{{hardDelete(merge, "isDeleted"), `{"id":"j1","isDeleted":true}
{"id":"j2","title":"Designer","isDeleted":false,"locations":[{"city":"Nice"}]}
{"id":"j7","isDeleted":true}`}},
			// Upsert, and a hard delete column that is not bool: any value
			// deletes.
			{{hardDelete(upsert, "deletedAt"), `{"id":"j2","deletedAt":"2025-01-03T00:00:00Z"}
{"id":"j3","title":"Analyst","deletedAt":null}`}},
		}},
		{name: "merge_dedup_sort", loads: [][]Items{
			{{withColumns(merge, map[string]schema.ColumnHint{"version": {DedupSort: schema.Desc}}),
				`{"id":"j1","version":2,"title":"second"}
{"id":"j1","version":5,"title":"fifth","locations":[{"city":"Kept"}]}
{"id":"j1","version":3,"title":"third","locations":[{"city":"Dropped"}]}
{"id":"j2","version":1,"title":"one"}
{"id":"j2","title":"no version"}`}},
			{{schema.Hints{Table: "firsts", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
				Columns: map[string]schema.ColumnHint{"at": {DedupSort: schema.Asc}}},
				`{"id":"k","at":"2025-01-02T00:00:00Z","v":"later"}
{"id":"k","at":"2025-01-01T00:00:00Z","v":"earliest"}
{"id":"k","at":"2025-01-01T00:00:00Z","v":"tie, seen last"}`}},
		}},
		{name: "merge_key", loads: [][]Items{
			{{byDay, `{"day":"2025-01-01","n":1,"tags":["a"]}
{"day":"2025-01-01","n":2}
{"day":"2025-01-02","n":3,"tags":["b"]}`}},
			{{byDay, `{"day":"2025-01-01","n":4,"tags":["c"]}
{"day":"2025-01-01","n":4,"tags":["c"]}`}},
		}},
		{name: "history", loads: [][]Items{
			{{hardDelete(history, "isDeleted"), mergeFirst}},
			{{hardDelete(history, "isDeleted"),
				`{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j2","title":"Designer","locations":[{"city":"Lyon"}]}
{"id":"j4","title":"Writer"}`}},
			{{hardDelete(history, "isDeleted"), `{"id":"j2","isDeleted":true}
{"id":"j1","title":"Engineer","locations":[{"city":"Berlin","rooms":[1,2]},{"city":"Oslo"}]}
{"id":"j4","title":"Editor"}
{"id":"j4","title":"Writer"}`}},
		}},
		{name: "history_retire_absent", loads: [][]Items{
			{{retire, `{"id":"j1","title":"Engineer"}` + "\n" + `{"id":"j2","title":"Designer"}`}},
			{{retire, `{"id":"j1","title":"Engineer"}`}},
			{{retire, ``}},
		}},
	}
}

// testDispositions loads the packages of every disposition case and
// compares all tables after each load with the case's golden file.
func testDispositions(t *testing.T, h Harness) {
	for _, tc := range dispositionCases() {
		t.Run(tc.name, func(t *testing.T) {
			d := h.open(t)
			seq := &Sequence{Schema: schema.New("golden")}
			var out bytes.Buffer
			for i, items := range tc.loads {
				p := seq.Next(t, items...)
				load(t, d, p)
				fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
				h.read(t, d, p.Schema).dump(&out)
			}
			path := filepath.Join(goldenDir(t), tc.name+".txt")
			if h.UpdateGolden {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatalf("update golden file: %v", err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (the DuckDB tests rewrite it with -update): %v", err)
			}
			got := out.Bytes()
			if tc.upsert && h.UpsertNewRowID {
				got, want = maskRowIDs(got), maskRowIDs(want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("tables differ from %s:\n%s", path, got)
			}
		})
	}
}

// goldenDir returns the folder of the golden files, next to this source
// file, so that every destination's tests find it.
func goldenDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("find the conformance package's source folder: runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "golden")
}

// rowIDColumns matches the row id columns of a line of a table dump.
var rowIDColumns = regexp.MustCompile(`(_rl_id|_rl_parent_id|_rl_root_id)=\S+`)

// maskRowIDs replaces the row ids of a table dump by "*" and sorts the
// rows of each table again.
func maskRowIDs(dump []byte) []byte {
	var b bytes.Buffer
	var rows []string
	flush := func() {
		slices.Sort(rows)
		for _, r := range rows {
			b.WriteString(r + "\n")
		}
		rows = rows[:0]
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(dump), "\n"), "\n") {
		if strings.HasPrefix(line, "==") || strings.HasPrefix(line, "--") {
			flush()
			b.WriteString(line + "\n")
			continue
		}
		rows = append(rows, rowIDColumns.ReplaceAllString(line, "$1=*"))
	}
	flush()
	return b.Bytes()
}
