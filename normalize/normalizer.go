package normalize

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
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
	// <table>.<n>.jsonl, or <table>.<n>.jsonl.zst when the Normalizer
	// compresses its files.
	Path string
	Rows int64
}

// Normalizer turns the items of one load package into rows of root and
// child tables, written as JSONL files, and grows a schema as it meets
// new fields. It is not safe for concurrent use. Set its exported fields
// before the first call of Normalize.
type Normalizer struct {
	// MaxFileBytes starts a new file for a table once its current file
	// holds at least this many bytes. Zero writes one file per table.
	MaxFileBytes int64
	// HashKey is the secret key of PII mode hash (HMAC-SHA256). The same
	// key gives the same hashes on every run. Normalize fails with
	// ErrNoHashKey when a hint sets PII mode hash and the key is empty.
	HashKey []byte
	// MaxIdentifierLength is the longest table or column name, in bytes,
	// that the destination accepts; longer names are shortened by
	// schema.ShortenIdentifier. Zero means no limit.
	MaxIdentifierLength int
	// Compress writes every file as one zstd stream, which
	// destination.OpenJob reads back. JSONL rows repeat their member
	// names, so the files shrink to about a seventh, and a large package
	// needs that much less free disk.
	Compress bool

	s           *schema.Schema
	loadID      string
	dir         string
	loadIDField []byte // `,"_rl_load_id":"…"`

	tables map[string]*table
	names  map[string]string // raw member name -> identifier
	dirty  bool              // the schema changed and its version was bumped
	seq    int64             // _rl_seq of the current root row
	serial int64             // serial of the last row, for claiming names
	err    error             // a write error that ends the Normalizer
	closed bool
	report reporter
	// skipSync leaves out the fsync of each file in Close. Only tests set
	// it (export_test.go), so that fuzzing is not bound by the disk.
	skipSync bool

	// state of the current Normalize call and item
	res     *resource
	lines   lineReader
	p       *parser
	line    []byte
	out     []byte // rows of the current item
	rows    []rowSpan
	pending []pendingList
	digits  []byte    // digits of the number being classified
	unq     []byte    // the string being unquoted
	scratch []byte    // JSON text of a value being quoted or hashed
	mac     hash.Hash // HMAC-SHA256 under HashKey, created on first use
	rowHash hash.Hash // SHA-256 for row hashes, created on first use
	sum     [32]byte  // output of mac and rowHash
	// fault is a contract or nullable violation met while building the
	// current item; the item is not written and Normalize returns it.
	fault error
	// dropRow is set when a contract discards the row being built.
	dropRow bool
	// hashAt is the offset in out of the row hash placeholder of the
	// current item's root row, or -1.
	hashAt int
}

// resource is the state of one Normalize call: the settings from its
// hints and the root table they apply to.
type resource struct {
	hints *schema.Hints
	// name is the root table name; root is nil until the table exists,
	// which a contract on tables can delay until the first item.
	name string
	root *table
	// Column names (before shortening) that hints give roles in the root
	// table.
	pk, mergeKey []string
	hardDelete   string
	dedup        string
	dedupOrder   schema.SortOrder
	tree         *hintNode
	contract     schema.Contract
	maxNesting   int
	detectDate   bool
	history      bool
	disposition  schema.WriteDisposition
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
		hashAt:      -1,
	}
}

// errClosed is returned by Normalize after Close.
var errClosed = errors.New("normalizer is closed")

// Normalize reads items, one JSON value per line, and writes their rows.
// The items belong to the root table h.Table. The hints also set the
// keys, write disposition, nesting limit, column hints and contract, and
// h.Validate checks them first. Normalize may be called for several
// resources and files before Close.
//
// An item that is not valid JSON, lacks a primary key value or a value
// of a column that a hint makes not nullable, or breaks a frozen
// contract stops Normalize with an error naming the table and line. A
// contract violation is a *schema.ContractError. The rows of the items
// before it are written and the rows of that item are not. The schema
// keeps the columns that earlier items added.
func (n *Normalizer) Normalize(h schema.Hints, items io.Reader) error {
	if n.closed {
		return errClosed
	}
	if n.err != nil {
		return n.err
	}
	if err := n.begin(&h); err != nil {
		return fmt.Errorf("normalize %s: %w", h.Table, err)
	}
	n.lines.reset(items)

	for line := 1; ; line++ {
		b, err := n.lines.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("normalize %s: read line %d: %w", n.res.name, line, err)
		}
		if isBlank(b) {
			continue
		}
		if err := n.item(b); err != nil {
			return fmt.Errorf("normalize %s: line %d: %w", n.res.name, line, err)
		}
		if n.err != nil {
			return n.err
		}
	}
}

// begin checks h and prepares the root table for its items.
func (n *Normalizer) begin(h *schema.Hints) error {
	if err := h.Validate(); err != nil {
		return err
	}
	r := &resource{
		hints:       h,
		name:        n.physical(h.Table),
		pk:          h.PrimaryKeyColumns(),
		mergeKey:    h.MergeKeyColumns(),
		tree:        compileHints(h.Columns),
		contract:    h.Contract,
		maxNesting:  h.MaxNesting,
		detectDate:  slices.Contains(h.Detections, schema.DetectISODate),
		disposition: h.Disposition(),
	}
	r.history = r.disposition == schema.History
	for path, c := range h.Columns {
		name, _ := schema.HintColumn(path)
		if c.HardDelete {
			r.hardDelete = name
		}
		if c.DedupSort != "" {
			r.dedup, r.dedupOrder = name, c.DedupSort
		}
	}
	if r.tree.needsKey() && len(n.HashKey) == 0 {
		return ErrNoHashKey
	}
	n.res = r

	t := n.lookupTable(r.name)
	if t == nil {
		if mode(r.contract.Tables) != schema.Evolve {
			return nil // created, or not, when the first item comes
		}
		t = n.newTable(r.name, h.Table, nil)
	}
	if !t.t.IsRoot() {
		return fmt.Errorf("table %s is already a child table of %s; choose another name",
			r.name, t.t.Parent)
	}
	n.setupRoot(t)
	return nil
}

// item normalizes one line into rows and writes them.
func (n *Normalizer) item(line []byte) error {
	root, err := n.p.parse(line)
	if err != nil {
		return err
	}
	n.line = line
	src := rowSource{node: root}
	if n.p.nodes[root].kind != kindObject {
		src.wrap = valueKey
	}
	t := n.res.root
	if t == nil {
		if t = n.admitRoot(root); t == nil {
			return n.takeFault()
		}
	}
	if err := n.checkPrimaryKey(t, src); err != nil {
		return err
	}

	n.out, n.rows, n.hashAt = n.out[:0], n.rows[:0], -1
	t.seq++
	n.seq = t.seq
	if t.ids == nil {
		t.ids = newIDDeriver("root", n.loadID, t.t.Name)
	}
	id := t.ids.root(n.seq)
	n.row(t, src, rowLinks{id: id, root: id})
	if n.fault != nil {
		return n.takeFault()
	}
	if n.hashAt >= 0 && len(n.rows) > 0 {
		n.fillRowHash()
	}
	n.write()
	return nil
}

// takeFault returns the fault of the current item and clears it.
func (n *Normalizer) takeFault() error {
	err := n.fault
	n.fault = nil
	return err
}

// checkPrimaryKey returns an error unless the item has a value for every
// primary key column that the column's type takes.
func (n *Normalizer) checkPrimaryKey(t *table, src rowSource) error {
	for _, pk := range n.res.pk {
		f, v := n.findColumn(t.shape, src, pk)
		if v < 0 {
			return fmt.Errorf("missing value of primary key column %s of table %s", pk, t.t.Name)
		}
		switch n.p.nodes[v].kind {
		case kindObject, kindArray:
			return fmt.Errorf("primary key column %s of table %s contains an object or array; "+
				"it must be a string, number or bool", pk, t.t.Name)
		}
		c := t.cols[n.physical(pk)]
		if c == nil {
			continue
		}
		mark := len(n.out)
		ok := n.appendField(c, f, v)
		n.out = n.out[:mark]
		if !ok {
			return fmt.Errorf("primary key column %s of table %s has type %s, which does not take "+
				"the item's %s value", pk, t.t.Name, c.c.Type, n.valueType(v))
		}
	}
	return nil
}

// findColumn returns the field and node of the first non-null value that
// lands in the column name (before shortening) of the row made from src,
// or a node of -1. It follows the order in which rows are built, so it
// finds the value that claims the name.
func (n *Normalizer) findColumn(s *shape, src rowSource, name string) (*field, int32) {
	if src.wrap != nil {
		return n.findMember(s, 0, src.wrap, src.node, name)
	}
	pos := 0
	for c := n.p.nodes[src.node].first; c >= 0; c = n.p.nodes[c].next {
		k := n.p.nodes[c].key
		if f, v := n.findMember(s, pos, n.line[k.start:k.end], c, name); v >= 0 {
			return f, v
		}
		pos++
	}
	return nil, -1
}

func (n *Normalizer) findMember(s *shape, pos int, key []byte, v int32, name string) (*field, int32) {
	nd := &n.p.nodes[v]
	if nd.kind == kindNull {
		return nil, -1
	}
	f := n.field(s, pos, key)
	if f.drop {
		return nil, -1
	}
	if (nd.kind == kindObject || nd.kind == kindArray) && n.unfolds(s.level) && !f.whole {
		if nd.kind == kindArray || !strings.HasPrefix(name, f.name+"__") {
			return nil, -1
		}
		return n.findColumn(s.object(f), rowSource{node: v}, name)
	}
	if f.name == name {
		return f, v
	}
	return nil, -1
}

// mode returns m, or Evolve when m is empty.
func mode(m schema.ContractMode) schema.ContractMode {
	if m == "" {
		return schema.Evolve
	}
	return m
}
