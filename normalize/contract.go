package normalize

import (
	"unicode/utf8"

	"github.com/restload/restload/schema"
)

// maxErrorValue bounds the JSON text of a value quoted in a contract
// error.
const maxErrorValue = 80

// admit decides whether the value v of field f may create the column
// named column of table t, a change of the given kind ("column" or "data
// type") that the contract mode m governs. Under Freeze it records a
// *schema.ContractError as the item's fault; under DiscardRow it marks
// the row dropped; under DiscardValue the value alone is dropped.
func (n *Normalizer) admit(m schema.ContractMode, kind string, t *table, column string, f *field, v int32, typ schema.DataType) bool {
	switch m {
	case schema.Evolve:
		return true
	case schema.Freeze:
		if n.fault == nil {
			n.fault = &schema.ContractError{
				Kind: kind, Table: t.t.Name, Column: column, Value: n.errorValue(f.hint, v), Type: typ,
			}
		}
	case schema.DiscardRow:
		if !n.dropRow {
			n.report.discard(t.t.Name, column, kind, m, 1, 0)
		}
		n.dropRow = true
	default:
		n.report.discard(t.t.Name, column, kind, m, 0, 1)
	}
	return false
}

// admitTable decides whether the list arr in field f may create the
// child table name. Under both discard modes the list's rows are dropped
// and the parent row is kept.
func (n *Normalizer) admitTable(name string, f *field, arr int32) bool {
	m := mode(n.res.contract.Tables)
	switch m {
	case schema.Evolve:
		return true
	case schema.Freeze:
		if n.fault == nil {
			n.fault = &schema.ContractError{
				Kind: "table", Table: name, Column: n.physical(f.name), Value: n.errorValue(f.hint, arr),
			}
		}
	default:
		rows := int64(0)
		for e := n.p.nodes[arr].first; e >= 0; e = n.p.nodes[e].next {
			rows++
		}
		n.report.discard(name, "", "table", m, rows, 0)
	}
	return false
}

// admitRoot decides whether the item v may create the resource's root
// table, which does not exist and which a contract on tables governs. It
// returns the new table, or nil when the item is discarded or, under
// Freeze, when a fault is recorded.
func (n *Normalizer) admitRoot(v int32) *table {
	r := n.res
	m := mode(r.contract.Tables)
	switch m {
	case schema.Evolve:
	case schema.Freeze:
		n.fault = &schema.ContractError{Kind: "table", Table: r.name, Value: n.errorValue(r.tree, v)}
		return nil
	default:
		n.report.discard(r.name, "", "table", m, 1, 0)
		return nil
	}
	n.setupRoot(n.newTable(r.name, r.hints.Table, nil))
	return r.root
}

// errorValue returns the value v as compact JSON for an error message,
// transformed by the PII modes of its path (hint node nd) and cut to
// about maxErrorValue bytes.
func (n *Normalizer) errorValue(nd *hintNode, v int32) string {
	mark := len(n.out)
	if nd.redacts() {
		n.appendRedacted(v, nd)
	} else {
		node := &n.p.nodes[v]
		n.out = appendCompact(n.out, n.line[node.val.start:node.val.end])
	}
	b := n.out[mark:]
	n.out = n.out[:mark]
	if len(b) <= maxErrorValue {
		return string(b)
	}
	cut := maxErrorValue
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}
