package normalize

import (
	"bytes"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/restload/restload/schema"
)

// Raw member names of the objects that wrap values which are not objects:
// a root item or list element that is a scalar becomes {"value": item},
// and a list inside a list becomes {"list": inner}.
var (
	valueKey = []byte(`"value"`)
	listKey  = []byte(`"list"`)
)

// rowSpan is one row of the current item in Normalizer.out.
type rowSpan struct {
	t          *table
	start, end int
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

// row appends the row for src to Normalizer.out and then builds the rows
// of the lists that src holds.
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

	base := len(n.pending)
	if src.wrap != nil {
		n.member(t.shape, 0, src.wrap, src.node, serial)
	} else {
		n.members(t.shape, src.node, serial)
	}
	n.out = append(n.out, '}', '\n')
	n.rows = append(n.rows, rowSpan{t: t, start: start, end: len(n.out)})

	// Rows of nested lists push their own pending lists past end and
	// truncate back to it when they are done.
	end := len(n.pending)
	for i := base; i < end; i++ {
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
	for e := n.p.nodes[arr].first; e >= 0; e = n.p.nodes[e].next {
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

// unfolds reports whether objects and lists at the given level become
// columns and child tables rather than json values.
func (n *Normalizer) unfolds(level int) bool {
	return n.maxNesting == 0 || level < n.maxNesting
}

// members adds the members of the object node obj at shape s to the
// current row.
func (n *Normalizer) members(s *shape, obj int32, serial int64) {
	pos := 0
	for c := n.p.nodes[obj].first; c >= 0; c = n.p.nodes[c].next {
		k := n.p.nodes[c].key
		n.member(s, pos, n.line[k.start:k.end], c, serial)
		pos++
	}
}

// member adds the member key: v at position pos of an object at shape s
// to the current row, or defers it when it is a list.
func (n *Normalizer) member(s *shape, pos int, key []byte, v int32, serial int64) {
	nd := &n.p.nodes[v]
	switch nd.kind {
	case kindNull:
		return // a null claims no column
	case kindObject:
		if !n.unfolds(s.level) {
			break
		}
		if nd.first >= 0 {
			n.members(s.object(n.field(s, pos, key)), v, serial)
		}
		return
	case kindArray:
		if !n.unfolds(s.level) {
			break
		}
		if nd.first >= 0 {
			t := n.childTable(s, n.field(s, pos, key), serial)
			n.pending = append(n.pending, pendingList{t: t, node: v})
		}
		return
	}
	n.leaf(s, n.field(s, pos, key), v, serial)
}

// childTable returns the child table for the list in field f of the row
// with the given serial. A second list of the same row whose name
// normalizes to the same table gets the next slot (<name>__2, …); so does
// a name that belongs to a table with another parent.
func (n *Normalizer) childTable(s *shape, f *field, serial int64) *table {
	for k := 0; ; k++ {
		if k < len(f.lists) && f.lists[k] != nil {
			t := f.lists[k]
			if t.usedBy == serial {
				continue
			}
			t.usedBy = serial
			return t
		}
		name := s.t.t.Name + "__" + slotName(f.name, k)
		t := n.lookupTable(name)
		if t != nil && (t.t.Parent != s.t.t.Name || t.usedBy == serial) {
			continue
		}
		if t == nil {
			t = n.newTable(name, s.t.t)
		}
		if t.shape == nil {
			t.shape = newShape(t, "", s.level+1)
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
			c = n.addDataColumn(t, slotName(f.name, k), n.valueType(v), false)
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
	if n.appendValue(c.c.Type, v) {
		return
	}
	n.out = n.out[:mark]

	vt := n.valueType(v)
	vc := n.variant(t, c, vt, serial)
	vc.used = serial
	n.out = append(n.out, vc.key...)
	if !n.appendValue(vt, v) {
		panic("normalize: a value does not fit the column of its own type " + string(vt))
	}
}

// slot returns the column of slot k of field f, or nil if it does not
// exist yet. The result is cached in f.
func (n *Normalizer) slot(t *table, f *field, k int) *column {
	for len(f.cols) <= k {
		f.cols = append(f.cols, nil)
	}
	if f.cols[k] == nil {
		f.cols[k] = t.cols[slotName(f.name, k)]
	}
	return f.cols[k]
}

// variant returns the variant column of c for values of type vt that the
// row with the given serial can write, creating it if needed. A name that
// is taken by a column that is not a variant of type vt gets the next
// slot.
func (n *Normalizer) variant(t *table, c *column, vt schema.DataType, serial int64) *column {
	i := typeIndex(vt)
	if vc := c.variants[i]; vc != nil && vc.used != serial {
		return vc
	}
	base := c.c.Name + "__v_" + string(vt)
	for k := 0; ; k++ {
		name := slotName(base, k)
		vc := t.cols[name]
		if vc == nil {
			vc = n.addDataColumn(t, name, vt, true)
		} else if !vc.c.Variant || vc.c.Type != vt || vc.used == serial {
			continue
		}
		if k == 0 {
			c.variants[i] = vc
		}
		return vc
	}
}

// valueType returns the type that a column made for the value v gets.
func (n *Normalizer) valueType(v int32) schema.DataType {
	nd := &n.p.nodes[v]
	raw := n.line[nd.val.start:nd.val.end]
	switch nd.kind {
	case kindString:
		mark := len(n.out)
		var ok bool
		n.out, ok = appendTimestamp(n.out, n.unquoted(raw))
		n.out = n.out[:mark]
		if ok {
			return schema.Timestamp
		}
		return schema.Text
	case kindNumber:
		return numberType(raw, &n.digits)
	case kindTrue, kindFalse:
		return schema.Bool
	}
	return schema.JSON
}

// appendValue appends v encoded for a column of type typ and reports
// whether typ takes v without loss. It appends nothing when it does not.
func (n *Normalizer) appendValue(typ schema.DataType, v int32) bool {
	nd := &n.p.nodes[v]
	raw := n.line[nd.val.start:nd.val.end]
	switch nd.kind {
	case kindString:
		switch typ {
		case schema.Text:
			n.out = append(n.out, raw...)
			return true
		case schema.Timestamp:
			var ok bool
			n.out, ok = appendTimestamp(n.out, n.unquoted(raw))
			return ok
		case schema.Date:
			if isDate(n.unquoted(raw)) {
				n.out = append(n.out, raw...)
				return true
			}
		}
		return false

	case kindNumber:
		if !n.numberFits(typ, raw) {
			return false
		}
		if typ == schema.Text {
			n.out = append(n.out, '"')
			n.out = append(n.out, raw...)
			n.out = append(n.out, '"')
			return true
		}
		n.out = append(n.out, raw...)
		return true

	case kindTrue, kindFalse:
		if typ != schema.Bool {
			return false
		}
		n.out = append(n.out, raw...)
		return true
	}

	if typ != schema.JSON {
		return false
	}
	n.out = appendCompact(n.out, raw)
	return true
}

// numberFits reports whether a column of type typ holds the number
// literal raw exactly. A bigint column takes integers that fit int64. A
// double column also takes integers that convert exactly. A decimal
// column takes integers and doubles that fit DECIMAL(38,9), and a text
// column the numbers that fit no numeric type.
func (n *Normalizer) numberFits(typ schema.DataType, raw []byte) bool {
	nt := numberType(raw, &n.digits)
	switch typ {
	case nt:
		return true
	case schema.Double:
		return nt == schema.BigInt && exactInDouble(raw)
	case schema.Decimal:
		if nt == schema.BigInt {
			return true
		}
		if nt == schema.Double {
			d := decompose(n.digits, raw)
			n.digits = d.digits[:0]
			return d.fitsDecimal()
		}
	}
	return false
}

// unquoted returns the content of the JSON string raw; the result is
// valid until the next call.
func (n *Normalizer) unquoted(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var err error
	n.unq, err = jsontext.AppendUnquote(n.unq[:0], raw)
	if err != nil {
		return raw[1 : len(raw)-1] // not reached: the parser validated raw
	}
	return n.unq
}

// unquote returns the content of the JSON string raw as a string.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	s, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return string(raw[1 : len(raw)-1]) // not reached: the parser validated raw
	}
	return string(s)
}
