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
	// Append adds the rows to those stored.
	Append WriteDisposition = "append"
	// Replace swaps all stored rows of a table tree for the package's
	// rows in one transaction.
	Replace WriteDisposition = "replace"
	// Merge replaces stored objects by new versions with the same
	// primary key (or merge key), and deletes those marked by a
	// hard_delete column.
	Merge WriteDisposition = "merge"
	// History keeps every version of an object (slowly changing
	// dimension type 2): a changed object closes its current row by
	// setting ColumnValidTo and gets a new row valid from the load.
	History WriteDisposition = "history"
)

// MergeStrategy is the method by which a merge table combines new
// versions of objects with the stored ones.
type MergeStrategy string

// The merge strategies.
const (
	// DeleteInsert deletes the stored rows of every object in the
	// package, with their child rows, and inserts the new rows. It is the
	// default.
	DeleteInsert MergeStrategy = "delete-insert"
	// Upsert updates the stored root row of an object in place, keeping
	// its _rl_id, inserts objects that are not stored yet, and replaces
	// the child rows of every object in the package.
	Upsert MergeStrategy = "upsert"
)

// PIIMode is the treatment the normalizer gives a column that holds
// personal data. Values are transformed before they are written to any
// file.
type PIIMode string

// The PII modes.
const (
	// PIIHash replaces a value by the lowercase hex HMAC-SHA256 of its
	// text under a key that the caller supplies. Equal values give equal
	// hashes under one key, so hashed columns still join.
	PIIHash PIIMode = "hash"
	// PIIMask replaces a value by a masked string: an email keeps the
	// first character of its local part and its domain
	// ("j***@example.com"); any other string of four or more characters
	// keeps its first character ("A***"); shorter strings, numbers and
	// booleans become "***".
	PIIMask PIIMode = "mask"
	// PIIDrop removes the value: its column or child table is never
	// created and nothing of it is written.
	PIIDrop PIIMode = "drop"
)

// SortOrder is the direction of a dedup sort column.
type SortOrder string

// The sort orders.
const (
	// Asc keeps the row with the lowest value.
	Asc SortOrder = "asc"
	// Desc keeps the row with the highest value.
	Desc SortOrder = "desc"
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
	// ColumnRowHash is a content hash of a root row of a history table
	// and of its child rows, which shows whether an object changed.
	ColumnRowHash = "_rl_row_hash"
	// ColumnValidFrom is when a row of a history table became the
	// current version of its object: the creation time of its load
	// package.
	ColumnValidFrom = "_rl_valid_from"
	// ColumnValidTo is when a row of a history table stopped being the
	// current version of its object; NULL while it is current.
	ColumnValidTo = "_rl_valid_to"
	// ColumnDeletedAt is when the source deleted the object of a root
	// row, for tables with SoftDelete: the creation time of the package
	// whose complete listing first lacked the object, or that reported
	// its key as deleted. NULL while the object is live.
	ColumnDeletedAt = "_rl_deleted_at"
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
	Name       string   `json:"name" yaml:"-"`
	Type       DataType `json:"data_type" yaml:"data_type"`
	Nullable   bool     `json:"nullable" yaml:"nullable"`
	PrimaryKey bool     `json:"primary_key,omitempty" yaml:"primary_key,omitempty"`
	// MergeKey marks the columns whose values select the stored rows that
	// a merge replaces, next to the primary key.
	MergeKey bool `json:"merge_key,omitempty" yaml:"merge_key,omitempty"`
	// HardDelete marks the column that flags deleted objects: a merge or
	// history load deletes (or closes) the stored object of a row whose
	// value is true, for a bool column, or not NULL, for other types.
	HardDelete bool `json:"hard_delete,omitempty" yaml:"hard_delete,omitempty"`
	// DedupSort, when set, makes a merge keep the row with the highest
	// (Desc) or lowest (Asc) value of this column among the rows of one
	// key in a package, rather than the last one.
	DedupSort SortOrder `json:"dedup_sort,omitempty" yaml:"dedup_sort,omitempty"`
	// PII is the transformation the normalizer applied to the column's
	// values, hashed or masked. Dropped columns do not exist.
	PII PIIMode `json:"pii,omitempty" yaml:"pii,omitempty"`
	// Variant marks a column made for values that did not fit the type of
	// the column whose name it extends (<column>__v_<type>).
	Variant bool `json:"variant,omitempty" yaml:"variant,omitempty"`
	// System marks the _rl_ columns that restload adds.
	System bool `json:"system,omitempty" yaml:"system,omitempty"`
}

// Table is one table of a dataset: a root table made from a resource's
// items, or a child table made from a list inside them.
type Table struct {
	Name string `json:"name" yaml:"-"`
	// Parent is the name of the parent table; empty for a root table.
	Parent string `json:"parent,omitempty" yaml:"parent,omitempty"`
	// Resource is the source resource whose items fill this table tree.
	Resource         string           `json:"resource,omitempty" yaml:"resource,omitempty"`
	WriteDisposition WriteDisposition `json:"write_disposition" yaml:"write_disposition"`
	// MergeStrategy is set on merge tables; empty means DeleteInsert.
	MergeStrategy MergeStrategy `json:"merge_strategy,omitempty" yaml:"merge_strategy,omitempty"`
	// RetireAbsent makes a history load close the current rows of
	// objects that the package does not contain, for sources that
	// return every object on each run.
	RetireAbsent bool `json:"retire_absent,omitempty" yaml:"retire_absent,omitempty"`
	// SoftDelete makes a merge load set _rl_deleted_at, instead of
	// keeping the rows as live or removing them, on the stored rows whose
	// keys a complete listing lacks (destination.Package.Complete) and on
	// those whose keys the package reports deleted
	// (destination.Package.Deletes).
	SoftDelete bool      `json:"soft_delete,omitempty" yaml:"soft_delete,omitempty"`
	Columns    []*Column `json:"columns" yaml:"-"`
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

// ColumnsWhere returns the names of the columns for which keep returns
// true, in column order.
func (t *Table) ColumnsWhere(keep func(*Column) bool) []string {
	var names []string
	for _, c := range t.Columns {
		if keep(c) {
			names = append(names, c.Name)
		}
	}
	return names
}

// IsRoot reports whether t is a root table.
func (t *Table) IsRoot() bool { return t.Parent == "" }

// Schema is the set of tables of one source in one dataset. Tables keep
// the order in which they were created, so that migrations are ordered
// parents first.
type Schema struct {
	Name    string   `json:"name" yaml:"name"`
	Version int      `json:"version" yaml:"version"`
	Tables  []*Table `json:"tables" yaml:"-"`
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
