package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// deleter is a resource "people" that emits items and reports keys
// deleted; its key is the text column id.
type deleter struct {
	items   []string
	deleted [][]any
	soft    bool
	fail    error // returned after the keys are marked
}

func (d *deleter) Name() string { return "people" }

func (d *deleter) Hints() schema.Hints {
	return schema.Hints{Table: "people", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge, SoftDelete: d.soft}
}

func (d *deleter) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	var page []json.RawMessage
	for _, it := range d.items {
		page = append(page, json.RawMessage(it))
	}
	if err := emit(page); err != nil {
		return nil, err
	}
	for _, key := range d.deleted {
		if err := source.MarkDeleted(ctx, key...); err != nil {
			return nil, err
		}
	}
	if d.fail != nil {
		return nil, d.fail
	}
	return state, nil
}

// deletedPeople returns the ids of the rows of people whose
// _rl_deleted_at is set, sorted.
func (f *fixture) deletedPeople() []string {
	f.t.Helper()
	rows, err := f.dest.DB().Query(`SELECT id FROM test_data.people WHERE _rl_deleted_at IS NOT NULL ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return ids
}

func TestRunMarksDeletedKeys(t *testing.T) {
	f := newFixture(t)
	res := &deleter{soft: true, items: []string{`{"id":"p1"}`, `{"id":"p2"}`, `{"id":"p3"}`}}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := f.deletedPeople(); len(got) != 0 {
		t.Fatalf("deleted after the first run: %v, want none", got)
	}

	// p4 is written and deleted by one package; p9 was never stored. A
	// number for the text key column matches its text.
	res.items = []string{`{"id":"p4"}`, `{"id":"5"}`}
	res.deleted = [][]any{{"p1"}, {"p4"}, {"p9"}, {5}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got, want := f.deletedPeople(), []string{"5", "p1", "p4"}; !slices.Equal(got, want) {
		t.Errorf("deleted rows %v, want %v", got, want)
	}
	if got := f.count("people"); got != 5 {
		t.Errorf("people: %d rows, want 5", got)
	}

	// Loaded packages keep no key file.
	loaded, err := filepath.Glob(filepath.Join(f.dataDir, "pipelines", "test_pipeline", "loaded", "*", extractDir))
	if err != nil || len(loaded) != 0 {
		t.Errorf("loaded packages still hold extracted files: %v (%v)", loaded, err)
	}
}

func TestRunLoadsDeletesAfterCrash(t *testing.T) {
	for _, step := range []string{StatusExtracted, StatusNormalized} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t)
			res := &deleter{soft: true, items: []string{`{"id":"p1"}`, `{"id":"p2"}`}}
			src := &testSource{resources: []source.Resource{res}}
			if _, err := f.pipeline().Run(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			res.items, res.deleted = nil, [][]any{{"p2"}}
			dir := f.prepare(src, step)
			m, err := readManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Resources) != 1 || m.Resources[0].Deleted != 1 {
				t.Fatalf("manifest resources %+v, want people with 1 deleted key", m.Resources)
			}
			keys, err := os.ReadFile(filepath.Join(dir, m.Resources[0].DeletedFile))
			if err != nil || string(keys) != `["p2"]`+"\n" {
				t.Fatalf("key file %q (%v), want the key of p2", keys, err)
			}

			// The next run reports nothing, so the mark comes from the
			// package that the crash left.
			res.deleted = nil
			if _, err := f.pipeline().Run(context.Background(), src); err != nil {
				t.Fatal(err)
			}
			if got := f.deletedPeople(); !slices.Equal(got, []string{"p2"}) {
				t.Errorf("deleted rows %v, want [p2]", got)
			}
		})
	}
}

func TestRunRejectsInvalidDeletes(t *testing.T) {
	tests := []struct {
		name    string
		res     *deleter
		message string
	}{
		{"without soft delete", &deleter{deleted: [][]any{{"p1"}}}, "lack soft delete"},
		{"wrong key width", &deleter{soft: true, deleted: [][]any{{"p1", 2}}}, "2 values"},
		{"object value", &deleter{soft: true, deleted: [][]any{{map[string]any{"id": "p1"}}}}, "not a string, number or bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.res.items = []string{`{"id":"p1"}`}
			src := &testSource{resources: []source.Resource{tt.res}}
			_, err := f.pipeline().Run(context.Background(), src)
			var ee *ExtractError
			if !errors.As(err, &ee) || len(ee.Failed) != 1 {
				t.Fatalf("error %v, want an ExtractError for people", err)
			}
			if !strings.Contains(ee.Failed[0].Error, tt.message) {
				t.Errorf("error %q does not contain %q", ee.Failed[0].Error, tt.message)
			}
			var n int
			err = f.dest.DB().QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'people'`).Scan(&n)
			if err != nil || n != 0 {
				t.Errorf("table people exists (%d, %v); a failed extract loads nothing", n, err)
			}
		})
	}
}

func TestKeyObject(t *testing.T) {
	text := &schema.Column{Name: "id", Type: schema.Text}
	num := &schema.Column{Name: "n", Type: schema.BigInt}
	flag := &schema.Column{Name: "ok", Type: schema.Bool}
	at := &schema.Column{Name: "at", Type: schema.Timestamp}
	tests := []struct {
		key  string
		cols []*schema.Column
		want string // "" when the key cannot match a row
	}{
		{`["a"]`, []*schema.Column{text}, `{"id":"a"}`},
		{`[12]`, []*schema.Column{text}, `{"id":"12"}`},
		{`[true]`, []*schema.Column{text}, `{"id":"true"}`},
		{`["a",12345678901234567890]`, []*schema.Column{text, num}, `{"id":"a","n":12345678901234567890}`},
		{`[-3]`, []*schema.Column{num}, `{"n":-3}`},
		{`["12"]`, []*schema.Column{num}, ""},
		{`[false]`, []*schema.Column{flag}, `{"ok":false}`},
		{`[1]`, []*schema.Column{flag}, ""},
		{`["2025-01-02T03:04:05+02:00"]`, []*schema.Column{at}, `{"at":"2025-01-02T03:04:05+02:00"}`},
		{`[1735689600]`, []*schema.Column{at}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			var key []json.RawMessage
			if err := json.Unmarshal([]byte(tt.key), &key); err != nil {
				t.Fatal(err)
			}
			got, ok, err := keyObject(key, tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if ok {
					t.Errorf("keyObject(%s) = %s, want the key left out", tt.key, got)
				}
				return
			}
			if !ok || string(got) != tt.want {
				t.Errorf("keyObject(%s) = %s, %v; want %s", tt.key, got, ok, tt.want)
			}
		})
	}
	if _, _, err := keyObject([]json.RawMessage{json.RawMessage(`"a"`)}, []*schema.Column{text, num}); err == nil {
		t.Error("keyObject accepted one value for two columns")
	}
}

func TestKeyColumns(t *testing.T) {
	id := &schema.Column{Name: "id", Type: schema.Text, PrimaryKey: true}
	board := &schema.Column{Name: "board", Type: schema.Text, PrimaryKey: true}
	hashed := &schema.Column{Name: "id", Type: schema.Text, PrimaryKey: true, PII: schema.PIIHash}
	plain := &schema.Column{Name: "id", Type: schema.Text}
	long := &schema.Column{Name: schema.ShortenIdentifier("identifier_of_the_person", 10), Type: schema.Text, PrimaryKey: true}
	tests := []struct {
		name    string
		columns []*schema.Column
		pk      []string
		want    []string // nil: no key columns, the deletes are skipped
		err     string
	}{
		{"one column", []*schema.Column{id}, []string{"id"}, []string{"id"}, ""},
		{"hint order", []*schema.Column{id, board}, []string{"board", "id"}, []string{"board", "id"}, ""},
		{"shortened", []*schema.Column{long}, []string{"identifier_of_the_person"}, []string{long.Name}, ""},
		{"no column yet", nil, []string{"id"}, nil, ""},
		{"hashed", []*schema.Column{hashed}, []string{"id"}, nil, "PII"},
		{"not a key column", []*schema.Column{plain}, []string{"id"}, nil, "not part of the table's primary key"},
		{"fewer hint columns", []*schema.Column{id, board}, []string{"id"}, nil, "has primary key id, board"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &schema.Table{Name: "people", Columns: tt.columns}
			cols, err := keyColumns(root, schema.Hints{Table: "people", PrimaryKey: tt.pk}, 10)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range cols {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("key columns %v, want %v", names, tt.want)
			}
		})
	}
}

func TestRunDeletesWithoutStoredTable(t *testing.T) {
	f := newFixture(t)
	// The first package of the resource has no items, only a delete.
	res := &deleter{soft: true, deleted: [][]any{{"p1"}}}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatalf("deletes of a resource with no stored rows: %v", err)
	}
	res.deleted, res.items = nil, []string{`{"id":"p1"}`}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if got := f.deletedPeople(); len(got) != 0 {
		t.Errorf("deleted rows %v, want none: the delete came before the row", got)
	}
}

func TestRunDropsDeletesOfFailedExtract(t *testing.T) {
	f := newFixture(t)
	res := &deleter{soft: true, items: []string{`{"id":"p1"}`}}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	res.items, res.deleted, res.fail = nil, [][]any{{"p1"}}, errors.New("page 2 failed")
	if _, err := f.pipeline().Run(context.Background(), src); err == nil {
		t.Fatal("Run succeeded with a failing resource")
	}
	if got := f.deletedPeople(); len(got) != 0 {
		t.Errorf("deleted rows %v, want none: the extract that reported them failed", got)
	}
	// An extract that stops there leaves no key file in its package.
	dir := f.prepare(src, StatusExtracted)
	keys, err := filepath.Glob(filepath.Join(dir, extractDir, "*"))
	if err != nil || len(keys) != 0 {
		t.Errorf("files of the failed resource left in the package: %v (%v)", keys, err)
	}
}

func TestRunSkipsKeysOfWrongType(t *testing.T) {
	f := newFixture(t)
	res := &deleter{soft: true, items: []string{`{"id":1}`, `{"id":2}`}}
	src := &testSource{resources: []source.Resource{res}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	// The id column is bigint: no row can have the key "1".
	res.items, res.deleted = nil, [][]any{{"1"}, {2}}
	if _, err := f.pipeline().Run(context.Background(), src); err != nil {
		t.Fatalf("a key of the wrong type failed the load: %v", err)
	}
	var ids []int
	rows, err := f.dest.DB().Query(`SELECT id FROM test_data.people WHERE _rl_deleted_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if !slices.Equal(ids, []int{2}) {
		t.Errorf("deleted ids %v, want [2]", ids)
	}
}
