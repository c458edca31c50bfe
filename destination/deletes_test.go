package destination_test

import (
	"strings"
	"testing"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

func TestDeleteTarget(t *testing.T) {
	table := func(name string, mutate func(*schema.Table)) *schema.Table {
		tab := &schema.Table{Name: name, Resource: name, WriteDisposition: schema.Merge, SoftDelete: true,
			Columns: []*schema.Column{
				{Name: "id", Type: schema.Text, PrimaryKey: true},
				{Name: schema.ColumnDeletedAt, Type: schema.Timestamp, Nullable: true, System: true},
			}}
		if mutate != nil {
			mutate(tab)
		}
		return tab
	}
	s := &schema.Schema{Name: "s", Tables: []*schema.Table{
		table("jobs", nil),
		table("jobs__tags", func(t *schema.Table) { t.Parent = "jobs" }),
		table("short", func(t *schema.Table) { t.Resource = "a_long_resource_name" }),
		table("plain", func(t *schema.Table) { t.SoftDelete = false }),
		table("no_column", func(t *schema.Table) { t.Columns = t.Columns[:1] }),
		table("history", func(t *schema.Table) { t.WriteDisposition = schema.History }),
		table("no_key", func(t *schema.Table) { t.Columns[0].PrimaryKey = false }),
	}}
	tests := []struct {
		name, table string
		want        string // the table found, or "" for an error
		err         string
	}{
		{"root table", "jobs", "jobs", ""},
		{"resource of shortened table", "a_long_resource_name", "short", ""},
		{"missing", "users", "", "table users is not in the package schema"},
		{"child", "jobs__tags", "", "is a child table"},
		{"without soft delete", "plain", "", "set soft_delete on its resource"},
		{"without deleted_at column", "no_column", "", "does not track deletes"},
		{"history", "history", "", "write disposition history"},
		{"without primary key", "no_key", "", "has no primary key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := destination.DeleteTarget(s, destination.Job{Table: tt.table, Path: "keys.jsonl"})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want {
				t.Errorf("table %s, want %s", got.Name, tt.want)
			}
		})
	}
}

func TestKeyTable(t *testing.T) {
	root := &schema.Table{Name: "jobs", Columns: []*schema.Column{
		{Name: schema.ColumnID, Type: schema.Text, System: true},
		{Name: "board", Type: schema.BigInt, PrimaryKey: true},
		{Name: "title", Type: schema.Text},
		{Name: "id", Type: schema.Text, PrimaryKey: true},
	}}
	k := destination.KeyTable(root)
	if k.Name != "jobs" || !k.IsRoot() {
		t.Errorf("key table %s (root %v), want root table jobs", k.Name, k.IsRoot())
	}
	var names []string
	for _, c := range k.Columns {
		names = append(names, c.Name+" "+string(c.Type))
	}
	if got := strings.Join(names, ", "); got != "board bigint, id text" {
		t.Errorf("key columns %s, want board bigint, id text", got)
	}
	k.Columns[0].Name = "changed"
	if root.Columns[1].Name != "board" {
		t.Error("KeyTable shares its columns with root")
	}
}
