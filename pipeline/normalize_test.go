package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// nested is a resource whose items nest objects and lists and change the
// type of one member halfway, so that normalizing them adds child tables
// and variant columns.
type nested struct {
	name  string
	table string
	total int
}

func (r *nested) Name() string { return r.name }

func (r *nested) Hints() schema.Hints {
	return schema.Hints{Table: r.table, PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
}

func (r *nested) Extract(_ context.Context, _ json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	var page []json.RawMessage
	for id := 1; id <= r.total; id++ {
		score := fmt.Sprint(id)
		if id > r.total/2 {
			score = fmt.Sprintf("%q", fmt.Sprint("n", id))
		}
		page = append(page, json.RawMessage(fmt.Sprintf(
			`{"id": %d, "info": {"score": %s, "from": %q}, "steps": [{"at": %d, "notes": ["x", "y"]}, {"at": %d}]}`,
			id, score, r.name, id, id+1)))
	}
	return nil, emit(page)
}

// normalizeCopies extracts src once, then normalizes a copy of the
// package with each worker count. Per worker count it returns the schema
// file, the rows of each table (decompressed and joined), and the error
// and fallback to one pass, if any, under "error" and "again".
func normalizeCopies(t *testing.T, src source.Source, workers ...int) []map[string]string {
	t.Helper()
	f := newFixture(t)
	p := f.pipeline()
	if err := os.MkdirAll(p.packagesDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.restore(ctx, src.Name()); err != nil {
		t.Fatal(err)
	}
	dir, m, err := p.extract(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, w := range workers {
		copyDir := filepath.Join(t.TempDir(), "pkg")
		if err := os.CopyFS(copyDir, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		q := *p
		q.cfg.NormalizeWorkers = w
		var log bytes.Buffer
		q.logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		mc := *m
		got := map[string]string{}
		err := q.normalize(copyDir, &mc)
		if strings.Contains(log.String(), "again in one pass") {
			got["again"] = "yes"
		}
		if err != nil {
			got["error"] = err.Error()
			out = append(out, got)
			continue
		}
		b, err := os.ReadFile(filepath.Join(copyDir, schemaFile))
		if err != nil {
			t.Fatal(err)
		}
		got["schema"] = string(b)
		for _, file := range mc.Files {
			if !strings.HasSuffix(file.Path, ".jsonl.zst") {
				t.Errorf("file %s is not compressed", file.Path)
			}
			r, err := destination.OpenJob(filepath.Join(copyDir, file.Path))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if n := int64(bytes.Count(rows, []byte("\n"))); n != file.Rows {
				t.Errorf("%s holds %d rows, the manifest says %d", file.Path, n, file.Rows)
			}
			got[file.Table] += string(rows)
		}
		for _, res := range mc.Resources {
			if _, err := os.Stat(filepath.Join(copyDir, res.File)); !os.IsNotExist(err) {
				t.Errorf("extracted items %s still there after normalize (%v)", res.File, err)
			}
		}
		out = append(out, got)
	}
	return out
}

// TestNormalizeParallelMatchesOnePass checks that normalizing resources
// in parallel writes the same schema and rows as one Normalizer does. The
// cases include two resources of one root table, and a root table named
// like another resource's child table, which makes the parallel pass
// start over.
func TestNormalizeParallelMatchesOnePass(t *testing.T) {
	tests := []struct {
		name      string
		resources []source.Resource
		again     bool // the parallel pass must start over
	}{
		{"distinct tables", []source.Resource{
			&nested{name: "people", table: "people", total: 40},
			&counter{name: "pets", total: 30},
			&nested{name: "places", table: "places", total: 25},
			&counter{name: "plans", total: 5},
		}, false},
		{"two resources, one table", []source.Resource{
			&nested{name: "people_a", table: "people", total: 20},
			&nested{name: "places", table: "places", total: 25},
			&nested{name: "people_b", table: "people", total: 30},
		}, false},
		{"a root table named like a later child table", []source.Resource{
			&nested{name: "steps", table: "people__steps", total: 30},
			&nested{name: "places", table: "places", total: 10},
			&nested{name: "people", table: "people", total: 20},
		}, true},
		{"a child table named like a later root table", []source.Resource{
			&nested{name: "people", table: "people", total: 20},
			&nested{name: "places", table: "places", total: 10},
			&nested{name: "steps", table: "people__steps", total: 30},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizeCopies(t, &testSource{resources: tt.resources}, 1, 2, 8)
			if len(got[0]) < 4 && got[0]["error"] == "" {
				t.Fatalf("one pass wrote only %d tables: %v", len(got[0])-1, got[0]["schema"])
			}
			for i, g := range got[1:] {
				if again := g["again"] == "yes"; again != tt.again {
					t.Errorf("parallel pass %d started over: %v, want %v", i+1, again, tt.again)
				}
				delete(g, "again")
				for table, want := range got[0] {
					if g[table] != want {
						t.Errorf("parallel pass %d: %s differs from one pass:\n%s\nwant\n%s", i+1, table, g[table], want)
					}
				}
				if len(g) != len(got[0]) {
					t.Errorf("parallel pass %d wrote %d tables, one pass %d", i+1, len(g), len(got[0]))
				}
			}
		})
	}
}

// TestRunLoadsCompressedFiles runs a package normalized in parallel into
// DuckDB and reads it back.
func TestRunLoadsCompressedFiles(t *testing.T) {
	f := newFixture(t)
	src := &testSource{resources: []source.Resource{
		&nested{name: "people", table: "people", total: 300},
		&nested{name: "places", table: "places", total: 200},
	}}
	p := f.pipeline()
	p.cfg.NormalizeWorkers = 2
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"people": 300, "places": 200, "people__steps": 600, "people__steps__notes": 600} {
		if n := f.count(table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
}
