package openapi

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxSchemaDepth bounds how deep flatten follows allOf, oneOf and anyOf,
// so that a recursive schema ends.
const maxSchemaDepth = 12

// shape is a schema as a response or request body uses it: allOf parts
// merged, and of oneOf and anyOf the branch that carries the data.
type shape struct {
	schema *openapi3.Schema
	types  []string
	props  map[string]*openapi3.Schema
	// order lists the property names in the order of the document's parts,
	// sorted within each part, so that the output is deterministic.
	order []string
	items *openapi3.Schema
}

// flatten returns the shape of s; nil gives an empty shape.
func flatten(s *openapi3.Schema) *shape { return flattenDepth(s, 0) }

func flattenDepth(s *openapi3.Schema, depth int) *shape {
	sh := &shape{schema: s, props: map[string]*openapi3.Schema{}}
	if s == nil || depth > maxSchemaDepth {
		return sh
	}
	if s.Type != nil {
		sh.types = s.Type.Slice()
	}
	names := make([]string, 0, len(s.Properties))
	for name, ref := range s.Properties {
		if ref != nil && ref.Value != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		sh.addProp(name, s.Properties[name].Value)
	}
	if s.Items != nil && s.Items.Value != nil {
		sh.items = s.Items.Value
	}
	for _, part := range s.AllOf {
		if part != nil {
			sh.merge(flattenDepth(part.Value, depth+1))
		}
	}
	for _, branches := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if b := chooseBranch(branches, depth+1); b != nil {
			sh.merge(b)
		}
	}
	return sh
}

func (sh *shape) addProp(name string, s *openapi3.Schema) {
	if _, ok := sh.props[name]; !ok {
		sh.order = append(sh.order, name)
	}
	sh.props[name] = s
}

// merge adds o's members to sh; a member in both keeps sh's schema.
func (sh *shape) merge(o *shape) {
	for _, name := range o.order {
		if _, ok := sh.props[name]; !ok {
			sh.addProp(name, o.props[name])
		}
	}
	if sh.items == nil {
		sh.items = o.items
	}
	for _, t := range o.types {
		if !slices.Contains(sh.types, t) {
			sh.types = append(sh.types, t)
		}
	}
}

// chooseBranch picks the oneOf or anyOf branch that most likely carries
// the data: the first one with a list in it, else the first one that
// does not look like an error.
func chooseBranch(refs openapi3.SchemaRefs, depth int) *shape {
	var first *shape
	for _, ref := range refs {
		if ref == nil || ref.Value == nil {
			continue
		}
		b := flattenDepth(ref.Value, depth)
		if looksLikeError(ref.Value, b) {
			continue
		}
		if b.isArray() || b.hasArrayProp() {
			return b
		}
		if first == nil {
			first = b
		}
	}
	return first
}

// looksLikeError reports a branch titled as an error, or one whose members
// are an error report.
func looksLikeError(s *openapi3.Schema, b *shape) bool {
	if strings.Contains(strings.ToLower(s.Title), "error") {
		return true
	}
	for _, name := range []string{"errorInfo", "errors", "error"} {
		if _, ok := b.props[name]; ok && !b.hasArrayProp() {
			return true
		}
	}
	return false
}

func (sh *shape) isArray() bool {
	return sh.items != nil || slices.Contains(sh.types, "array")
}

func (sh *shape) isObject() bool {
	return len(sh.props) > 0 || slices.Contains(sh.types, "object")
}

func (sh *shape) hasArrayProp() bool {
	for _, name := range sh.order {
		if flatten(sh.props[name]).isArray() {
			return true
		}
	}
	return false
}

// prop returns the shape of member name, or nil.
func (sh *shape) prop(name string) *shape {
	s, ok := sh.props[name]
	if !ok {
		return nil
	}
	return flatten(s)
}

// isScalar reports a shape that is neither an object nor an array.
func (sh *shape) isScalar() bool { return !sh.isArray() && !sh.isObject() }

// is reports whether the shape's types include t.
func (sh *shape) is(t string) bool { return slices.Contains(sh.types, t) }

// normalize turns a name into lowercase letters and digits only, so that
// nextCursor, next_cursor and next-cursor compare equal.
func normalize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// field is a member of a response found by name, with its dotted path.
type field struct {
	path  string
	shape *shape
}

// findField looks for a member whose normalized name is one of names,
// first at the top of sh, then one level down (meta.total, links.next).
// Earlier names win over later ones at the same level.
func findField(sh *shape, names ...string) *field {
	for _, want := range names {
		for _, name := range sh.order {
			if normalize(name) == want {
				return &field{path: name, shape: sh.prop(name)}
			}
		}
	}
	for _, outer := range sh.order {
		inner := sh.prop(outer)
		if inner.isArray() || !inner.isObject() {
			continue
		}
		for _, want := range names {
			for _, name := range inner.order {
				if normalize(name) == want {
					return &field{path: outer + "." + name, shape: inner.prop(name)}
				}
			}
		}
	}
	return nil
}
