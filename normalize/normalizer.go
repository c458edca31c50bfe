package normalize

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/restload/restload/schema"
)

// seqField is the ordering field of root rows, destination.SeqField.
const seqField = "_rl_seq"

// File is one written file of rows of one table.
type File struct {
	Table string
	// Path is the file's path: the Normalizer's directory joined with
	// <table>.<n>.jsonl.
	Path string
	Rows int64
}

// Normalizer turns the items of one load package into rows of root and
// child tables, written as JSONL files, and grows a schema as it meets
// new fields. It is not safe for concurrent use.
type Normalizer struct {
	// MaxFileBytes starts a new file for a table once its current file
	// holds at least this many bytes. Zero writes one file per table.
	MaxFileBytes int64

	s           *schema.Schema
	loadID      string
	dir         string
	loadIDField []byte // `,"_rl_load_id":"…"`

	tables map[string]*table
	names  map[string]string // raw member name -> identifier
	dirty  bool              // the schema changed and its version was bumped
	seq    int64             // _rl_seq of the last root row
	serial int64             // serial of the last row, for claiming names
	err    error             // a write error that ends the Normalizer
	closed bool

	// state of the current Normalize call and item
	maxNesting int
	lines      lineReader
	p          *parser
	line       []byte
	out        []byte // rows of the current item
	rows       []rowSpan
	pending    []pendingList
	digits     []byte // digits of the number being classified
	unq        []byte // the string being unquoted
}

// New returns a Normalizer that writes files into dir for the load
// package loadID and grows s in place. The directory must exist.
func New(s *schema.Schema, loadID, dir string) *Normalizer {
	// AppendQuote replaces invalid UTF-8 with U+FFFD and reports it; the
	// quoted id is valid JSON either way.
	f, _ := jsontext.AppendQuote(nil, loadID)
	return &Normalizer{
		s:           s,
		loadID:      loadID,
		dir:         dir,
		loadIDField: append([]byte(`,"`+schema.ColumnLoadID+`":`), f...),
		tables:      make(map[string]*table),
		names:       make(map[string]string),
		p:           &parser{},
	}
}

// errClosed is returned by Normalize after Close.
var errClosed = errors.New("normalizer is closed")

// Normalize reads items, one JSON value per line, and writes their rows.
// The items belong to the root table h.Table; h also sets the primary
// key, write disposition and nesting limit. Normalize may be called for
// several resources and files before Close.
//
// An item that is not valid JSON or lacks a primary key value stops
// Normalize with an error naming the table and line. The rows of the items
// before it are written and the rows of that item are not. The schema
// keeps the columns that earlier items added.
func (n *Normalizer) Normalize(h schema.Hints, items io.Reader) error {
	if n.closed {
		return errClosed
	}
	if n.err != nil {
		return n.err
	}
	t, err := n.rootTable(h)
	if err != nil {
		return fmt.Errorf("normalize %s: %w", h.Table, err)
	}
	n.maxNesting = h.MaxNesting
	n.lines.reset(items)

	for line := 1; ; line++ {
		b, err := n.lines.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("normalize %s: read line %d: %w", t.t.Name, line, err)
		}
		if isBlank(b) {
			continue
		}
		if err := n.item(t, b); err != nil {
			return fmt.Errorf("normalize %s: line %d: %w", t.t.Name, line, err)
		}
		if n.err != nil {
			return n.err
		}
	}
}

// item normalizes one line into rows and writes them.
func (n *Normalizer) item(t *table, line []byte) error {
	root, err := n.p.parse(line)
	if err != nil {
		return err
	}
	n.line = line
	src := rowSource{node: root}
	if n.p.nodes[root].kind != kindObject {
		src.wrap = valueKey
	}
	if err := n.checkPrimaryKey(t, src); err != nil {
		return err
	}

	n.out, n.rows = n.out[:0], n.rows[:0]
	n.seq++
	if t.ids == nil {
		t.ids = newIDDeriver("root", n.loadID, t.t.Name)
	}
	id := t.ids.root(n.seq)
	n.row(t, src, rowLinks{id: id, root: id})
	n.write()
	return nil
}

// checkPrimaryKey returns an error unless the item has a value for every
// primary key column that the column's type takes.
func (n *Normalizer) checkPrimaryKey(t *table, src rowSource) error {
	for _, pk := range t.pk {
		v := n.findColumn(t.shape, src, pk)
		if v < 0 {
			return fmt.Errorf("missing value of primary key column %s of table %s", pk, t.t.Name)
		}
		switch n.p.nodes[v].kind {
		case kindObject, kindArray:
			return fmt.Errorf("primary key column %s of table %s contains an object or array; "+
				"it must be a string, number or bool", pk, t.t.Name)
		}
		c := t.cols[pk]
		if c == nil {
			continue
		}
		mark := len(n.out)
		ok := n.appendValue(c.c.Type, v)
		n.out = n.out[:mark]
		if !ok {
			return fmt.Errorf("primary key column %s of table %s has type %s, which does not take "+
				"the item's %s value", pk, t.t.Name, c.c.Type, n.valueType(v))
		}
	}
	return nil
}

// findColumn returns the node of the first non-null value that lands in
// the column name of the row made from src, or -1. It follows the order
// in which rows are built, so it finds the value that claims the name.
func (n *Normalizer) findColumn(s *shape, src rowSource, name string) int32 {
	if src.wrap != nil {
		return n.findMember(s, 0, src.wrap, src.node, name)
	}
	pos := 0
	for c := n.p.nodes[src.node].first; c >= 0; c = n.p.nodes[c].next {
		k := n.p.nodes[c].key
		if v := n.findMember(s, pos, n.line[k.start:k.end], c, name); v >= 0 {
			return v
		}
		pos++
	}
	return -1
}

func (n *Normalizer) findMember(s *shape, pos int, key []byte, v int32, name string) int32 {
	nd := &n.p.nodes[v]
	if nd.kind == kindNull {
		return -1
	}
	f := n.field(s, pos, key)
	if (nd.kind == kindObject || nd.kind == kindArray) && n.unfolds(s.level) {
		if nd.kind == kindArray || !strings.HasPrefix(name, f.name+"__") {
			return -1
		}
		return n.findColumn(s.object(f), rowSource{node: v}, name)
	}
	if f.name == name {
		return v
	}
	return -1
}
