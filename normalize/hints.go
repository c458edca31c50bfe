package normalize

import (
	"slices"
	"strings"

	"github.com/restload/restload/schema"
)

// hintNode is one member on the paths of a resource's column hints. The
// nodes form a tree from the item down. Shapes and fields point at the
// node of their path, so a field looks up its hint once, when it is
// first met.
type hintNode struct {
	name     string
	children map[string]*hintNode
	// hint is the hint set on exactly this path, or nil.
	hint *schema.ColumnHint
	// pii is the PII mode of this path: its own, or the nearest one set
	// above it.
	pii schema.PIIMode
	// piiBelow is set when a path below this one has a PII mode, so that
	// a value stored whole as json must be redacted member by member.
	piiBelow bool
	// inherit is the node of every path below this one that has no node
	// of its own; it carries pii and nothing else.
	inherit *hintNode
	// list is set once a value at this path turned out to be a list,
	// which moves the paths below it into a child table.
	list bool
	// objectIn is the serial of the last row in which an object at this
	// path was flattened.
	objectIn int64
}

// compileHints builds the tree of column hint paths. The paths were
// validated by schema.Hints.Validate, so they split without error.
func compileHints(cols map[string]schema.ColumnHint) *hintNode {
	if len(cols) == 0 {
		return nil
	}
	root := &hintNode{}
	paths := make([]string, 0, len(cols))
	for p := range cols {
		paths = append(paths, p)
	}
	// Sorted, so that two paths that normalize alike merge the same way
	// on every run: the later one in byte order wins.
	slices.Sort(paths)
	for _, p := range paths {
		parts, err := schema.SplitHintPath(p)
		if err != nil {
			continue
		}
		nd := root
		for _, part := range parts {
			next := nd.children[part]
			if next == nil {
				if nd.children == nil {
					nd.children = make(map[string]*hintNode)
				}
				next = &hintNode{name: part}
				nd.children[part] = next
			}
			nd = next
		}
		h := cols[p]
		nd.hint = &h
	}
	root.propagate("")
	return root
}

// propagate sets pii from the nearest hint above and piiBelow from the
// hints below, and returns whether this node or one below has a PII mode.
func (nd *hintNode) propagate(inherited schema.PIIMode) bool {
	nd.pii = inherited
	if nd.hint != nil && nd.hint.PII != "" {
		nd.pii = nd.hint.PII
	}
	if nd.pii != "" {
		nd.inherit = &hintNode{name: "", pii: nd.pii}
		nd.inherit.inherit = nd.inherit
	}
	for _, c := range nd.children {
		if c.propagate(nd.pii) {
			nd.piiBelow = true
		}
	}
	return nd.piiBelow || nd.pii != ""
}

// child returns the node of member name below nd, the inherited node
// when nd carries a PII mode for all paths below it, or nil.
func (nd *hintNode) child(name string) *hintNode {
	if nd == nil {
		return nil
	}
	if c, ok := nd.children[name]; ok {
		return c
	}
	return nd.inherit
}

// needsKey reports whether a hint at or below nd sets PII mode hash.
func (nd *hintNode) needsKey() bool {
	if nd == nil {
		return false
	}
	if nd.hint != nil && nd.hint.PII == schema.PIIHash {
		return true
	}
	for _, c := range nd.children {
		if c.needsKey() {
			return true
		}
	}
	return false
}

// dataType returns the data type that the hint on nd sets, or "".
func (nd *hintNode) dataType() schema.DataType {
	if nd == nil || nd.hint == nil {
		return ""
	}
	return nd.hint.DataType
}

// redacts reports whether values at nd, or below it, are transformed.
func (nd *hintNode) redacts() bool {
	return nd != nil && (nd.pii != "" || nd.piiBelow)
}

// requiredColumn is a column that a hint makes not nullable, by its
// path from the hint node of a table's rows.
type requiredColumn struct {
	name string      // the column name: the members joined by "__"
	path []*hintNode // the nodes of the members, to skip the path once one of them is a list
}

// required returns the columns below nd that hints make not nullable,
// sorted by name.
func (nd *hintNode) required() []requiredColumn {
	if nd == nil {
		return nil
	}
	var out []requiredColumn
	var walk func(n *hintNode, path []*hintNode)
	walk = func(n *hintNode, path []*hintNode) {
		for _, c := range n.children {
			p := append(slices.Clone(path), c)
			if c.hint != nil && c.hint.Nullable != nil && !*c.hint.Nullable {
				names := make([]string, len(p))
				for i, x := range p {
					names[i] = x.name
				}
				out = append(out, requiredColumn{name: strings.Join(names, "__"), path: p})
			}
			walk(c, p)
		}
	}
	walk(nd, nil)
	slices.SortFunc(out, func(a, b requiredColumn) int { return strings.Compare(a.name, b.name) })
	return out
}
