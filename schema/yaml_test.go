package schema

import (
	"reflect"
	"strings"
	"testing"
)

func yamlSchema() *Schema {
	no := func(c *Column) *Column { c.Nullable = false; return c }
	return &Schema{Name: "ashby", Version: 7, Tables: []*Table{
		{Name: "candidates", Resource: "candidates", WriteDisposition: Merge, MergeStrategy: Upsert, Columns: []*Column{
			no(&Column{Name: ColumnID, Type: Text, System: true}),
			no(&Column{Name: "id", Type: Text, PrimaryKey: true, PII: PIIHash}),
			{Name: "updated_at", Type: Timestamp, Nullable: true, DedupSort: Desc},
			{Name: "is_deleted", Type: Bool, Nullable: true, HardDelete: true},
			{Name: "day", Type: Date, Nullable: true, MergeKey: true},
			{Name: "score__v_text", Type: Text, Nullable: true, Variant: true},
			{Name: "名前", Type: Text, Nullable: true},
			{Name: "true", Type: Text, Nullable: true},
		}},
		{Name: "candidates__emails", Parent: "candidates", Resource: "candidates", WriteDisposition: Merge, Columns: []*Column{
			{Name: "value", Type: Text, Nullable: true, PII: PIIMask},
		}},
		{Name: "jobs", Resource: "jobs", WriteDisposition: History, RetireAbsent: true, Columns: []*Column{
			{Name: ColumnValidTo, Type: Timestamp, Nullable: true, System: true},
		}},
	}}
}

func TestSchema_yamlRoundTrip(t *testing.T) {
	s := yamlSchema()
	b, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name: ashby\n", "version: 7\n", "version_hash: " + s.Hash() + "\n",
		"  candidates:\n    resource: candidates\n    write_disposition: merge\n    merge_strategy: upsert\n",
		"      id: {data_type: text, nullable: false, primary_key: true, pii: hash}\n",
		"      \"true\": {data_type: text, nullable: true}\n",
		"    retire_absent: true\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("YAML lacks %q:\n%s", want, b)
		}
	}
	back, err := ParseYAML(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("ParseYAML(YAML()) differs:\n%+v\nwant\n%+v", back, s)
	}
}

func TestParseYAML_errors(t *testing.T) {
	for _, in := range []string{"tables: [1, 2]", "tables:\n  t:\n    columns: [a]", "name: [", "tables:\n  t:\n    columns:\n      c: {data_type: [x]}"} {
		if _, err := ParseYAML([]byte(in)); err == nil {
			t.Errorf("ParseYAML(%q) succeeded", in)
		}
	}
}
