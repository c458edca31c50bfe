package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Hints are a resource's declarations about the root table its items fill
// and the child tables below it. Hints travel in load package manifests as
// JSON; fields added after the first four carry snake_case names.
type Hints struct {
	// Table is the root table name, already in the naming convention.
	Table string
	// PrimaryKey lists the root table's primary key columns, already in
	// the naming convention. Columns marked PrimaryKey in Columns join
	// them. Merge needs a primary key or a merge key, history a primary
	// key.
	PrimaryKey []string
	// WriteDisposition defaults to Append when empty.
	WriteDisposition WriteDisposition
	// MaxNesting limits how many levels of nested objects and lists become
	// columns and child tables; values below the limit are stored as json.
	// Zero means no limit.
	MaxNesting int

	// MergeStrategy applies to write disposition Merge; empty means
	// DeleteInsert.
	MergeStrategy MergeStrategy `json:"merge_strategy,omitempty"`
	// RetireAbsent applies to write disposition History: a load closes
	// the current rows of objects that are not in its package. Set it for
	// sources that return every object on each run.
	RetireAbsent bool `json:"retire_absent,omitempty"`
	// SoftDelete applies to write disposition Merge: the root table gets
	// the column _rl_deleted_at, and a load whose package lists the
	// resource in full (see source.MarkComplete) sets it on the stored
	// rows that the package lacks, and a load sets it on the rows whose
	// keys the resource reported deleted (see source.MarkDeleted). A row
	// that comes back is live again.
	SoftDelete bool `json:"soft_delete,omitempty"`
	// Columns holds hints for single fields, keyed by their path in an
	// item. A path names the members from the item down to the field,
	// separated by "." or "__"; each member is matched after
	// NormalizeIdentifier, so "emailAddresses.value",
	// "email_addresses.value" and "email_addresses__value" are the same
	// path. A member whose value is a list leads to the elements of that
	// list. A list of scalars keeps its elements under "value" and a list
	// of lists under "list", as their child rows do. A PII mode on a path
	// applies to every value below it too.
	Columns map[string]ColumnHint `json:"columns,omitempty"`
	// Contract limits how the schema of this resource's tables may change.
	// The zero value lets it evolve freely.
	Contract Contract `json:"contract,omitzero"`
	// Detections lists the type detections to run on strings besides ISO
	// 8601 timestamps, which are always detected.
	Detections []Detection `json:"detections,omitempty"`
}

// ColumnHint is a declaration about one field of a resource's items.
type ColumnHint struct {
	// PrimaryKey adds the field's root table column to the primary key.
	PrimaryKey bool `json:"primary_key,omitempty" yaml:"primary_key,omitempty"`
	// MergeKey makes a merge also replace every stored row whose value in
	// this root table column equals that of a row in the package, such as
	// all rows of one day.
	MergeKey bool `json:"merge_key,omitempty" yaml:"merge_key,omitempty"`
	// Nullable, when false, rejects an item whose row lacks a value for
	// the column, and the column is created NOT NULL. For a member of a
	// nested object, only rows that hold the object must have the value.
	Nullable *bool `json:"nullable,omitempty" yaml:"nullable,omitempty"`
	// DataType overrides type inference: the column is created with this
	// type, and values are converted to it where that loses nothing (such
	// as the string "42" into bigint). A field with data type json or
	// text keeps an object or list whole, as one json value or its JSON
	// text, instead of flattening it into columns and child tables.
	DataType DataType `json:"data_type,omitempty" yaml:"data_type,omitempty"`
	// PII transforms the field's values, and all values below it, before
	// they are written.
	PII PIIMode `json:"pii,omitempty" yaml:"pii,omitempty"`
	// HardDelete marks the root table column that flags deleted objects
	// in merge and history loads.
	HardDelete bool `json:"hard_delete,omitempty" yaml:"hard_delete,omitempty"`
	// DedupSort makes a merge keep, per key, the row with the highest
	// (desc) or lowest (asc) value of this root table column.
	DedupSort SortOrder `json:"dedup_sort,omitempty" yaml:"dedup_sort,omitempty"`
}

// ContractMode is the action taken on data that would change the schema
// in a way that a contract governs.
type ContractMode string

// The contract modes.
const (
	// Evolve lets the schema change. It is the default.
	Evolve ContractMode = "evolve"
	// Freeze fails the load with a *ContractError naming the table,
	// column and value, before anything of the package is written to the
	// destination.
	Freeze ContractMode = "freeze"
	// DiscardRow drops the row that would change the schema, with its
	// child rows; the rest of the item is kept.
	DiscardRow ContractMode = "discard_row"
	// DiscardValue drops the value that would change the schema and keeps
	// its row. For a new table it acts as DiscardRow.
	DiscardValue ContractMode = "discard_value"
)

// Contract sets a mode per kind of schema change. An empty mode is Evolve.
// In JSON and YAML a contract is an object with the keys tables, columns
// and data_type, or a single mode string that sets all three.
type Contract struct {
	// Tables governs new tables, root or child.
	Tables ContractMode `json:"tables,omitempty" yaml:"tables,omitempty"`
	// Columns governs new columns of tables that existed before the load
	// package; a table that the package creates takes any column.
	Columns ContractMode `json:"columns,omitempty" yaml:"columns,omitempty"`
	// DataType governs new variant columns, made for values that do not
	// fit their column's type.
	DataType ContractMode `json:"data_type,omitempty" yaml:"data_type,omitempty"`
}

// ContractAll returns a contract with mode m for all three kinds.
func ContractAll(m ContractMode) Contract {
	return Contract{Tables: m, Columns: m, DataType: m}
}

// UnmarshalJSON accepts an object or a single mode string.
func (c *Contract) UnmarshalJSON(b []byte) error {
	var m ContractMode
	if err := json.Unmarshal(b, &m); err == nil {
		*c = ContractAll(m)
		return nil
	}
	type plain Contract
	return json.Unmarshal(b, (*plain)(c))
}

// UnmarshalYAML accepts a mapping or a single mode string.
func (c *Contract) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*c = ContractAll(ContractMode(n.Value))
		return nil
	}
	type plain Contract
	return n.Decode((*plain)(c))
}

// Detection names an opt-in detection of a type in string values.
type Detection string

// The detections.
const (
	// DetectISODate types strings of the form YYYY-MM-DD that are valid
	// dates as date.
	DetectISODate Detection = "iso_date"
)

// ContractError is a value that a frozen contract does not let into the
// schema. Normalize returns it (wrapped) and writes nothing of the item.
type ContractError struct {
	// Kind is the kind of change that the value would have made:
	// "table", "column" or "data type".
	Kind  string
	Table string
	// Column is the column that the value would have created or gone
	// into; for a new child table it is the list field.
	Column string
	// Value is the offending value as JSON, shortened, and hashed or
	// masked when the column has a PII hint.
	Value string
	// Type is the value's data type for a data type change.
	Type DataType
}

func (e *ContractError) Error() string {
	switch e.Kind {
	case "table":
		if e.Column == "" {
			return fmt.Sprintf("table %s is new, and the contract freezes tables; value %s", e.Table, e.Value)
		}
		return fmt.Sprintf("table %s for column %s is new, and the contract freezes tables; value %s",
			e.Table, e.Column, e.Value)
	case "data type":
		return fmt.Sprintf("value %s of table %s, column %s, is of type %s, which does not fit the column, "+
			"and the contract freezes data types", e.Value, e.Table, e.Column, e.Type)
	}
	return fmt.Sprintf("column %s of table %s is new, and the contract freezes columns; value %s",
		e.Column, e.Table, e.Value)
}

// SplitHintPath splits a column hint path into its members, each in the
// naming convention. Members are separated by "." or "__".
func SplitHintPath(path string) ([]string, error) {
	var parts []string
	for dotted := range strings.SplitSeq(path, ".") {
		for part := range strings.SplitSeq(dotted, "__") {
			if strings.TrimSpace(part) == "" {
				return nil, fmt.Errorf("column hint path %q has an empty member; separate members with one \".\" or \"__\"", path)
			}
			parts = append(parts, NormalizeIdentifier(part))
		}
	}
	return parts, nil
}

// HintColumn returns the column name of a hint path in the table that
// holds it when no list lies on the path: its members joined by "__".
func HintColumn(path string) (string, error) {
	parts, err := SplitHintPath(path)
	if err != nil {
		return "", err
	}
	return strings.Join(parts, "__"), nil
}

// Disposition returns the write disposition, Append when empty.
func (h *Hints) Disposition() WriteDisposition {
	if h.WriteDisposition == "" {
		return Append
	}
	return h.WriteDisposition
}

// PrimaryKeyColumns returns the primary key columns: PrimaryKey, then
// the columns of hints marked PrimaryKey in path order.
func (h *Hints) PrimaryKeyColumns() []string {
	pk := slices.Clone(h.PrimaryKey)
	for _, name := range h.hintColumns(func(c ColumnHint) bool { return c.PrimaryKey }) {
		if !slices.Contains(pk, name) {
			pk = append(pk, name)
		}
	}
	return pk
}

// MergeKeyColumns returns the columns of hints marked MergeKey, in path
// order.
func (h *Hints) MergeKeyColumns() []string {
	return h.hintColumns(func(c ColumnHint) bool { return c.MergeKey })
}

// hintColumns returns the root table columns of the hints that keep
// selects, sorted; paths that do not parse are left out (Validate
// reports them).
func (h *Hints) hintColumns(keep func(ColumnHint) bool) []string {
	var names []string
	for path, c := range h.Columns {
		if !keep(c) {
			continue
		}
		if name, err := HintColumn(path); err == nil && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Validate returns an error describing the first invalid setting of h.
func (h *Hints) Validate() error {
	if err := CheckTableName(h.Table); err != nil {
		return err
	}
	pk := h.PrimaryKeyColumns()
	for _, c := range pk {
		if c == "" || strings.HasPrefix(c, SystemPrefix) {
			return fmt.Errorf("invalid primary key column %q", c)
		}
	}
	if h.MaxNesting < 0 {
		return fmt.Errorf("invalid max nesting %d; use 0 for no limit", h.MaxNesting)
	}
	if err := h.validateDisposition(len(pk) > 0); err != nil {
		return err
	}
	if err := h.Contract.validate(); err != nil {
		return err
	}
	for _, d := range h.Detections {
		if d != DetectISODate {
			return fmt.Errorf("unknown detection %q; use %s", d, DetectISODate)
		}
	}
	return h.validateColumns()
}

func (h *Hints) validateDisposition(hasPK bool) error {
	wd := h.Disposition()
	mk := len(h.MergeKeyColumns()) > 0
	switch wd {
	case Append, Replace:
	case Merge:
		if !hasPK && !mk {
			return fmt.Errorf("write disposition merge needs a primary key or a merge key; set one or use append")
		}
	case History:
		if !hasPK {
			return fmt.Errorf("write disposition history needs a primary key to tell versions of one object apart; set one or use append")
		}
	default:
		return fmt.Errorf("unknown write disposition %q; use append, replace, merge or history", wd)
	}
	switch h.MergeStrategy {
	case "":
	case DeleteInsert, Upsert:
		if wd != Merge {
			return fmt.Errorf("merge strategy %s applies only to write disposition merge, not %s", h.MergeStrategy, wd)
		}
		if h.MergeStrategy == Upsert && (!hasPK || mk) {
			return fmt.Errorf("merge strategy upsert needs a primary key and no merge key")
		}
	default:
		return fmt.Errorf("unknown merge strategy %q; use %s or %s", h.MergeStrategy, DeleteInsert, Upsert)
	}
	if h.RetireAbsent && wd != History {
		return fmt.Errorf("retire absent applies only to write disposition history, not %s", wd)
	}
	if h.SoftDelete && wd != Merge {
		return fmt.Errorf("soft delete applies only to write disposition merge, not %s", wd)
	}
	if h.SoftDelete && !hasPK {
		return errors.New("soft delete needs a primary key to tell which stored rows a listing lacks")
	}
	return nil
}

func (c Contract) validate() error {
	for _, m := range []struct {
		kind string
		mode ContractMode
	}{{"tables", c.Tables}, {"columns", c.Columns}, {"data_type", c.DataType}} {
		switch m.mode {
		case "", Evolve, Freeze, DiscardRow, DiscardValue:
		default:
			return fmt.Errorf("unknown contract mode %q for %s; use evolve, freeze, discard_row or discard_value",
				m.mode, m.kind)
		}
	}
	return nil
}

// validateColumns checks each column hint on its own and that at most one
// column is the hard delete or dedup sort column.
func (h *Hints) validateColumns() error {
	paths := make([]string, 0, len(h.Columns))
	for p := range h.Columns {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var hardDelete, dedup string
	for _, p := range paths {
		c := h.Columns[p]
		if err := c.validate(); err != nil {
			return fmt.Errorf("column hint %q: %w", p, err)
		}
		if _, err := SplitHintPath(p); err != nil {
			return err
		}
		if c.HardDelete {
			if hardDelete != "" {
				return fmt.Errorf("column hints %q and %q both set hard_delete; set it on one column", hardDelete, p)
			}
			hardDelete = p
		}
		if c.DedupSort != "" {
			if dedup != "" {
				return fmt.Errorf("column hints %q and %q both set dedup_sort; set it on one column", dedup, p)
			}
			dedup = p
		}
	}
	return nil
}

func (c ColumnHint) validate() error {
	switch c.DataType {
	case "", Text, BigInt, Double, Decimal, Bool, Timestamp, Date, JSON, Binary:
	default:
		return fmt.Errorf("unknown data type %q", c.DataType)
	}
	switch c.PII {
	case "":
	case PIIHash, PIIMask, PIIDrop:
		key := c.PrimaryKey || c.MergeKey || c.HardDelete || c.DedupSort != ""
		if c.PII != PIIHash && key {
			return fmt.Errorf("pii %s cannot apply to a key, hard delete or dedup sort column; use hash", c.PII)
		}
		if c.DataType != "" && c.DataType != Text && c.DataType != JSON && c.PII != PIIDrop {
			return fmt.Errorf("pii %s writes text, so data type %s cannot apply; use text or json", c.PII, c.DataType)
		}
	default:
		return fmt.Errorf("unknown pii mode %q; use hash, mask or drop", c.PII)
	}
	switch c.DedupSort {
	case "", Asc, Desc:
	default:
		return fmt.Errorf("unknown dedup sort order %q; use asc or desc", c.DedupSort)
	}
	if c.Nullable != nil && *c.Nullable && c.PrimaryKey {
		return errors.New("a primary key column cannot be nullable")
	}
	return nil
}

// CheckTableName returns an error unless name is a root table name in
// the naming convention: identifiers joined by "__", not starting with
// SystemPrefix.
func CheckTableName(name string) error {
	if name == "" {
		return fmt.Errorf("missing table name")
	}
	if strings.HasPrefix(name, SystemPrefix) {
		return fmt.Errorf("table name %s is reserved for system tables", name)
	}
	for part := range strings.SplitSeq(name, "__") {
		if part == "" || NormalizeIdentifier(part) != part {
			return fmt.Errorf("table name %q is not in the naming convention; use %q",
				name, NormalizeIdentifier(name))
		}
	}
	return nil
}
