package sqlload

import (
	"testing"

	"github.com/restload/restload/schema"
)

func TestQuoting(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"Ident", Ident(`a"b`), `"a""b"`},
		{"Qualified", Qualified("ds", "t"), `"ds"."t"`},
		{"ColumnList", ColumnList("s.", []string{"a", "b"}), `s."a", s."b"`},
		{"ColumnListEmpty", ColumnList("", nil), ``},
		{"KeyMatch", KeyMatch("t", "k", []string{"a", "b"}), `t."a" = k."a" AND t."b" = k."b"`},
		{"String", String(`it's \n`), `'it''s \n'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func TestHardDeleteCondition(t *testing.T) {
	tests := []struct {
		name string
		col  *schema.Column
		want string
	}{
		{"None", &schema.Column{Name: "x", Type: schema.Bool}, "false"},
		{"Bool", &schema.Column{Name: "gone", Type: schema.Bool, HardDelete: true}, `s."gone" IS TRUE`},
		{"Timestamp", &schema.Column{Name: "gone_at", Type: schema.Timestamp, HardDelete: true}, `s."gone_at" IS NOT NULL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := &schema.Table{Name: "t", Columns: []*schema.Column{{Name: "id", Type: schema.Text}, tt.col}}
			if got := HardDeleteCondition(table, "s"); got != tt.want {
				t.Errorf("HardDeleteCondition = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMergeKey(t *testing.T) {
	table := &schema.Table{Name: "t", Columns: []*schema.Column{
		{Name: "id", Type: schema.Text, PrimaryKey: true},
		{Name: "region", Type: schema.Text, MergeKey: true},
		{Name: "day", Type: schema.Date, MergeKey: true},
	}}
	got := MergeKey(table)
	if len(got) != 2 || got[0] != "region" || got[1] != "day" {
		t.Errorf("MergeKey = %v, want [region day]", got)
	}
}
