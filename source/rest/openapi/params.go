package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// resolve fills r's path, query parameters and body: paging inputs as
// the paginator needs them, parameters that match a parent's field as
// placeholders, and required parameters from the document's examples.
func (g *generator) resolve(r *resource) {
	op := r.op
	r.path = op.path
	for _, name := range pathParams(op.path) {
		token := "{" + name + "}"
		if parent, field := g.matchParent(r, name, true); parent != nil && (r.parent == nil || r.parent == parent) {
			r.setParent(parent, field)
			r.path = strings.Replace(r.path, token, "{resources."+parent.name+"."+field+"}", 1)
			continue
		}
		var schema *openapi3.Schema
		p := op.param(openapi3.ParameterInPath, name)
		if p != nil && p.Schema != nil {
			schema = p.Schema.Value
		}
		v, note := exampleOf(p, schema, nil)
		text := scalarText(v)
		if text == "" {
			text = strings.ToUpper(snake(name))
			note = "replace " + text + " with the " + name + " to load"
		}
		r.notes = append(r.notes, fmt.Sprintf("path parameter %s is %s: %s", name, text, note))
		r.path = strings.Replace(r.path, token, escapeBraces(text), 1)
	}
	r.path = strings.TrimPrefix(r.path, "/")

	if sz := r.pager.size; sz != nil {
		s := setting{key: sz.name, value: r.pager.sizeValue, note: r.pager.sizeNote}
		if sz.body {
			r.body = append(r.body, s)
		} else {
			s.value = fmt.Sprint(r.pager.sizeValue)
			r.params = append(r.params, s)
		}
	}
	for _, p := range op.queryParams() {
		if slices.Contains(r.pager.consumed, p.Name) {
			continue
		}
		var schema *openapi3.Schema
		if p.Schema != nil {
			schema = p.Schema.Value
		}
		if s, ok := g.inputSetting(r, p.Name, p.Required, p, schema, nil); ok {
			s.value = scalarText(s.value)
			r.params = append(r.params, s)
		}
	}
	if op.method == http.MethodPost && op.body != nil {
		var bodyExample map[string]any
		if op.body.schema != nil {
			bodyExample, _ = op.body.schema.Example.(map[string]any)
		}
		for _, name := range op.body.order {
			if slices.Contains(r.pager.consumed, name) {
				continue
			}
			required := slices.Contains(op.bodyRequired, name)
			if s, ok := g.inputSetting(r, name, required, nil, op.body.props[name], bodyExample); ok {
				r.body = append(r.body, s)
			}
		}
	}
	sort.SliceStable(r.params, func(i, j int) bool { return r.params[i].key < r.params[j].key })
	sort.SliceStable(r.body, func(i, j int) bool { return r.body[i].key < r.body[j].key })
}

// inputSetting decides the value of one query parameter or body member
// that the paginator does not set. ok is false for an input left out.
func (g *generator) inputSetting(r *resource, name string, required bool, p *openapi3.Parameter, schema *openapi3.Schema, bodyExample map[string]any) (setting, bool) {
	if parent, field := g.matchParent(r, name, false); parent != nil && (r.parent == nil && required || r.parent == parent) {
		r.setParent(parent, field)
		return setting{key: name, value: "{resources." + parent.name + "." + field + "}",
			note: fmt.Sprintf("guessed: the %s of each item of %s", field, parent.name)}, true
	}
	sh := flatten(schema)
	if !required {
		return optionalSetting(name, sh)
	}
	v, note := exampleOf(p, schema, bodyExample[name])
	if v == nil {
		if r.skip == "" {
			r.skip = fmt.Sprintf("it needs %s, which no example or parent list gives", name)
		}
		return setting{}, false
	}
	return setting{key: name, value: v, note: note}, true
}

// archivedWords mark a boolean filter that hides objects unless set,
// such as includeArchived.
var archivedWords = []string{"archived", "deactivated", "disabled", "inactive", "deleted", "closed", "hidden"}

// optionalSetting sets optional filters so that the list is complete: a
// filter that offers "all" gets it, an include-archived flag gets true,
// and a status filter that takes a list of values gets all of them.
func optionalSetting(name string, sh *shape) (setting, bool) {
	n := normalize(name)
	if sh.schema != nil && slices.ContainsFunc(sh.schema.Enum, func(v any) bool { return v == "all" }) {
		return setting{key: name, value: "all", note: "guessed: all, so the list is complete"}, true
	}
	if sh.is("boolean") && strings.HasPrefix(n, "include") && slices.ContainsFunc(archivedWords, func(w string) bool { return strings.Contains(n, w) }) {
		return setting{key: name, value: true, note: "guessed: also load the objects this flag hides"}, true
	}
	if sh.isArray() && (n == "status" || n == "statuses" || n == "state" || n == "states") {
		if items := flatten(sh.items); items.schema != nil && len(items.schema.Enum) > 0 {
			return setting{key: name, value: slices.Clone(items.schema.Enum), note: "guessed: every status, so the list is complete"}, true
		}
	}
	return setting{}, false
}

// exampleOf returns a value for a required input: its example, its
// schema's example or default, or the first enum value.
func exampleOf(p *openapi3.Parameter, schema *openapi3.Schema, bodyExample any) (any, string) {
	if p != nil {
		if p.Example != nil {
			return p.Example, "the document's example"
		}
		for _, k := range sortedKeys(p.Examples) {
			if ex := p.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
				return ex.Value.Value, "the document's example " + k
			}
		}
	}
	if bodyExample != nil {
		return bodyExample, "the document's example"
	}
	return schemaExample(schema, 0)
}

// schemaExample returns the example, default or first enum value of
// schema or of one of its allOf parts.
func schemaExample(schema *openapi3.Schema, depth int) (any, string) {
	if schema == nil || depth > maxSchemaDepth {
		return nil, ""
	}
	switch {
	case schema.Example != nil:
		return schema.Example, "the document's example"
	case len(schema.Examples) > 0:
		return schema.Examples[0], "the document's example"
	case schema.Default != nil:
		return schema.Default, "the document's default"
	case len(schema.Enum) > 0:
		vals := make([]string, len(schema.Enum))
		for i, v := range schema.Enum {
			vals[i] = scalarText(v)
		}
		note := "guessed: the only value"
		if len(vals) > 1 {
			note = "guessed: the first of " + strings.Join(vals, ", ") + "; a resource per value loads them all"
		}
		return schema.Enum[0], note
	}
	for _, part := range schema.AllOf {
		if part == nil {
			continue
		}
		if v, note := schemaExample(part.Value, depth+1); v != nil {
			return v, note
		}
	}
	return nil, ""
}

// matchParent finds the list whose items give the value of parameter
// name: for a path parameter, the list at the path before it; otherwise
// the list of the noun that an id-like name names, as jobId names jobs.
func (g *generator) matchParent(r *resource, name string, inPath bool) (*resource, string) {
	if inPath {
		i := strings.Index(r.op.path, "{"+name+"}")
		prefix := strings.TrimSuffix(r.op.path[:i], "/")
		for _, c := range g.resources {
			if c != r && c.op.method == http.MethodGet && c.op.path == prefix && !c.descendsFrom(r) {
				if field := parentField(c, name); field != "" {
					return c, field
				}
			}
		}
	}
	n := normalize(name)
	noun, ok := strings.CutSuffix(n, "id")
	if !ok || noun == "" {
		return nil, ""
	}
	var found *resource
	for _, c := range g.resources {
		if c == r || c.noun != noun || c.descendsFrom(r) {
			continue
		}
		if parentField(c, "id") == "" {
			continue
		}
		if found == nil || found.parent != nil && c.parent == nil {
			found = c
		}
	}
	if found == nil {
		return nil, ""
	}
	return found, parentField(found, "id")
}

// parentField returns the member of c's items that a parameter named
// name takes: the member of that name, else without c's noun in front
// (issue_number takes number), else id for an id-like name.
func parentField(c *resource, name string) string {
	n := normalize(name)
	candidates := []string{n, strings.TrimPrefix(n, c.noun)}
	if strings.HasSuffix(n, "id") {
		candidates = append(candidates, "id")
	}
	for _, want := range candidates {
		for _, m := range c.item.order {
			if normalize(m) == want && c.item.prop(m).isScalar() {
				return m
			}
		}
	}
	return ""
}

// descendsFrom reports whether r is o or has o among its ancestors.
func (r *resource) descendsFrom(o *resource) bool {
	for a := r; a != nil; a = a.parent {
		if a == o {
			return true
		}
	}
	return false
}

// setParent records the parent of r. The engine reads a resource for one
// parent at most, so callers match a second parameter only to the same
// parent.
func (r *resource) setParent(p *resource, field string) {
	if r.parent == nil {
		r.parent, r.field = p, field
	}
}

// scalarText formats a scalar example as a query or path value; other
// values give "".
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool, int, int64, float64:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func escapeBraces(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "{", "{{"), "}", "}}")
}
