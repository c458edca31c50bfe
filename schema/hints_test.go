package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSplitHintPath(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"email", []string{"email"}, ""},
		{"emailAddresses.value", []string{"email_addresses", "value"}, ""},
		{"email_addresses__value", []string{"email_addresses", "value"}, ""},
		{"a.b__c", []string{"a", "b", "c"}, ""},
		{"First Name", []string{"first_name"}, ""},
		{"a..b", nil, "empty member"},
		{"a.", nil, "empty member"},
		{"", nil, "empty member"},
		{"a____b", nil, "empty member"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitHintPath(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("SplitHintPath(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitHintPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHints_keyColumns(t *testing.T) {
	h := Hints{Table: "t", PrimaryKey: []string{"id"}, Columns: map[string]ColumnHint{
		"tenant.id": {PrimaryKey: true},
		"id":        {PrimaryKey: true},
		"day":       {MergeKey: true},
		"region":    {MergeKey: true},
	}}
	if got, want := h.PrimaryKeyColumns(), []string{"id", "tenant__id"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PrimaryKeyColumns = %v, want %v", got, want)
	}
	if got, want := h.MergeKeyColumns(), []string{"day", "region"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MergeKeyColumns = %v, want %v", got, want)
	}
}

func TestHints_validate(t *testing.T) {
	yes := true
	ok := []Hints{
		{Table: "t"},
		{Table: "t", WriteDisposition: Merge, PrimaryKey: []string{"id"}, MergeStrategy: Upsert},
		{Table: "t", WriteDisposition: Merge, Columns: map[string]ColumnHint{"day": {MergeKey: true}}},
		{Table: "t", WriteDisposition: History, Columns: map[string]ColumnHint{"id": {PrimaryKey: true}}, RetireAbsent: true},
		{Table: "t", Columns: map[string]ColumnHint{"id": {PII: PIIHash, PrimaryKey: true}, "x": {PII: PIIMask, DataType: JSON}}},
		{Table: "t", Contract: ContractAll(DiscardValue), Detections: []Detection{DetectISODate}},
	}
	for _, h := range ok {
		if err := h.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", h, err)
		}
	}
	bad := []struct {
		h    Hints
		want string
	}{
		{Hints{Table: "T"}, "not in the naming convention"},
		{Hints{Table: "t", WriteDisposition: Merge}, "merge needs a primary key or a merge key"},
		{Hints{Table: "t", WriteDisposition: "scd2"}, "unknown write disposition"},
		{Hints{Table: "t", MergeStrategy: "insert-only", WriteDisposition: Merge, PrimaryKey: []string{"id"}}, "unknown merge strategy"},
		{Hints{Table: "t", Columns: map[string]ColumnHint{"x": {PII: PIIHash, DataType: BigInt}}}, "data type bigint cannot apply"},
		{Hints{Table: "t", Columns: map[string]ColumnHint{"x": {PII: PIIDrop, MergeKey: true}}}, "cannot apply to a key"},
		{Hints{Table: "t", Columns: map[string]ColumnHint{"x": {DedupSort: "up"}}}, "unknown dedup sort order"},
		{Hints{Table: "t", Columns: map[string]ColumnHint{"x": {DedupSort: Asc}, "y": {DedupSort: Desc}}}, "both set dedup_sort"},
		{Hints{Table: "t", Columns: map[string]ColumnHint{"x": {PrimaryKey: true, Nullable: &yes}}}, "cannot be nullable"},
		{Hints{Table: "t", PrimaryKey: []string{"_rl_id"}}, "invalid primary key column"},
	}
	for _, tt := range bad {
		err := tt.h.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", tt.h, err, tt.want)
		}
	}
}

func TestContract_unmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want Contract
	}{
		{`"freeze"`, ContractAll(Freeze)},
		{`{"columns":"discard_row"}`, Contract{Columns: DiscardRow}},
		{`{"tables":"evolve","data_type":"discard_value"}`, Contract{Tables: Evolve, DataType: DiscardValue}},
	}
	for _, tt := range tests {
		var fromJSON, fromYAML Contract
		if err := json.Unmarshal([]byte(tt.in), &fromJSON); err != nil {
			t.Fatalf("json %s: %v", tt.in, err)
		}
		if err := yaml.Unmarshal([]byte(tt.in), &fromYAML); err != nil {
			t.Fatalf("yaml %s: %v", tt.in, err)
		}
		if fromJSON != tt.want || fromYAML != tt.want {
			t.Errorf("%s: json %+v, yaml %+v; want %+v", tt.in, fromJSON, fromYAML, tt.want)
		}
	}
}

func TestHints_jsonRoundTrip(t *testing.T) {
	no := false
	h := Hints{
		Table: "candidates", PrimaryKey: []string{"id"}, WriteDisposition: Merge, MaxNesting: 2,
		MergeStrategy: Upsert, Contract: Contract{Columns: Freeze},
		Columns: map[string]ColumnHint{
			"email":     {PII: PIIHash, Nullable: &no},
			"updatedAt": {DedupSort: Desc, DataType: Timestamp},
		},
		Detections: []Detection{DetectISODate},
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Hints
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, h) {
		t.Errorf("round trip through %s gave %+v", b, back)
	}
	// Manifests written before the column hints existed still decode.
	var old Hints
	if err := json.Unmarshal([]byte(`{"Table":"t","PrimaryKey":["id"],"WriteDisposition":"merge","MaxNesting":0}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Table != "t" || old.WriteDisposition != Merge || old.Columns != nil || old.Contract != (Contract{}) {
		t.Errorf("old manifest hints decoded as %+v", old)
	}
	if b, _ := json.Marshal(Hints{Table: "t"}); string(b) != `{"Table":"t","PrimaryKey":null,"WriteDisposition":"","MaxNesting":0}` {
		t.Errorf("hints without new settings encode as %s", b)
	}
}
