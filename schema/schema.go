// Package schema describes the tables that restload creates in a dataset:
// their columns, data types, write dispositions and the system columns that
// link child rows to their parents. It holds no I/O: the normalizer grows a
// schema as it meets new data, and destinations migrate to it.
package schema

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// DataType is the logical type of a column. Destinations map each type to
// their own SQL type.
type DataType string

// The data types a column can have.
const (
	Text      DataType = "text"
	BigInt    DataType = "bigint"
	Double    DataType = "double"
	Decimal   DataType = "decimal"
	Bool      DataType = "bool"
	Timestamp DataType = "timestamp" // with time zone, stored in UTC
	Date      DataType = "date"
	JSON      DataType = "json"
	Binary    DataType = "binary"
)

// WriteDisposition is the rule that combines the rows of a load package
// with the rows a table already contains.
type WriteDisposition string

// The write dispositions.
const (
	Append  WriteDisposition = "append"
	Replace WriteDisposition = "replace"
	Merge   WriteDisposition = "merge"
)

// System columns. They carry the "_rl_" prefix so that they never collide
// with a source field: NormalizeIdentifier never returns a name that starts
// with "_rl_".
const (
	// ColumnID is the unique id of every row, root and child.
	ColumnID = "_rl_id"
	// ColumnLoadID is the load package that wrote a root row.
	ColumnLoadID = "_rl_load_id"
	// ColumnParentID is the _rl_id of a child row's parent row.
	ColumnParentID = "_rl_parent_id"
	// ColumnRootID is the _rl_id of a child row's root row, so that merge
	// can replace all child rows of a changed object in one statement.
	ColumnRootID = "_rl_root_id"
	// ColumnListIndex is the 0-based position of a child row in its list.
	ColumnListIndex = "_rl_list_idx"
)

// System tables that every dataset holds.
const (
	// TableLoads has one row per load package that committed.
	TableLoads = "_rl_loads"
	// TableState has one row per committed change of the pipeline state.
	TableState = "_rl_pipeline_state"
	// TableVersion has one row per schema version stored in the dataset.
	TableVersion = "_rl_version"
)

// Column is one column of a table.
type Column struct {
	Name       string   `json:"name"`
	Type       DataType `json:"data_type"`
	Nullable   bool     `json:"nullable"`
	PrimaryKey bool     `json:"primary_key,omitempty"`
	// Variant marks a column made for values that did not fit the type of
	// the column whose name it extends (<column>__v_<type>).
	Variant bool `json:"variant,omitempty"`
	// System marks the _rl_ columns that restload adds.
	System bool `json:"system,omitempty"`
}

// Table is one table of a dataset: a root table made from a resource's
// items, or a child table made from a list inside them.
type Table struct {
	Name string `json:"name"`
	// Parent is the name of the parent table; empty for a root table.
	Parent string `json:"parent,omitempty"`
	// Resource is the source resource whose items fill this table tree.
	Resource         string           `json:"resource,omitempty"`
	WriteDisposition WriteDisposition `json:"write_disposition"`
	Columns          []*Column        `json:"columns"`
}

// Column returns the column with the given name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// PrimaryKey returns the names of the primary key columns in column order.
func (t *Table) PrimaryKey() []string {
	var pk []string
	for _, c := range t.Columns {
		if c.PrimaryKey {
			pk = append(pk, c.Name)
		}
	}
	return pk
}

// IsRoot reports whether t is a root table.
func (t *Table) IsRoot() bool { return t.Parent == "" }

// Schema is the set of tables of one source in one dataset. Tables keep
// the order in which they were created, so that migrations are ordered
// parents first.
type Schema struct {
	Name    string   `json:"name"`
	Version int      `json:"version"`
	Tables  []*Table `json:"tables"`
}

// New returns an empty schema with the given name.
func New(name string) *Schema { return &Schema{Name: name} }

// Table returns the table with the given name, or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Descendants returns the child tables below the named table, in creation
// order, which puts every parent before its children.
func (s *Schema) Descendants(name string) []*Table {
	var out []*Table
	below := map[string]bool{name: true}
	for _, t := range s.Tables {
		if t.Parent != "" && below[t.Parent] {
			below[t.Name] = true
			out = append(out, t)
		}
	}
	return out
}

// Root returns the root table above the named table, or nil.
func (s *Schema) Root(name string) *Table {
	t := s.Table(name)
	for t != nil && t.Parent != "" {
		t = s.Table(t.Parent)
	}
	return t
}

// Clone returns a deep copy of s.
func (s *Schema) Clone() *Schema {
	c := &Schema{Name: s.Name, Version: s.Version, Tables: make([]*Table, len(s.Tables))}
	for i, t := range s.Tables {
		ct := *t
		ct.Columns = make([]*Column, len(t.Columns))
		for j, col := range t.Columns {
			cc := *col
			ct.Columns[j] = &cc
		}
		c.Tables[i] = &ct
	}
	return c
}

// Hash returns a content hash of the tables and columns, in order. The
// version number is not part of it, so equal content gives an equal hash.
func (s *Schema) Hash() string {
	b, err := json.Marshal(s.Tables)
	if err != nil {
		panic(fmt.Sprintf("schema: marshal tables: %v", err)) // plain structs always marshal
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
