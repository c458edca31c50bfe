package filesystem_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
)

// goldenDir contains the DuckDB destination's tables after each load of
// dispositionTests: read through the views, the files must give the same
// rows.
var goldenDir = filepath.Join("..", "duckdb", "testdata", "golden")

// upsertCases are the cases with upsert loads. An upserted object gets
// the _rl_id of its newest row instead of keeping its first one, so their
// rows are compared with row ids masked.
var upsertCases = map[string]bool{"merge_upsert": true, "merge_hard_delete": true}

// rowIDs matches the row id columns of a golden line.
var rowIDs = regexp.MustCompile(`(_rl_id|_rl_parent_id|_rl_root_id)=\S+`)

// maskIDs replaces the row ids of a golden output by "*" and sorts the
// rows of each table again.
func maskIDs(out []byte) []byte {
	var b bytes.Buffer
	var rows []string
	flush := func() {
		slices.Sort(rows)
		for _, r := range rows {
			b.WriteString(r + "\n")
		}
		rows = rows[:0]
	}
	for _, line := range strings.SplitAfter(string(out), "\n") {
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "==") || strings.HasPrefix(line, "--") {
			flush()
			b.WriteString(line)
			continue
		}
		rows = append(rows, rowIDs.ReplaceAllString(strings.TrimSuffix(line, "\n"), "$1=*"))
	}
	flush()
	return b.Bytes()
}

func TestDispositionsGolden(t *testing.T) {
	for _, format := range formats {
		for _, tt := range dispositionTests {
			t.Run(string(format)+"/"+tt.name, func(t *testing.T) {
				c := openTest(t, format)
				ps := &packageSeq{s: schema.New("golden")}
				var out bytes.Buffer
				for i, load := range tt.loads {
					p := ps.next(t, load...)
					mustLoad(t, c, p)
					db := openViews(t, c, p.Schema)
					fmt.Fprintf(&out, "== after load %d (created %s) ==\n", i+1, p.CreatedAt.Format(time.RFC3339))
					for _, tab := range p.Schema.Tables {
						fmt.Fprintf(&out, "-- %s --\n", tab.Name)
						for _, row := range tableRows(t, db, tab) {
							fmt.Fprintln(&out, row)
						}
					}
				}
				path := filepath.Join(goldenDir, tt.name+".txt")
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("read golden file: %v", err)
				}
				got := out.Bytes()
				if upsertCases[tt.name] {
					got, want = maskIDs(got), maskIDs(want)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("output differs from %s:\n%s", path, got)
				}
			})
		}
	}
}
