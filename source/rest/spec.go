package rest

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
)

// mergeResource lays r over the defaults d: every key r sets wins, and
// endpoint params, json and headers, and column hints, merge member by
// member.
func mergeResource(d, r Resource) Resource {
	m := d
	m.Name = r.Name
	if r.TableName != "" {
		m.TableName = r.TableName
	}
	if r.PrimaryKey != nil {
		m.PrimaryKey = r.PrimaryKey
	}
	mergeHintKeys(&m, d, r)
	if r.MaxTableNesting != 0 {
		m.MaxTableNesting = r.MaxTableNesting
	}
	if r.Selected != nil {
		m.Selected = r.Selected
	}
	if r.IncludeFromParent != nil {
		m.IncludeFromParent = r.IncludeFromParent
	}
	if r.ProcessingSteps != nil {
		m.ProcessingSteps = r.ProcessingSteps
	}
	if r.ExtractHook != "" {
		m.ExtractHook = r.ExtractHook
	}
	de, re := d.Endpoint, r.Endpoint
	e := de
	e.Path = re.Path
	if re.Method != "" {
		e.Method = re.Method
	}
	e.Params = mergeMaps(de.Params, re.Params)
	e.Headers = mergeMaps(de.Headers, re.Headers)
	e.JSON = mergeMaps(de.JSON, re.JSON)
	if re.Auth != nil {
		e.Auth = re.Auth
	}
	if re.Paginator != nil {
		e.Paginator = re.Paginator
	}
	if re.DataSelector != "" {
		e.DataSelector = re.DataSelector
	}
	if re.ResponseActions != nil {
		e.ResponseActions = re.ResponseActions
	}
	if re.Incremental != nil {
		e.Incremental = re.Incremental
	}
	m.Endpoint = e
	return m
}

func mergeMaps[V any](d, r map[string]V) map[string]V {
	if d == nil && r == nil {
		return nil
	}
	m := make(map[string]V, len(d)+len(r))
	maps.Copy(m, d)
	maps.Copy(m, r)
	return m
}

// entityPath matches a path whose last segment holds a placeholder, such
// as "users/{resources.users.id}": such an endpoint returns one object.
var entityPath = regexp.MustCompile(`\{[^/{}]+\}[^/]*$`)

// buildSpec merges r with the defaults, checks how its keys combine and
// parses its expressions. It returns nil when r has problems.
func buildSpec(c *checker, cfg *Config, r *Resource, at string) *spec {
	before := len(c.problems)
	res := mergeResource(cfg.ResourceDefaults, *r)
	e := &res.Endpoint
	s := &spec{name: r.Name, at: at, res: res, selected: res.Selected == nil || *res.Selected}

	s.method = strings.ToUpper(e.Method)
	if s.method == "" {
		s.method = http.MethodGet
	}
	path := e.Path
	if path == "" {
		path = r.Name
	}
	if cfg.Client.BaseURL == "" && !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		c.add(at+".endpoint.path", "path %q is not a full URL and client.base_url is empty: set one of them", path)
	}
	var err error
	if s.path, err = parseTemplate(path); err != nil {
		if e.Path == "" {
			c.add(at+".name", "the name is also the path, and %v: set endpoint.path", err)
		}
		return nil // a path written out was reported by checkEndpoint
	}

	// The paginator of the endpoint wins over the defaults', which wins
	// over the client's. An endpoint that reads one entity by a
	// placeholder in its last path segment gets a single page unless the
	// endpoint or the defaults set a paginator.
	s.paginator = e.Paginator
	if s.paginator == nil && r.Endpoint.Paginator == nil && cfg.ResourceDefaults.Endpoint.Paginator == nil && entityPath.MatchString(path) {
		s.paginator = &Paginator{Type: PaginatorSinglePage}
		if e.DataSelector == "" {
			e.DataSelector = "$"
		}
	}
	if s.paginator == nil {
		s.paginator = cfg.Client.Paginator
	}
	if s.paginator != nil && s.paginator.Type == PaginatorAuto {
		s.paginator = nil
	}
	if p := s.paginator; p != nil && s.method != http.MethodPost && (p.OffsetBodyPath != "" || p.LimitBodyPath != "" || p.PageBodyPath != "" || p.CursorBodyPath != "") {
		c.add(at+".endpoint.method", "the paginator writes into the JSON body, which needs method POST")
	}
	if e.DataSelector != "" {
		s.selector, _ = compilePath(e.DataSelector)
	}

	s.auth, s.authAt = e.Auth, at+".endpoint.auth"
	if r.Endpoint.Auth == nil && e.Auth != nil {
		s.authAt = "resource_defaults.endpoint.auth"
	}
	if s.auth == nil {
		s.auth, s.authAt = cfg.Client.Auth, "client.auth"
	}
	s.actions = e.ResponseActions

	// refs pairs each placeholder with the key it was written under.
	type locatedRef struct {
		ref *placeholder
		at  string
	}
	var refs []locatedRef
	addRefs := func(at string, list []*placeholder) {
		for _, ref := range list {
			refs = append(refs, locatedRef{ref, at})
		}
	}
	addRefs(at+".endpoint.path", s.path.refs())
	s.params = map[string]*template{}
	for k, v := range e.Params {
		if t, err := parseTemplate(v); err == nil {
			s.params[k] = t
			addRefs(at+".endpoint.params."+k, t.refs())
		}
	}
	s.headers = map[string]*template{}
	for k, v := range mergeMaps(cfg.Client.Headers, e.Headers) {
		if t, err := parseTemplate(v); err == nil {
			s.headers[k] = t
			addRefs(at+".endpoint.headers."+k, t.refs())
		}
	}
	if e.JSON != nil {
		if s.method != http.MethodPost {
			c.add(at+".endpoint.json", "a %s request has no body: set method: POST", s.method)
		}
		if bt, err := parseBody(e.JSON); err == nil {
			s.body = bt
			addRefs(at+".endpoint.json", bt.refs)
		}
	}

	if in := e.Incremental; in != nil {
		if _, err := compilePath(in.CursorPath); err == nil {
			if s.incr, err = newIncrSpec(in, res.PrimaryKey); err != nil {
				c.add(at+".endpoint.incremental", "%v", err)
			}
		}
	}
	s.parentFields = map[string]*jsonPath{}
	for _, lr := range refs {
		ref := lr.ref
		switch {
		case ref.incremental != "" && e.Incremental == nil:
			c.add(lr.at, "placeholder {%s} needs endpoint.incremental", ref.expr)
		case ref.parent != "" && s.parent != "" && ref.parent != s.parent:
			c.add(lr.at, "placeholders refer to two parents, %s and %s: a resource depends on one parent at most", s.parent, ref.parent)
		case ref.parent != "":
			s.parent = ref.parent
			s.parentAt = lr.at
			s.parentFields[ref.field.String()] = ref.field
		}
	}
	if len(res.IncludeFromParent) > 0 {
		if s.parent == "" {
			c.add(at+".include_from_parent", "include_from_parent needs a parent: refer to one with a {resources.PARENT.FIELD} placeholder")
		}
		for _, f := range res.IncludeFromParent {
			p, err := compilePath(f)
			if err != nil {
				c.add(at+".include_from_parent", "%v", err)
				continue
			}
			s.parentFields[p.String()] = p
		}
		s.include = res.IncludeFromParent
	}

	table := res.TableName
	if table == "" {
		table = r.Name
	}
	s.hints = buildHints(&res, table)
	checkHints(c, cfg, r, &res, &s.hints, at)
	if len(c.problems) > before {
		return nil
	}
	return s
}

// orderSpecs checks the parent references and returns the specs with every
// parent before its dependents, otherwise in definition order.
func orderSpecs(c *checker, specs []*spec) []*spec {
	byName := map[string]*spec{}
	for _, s := range specs {
		byName[s.name] = s
	}
	ok := true
	for _, s := range specs {
		if s.parent == "" {
			continue
		}
		p := byName[s.parent]
		switch {
		case s.parent == s.name:
			c.add(s.parentAt, "resource %s refers to itself as its parent", s.name)
			ok = false
		case p == nil:
			var names []string
			for _, o := range specs {
				names = append(names, o.name)
			}
			c.add(s.parentAt, "unknown parent resource %q%s: resources are %s", s.parent, closest(s.parent, names), strings.Join(names, ", "))
			ok = false
		}
	}
	if !ok {
		return specs
	}
	var out []*spec
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(s *spec) bool
	visit = func(s *spec) bool {
		switch state[s.name] {
		case 1:
			c.add(s.parentAt, "resources depend on each other in a cycle through %s", s.name)
			return false
		case 2:
			return true
		}
		state[s.name] = 1
		if s.parent != "" && !visit(byName[s.parent]) {
			return false
		}
		state[s.name] = 2
		out = append(out, s)
		return true
	}
	for _, s := range specs {
		if !visit(s) {
			return specs
		}
	}
	return out
}

// describeSpec names a resource in errors.
func (s *spec) String() string { return fmt.Sprintf("resource %s", s.name) }
