package normalize

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/restload/restload/schema"
)

// table is a schema table as the Normalizer meets it: its columns by
// name, the shape of its rows and its open file.
type table struct {
	t     *schema.Table
	cols  map[string]*column
	shape *shape // nil until a row of the table is built
	// pk lists the primary key columns of a root table, from the hints of
	// the current Normalize call.
	pk []string
	// usedBy is the serial of the parent row whose list last claimed this
	// table, so that a second list of that row with the same name gets a
	// table of its own.
	usedBy int64
	// ids derives the _rl_id of the table's rows.
	ids   *idDeriver
	out   *fileWriter
	files []File
	// order is the table's position in the schema, for ordering files.
	order int
}

// column is a schema column with what writing a row needs.
type column struct {
	c *schema.Column
	// key is `,"name":`, what precedes the column's value in a row.
	key []byte
	// used is the serial of the last row that wrote this column.
	used int64
	// variants caches the variant columns of this column by value type.
	variants [numTypes]*column
}

// numTypes is the number of data types that values are inferred as.
const numTypes = 7

func typeIndex(t schema.DataType) int {
	switch t {
	case schema.Text:
		return 0
	case schema.BigInt:
		return 1
	case schema.Double:
		return 2
	case schema.Decimal:
		return 3
	case schema.Bool:
		return 4
	case schema.Timestamp:
		return 5
	default:
		return 6 // json
	}
}

// shape is one object position of a table's rows: the row object itself
// or an object nested in it, whose fields flatten into prefixed columns.
type shape struct {
	t      *table
	prefix string // "" or the column name prefix ending in "__"
	// level counts the objects and lists above this one, from 0 for the
	// fields of a root row. Objects and lists at level MaxNesting or
	// deeper are stored as json.
	level  int
	fields map[string]*field // by raw, quoted member name
	// seen holds the field met at each member position of the previous
	// object of this shape. Items of one resource mostly repeat their
	// keys in the same order, so comparing with it saves a map lookup.
	seen []*field
}

// field is one member name of a shape.
type field struct {
	raw  string // the raw, quoted member name
	name string // prefix + identifier: the base column name
	// cols caches the columns of the field's slots: name, name__2, …
	cols []*column
	// lists caches the child tables of the field's slots.
	lists []*table
	obj   *shape
}

func newShape(t *table, prefix string, level int) *shape {
	return &shape{t: t, prefix: prefix, level: level, fields: make(map[string]*field)}
}

// maxSeen bounds shape.seen.
const maxSeen = 1024

// field returns the field for the raw member name key at member position
// pos, normalizing the name on first sight.
func (n *Normalizer) field(s *shape, pos int, key []byte) *field {
	if pos < len(s.seen) {
		if f := s.seen[pos]; f != nil && f.raw == string(key) {
			return f
		}
	}
	f, ok := s.fields[string(key)]
	if !ok {
		f = &field{raw: string(key), name: s.prefix + n.identifier(key)}
		s.fields[f.raw] = f
	}
	if pos < maxSeen {
		for len(s.seen) <= pos {
			s.seen = append(s.seen, nil)
		}
		s.seen[pos] = f
	}
	return f
}

// object returns the shape of the object nested under f.
func (s *shape) object(f *field) *shape {
	if f.obj == nil {
		f.obj = newShape(s.t, f.name+"__", s.level+1)
	}
	return f.obj
}

// maxNameCache bounds the cache of normalized member names, which would
// otherwise grow with every distinct key of data keyed by ids.
const maxNameCache = 1 << 16

// identifier normalizes the raw, quoted member name key.
func (n *Normalizer) identifier(key []byte) string {
	if id, ok := n.names[string(key)]; ok {
		return id
	}
	id := schema.NormalizeIdentifier(unquote(key))
	if len(n.names) < maxNameCache {
		n.names[string(key)] = id
	}
	return id
}

// slotName returns the name of slot k of a name: the name itself for
// k = 0, then name__2, name__3, …
func slotName(name string, k int) string {
	if k == 0 {
		return name
	}
	return name + "__" + strconv.Itoa(k+1)
}

// lookupTable returns the named table from the Normalizer or the schema,
// or nil.
func (n *Normalizer) lookupTable(name string) *table {
	if t, ok := n.tables[name]; ok {
		return t
	}
	st := n.s.Table(name)
	if st == nil {
		return nil
	}
	return n.adopt(st)
}

// adopt wraps a schema table for writing and adds the system columns it
// lacks.
func (n *Normalizer) adopt(st *schema.Table) *table {
	t := &table{t: st, cols: make(map[string]*column, len(st.Columns))}
	t.order = slices.Index(n.s.Tables, st)
	for _, c := range st.Columns {
		t.cols[c.Name] = newColumn(c)
	}
	n.tables[st.Name] = t
	for _, sc := range systemColumns(st.IsRoot()) {
		if t.cols[sc.Name] == nil {
			n.addColumn(t, sc)
		}
	}
	return t
}

func systemColumns(root bool) []schema.Column {
	if root {
		return []schema.Column{
			{Name: schema.ColumnID, Type: schema.Text, System: true},
			{Name: schema.ColumnLoadID, Type: schema.Text, System: true},
		}
	}
	return []schema.Column{
		{Name: schema.ColumnID, Type: schema.Text, System: true},
		{Name: schema.ColumnParentID, Type: schema.Text, System: true},
		{Name: schema.ColumnRootID, Type: schema.Text, System: true},
		{Name: schema.ColumnListIndex, Type: schema.BigInt, System: true},
	}
}

func newColumn(c *schema.Column) *column {
	key := make([]byte, 0, len(c.Name)+4)
	key = append(key, ',', '"')
	key = append(key, c.Name...)
	key = append(key, '"', ':')
	return &column{c: c, key: key}
}

// addColumn appends a column to t and the schema.
func (n *Normalizer) addColumn(t *table, c schema.Column) *column {
	sc := &c
	t.t.Columns = append(t.t.Columns, sc)
	col := newColumn(sc)
	t.cols[c.Name] = col
	n.changed()
	return col
}

// addDataColumn adds a column for values of type typ.
func (n *Normalizer) addDataColumn(t *table, name string, typ schema.DataType, variant bool) *column {
	c := schema.Column{Name: name, Type: typ, Nullable: true, Variant: variant}
	if !variant && slices.Contains(t.pk, name) {
		c.PrimaryKey, c.Nullable = true, false
	}
	return n.addColumn(t, c)
}

// newTable creates a table with its system columns.
func (n *Normalizer) newTable(name string, parent *schema.Table) *table {
	st := &schema.Table{Name: name, WriteDisposition: schema.Append}
	if parent != nil {
		st.Parent = parent.Name
		st.Resource = parent.Resource
		st.WriteDisposition = parent.WriteDisposition
	}
	n.s.Tables = append(n.s.Tables, st)
	n.changed()
	return n.adopt(st)
}

// rootTable returns the root table that h describes, creating it or
// bringing its write disposition, resource and primary key up to date.
func (n *Normalizer) rootTable(h schema.Hints) (*table, error) {
	if err := checkTableName(h.Table); err != nil {
		return nil, err
	}
	wd := h.WriteDisposition
	switch wd {
	case "":
		wd = schema.Append
	case schema.Append, schema.Replace, schema.Merge:
	default:
		return nil, fmt.Errorf("unknown write disposition %q; use append, replace or merge", wd)
	}
	if wd == schema.Merge && len(h.PrimaryKey) == 0 {
		return nil, fmt.Errorf("write disposition merge needs a primary key; set one or use append")
	}
	for _, pk := range h.PrimaryKey {
		if pk == "" || strings.HasPrefix(pk, schema.SystemPrefix) {
			return nil, fmt.Errorf("invalid primary key column %q", pk)
		}
	}
	if h.MaxNesting < 0 {
		return nil, fmt.Errorf("invalid max nesting %d; use 0 for no limit", h.MaxNesting)
	}

	t := n.lookupTable(h.Table)
	if t == nil {
		t = n.newTable(h.Table, nil)
	}
	if !t.t.IsRoot() {
		return nil, fmt.Errorf("table %s is already a child table of %s; choose another name",
			h.Table, t.t.Parent)
	}
	if t.shape == nil {
		t.shape = newShape(t, "", 0)
	}
	t.pk = h.PrimaryKey

	for _, st := range append([]*schema.Table{t.t}, n.s.Descendants(t.t.Name)...) {
		if st.WriteDisposition != wd || st.Resource != h.Table {
			st.WriteDisposition, st.Resource = wd, h.Table
			n.changed()
		}
	}
	for _, c := range t.t.Columns {
		if c.System || c.Variant {
			continue
		}
		pk := slices.Contains(h.PrimaryKey, c.Name)
		if c.PrimaryKey != pk || (pk && c.Nullable) {
			c.PrimaryKey, c.Nullable = pk, !pk
			n.changed()
		}
	}
	return t, nil
}

// checkTableName returns an error unless name is a root table name in
// the naming convention: identifiers joined by "__".
func checkTableName(name string) error {
	if name == "" {
		return fmt.Errorf("missing table name")
	}
	if strings.HasPrefix(name, schema.SystemPrefix) {
		return fmt.Errorf("table name %s is reserved for system tables", name)
	}
	for part := range strings.SplitSeq(name, "__") {
		if part == "" || schema.NormalizeIdentifier(part) != part {
			return fmt.Errorf("table name %q is not in the naming convention; use %q",
				name, schema.NormalizeIdentifier(name))
		}
	}
	return nil
}

// changed records a schema change; the first one bumps the version.
func (n *Normalizer) changed() {
	if !n.dirty {
		n.dirty = true
		n.s.Version++
	}
}
