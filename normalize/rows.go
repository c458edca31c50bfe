package normalize

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/restload/restload/schema"
)

// Raw member names of the objects that wrap values which are not objects:
// a root item or list element that is a scalar becomes {"value": item},
// and a list inside a list becomes {"list": inner}.
var (
	valueKey = []byte(`"value"`)
	listKey  = []byte(`"list"`)
)

// rowSpan is one row of the current item in Normalizer.out. The row's
// source values, after its system columns, start at data.
type rowSpan struct {
	t                *table
	start, data, end int
}

// pendingList is a list met while building a row; its rows are built
// once the row that holds it is complete.
type pendingList struct {
	t    *table
	node int32
}

// rowSource is the content of a row: the members of an object node, or
// the single member wrap whose value is node.
type rowSource struct {
	node int32
	wrap []byte
}

// rowLinks are the ids that a row carries.
type rowLinks struct {
	id, parent, root rowID
	idx              int
}

// rowHashField precedes the row hash of a history table's root row. The
// hash is 16 bytes of SHA-256 in 22 characters of base64url.
const (
	rowHashField = `,"` + schema.ColumnRowHash + `":"`
	rowHashLen   = 22
)

// row appends the row for src to Normalizer.out and then builds the rows
// of the lists that src holds. A row that a contract discards is removed
// with the lists it holds.
func (n *Normalizer) row(t *table, src rowSource, links rowLinks) {
	n.serial++
	serial := n.serial
	start := len(n.out)

	n.out = append(n.out, '{')
	if t.t.IsRoot() {
		n.out = append(n.out, `"`+seqField+`":`...)
		n.out = strconv.AppendInt(n.out, n.seq, 10)
		n.out = append(n.out, `,"`+schema.ColumnID+`":`...)
		n.out = append(n.out, links.id.quoted[:]...)
		n.out = append(n.out, n.loadIDField...)
		if t.history {
			n.out = append(n.out, rowHashField...)
			n.hashAt = len(n.out)
			n.out = append(n.out, make([]byte, rowHashLen)...)
			n.out = append(n.out, '"')
		}
	} else {
		n.out = append(n.out, `"`+schema.ColumnID+`":`...)
		n.out = append(n.out, links.id.quoted[:]...)
		n.out = append(n.out, `,"`+schema.ColumnParentID+`":`...)
		n.out = append(n.out, links.parent.quoted[:]...)
		n.out = append(n.out, `,"`+schema.ColumnRootID+`":`...)
		n.out = append(n.out, links.root.quoted[:]...)
		n.out = append(n.out, `,"`+schema.ColumnListIndex+`":`...)
		n.out = strconv.AppendInt(n.out, int64(links.idx), 10)
	}
	data := len(n.out)

	base := len(n.pending)
	n.dropRow = false
	if src.wrap != nil {
		n.member(t.shape, 0, src.wrap, src.node, serial)
	} else {
		n.members(t.shape, src.node, serial)
	}
	if n.fault == nil && !n.dropRow {
		n.checkRequired(t, serial)
	}
	if n.fault != nil || n.dropRow {
		n.out = n.out[:start]
		n.pending = n.pending[:base]
		n.dropRow = false
		return
	}
	n.out = append(n.out, '}', '\n')
	n.rows = append(n.rows, rowSpan{t: t, start: start, data: data, end: len(n.out)})

	// Rows of nested lists push their own pending lists past end and
	// truncate back to it when they are done.
	end := len(n.pending)
	for i := base; i < end && n.fault == nil; i++ {
		p := n.pending[i]
		n.list(p.t, p.node, &links.id, &links.root)
	}
	n.pending = n.pending[:base]
}

// list builds one row per element of the array node in child table t.
func (n *Normalizer) list(t *table, arr int32, parent, root *rowID) {
	// parent and root point into the caller's rowLinks, which stays put.
	if t.ids == nil {
		t.ids = newIDDeriver("child", t.t.Name)
	}
	idx := 0
	for e := n.p.nodes[arr].first; e >= 0 && n.fault == nil; e = n.p.nodes[e].next {
		src := rowSource{node: e}
		switch n.p.nodes[e].kind {
		case kindObject:
		case kindArray:
			src.wrap = listKey
		default:
			src.wrap = valueKey
		}
		id := t.ids.child(parent, idx)
		n.row(t, src, rowLinks{id: id, parent: *parent, root: *root, idx: idx})
		idx++
	}
}

// checkRequired sets a fault when the row with the given serial has no
// value for a column that a hint makes not nullable. A column nested in
// an object is required only in rows that hold that object.
func (n *Normalizer) checkRequired(t *table, serial int64) {
	for _, rc := range t.shape.required {
		if onList(rc.path) {
			continue // the column belongs to a child table
		}
		if !objectsIn(rc.path[:len(rc.path)-1], serial) {
			continue
		}
		c := t.cols[n.physical(rc.name)]
		if c == nil || c.used != serial {
			n.fault = fmt.Errorf("column %s of table %s is not nullable, but the item has no value for it",
				rc.name, t.t.Name)
			return
		}
	}
}

func onList(path []*hintNode) bool {
	for _, nd := range path {
		if nd.list {
			return true
		}
	}
	return false
}

// objectsIn reports whether the row with the given serial holds an
// object at every path of nodes.
func objectsIn(nodes []*hintNode, serial int64) bool {
	for _, nd := range nodes {
		if nd.objectIn != serial {
			return false
		}
	}
	return true
}

// fillRowHash writes the content hash of the current item's rows into
// the placeholder of its root row. The hash covers each row's table name
// and source values in the order the rows were built, and no ids, so an
// unchanged object gets the same hash in every load.
func (n *Normalizer) fillRowHash() {
	if n.rowHash == nil {
		n.rowHash = sha256.New()
	}
	n.rowHash.Reset()
	for _, r := range n.rows {
		n.scratch = append(n.scratch[:0], r.t.t.Name...)
		n.scratch = append(n.scratch, 0)
		n.scratch = append(n.scratch, n.out[r.data:r.end-2]...) // without "}\n"
		n.scratch = append(n.scratch, 0)
		n.rowHash.Write(n.scratch)
	}
	sum := n.rowHash.Sum(n.sum[:0])
	base64.RawURLEncoding.Encode(n.out[n.hashAt:n.hashAt+rowHashLen], sum[:16])
}

// unfolds reports whether objects and lists at the given level become
// columns and child tables rather than json values.
func (n *Normalizer) unfolds(level int) bool {
	return n.res.maxNesting == 0 || level < n.res.maxNesting
}

// members adds the members of the object node obj at shape s to the
// current row.
func (n *Normalizer) members(s *shape, obj int32, serial int64) {
	pos := 0
	for c := n.p.nodes[obj].first; c >= 0; c = n.p.nodes[c].next {
		k := n.p.nodes[c].key
		n.member(s, pos, n.line[k.start:k.end], c, serial)
		if n.dropRow || n.fault != nil {
			return
		}
		pos++
	}
}

// member adds the member key: v at position pos of an object at shape s
// to the current row, or defers it when it is a list.
func (n *Normalizer) member(s *shape, pos int, key []byte, v int32, serial int64) {
	nd := &n.p.nodes[v]
	if nd.kind == kindNull {
		return // a null claims no column
	}
	f := n.field(s, pos, key)
	if f.drop {
		return
	}
	switch nd.kind {
	case kindObject:
		if f.whole || !n.unfolds(s.level) {
			break
		}
		if f.hint != nil {
			f.hint.objectIn = serial
		}
		if nd.first >= 0 {
			n.members(s.object(f), v, serial)
		}
		return
	case kindArray:
		if f.whole || !n.unfolds(s.level) {
			break
		}
		if f.hint != nil {
			f.hint.list = true
		}
		if nd.first >= 0 {
			if t := n.childTable(s, f, v, serial); t != nil {
				n.pending = append(n.pending, pendingList{t: t, node: v})
			}
		}
		return
	}
	n.leaf(s, f, v, serial)
}

// childTable returns the child table for the list arr in field f of the
// row with the given serial, or nil when a contract keeps the table from
// being created. A second list of the same row whose name normalizes to
// the same table gets the next slot (<name>__2, …); so does a name that
// belongs to a table with another parent.
func (n *Normalizer) childTable(s *shape, f *field, arr int32, serial int64) *table {
	for k := 0; ; k++ {
		if k < len(f.lists) && f.lists[k] != nil {
			t := f.lists[k]
			if t.usedBy == serial {
				continue
			}
			t.usedBy = serial
			if t.shape == nil {
				t.shape = rowShape(t, s.level+1, f.hint)
			}
			return t
		}
		logical := s.t.t.Name + "__" + slotName(f.name, k)
		name := n.physical(logical)
		t := n.lookupTable(name)
		if t != nil && (t.t.Parent != s.t.t.Name || t.usedBy == serial) {
			continue
		}
		if t == nil {
			if !n.admitTable(name, f, arr) {
				return nil
			}
			t = n.newTable(name, logical, s.t.t)
			if k > 0 {
				n.report.collision(name, "", n.physical(s.t.t.Name+"__"+f.name), f.raw)
			}
		}
		if t.shape == nil {
			t.shape = rowShape(t, s.level+1, f.hint)
		}
		for len(f.lists) <= k {
			f.lists = append(f.lists, nil)
		}
		f.lists[k] = t
		t.usedBy = serial
		return t
	}
}

// leaf writes the value v of field f as a column of the current row.
// The value goes to the first slot of the field (name, name__2, …) that
// the row has not used yet, creating the column with the value's type if
// needed; when the type does not take the value, it goes to the
// variant column <slot>__v_<type>.
func (n *Normalizer) leaf(s *shape, f *field, v int32, serial int64) {
	t := s.t
	var c *column
	for k := 0; ; k++ {
		c = n.slot(t, f, k)
		if c == nil {
			if c = n.newColumn(t, f, k, v); c == nil {
				return // discarded by a contract
			}
			f.cols[k] = c
			break
		}
		if c.used != serial && !c.c.Variant {
			break
		}
	}
	c.used = serial

	mark := len(n.out)
	n.out = append(n.out, c.key...)
	if n.appendField(c, f, v) {
		return
	}
	n.out = n.out[:mark]

	vt := n.variantType(f, v)
	vc := n.variant(t, c, f, vt, v, serial)
	if vc == nil {
		return // discarded by a contract
	}
	vc.used = serial
	n.out = append(n.out, vc.key...)
	if !n.appendVariant(vt, f, v) {
		panic("normalize: a value does not fit the column of its own type " + string(vt))
	}
}

// newColumn creates the column of slot k of field f for the value v, or
// returns nil when a contract does not let it be created.
func (n *Normalizer) newColumn(t *table, f *field, k int, v int32) *column {
	logical := slotName(f.name, k)
	name := n.physical(logical)
	typ := n.fieldType(f, v)
	m := schema.Evolve
	if !t.created {
		m = mode(n.res.contract.Columns)
	}
	if !n.admit(m, "column", t, name, f, v, typ) {
		return nil
	}
	c := n.addDataColumn(t, name, logical, typ, f, false)
	if k > 0 {
		n.report.collision(t.t.Name, name, n.physical(f.name), f.raw)
	}
	return c
}

// slot returns the column of slot k of field f, or nil if it does not
// exist yet. The result is cached in f.
func (n *Normalizer) slot(t *table, f *field, k int) *column {
	for len(f.cols) <= k {
		f.cols = append(f.cols, nil)
	}
	if f.cols[k] == nil {
		f.cols[k] = t.cols[n.physical(slotName(f.name, k))]
	}
	return f.cols[k]
}

// variant returns the variant column of c for values of type vt that the
// row with the given serial can write, creating it if needed, or nil
// when a contract does not let it be created. A name that is taken by a
// column that is not a variant of type vt gets the next slot.
func (n *Normalizer) variant(t *table, c *column, f *field, vt schema.DataType, v int32, serial int64) *column {
	i := typeIndex(vt)
	if vc := c.variants[i]; vc != nil && vc.used != serial {
		return vc
	}
	if c.variantNames[i] == "" {
		c.variantNames[i] = c.c.Name + "__v_" + string(vt)
	}
	base := c.variantNames[i]
	for k := 0; ; k++ {
		logical := slotName(base, k)
		name := n.physical(logical)
		vc := t.cols[name]
		if vc == nil {
			if !n.admit(mode(n.res.contract.DataType), "data type", t, c.c.Name, f, v, vt) {
				return nil
			}
			vc = n.addDataColumn(t, name, logical, vt, f, true)
			if k > 0 {
				n.report.collision(t.t.Name, name, n.physical(base), f.raw)
			}
		} else if !vc.c.Variant || vc.c.Type != vt || vc.used == serial {
			continue
		}
		if k == 0 {
			c.variants[i] = vc
		}
		return vc
	}
}
