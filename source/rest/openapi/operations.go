package openapi

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operation is one method on one path, with what the generator reads
// from it.
type operation struct {
	method string
	path   string
	id     string
	// params are the path and query parameters, the path item's and the
	// operation's merged by name and location.
	params []*openapi3.Parameter
	// body is the JSON request body's shape; nil when there is none.
	body *shape
	// bodyRequired lists the members that the body schema requires.
	bodyRequired []string
	// response is the shape of the JSON success response; nil when the
	// document declares none.
	response *shape
	// headers are the response header names, in lower case.
	headers []string
}

// String names the operation in comments: "GET /repos/{owner}/issues".
func (op *operation) String() string {
	s := op.method + " " + op.path
	if op.id != "" {
		s += " (" + op.id + ")"
	}
	return s
}

// operations lists the document's operations, sorted by path and then
// by method.
func operations(api *openapi3.T) []*operation {
	var ops []*operation
	if api.Paths == nil {
		return nil
	}
	paths := api.Paths.Keys()
	slices.Sort(paths)
	for _, path := range paths {
		item := api.Paths.Value(path)
		if item == nil {
			continue
		}
		methods := make([]string, 0, len(item.Operations()))
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool { return methodRank(methods[i]) < methodRank(methods[j]) })
		for _, m := range methods {
			ops = append(ops, newOperation(path, m, item, item.Operations()[m]))
		}
	}
	return ops
}

// methodRank orders the reads first.
func methodRank(m string) string {
	switch m {
	case http.MethodGet:
		return "0"
	case http.MethodPost:
		return "1"
	}
	return "2" + m
}

func newOperation(path, method string, item *openapi3.PathItem, o *openapi3.Operation) *operation {
	op := &operation{method: method, path: path, id: o.OperationID}
	seen := map[string]int{}
	for _, list := range []openapi3.Parameters{item.Parameters, o.Parameters} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			if p.In != openapi3.ParameterInPath && p.In != openapi3.ParameterInQuery {
				continue
			}
			key := p.In + " " + p.Name
			if i, ok := seen[key]; ok {
				op.params[i] = p
				continue
			}
			seen[key] = len(op.params)
			op.params = append(op.params, p)
		}
	}
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		if mt := jsonContent(o.RequestBody.Value.Content); mt != nil && mt.Schema != nil {
			op.body = flatten(mt.Schema.Value)
			op.bodyRequired = requiredOf(mt.Schema.Value, 0)
		}
	}
	if resp := successResponse(o.Responses); resp != nil {
		if mt := jsonContent(resp.Content); mt != nil && mt.Schema != nil {
			op.response = flatten(mt.Schema.Value)
		}
		for name := range resp.Headers {
			op.headers = append(op.headers, strings.ToLower(name))
		}
		slices.Sort(op.headers)
	}
	return op
}

// requiredOf collects the required members of s and of its allOf parts.
func requiredOf(s *openapi3.Schema, depth int) []string {
	if s == nil || depth > maxSchemaDepth {
		return nil
	}
	req := slices.Clone(s.Required)
	for _, part := range s.AllOf {
		if part != nil {
			req = append(req, requiredOf(part.Value, depth+1)...)
		}
	}
	return req
}

// successResponse returns the 200 response, else the first 2XX one,
// else the default.
func successResponse(rs *openapi3.Responses) *openapi3.Response {
	if rs == nil {
		return nil
	}
	keys := rs.Keys()
	slices.Sort(keys)
	for _, want := range []func(string) bool{
		func(k string) bool { return k == "200" },
		func(k string) bool { n, err := strconv.Atoi(k); return err == nil && n >= 200 && n < 300 },
		func(k string) bool { return strings.EqualFold(k, "2XX") },
		func(k string) bool { return k == "default" },
	} {
		for _, k := range keys {
			if ref := rs.Value(k); want(k) && ref != nil && ref.Value != nil {
				return ref.Value
			}
		}
	}
	return nil
}

// jsonContent returns the JSON media type of content: application/json,
// else any type ending in +json or json, else nil.
func jsonContent(c openapi3.Content) *openapi3.MediaType {
	if mt := c.Get("application/json"); mt != nil {
		return mt
	}
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		base, _, _ := strings.Cut(t, ";")
		if strings.HasSuffix(strings.TrimSpace(base), "json") {
			return c[t]
		}
	}
	return nil
}

// param returns the parameter name in location in, or nil.
func (op *operation) param(in, name string) *openapi3.Parameter {
	for _, p := range op.params {
		if p.In == in && p.Name == name {
			return p
		}
	}
	return nil
}

// queryParams returns the query parameters.
func (op *operation) queryParams() []*openapi3.Parameter {
	var out []*openapi3.Parameter
	for _, p := range op.params {
		if p.In == openapi3.ParameterInQuery {
			out = append(out, p)
		}
	}
	return out
}

// listVerb reports whether the last path segment of an RPC-style path is
// a list verb, as in "candidate.list" or "candidate.listNotes", and
// returns the noun before it and the rest of the verb after "list".
func listVerb(path string) (noun, rest string, ok bool) {
	seg := path[strings.LastIndex(path, "/")+1:]
	i := strings.LastIndex(seg, ".")
	if i <= 0 {
		return "", "", false
	}
	noun, verb := seg[:i], seg[i+1:]
	rest, ok = strings.CutPrefix(verb, "list")
	if !ok || rest != "" && !(rest[0] >= 'A' && rest[0] <= 'Z') {
		return "", "", false
	}
	return noun, rest, true
}

// staticSegments returns the path's segments that are not parameters.
func staticSegments(path string) []string {
	var out []string
	for _, s := range strings.Split(path, "/") {
		if s != "" && !strings.Contains(s, "{") {
			out = append(out, s)
		}
	}
	return out
}

// pathParams returns the names of the path's parameters in order.
func pathParams(path string) []string {
	var out []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, path[i+1:i+j])
		path = path[i+j+1:]
	}
}
