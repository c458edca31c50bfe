package normalize

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/restload/restload/schema"
)

// Report lists what a Normalizer did to names and data besides writing
// rows, for the caller to log: name collisions, shortened names and
// values that contracts discarded.
type Report struct {
	Collisions []Collision
	Shortened  []Shortened
	Discarded  []Discarded
}

// Collision is a column or child table that got a numbered name
// (<name>__2, …) because another value of the same row already took the
// name that its source member normalizes to.
type Collision struct {
	Table string
	// Column is the numbered column, or "" when Table is a numbered
	// child table.
	Column string
	// Name is the name that was already taken.
	Name string
	// Member is the source member name, as sent, whose values the
	// numbered column or table receives.
	Member string
}

func (c Collision) String() string {
	if c.Column == "" {
		return fmt.Sprintf("member %q normalizes to child table %s, which another list of the same row took; its rows go to table %s",
			c.Member, c.Name, c.Table)
	}
	return fmt.Sprintf("member %q normalizes to column %s of table %s, which another value of the same row took; its values go to column %s",
		c.Member, c.Name, c.Table, c.Column)
}

// Shortened is a table or column name that was cut to the destination's
// maximum identifier length.
type Shortened struct {
	Table  string
	Column string // "" for a table name
	// Name is the full name before shortening.
	Name string
}

func (s Shortened) String() string {
	if s.Column == "" {
		return fmt.Sprintf("table name %s is too long for the destination; it is %s", s.Name, s.Table)
	}
	return fmt.Sprintf("column name %s of table %s is too long for the destination; it is %s", s.Name, s.Table, s.Column)
}

// Discarded counts the rows or values that a contract kept out of one
// column or table.
type Discarded struct {
	Table  string
	Column string // "" for a new table
	// Kind is the change that the data would have made: "table",
	// "column" or "data type".
	Kind   string
	Mode   schema.ContractMode
	Rows   int64
	Values int64
}

func (d Discarded) String() string {
	dropped := fmt.Sprintf("dropped %d values", d.Values)
	if d.Mode == schema.DiscardRow || d.Kind == "table" {
		dropped = fmt.Sprintf("dropped %d rows", d.Rows)
	}
	switch d.Kind {
	case "table":
		return fmt.Sprintf("contract %s on new tables: %s of new table %s", d.Mode, dropped, d.Table)
	case "column":
		return fmt.Sprintf("contract %s on new columns: %s for new column %s of table %s", d.Mode, dropped, d.Column, d.Table)
	}
	if d.Mode == schema.DiscardRow {
		return fmt.Sprintf("contract %s on data types: %s with a value that does not fit column %s of table %s",
			d.Mode, dropped, d.Column, d.Table)
	}
	return fmt.Sprintf("contract %s on data types: %s that do not fit column %s of table %s", d.Mode, dropped, d.Column, d.Table)
}

// reporter collects a Report.
type reporter struct {
	r         Report
	discarded map[discardKey]int
}

type discardKey struct {
	table, column, kind string
	mode                schema.ContractMode
}

func (r *reporter) collision(table, column, name, rawMember string) {
	r.r.Collisions = append(r.r.Collisions, Collision{Table: table, Column: column, Name: name, Member: unquote([]byte(rawMember))})
}

func (r *reporter) shortened(table, column, name string) {
	r.r.Shortened = append(r.r.Shortened, Shortened{Table: table, Column: column, Name: name})
}

func (r *reporter) discard(table, column, kind string, m schema.ContractMode, rows, values int64) {
	k := discardKey{table, column, kind, m}
	i, ok := r.discarded[k]
	if !ok {
		if r.discarded == nil {
			r.discarded = make(map[discardKey]int)
		}
		i = len(r.r.Discarded)
		r.discarded[k] = i
		r.r.Discarded = append(r.r.Discarded, Discarded{Table: table, Column: column, Kind: kind, Mode: m})
	}
	r.r.Discarded[i].Rows += rows
	r.r.Discarded[i].Values += values
}

// Report returns what the Normalizer has reported so far, each list in
// the order of events except Discarded, which is sorted by table and
// column.
func (n *Normalizer) Report() Report {
	r := Report{
		Collisions: slices.Clone(n.report.r.Collisions),
		Shortened:  slices.Clone(n.report.r.Shortened),
		Discarded:  slices.Clone(n.report.r.Discarded),
	}
	slices.SortFunc(r.Discarded, func(a, b Discarded) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Kind, b.Kind))
	})
	return r
}
