package schema

// Hints are a resource's declarations about the root table its items fill.
type Hints struct {
	// Table is the root table name, already in the naming convention.
	Table string
	// PrimaryKey lists the root table's primary key columns, already in
	// the naming convention. Merge needs at least one.
	PrimaryKey []string
	// WriteDisposition defaults to Append when empty.
	WriteDisposition WriteDisposition
	// MaxNesting limits how many levels of nested objects and lists become
	// columns and child tables; values below the limit are stored as json.
	// Zero means no limit.
	MaxNesting int
}
