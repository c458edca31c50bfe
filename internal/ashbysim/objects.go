package ashbysim

import (
	"encoding/json"
	"fmt"
	"math"
)

// Endpoints returns the names of the emulated list endpoints, catalogues
// first, in the order a loader would extract them. apiKey.info is served
// too but is not a list.
func (s *Server) Endpoints() []string {
	names := make([]string, len(endpoints))
	for i, ep := range endpoints {
		names[i] = ep.name
	}
	return names
}

// ParamsForAll returns request parameters under which endpoint lists every
// object it has: archived and deactivated rows, draft jobs and location
// regions included. Pass them to Objects or send them to the API.
func (s *Server) ParamsForAll(endpoint string) map[string]any {
	ep := endpointByName(endpoint)
	params := map[string]any{}
	if ep == nil {
		return params
	}
	for _, name := range ep.params {
		switch name {
		case "includeArchived", "includeDeactivated", "includeLocationHierarchy":
			params[name] = true
		}
	}
	if ep.name == "job.list" {
		params["status"] = append([]string{}, jobStatusValues...)
	}
	return params
}

// listQuery decodes params as the request body of endpoint.
func (s *Server) listQuery(endpoint string, params map[string]any) (*endpoint, *query, error) {
	ep := endpointByName(endpoint)
	if ep == nil {
		return nil, nil, fmt.Errorf("list objects of %q: not a list endpoint; use one of Endpoints()",
			endpoint)
	}
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return nil, nil, fmt.Errorf("list objects of %s: encode params: %w", endpoint, err)
	}
	members, err := decodeBody(body)
	if err == nil {
		var q *query
		q, err = parseQuery(ep, s.org, members)
		if err == nil {
			return ep, q, nil
		}
	}
	return nil, nil, fmt.Errorf("list objects of %s: invalid params: %w", endpoint, err)
}

// objectIndexes returns the objects a complete listing with q returns.
// With a syncToken in q these are the objects changed since the token;
// cursor and limit are ignored.
func (o *org) objectIndexes(ep *endpoint, q *query) ([]int, error) {
	q.cursor = ""
	if q.syncToken == "" || ep.shape != shapeSync {
		return o.visibleAll(ep, q), nil
	}
	l, err := o.openListing(ep, q)
	if err != nil {
		return nil, err
	}
	items, _, _ := o.page(l, math.MaxInt)
	return items, nil
}

// Objects returns the current objects of a list endpoint, each as the JSON
// item the API returns, in listing order. params are request parameters
// as a client would send them (nil for none): a complete paginated
// listing with the same parameters returns exactly these objects. Use
// ParamsForAll to include archived and deactivated rows. A syncToken in
// params selects the objects changed since that token.
//
// Objects holds every object in memory; for large organisations use Count
// or page through the API.
func (s *Server) Objects(endpoint string, params map[string]any) ([]json.RawMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ep, q, err := s.listQuery(endpoint, params)
	if err != nil {
		return nil, err
	}
	items, err := s.org.objectIndexes(ep, q)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", endpoint, err)
	}
	out := make([]json.RawMessage, len(items))
	var jw jsonWriter
	for k, i := range items {
		jw.reset()
		ep.write(s.org, &jw, i, q)
		out[k] = append(json.RawMessage(nil), jw.buf...)
	}
	return out, nil
}

// Count returns how many objects Objects would return, without building
// them.
func (s *Server) Count(endpoint string, params map[string]any) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ep, q, err := s.listQuery(endpoint, params)
	if err != nil {
		return 0, err
	}
	items, err := s.org.objectIndexes(ep, q)
	if err != nil {
		return 0, fmt.Errorf("count objects of %s: %w", endpoint, err)
	}
	return len(items), nil
}

// SyncToken returns a sync token of endpoint for the current state, as the
// last page of a full listing made now would carry. A request with it
// returns the objects changed by later calls to Apply.
func (s *Server) SyncToken(endpoint string) (string, error) {
	ep := endpointByName(endpoint)
	if ep == nil || ep.shape != shapeSync {
		return "", fmt.Errorf("issue sync token for %q: the endpoint has no incremental sync",
			endpoint)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.org.encodeToken(ep, s.org.clock), nil
}
