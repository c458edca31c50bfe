package openapi

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/restload/restload/source/rest"
)

// Options sets what Generate cannot take from the document.
type Options struct {
	// Name is the source name: the key of its state and the section of
	// its secrets. Empty means the document's title in snake_case.
	Name string
	// File names the document in errors and in the definition's header.
	File string
	// BaseURL replaces the URL of the document's first server.
	BaseURL string
}

// Definition is a generated source definition.
type Definition struct {
	// Config is the definition as rest.Parse reads it from YAML.
	Config *rest.Config
	// YAML is the definition with a comment on every guess.
	YAML []byte
	// Secrets lists the names of the secrets that the auth refers to.
	Secrets []string
	// Skipped lists the operations that became no resource, with why.
	Skipped []Skipped
}

// Skipped is an operation that the definition leaves out.
type Skipped struct {
	// Operation is the method and path, and the operation id if any.
	Operation string
	// Write is set for operations that change data.
	Write bool
	// Reason says why a read was left out; empty for writes.
	Reason string
}

// GenerateFile reads the OpenAPI document at path and generates a source
// definition from it.
func GenerateFile(path string, opts Options) (*Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	if opts.File == "" {
		opts.File = path
	}
	return Generate(data, opts)
}

// Generate turns an OpenAPI 3.x document, YAML or JSON, into a source
// definition. It fails with an *Error when the document is not OpenAPI
// 3.x or a reference in it does not resolve.
func Generate(data []byte, opts Options) (*Definition, error) {
	if opts.File == "" {
		opts.File = "openapi document"
	}
	doc, err := load(opts.File, data)
	if err != nil {
		return nil, err
	}
	g := &generator{doc: doc, opts: opts}
	g.build()
	out, err := g.emit()
	if err != nil {
		return nil, err
	}
	cfg, err := rest.Parse(g.name+".yaml", out)
	if err != nil {
		return nil, fmt.Errorf("check the definition generated from %s: %w", opts.File, err)
	}
	return &Definition{Config: cfg, YAML: out, Secrets: g.auth.secrets, Skipped: g.skipped}, nil
}

// setting is one generated key and value, with a comment when the value
// is a guess.
type setting struct {
	key   string
	value any
	note  string
}

// resource is a list operation on its way to becoming a resource.
type resource struct {
	op   *operation
	name string
	// noun is the normalized singular of what the list returns, for
	// matching parameters such as jobId; empty when the list reads
	// something else of its noun, as candidate.listNotes does.
	noun     string
	selector string
	item     *shape
	path     string
	params   []setting
	body     []setting
	notes    []string
	pager    pagination
	pk       []string
	pkNote   string
	parent   *resource
	field    string
	skip     string
}

type generator struct {
	doc       *document
	opts      Options
	name      string
	baseURL   string
	baseNote  string
	auth      authResult
	resources []*resource
	skipped   []Skipped
}

func (g *generator) build() {
	api := g.doc.api
	g.name = g.opts.Name
	if g.name == "" && api.Info != nil {
		g.name = snake(api.Info.Title)
	}
	if g.name == "" {
		g.name = rest.DefaultName
	}
	g.baseURL, g.baseNote = baseURL(api, g.opts.BaseURL)
	g.auth = detectAuth(api)
	for _, op := range operations(api) {
		g.classify(op)
	}
	g.assignNames()
	for _, r := range g.resources {
		r.pager = detectPagination(r.op)
	}
	g.borrowCursors()
	for _, r := range g.resources {
		g.resolve(r)
	}
	g.dropOrphans()
	for _, r := range g.resources {
		r.pk, r.pkNote = primaryKey(r.item)
	}
}

// readVerbs are RPC verbs of operations that read without changing data.
var readVerbs = regexp.MustCompile(`^(info|get|search|find|retrieve|fetch|list)`)

// classify makes op a resource when it lists objects, and records why
// not otherwise.
func (g *generator) classify(op *operation) {
	switch op.method {
	case http.MethodGet:
		if strings.HasSuffix(op.path, "}") {
			g.skip(op, false, "reads one object by its key")
			return
		}
		sel, item := itemsOf(op.response)
		if item == nil {
			g.skip(op, false, "returns no list")
			return
		}
		segs := staticSegments(op.path)
		noun := ""
		if len(segs) > 0 {
			noun = normalize(singular(snake(segs[len(segs)-1])))
		}
		g.resources = append(g.resources, &resource{op: op, selector: sel, item: item, noun: noun})
	case http.MethodPost:
		noun, rest, ok := listVerb(op.path)
		if !ok {
			seg := op.path[strings.LastIndex(op.path, "/")+1:]
			verb := seg[strings.LastIndex(seg, ".")+1:]
			if strings.Contains(seg, ".") && readVerbs.MatchString(verb) {
				g.skip(op, false, "reads one object or searches")
			} else {
				g.skip(op, true, "")
			}
			return
		}
		sel, item := itemsOf(op.response)
		if item == nil {
			g.skip(op, false, "returns no list")
			return
		}
		r := &resource{op: op, selector: sel, item: item}
		if rest == "" {
			r.noun = normalize(noun)
		}
		g.resources = append(g.resources, r)
	default:
		g.skip(op, true, "")
	}
}

func (g *generator) skip(op *operation, write bool, reason string) {
	g.skipped = append(g.skipped, Skipped{Operation: op.String(), Write: write, Reason: reason})
}

// perItem matches a path that lists something of one item, such as
// /issues/{number}/comments.
var perItem = regexp.MustCompile(`/[^/{}]+/\{[^/{}]+\}/[^/{}]+$`)

// candidateNames returns names for a resource from the most to the least
// specific choice that is still short.
func candidateNames(r *resource) []string {
	if noun, rest, ok := listVerb(r.op.path); ok {
		parts := strings.Split(noun, ".")
		for i := range parts {
			parts[i] = snake(parts[i])
		}
		base := strings.Join(parts, "_")
		if rest == "" {
			return []string{plural(base)}
		}
		return []string{base + "_" + snake(rest)}
	}
	segs := staticSegments(r.op.path)
	for i := range segs {
		segs[i] = snake(segs[i])
	}
	var out []string
	last := segs[len(segs)-1]
	if len(segs) > 1 && perItem.MatchString(r.op.path) {
		// issues/{number}/comments reads the comments of one issue.
		out = append(out, singular(segs[len(segs)-2])+"_"+last)
	} else {
		out = append(out, last)
	}
	for n := 2; n <= len(segs); n++ {
		out = append(out, strings.Join(segs[len(segs)-n:], "_"))
	}
	return out
}

// assignNames gives each resource the first of its candidate names that
// no other resource wants, in path order.
func (g *generator) assignNames() {
	wants := map[string]int{}
	cands := make([][]string, len(g.resources))
	for i, r := range g.resources {
		cands[i] = candidateNames(r)
		wants[cands[i][0]]++
	}
	used := map[string]bool{}
	for i, r := range g.resources {
		for _, c := range cands[i] {
			if !used[c] && (wants[c] <= 1 || c != cands[i][0]) {
				r.name = c
				break
			}
		}
		if r.name == "" {
			base := cands[i][len(cands[i])-1]
			r.name = base
			for n := 2; used[r.name]; n++ {
				r.name = fmt.Sprintf("%s_%d", base, n)
			}
		}
		used[r.name] = true
	}
}

// dropOrphans skips the resources whose parent is skipped, until none is
// left.
func (g *generator) dropOrphans() {
	for changed := true; changed; {
		changed = false
		for _, r := range g.resources {
			if r.skip == "" && r.parent != nil && r.parent.skip != "" {
				r.skip = "its parent " + r.parent.name + " is left out"
				changed = true
			}
		}
	}
	kept := g.resources[:0]
	for _, r := range g.resources {
		if r.skip != "" {
			g.skip(r.op, false, r.skip)
			continue
		}
		kept = append(kept, r)
	}
	g.resources = kept
}

// itemMembers are the member names that usually hold a page's items, in
// order of preference.
var itemMembers = []string{"results", "data", "items", "entries", "records", "rows", "values", "objects", "elements", "list", "content", "hits", "nodes"}

// itemsOf finds the list in a response: the response itself, a member
// with a usual name (also one level down, as in data.items), or the only
// list of objects. It returns the data selector and the items' shape,
// or a nil shape when there is no list.
func itemsOf(resp *shape) (string, *shape) {
	if resp == nil {
		return "", nil
	}
	if resp.isArray() {
		return "$", flatten(resp.items)
	}
	for _, want := range itemMembers {
		for _, name := range resp.order {
			if normalize(name) == want {
				if p := resp.prop(name); p.isArray() {
					return name, flatten(p.items)
				}
			}
		}
	}
	for _, outer := range resp.order {
		inner := resp.prop(outer)
		if inner.isArray() || !inner.isObject() {
			continue
		}
		for _, want := range itemMembers {
			for _, name := range inner.order {
				if p := inner.prop(name); normalize(name) == want && p.isArray() {
					return outer + "." + name, flatten(p.items)
				}
			}
		}
	}
	var found []string
	for _, name := range resp.order {
		if p := resp.prop(name); p.isArray() && flatten(p.items).isObject() {
			found = append(found, name)
		}
	}
	if len(found) == 1 {
		return found[0], flatten(resp.prop(found[0]).items)
	}
	return "", nil
}

// primaryKey guesses the key of the items from their members.
func primaryKey(item *shape) ([]string, string) {
	for _, want := range []string{"id", "uuid", "guid"} {
		for _, name := range item.order {
			if normalize(name) == want && item.prop(name).isScalar() {
				return []string{name}, "guessed: the items' " + name + " member identifies them"
			}
		}
	}
	return nil, "no id member in the items: rows are appended"
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
