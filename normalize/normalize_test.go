package normalize_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// run is one Normalize call.
type run struct {
	hints schema.Hints
	input string
}

var goldenTests = []struct {
	name string
	runs []run
}{
	{"camel_case_names", []run{{
		schema.Hints{Table: "candidates"},
		`{"userId":1,"HTTPCode":200,"isArchived":false,"emailAddresses":["a@example.com"],"First Name":"Ada","Größe":1.75,"_rl_id":"source field","@type":"Person","123abc":true}`,
	}}},
	{"nested_objects", []run{{
		schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}},
		`{"id":"c1","address":{"city":"Berlin","geo":{"lat":52.52,"lng":13.405}},"empty":{},"source":{"sourceType":{"title":"Inbound"}}}
{"id":"c2","address":{"city":"Paris","zip":"75001"},"empty":{"now":"set"}}`,
	}}},
	{"lists_of_scalars", []run{{
		schema.Hints{Table: "jobs"},
		`{"id":1,"tags":["a","b"],"scores":[1,2,null,3],"none":[],"mixed":[1,{"x":2}]}
{"id":2,"tags":[]}`,
	}}},
	{"lists_of_lists", []run{{
		schema.Hints{Table: "grid"},
		`{"matrix":[[1,2],[3],[]],"cube":[[[true]]]}`,
	}}},
	{"custom_fields", []run{{
		schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge},
		`{"id":"c1","customFields":[{"title":"Remote","value":true},{"title":"Level","value":"Senior"}]}
{"id":"c2","customFields":[{"title":"Years","value":7},{"title":"Score","value":4.5}]}
{"id":"c3","customFields":[{"title":"Languages","value":["go","sql"]},{"title":"Office","value":{"city":"Berlin","floor":3}}]}
{"id":"c4","customFields":[{"title":"Start","value":"2024-02-01T09:00:00.000Z"},{"title":"Nothing","value":null}]}`,
	}}},
	{"numbers", []run{{
		schema.Hints{Table: "numbers"},
		`{"int":1,"big":9223372036854775807,"bigger":9223372036854775808,"huge":123456789012345678901234567890123,"dbl":3.25,"tenth":0.1,"exp":1e3,"neg":-0.5,"long":0.12345678901234567890123,"dec":12345678901234567890.123456789,"inf":1e400,"zero":-0.0}
{"int":2.5,"dbl":4,"tenth":9007199254740993,"dec":7,"big":1.5,"huge":1}
{"dec":0.1,"exp":1e-12}`,
	}}},
	{"timestamps", []run{{
		schema.Hints{Table: "events"},
		`{"at":"2024-01-05T10:15:00.123+01:00","z":"2024-01-05T10:15:00Z","minutes":"2024-01-05T23:30-02:30","space":"2024-12-31 23:59:59.5-01","local":"2024-01-05T10:15:00","date":"2024-01-05","micros":"2024-01-05T10:15:00.123456Z","nanos":"2024-01-05T10:15:00.123456789Z","label":"meeting"}
{"at":"soon","z":"2024-02-29T00:00:00.000Z","label":"2024-03-01T00:00:00Z","micros":"2024-01-05T10:15:00.1234560Z","nanos":"2024-13-05T10:15:00Z"}`,
	}}},
	{"null_first", []run{{
		schema.Hints{Table: "people", PrimaryKey: []string{"id"}},
		`{"id":1,"phone":null,"tags":null,"address":null}
{"id":2,"phone":null}
{"id":3,"phone":"+49 30 1234","address":{"city":null}}
{"id":4,"address":{"city":"Berlin"}}`,
	}}},
	{"name_collisions", []run{{
		schema.Hints{Table: "items"},
		`{"userId":1,"user_id":2,"UserID":3}
{"user_id":"x","userId":4}
{"k":1,"k":"two","k":null}
{"a_":{"b":1},"a":{"_b":2}}
{"tag_list":[1],"tagList":[2]}
{"userId":null,"user_id":5}
{"x":{"v_text":"nested"},"X":5}
{"x":"variant"}`,
	}}},
	{"max_nesting_1", []run{{
		schema.Hints{Table: "deep", MaxNesting: 1},
		`{"a":{"b":{"c":1},"l":[1]},"list":[{"x":{"y":1},"z":[1,2],"e":{}}],"m":[[1]]}`,
	}}},
	{"max_nesting_2", []run{{
		schema.Hints{Table: "deep", MaxNesting: 2},
		`{"a":{"b":{"c":1},"l":[1]},"list":[{"x":{"y":1},"z":[1,2]}],"m":[[1,[2]]]}`,
	}}},
	{"scalar_items", []run{{
		schema.Hints{Table: "values"},
		`5
"text"
[1,2]
null
true`,
	}}},
	{"two_resources", []run{
		{schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge},
			`{"id":"c1","tags":["x"]}`},
		{schema.Hints{Table: "jobs", WriteDisposition: schema.Replace},
			"\n{\"id\":\"j1\",\"title\":\"Engineer\"}\r\n\n"},
		{schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge},
			`{"id":"c2","tags":["y","z"]}`},
	}},
	{"escapes", []run{{
		schema.Hints{Table: "texts"},
		`{"quote":"say \"hi\"","uni":"caf\u00e9 \ud83d\ude00","na\u006de":"escaped key","t":"2024-01-05T10:15:00\u002B01:00","ws" : [ 1 , { "a" : 2 } ] , "j":{"k":[ 1, 2 ]}}`,
	}}},
}

func TestNormalize_golden(t *testing.T) {
	for _, tt := range goldenTests {
		t.Run(tt.name, func(t *testing.T) {
			s := schema.New("test")
			got := normalizeAll(t, s, tt.runs)
			path := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
			}
		})
	}
}

// normalizeAll runs one Normalizer over runs and returns the schema and
// the written files as text for a golden file.
func normalizeAll(t *testing.T, s *schema.Schema, runs []run) []byte {
	t.Helper()
	dir := t.TempDir()
	n := normalize.New(s, "1700000000.000001", dir)
	for _, r := range runs {
		if err := n.Normalize(r.hints, strings.NewReader(r.input)); err != nil {
			t.Fatalf("Normalize(%s): %v", r.hints.Table, err)
		}
	}
	files, err := n.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkFiles(t, s, files)

	var out bytes.Buffer
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "-- schema --\n%s\n", js)
	for _, f := range files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "-- %s (table %s, %d rows) --\n%s", filepath.Base(f.Path), f.Table, f.Rows, b)
	}
	return out.Bytes()
}

// checkFiles checks that every line of files is a JSON object whose keys
// are columns of the file's table, with _rl_seq only in root tables, that
// rows carry their system columns, and that files come parents first.
func checkFiles(t *testing.T, s *schema.Schema, files []normalize.File) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range files {
		tab := s.Table(f.Table)
		if tab == nil {
			t.Fatalf("file %s: table %s not in the schema", f.Path, f.Table)
		}
		if tab.Parent != "" && !seen[tab.Parent] {
			t.Errorf("file %s of table %s comes before a file of its parent %s", f.Path, f.Table, tab.Parent)
		}
		seen[f.Table] = true

		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		if int64(len(lines)) != f.Rows {
			t.Errorf("file %s has %d lines, File.Rows = %d", f.Path, len(lines), f.Rows)
		}
		for i, line := range lines {
			if err := checkRow(tab, line); err != nil {
				t.Errorf("file %s line %d: %v\n%s", f.Path, i+1, err, line)
			}
		}
	}
}

func checkRow(tab *schema.Table, line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil {
		return fmt.Errorf("invalid JSON object: %w", err)
	}
	for key := range row {
		if key == destination.SeqField && tab.IsRoot() {
			continue
		}
		if tab.Column(key) == nil {
			return fmt.Errorf("key %q is not a column of table %s", key, tab.Name)
		}
	}
	want := []string{schema.ColumnID, schema.ColumnLoadID, destination.SeqField}
	if !tab.IsRoot() {
		want = []string{schema.ColumnID, schema.ColumnParentID, schema.ColumnRootID, schema.ColumnListIndex}
	}
	for _, k := range want {
		if row[k] == nil {
			return fmt.Errorf("missing %s", k)
		}
	}
	return nil
}

func TestNormalize_deterministic(t *testing.T) {
	var input strings.Builder
	for i := range 50 {
		fmt.Fprintf(&input, `{"id":"c%d","tags":["a","b"],"customFields":[{"value":%d},{"value":[1,[2]]}],"at":"2024-01-05T10:15:00.123+01:00"}`+"\n", i, i)
	}
	h := schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
	first := normalizeAll(t, schema.New("a"), []run{{h, input.String()}})
	second := normalizeAll(t, schema.New("a"), []run{{h, input.String()}})
	if !bytes.Equal(first, second) {
		t.Errorf("normalizing the same package twice gave different output:\n%s\n---\n%s", first, second)
	}

	// Ids are unique across tables and include the load id.
	ids := map[string]bool{}
	for _, m := range regexpID.FindAllSubmatch(first, -1) {
		if ids[string(m[1])] {
			t.Errorf("id %s repeats", m[1])
		}
		ids[string(m[1])] = true
	}
	if len(ids) == 0 {
		t.Fatal("no ids found")
	}

	dir := t.TempDir()
	n := normalize.New(schema.New("a"), "another load", dir)
	if err := n.Normalize(h, strings.NewReader(input.String())); err != nil {
		t.Fatal(err)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexpID.FindAllSubmatch(b, -1) {
			if ids[string(m[1])] {
				t.Errorf("id %s of load %q repeats an id of another load", m[1], "another load")
			}
		}
	}
}

var regexpID = regexp.MustCompile(`"_rl_id":"([A-Za-z0-9_-]{16})"`)

func TestNormalize_errors(t *testing.T) {
	pk := schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}}
	tests := []struct {
		name  string
		hints schema.Hints
		input string
		want  []string // substrings of the error
		rows  int64    // root rows written before the error
	}{
		{"syntax", pk, "{\"id\":1}\n{\"id\":2,}\n{\"id\":3}", []string{"candidates", "line 2", "invalid JSON", "byte 9"}, 1},
		{"truncated", pk, "{\"id\":1}\n{\"id\":2,\"a\":[1,2", []string{"line 2", "the line ends"}, 1},
		{"trailing data", pk, `{"id":1} {"id":2}`, []string{"line 1", "each line holds one JSON value"}, 0},
		{"bad literal", pk, `{"id":tru}`, []string{"line 1", "expected true"}, 0},
		{"control character", pk, "{\"id\":\"a\tb\"}", []string{"control character"}, 0},
		{"invalid UTF-8", pk, "{\"id\":\"a\xffb\"}", []string{"invalid UTF-8"}, 0},
		{"lone surrogate", pk, `{"id":"\udc00"}`, []string{"surrogate"}, 0},
		{"bad number", pk, `{"id":01}`, []string{"after an object member"}, 0},
		{"missing key", pk, "{\"id\":1}\n\n{\"name\":\"x\"}", []string{"line 3", "missing value of primary key column id"}, 1},
		{"null key", pk, `{"id":null}`, []string{"line 1", "missing value of primary key column id"}, 0},
		{"object key", pk, `{"id":{"a":1}}`, []string{"missing value of primary key column id"}, 0},
		{"json key", schema.Hints{Table: "candidates", PrimaryKey: []string{"id"}, MaxNesting: 1},
			`{"x":{"id":[1]}}`, []string{"missing value of primary key column id"}, 0},
		{"key type", pk, "{\"id\":1}\n{\"id\":\"one\"}", []string{"line 2", "column id of table candidates has type bigint", "text"}, 1},
		{"table name", schema.Hints{Table: "Candidates"}, `{}`, []string{"not in the naming convention", `"candidates"`}, 0},
		{"system table", schema.Hints{Table: "_rl_loads"}, `{}`, []string{"reserved"}, 0},
		{"no table", schema.Hints{}, `{}`, []string{"missing table name"}, 0},
		{"merge without key", schema.Hints{Table: "t", WriteDisposition: schema.Merge}, `{}`, []string{"needs a primary key"}, 0},
		{"unknown disposition", schema.Hints{Table: "t", WriteDisposition: "upsert"}, `{}`, []string{"unknown write disposition"}, 0},
		{"negative nesting", schema.Hints{Table: "t", MaxNesting: -1}, `{}`, []string{"invalid max nesting"}, 0},
		{"not nullable", withColumns(pk, map[string]schema.ColumnHint{"name": {Nullable: notNull}}),
			"{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":null}", []string{"line 2", "column name of table candidates is not nullable"}, 1},
		{"not nullable nested", withColumns(pk, map[string]schema.ColumnHint{"owner.id": {Nullable: notNull}}),
			"{\"id\":1}\n{\"id\":2,\"owner\":{\"name\":\"x\"}}", []string{"line 2", "column owner__id of table candidates is not nullable"}, 1},
		{"not nullable list", withColumns(pk, map[string]schema.ColumnHint{"tags.label": {Nullable: notNull}}),
			"{\"id\":1}\n{\"id\":2,\"tags\":[]}\n{\"id\":3,\"tags\":[{\"x\":1}]}", []string{"line 3", "column label of table candidates__tags is not nullable"}, 2},
		{"not nullable child", withColumns(pk, map[string]schema.ColumnHint{"tags.label": {Nullable: notNull}}),
			`{"id":1,"tags":[{"label":"a"},{"x":1}]}`, []string{"column label of table candidates__tags is not nullable"}, 0},
		{"no hash key", withColumns(pk, map[string]schema.ColumnHint{"email": {PII: schema.PIIHash}}),
			`{"id":1}`, []string{"no hash key"}, 0},
		{"unknown pii", withColumns(pk, map[string]schema.ColumnHint{"email": {PII: "encrypt"}}),
			`{"id":1}`, []string{`column hint "email"`, "unknown pii mode"}, 0},
		{"masked key", withColumns(pk, map[string]schema.ColumnHint{"id": {PII: schema.PIIMask, PrimaryKey: true}}),
			`{"id":1}`, []string{"cannot apply to a key"}, 0},
		{"unknown type", withColumns(pk, map[string]schema.ColumnHint{"x": {DataType: "uuid"}}),
			`{"id":1}`, []string{"unknown data type"}, 0},
		{"empty path member", withColumns(pk, map[string]schema.ColumnHint{"a..b": {}}),
			`{"id":1}`, []string{"empty member"}, 0},
		{"two hard deletes", withColumns(pk, map[string]schema.ColumnHint{"a": {HardDelete: true}, "b": {HardDelete: true}}),
			`{"id":1}`, []string{"both set hard_delete"}, 0},
		{"unknown contract mode", schema.Hints{Table: "t", Contract: schema.Contract{Columns: "maybe"}},
			`{}`, []string{"unknown contract mode"}, 0},
		{"upsert with merge key", schema.Hints{Table: "t", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge,
			MergeStrategy: schema.Upsert, Columns: map[string]schema.ColumnHint{"day": {MergeKey: true}}},
			`{}`, []string{"upsert needs a primary key and no merge key"}, 0},
		{"strategy without merge", schema.Hints{Table: "t", MergeStrategy: schema.Upsert}, `{}`, []string{"applies only to write disposition merge"}, 0},
		{"history without key", schema.Hints{Table: "t", WriteDisposition: schema.History}, `{}`, []string{"history needs a primary key"}, 0},
		{"retire without history", schema.Hints{Table: "t", RetireAbsent: true}, `{}`, []string{"retire absent applies only"}, 0},
		{"unknown detection", schema.Hints{Table: "t", Detections: []schema.Detection{"uuid"}}, `{}`, []string{"unknown detection"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schema.New("test")
			n := normalize.New(s, "1", t.TempDir())
			err := n.Normalize(tt.hints, strings.NewReader(tt.input))
			if err == nil {
				t.Fatal("Normalize succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			files, err := n.Close()
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
			var rows int64
			for _, f := range files {
				if f.Table == tt.hints.Table {
					rows += f.Rows
				}
			}
			if rows != tt.rows {
				t.Errorf("%d rows written, want %d", rows, tt.rows)
			}
			checkFiles(t, s, files)
		})
	}
}

func withColumns(h schema.Hints, cols map[string]schema.ColumnHint) schema.Hints {
	h.Columns = cols
	return h
}

func TestNormalize_childRowsOfFailedItem(t *testing.T) {
	s := schema.New("test")
	n := normalize.New(s, "1", t.TempDir())
	in := "{\"id\":1,\"tags\":[\"a\"]}\n{\"tags\":[\"b\",\"c\"]}"
	err := n.Normalize(schema.Hints{Table: "t", PrimaryKey: []string{"id"}}, strings.NewReader(in))
	if err == nil {
		t.Fatal("Normalize succeeded, want a missing key error")
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Rows != 1 {
			t.Errorf("table %s has %d rows, want 1 (only the first item)", f.Table, f.Rows)
		}
	}
	if len(files) != 2 {
		t.Errorf("%d files, want 2", len(files))
	}
}

func TestNormalize_version(t *testing.T) {
	s := schema.New("test")
	h := schema.Hints{Table: "t", PrimaryKey: []string{"id"}}

	steps := []struct {
		name    string
		hints   schema.Hints
		input   string
		version int
	}{
		{"new table", h, `{"id":1,"a":"x","l":[1]}` + "\n" + `{"id":2,"b":true}`, 1},
		{"nothing new", h, `{"id":3,"a":"y","l":[2],"b":false}`, 1},
		{"null only", h, `{"id":4,"c":null}`, 1},
		{"new column", h, `{"id":5,"c":1}`, 2},
		{"variant", h, `{"id":6,"c":"one"}`, 3},
		{"new disposition", schema.Hints{Table: "t", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}, ``, 4},
		{"same disposition", schema.Hints{Table: "t", PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}, `{"id":7}`, 4},
	}
	for _, st := range steps {
		n := normalize.New(s, "load "+st.name, t.TempDir())
		if err := n.Normalize(st.hints, strings.NewReader(st.input)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if _, err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if s.Version != st.version {
			t.Errorf("%s: version %d, want %d", st.name, s.Version, st.version)
		}
	}

	for _, tab := range s.Tables {
		if tab.WriteDisposition != schema.Merge {
			t.Errorf("table %s has write disposition %s, want merge", tab.Name, tab.WriteDisposition)
		}
		if tab.Resource != "t" {
			t.Errorf("table %s has resource %q, want t", tab.Name, tab.Resource)
		}
	}
}

func TestNormalize_systemColumns(t *testing.T) {
	s := schema.New("test")
	normalizeAll(t, s, []run{{schema.Hints{Table: "t", PrimaryKey: []string{"id"}}, `{"id":1,"l":[{"a":1}]}`}})

	want := map[string][]string{
		"t":    {schema.ColumnID, schema.ColumnLoadID},
		"t__l": {schema.ColumnID, schema.ColumnParentID, schema.ColumnRootID, schema.ColumnListIndex},
	}
	for name, cols := range want {
		tab := s.Table(name)
		if tab == nil {
			t.Fatalf("table %s missing", name)
		}
		for _, c := range cols {
			col := tab.Column(c)
			switch {
			case col == nil:
				t.Errorf("%s.%s missing", name, c)
			case !col.System || col.Nullable:
				t.Errorf("%s.%s: System %v, Nullable %v; want true, false", name, c, col.System, col.Nullable)
			}
		}
	}
	id := s.Table("t").Column("id")
	if !id.PrimaryKey || id.Nullable || id.System {
		t.Errorf("t.id = %+v, want a primary key that is not nullable", id)
	}
	if a := s.Table("t__l").Column("a"); a == nil || !a.Nullable || a.System {
		t.Errorf("t__l.a = %+v, want a nullable data column", a)
	}
	if p := s.Table("t__l").Parent; p != "t" {
		t.Errorf("t__l has parent %q, want t", p)
	}
}

func TestNormalize_existingSchema(t *testing.T) {
	s := schema.New("test")
	h := schema.Hints{Table: "t"}
	normalizeAll(t, s, []run{{h, `{"a":1,"l":[{"b":"x"}]}`}})
	before := s.Clone()

	// A later package uses the columns the first created: 2 goes to the
	// bigint column and "y" to the text column, nothing is added.
	out := normalizeAll(t, s, []run{{h, `{"a":2,"l":[{"b":"y"}]}`}})
	if s.Hash() != before.Hash() || s.Version != before.Version {
		t.Errorf("schema changed: version %d -> %d", before.Version, s.Version)
	}
	if !bytes.Contains(out, []byte(`"a":2`)) || !bytes.Contains(out, []byte(`"b":"y"`)) {
		t.Errorf("values not written to the existing columns:\n%s", out)
	}

	// A root table cannot take the name of a child table.
	n := normalize.New(s, "2", t.TempDir())
	err := n.Normalize(schema.Hints{Table: "t__l"}, strings.NewReader(`{}`))
	if err == nil || !strings.Contains(err.Error(), "child table of t") {
		t.Errorf("Normalize into a child table's name: error %v, want one naming the parent", err)
	}
}

func TestNormalize_childTableNameTaken(t *testing.T) {
	// {"a":{"b":[…]}} makes t__a__b a child of t; the list b inside the
	// list a makes a child of t__a with the same name, so it moves on.
	s := schema.New("test")
	normalizeAll(t, s, []run{{schema.Hints{Table: "t"}, `{"a":{"b":[1]}}` + "\n" + `{"a":[{"b":[2]}]}`}})
	for name, parent := range map[string]string{"t__a__b": "t", "t__a": "t", "t__a__b__2": "t__a"} {
		tab := s.Table(name)
		if tab == nil {
			t.Errorf("table %s missing", name)
			continue
		}
		if tab.Parent != parent {
			t.Errorf("table %s has parent %s, want %s", name, tab.Parent, parent)
		}
	}
}

func TestNormalize_rotation(t *testing.T) {
	s := schema.New("test")
	dir := t.TempDir()
	n := normalize.New(s, "1", dir)
	n.MaxFileBytes = 200
	var in strings.Builder
	for i := range 10 {
		fmt.Fprintf(&in, `{"id":%d,"l":[1,2]}`+"\n", i)
	}
	if err := n.Normalize(schema.Hints{Table: "t"}, strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	files, err := n.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkFiles(t, s, files)

	rows := map[string]int64{}
	var names []string
	for _, f := range files {
		rows[f.Table] += f.Rows
		names = append(names, filepath.Base(f.Path))
	}
	if rows["t"] != 10 || rows["t__l"] != 20 {
		t.Errorf("rows per table = %v, want t:10 t__l:20", rows)
	}
	if len(files) < 4 {
		t.Fatalf("files %v, want several per table", names)
	}
	if names[0] != "t.0.jsonl" || names[1] != "t.1.jsonl" {
		t.Errorf("files %v, want t.0.jsonl, t.1.jsonl, … first", names)
	}
}

func TestNormalize_closed(t *testing.T) {
	n := normalize.New(schema.New("test"), "1", t.TempDir())
	if _, err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Normalize(schema.Hints{Table: "t"}, strings.NewReader(`{}`)); err == nil {
		t.Error("Normalize after Close succeeded")
	}
	if _, err := n.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

func TestNormalize_missingDir(t *testing.T) {
	n := normalize.New(schema.New("test"), "1", filepath.Join(t.TempDir(), "missing"))
	err := n.Normalize(schema.Hints{Table: "t"}, strings.NewReader("{\"a\":1}\n{\"a\":2}"))
	if err == nil || !strings.Contains(err.Error(), "create file for table t") {
		t.Errorf("error %v, want one about creating the file", err)
	}
}

func TestSeqField(t *testing.T) {
	s := schema.New("test")
	out := normalizeAll(t, s, []run{{schema.Hints{Table: "t"}, `{}`}})
	if !bytes.Contains(out, []byte(`"`+destination.SeqField+`":1`)) {
		t.Errorf("root row lacks %s = 1:\n%s", destination.SeqField, out)
	}
}
