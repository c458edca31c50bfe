package normalize

import (
	"slices"
	"strconv"

	"github.com/restload/restload/schema"
)

// table is a schema table as the Normalizer meets it: its columns by
// name, the shape of its rows and its open file.
type table struct {
	t     *schema.Table
	cols  map[string]*column
	shape *shape // nil until a row of the table is built
	// created is set when this Normalizer created the table, so that a
	// contract on columns does not apply to it.
	created bool
	// history is set on a root table with write disposition history,
	// whose rows carry a row hash.
	history bool
	// usedBy is the serial of the parent row whose list last claimed this
	// table, so that a second list of that row with the same name gets a
	// table of its own.
	usedBy int64
	// seq is the _rl_seq of the root table's last row. Counting per
	// table makes a table's rows independent of the other resources in
	// the package, so that resources can be normalized apart.
	seq int64
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
	// variants caches the variant columns of this column by value type,
	// and variantNames their names before shortening.
	variants     [numTypes]*column
	variantNames [numTypes]string
}

// numTypes is the number of data types that values are inferred as.
const numTypes = 9

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
	case schema.Date:
		return 6
	case schema.Binary:
		return 7
	default:
		return 8 // json
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
	level int
	// hint is the column hint node of this position's path, or nil.
	hint *hintNode
	// required lists the columns that hints make not nullable; only the
	// shape of a table's rows has them.
	required []requiredColumn
	fields   map[string]*field // by raw, quoted member name
	// seen holds the field met at each member position of the previous
	// object of this shape. Items of one resource mostly repeat their
	// keys in the same order, so comparing with it saves a map lookup.
	seen []*field
}

// field is one member name of a shape.
type field struct {
	raw  string // the raw, quoted member name
	name string // prefix + identifier: the base column name, before shortening
	// cols caches the columns of the field's slots: name, name__2, …
	cols []*column
	// lists caches the child tables of the field's slots.
	lists []*table
	obj   *shape

	// Settings from the column hints of the field's path.
	hint *hintNode
	typ  schema.DataType // data type override, or ""
	pii  schema.PIIMode  // hash or mask, or ""
	drop bool            // PII mode drop: nothing of the value is written
	// whole keeps an object or list as one value (data type json or text).
	whole bool
	// redact is set when values below the field have a PII mode, so a
	// value stored whole is rewritten member by member.
	redact bool
}

func newShape(t *table, prefix string, level int, hint *hintNode) *shape {
	return &shape{t: t, prefix: prefix, level: level, hint: hint, fields: make(map[string]*field)}
}

// rowShape returns the shape of the rows of t, whose path has the hint
// node hint, with the columns that hints make required.
func rowShape(t *table, level int, hint *hintNode) *shape {
	s := newShape(t, "", level, hint)
	s.required = hint.required()
	return s
}

// maxSeen bounds shape.seen.
const maxSeen = 1024

// field returns the field for the raw member name key at member position
// pos, normalizing the name and finding its hints on first sight.
func (n *Normalizer) field(s *shape, pos int, key []byte) *field {
	if pos < len(s.seen) {
		if f := s.seen[pos]; f != nil && f.raw == string(key) {
			return f
		}
	}
	f, ok := s.fields[string(key)]
	if !ok {
		id := n.identifier(key)
		f = &field{raw: string(key), name: s.prefix + id}
		f.setHint(s.hint.child(id))
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

func (f *field) setHint(nd *hintNode) {
	f.hint = nd
	if nd == nil {
		return
	}
	switch nd.pii {
	case schema.PIIDrop:
		f.drop = true
	case schema.PIIHash, schema.PIIMask:
		f.pii = nd.pii
	}
	f.typ = nd.dataType()
	f.whole = f.typ == schema.JSON || f.typ == schema.Text
	f.redact = nd.redacts()
}

// object returns the shape of the object nested under f.
func (s *shape) object(f *field) *shape {
	if f.obj == nil {
		f.obj = newShape(s.t, f.name+"__", s.level+1, f.hint)
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

// physical returns the name of a table or column as the destination
// gets it: name shortened to MaxIdentifierLength.
func (n *Normalizer) physical(name string) string {
	return schema.ShortenIdentifier(name, n.MaxIdentifierLength)
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

// historyColumns are the system columns of a root table with write
// disposition history. The destination fills the validity columns. They
// are nullable, so that the table can take rows under another write
// disposition later.
var historyColumns = []schema.Column{
	{Name: schema.ColumnRowHash, Type: schema.Text, Nullable: true, System: true},
	{Name: schema.ColumnValidFrom, Type: schema.Timestamp, Nullable: true, System: true},
	{Name: schema.ColumnValidTo, Type: schema.Timestamp, Nullable: true, System: true},
}

// deletedAtColumn is the system column of a root table with SoftDelete;
// the destination sets it.
var deletedAtColumn = schema.Column{Name: schema.ColumnDeletedAt, Type: schema.Timestamp, Nullable: true, System: true}

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

// addDataColumn adds the column name for values of type typ. logical is
// the name before shortening, which hints refer to, and f is the field
// whose values the column holds. A variant column takes no roles from
// the hints.
func (n *Normalizer) addDataColumn(t *table, name, logical string, typ schema.DataType, f *field, variant bool) *column {
	c := schema.Column{Name: name, Type: typ, Nullable: true, Variant: variant, PII: f.pii}
	if !variant {
		if h := f.hint; h != nil && h.hint != nil && h.hint.Nullable != nil && !*h.hint.Nullable {
			c.Nullable = false
		}
		if t.t.IsRoot() {
			n.res.rootRoles(&c, logical)
		}
	}
	if name != logical {
		n.report.shortened(t.t.Name, name, logical)
	}
	return n.addColumn(t, c)
}

// rootRoles sets the key and merge roles that the hints give the root
// table column c, whose name before shortening is logical.
func (r *resource) rootRoles(c *schema.Column, logical string) {
	c.PrimaryKey = slices.Contains(r.pk, logical)
	if c.PrimaryKey {
		c.Nullable = false
	}
	c.MergeKey = slices.Contains(r.mergeKey, logical)
	c.HardDelete = logical != "" && logical == r.hardDelete
	c.DedupSort = ""
	if logical != "" && logical == r.dedup {
		c.DedupSort = r.dedupOrder
	}
}

// newTable creates a table with its system columns. logical is its name
// before shortening.
func (n *Normalizer) newTable(name, logical string, parent *schema.Table) *table {
	st := &schema.Table{Name: name, WriteDisposition: schema.Append}
	if parent != nil {
		st.Parent = parent.Name
		st.Resource = parent.Resource
		st.WriteDisposition = parent.WriteDisposition
	}
	n.s.Tables = append(n.s.Tables, st)
	n.changed()
	if name != logical {
		n.report.shortened(name, "", logical)
	}
	t := n.adopt(st)
	t.created = true
	return t
}

// setupRoot makes t the root table of the current resource: it brings
// the write disposition, resource, merge settings and column roles of
// the table tree up to date and starts new row shapes, which pick up
// the resource's column hints.
func (n *Normalizer) setupRoot(t *table) {
	r := n.res
	r.root = t
	t.history = r.history
	t.shape = rowShape(t, 0, r.tree)
	for _, st := range append([]*schema.Table{t.t}, n.s.Descendants(t.t.Name)...) {
		if ct, ok := n.tables[st.Name]; ok && ct != t {
			ct.shape = nil // rebuilt with the current hints on first use
		}
		if st.WriteDisposition != r.disposition || st.Resource != r.hints.Table {
			st.WriteDisposition, st.Resource = r.disposition, r.hints.Table
			n.changed()
		}
	}

	strategy := schema.MergeStrategy("")
	if r.disposition == schema.Merge {
		strategy = r.hints.MergeStrategy
	}
	retire := r.history && r.hints.RetireAbsent
	soft := r.disposition == schema.Merge && r.hints.SoftDelete
	if t.t.MergeStrategy != strategy || t.t.RetireAbsent != retire || t.t.SoftDelete != soft {
		t.t.MergeStrategy, t.t.RetireAbsent, t.t.SoftDelete = strategy, retire, soft
		n.changed()
	}
	n.syncRoles(t)
	if soft && t.cols[schema.ColumnDeletedAt] == nil {
		n.addColumn(t, deletedAtColumn)
	}
	if r.history {
		for _, hc := range historyColumns {
			if t.cols[hc.Name] == nil {
				n.addColumn(t, hc)
			}
		}
	}
}

// syncRoles gives the existing data columns of the root table t the key
// and merge roles that the current hints set, and takes them from the
// others. A former primary key column becomes nullable.
func (n *Normalizer) syncRoles(t *table) {
	r := n.res
	logical := make(map[string]string, len(t.t.Columns))
	for _, name := range slices.Concat(r.pk, r.mergeKey, []string{r.hardDelete, r.dedup}) {
		if name != "" {
			logical[n.physical(name)] = name
		}
	}
	for _, c := range t.t.Columns {
		if c.System || c.Variant {
			continue
		}
		want := *c
		r.rootRoles(&want, logical[c.Name]) // "" matches no role
		if !want.PrimaryKey && c.PrimaryKey {
			want.Nullable = true
		}
		if want != *c {
			*c = want
			n.changed()
		}
	}
}

// changed records a schema change; the first one bumps the version.
func (n *Normalizer) changed() {
	if !n.dirty {
		n.dirty = true
		n.s.Version++
	}
}
