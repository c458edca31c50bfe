package ashbysim

import (
	"encoding/json"
	"fmt"
	"math"
)

// Endpoints returns the names of the emulated list endpoints that need no
// parent id, catalogues first, in the order a loader would extract them.
// ChildEndpoints returns the per-parent ones. apiKey.info is served too
// but is not a list.
func (s *Server) Endpoints() []string {
	var names []string
	for _, ep := range endpoints {
		if ep.parent == nil {
			names = append(names, ep.name)
		}
	}
	return names
}

// ChildEndpoints returns the names of the per-parent endpoints, such as
// application.listHistory and offer.info, which take the id of one parent
// object (see EndpointInfo.ParentParam).
func (s *Server) ChildEndpoints() []string {
	var names []string
	for _, ep := range endpoints {
		if ep.parent != nil {
			names = append(names, ep.name)
		}
	}
	return names
}

// EndpointInfo describes an emulated endpoint.
type EndpointInfo struct {
	Name  string
	Scope string // permission a key needs, one of the Scope constants
	// Pages reports whether the endpoint takes cursor and limit.
	Pages bool
	// Incremental reports whether the endpoint issues sync tokens.
	Incremental bool
	// Single reports whether results is one object rather than an array
	// (offer.info and the other .info endpoints).
	Single bool
	// Required lists the request parameters the endpoint cannot do
	// without.
	Required []string
	// Parent is the list endpoint of the parent objects of a per-parent
	// endpoint, ParentParam the request parameter that takes a parent id
	// and NotFoundCode the errorInfo.code for an unknown or deleted
	// parent. All three are empty for other endpoints.
	Parent       string
	ParentParam  string
	NotFoundCode string
}

// Endpoint describes the endpoint name; ok is false for an unknown name
// and for apiKey.info.
func (s *Server) Endpoint(name string) (info EndpointInfo, ok bool) {
	ep := endpointByName(name)
	if ep == nil {
		return EndpointInfo{}, false
	}
	info = EndpointInfo{
		Name:        ep.name,
		Scope:       ep.scope,
		Pages:       ep.shape.pages(),
		Incremental: ep.shape == shapeSync,
		Single:      ep.shape == shapeInfo,
		Required:    append([]string(nil), ep.required...),
	}
	if ep.parent != nil {
		info.Parent, info.ParentParam, info.NotFoundCode = ep.parent.endpoint, ep.parent.param, ep.parent.notFound
	}
	return info, true
}

// ParamsForAll returns request parameters under which endpoint lists every
// object it has: archived, disabled and deactivated rows, draft jobs,
// job-specific interviews and location regions included, and
// hiringTeamRole.list with ids. Pass them to Objects or send them to the
// API.
//
// Endpoints with several listings get the parameters of the first:
// jobPosting.list the primary job board (no jobBoardId) and
// surveySubmission.list and surveyRequest.list the CandidateExperience
// type. Per-parent endpoints get no parent id. ParamSets returns every
// listing of an endpoint.
func (s *Server) ParamsForAll(endpoint string) map[string]any {
	ep := endpointByName(endpoint)
	params := map[string]any{}
	if ep == nil {
		return params
	}
	for _, name := range ep.params {
		switch name {
		case "includeArchived", "includeDeactivated", "includeLocationHierarchy", "includeDisabled",
			"includeArchivedPools", "includeArchivedTrainingStages", "includeNonSharedInterviews":
			params[name] = true
		case "namesOnly":
			params[name] = false
		case "surveyType":
			params[name] = surveyTypes[0]
		}
	}
	if ep.name == "job.list" {
		params["status"] = append([]string{}, jobStatusValues...)
	}
	return params
}

// ParamSets returns the request parameters of every listing a loader
// needs to read all of endpoint. Most endpoints have one set.
// jobPosting.list has one per job board, surveySubmission.list one per
// survey type, and per-parent endpoints one per parent with the parent id
// (see ParentIDs). Each set includes the parameters of ParamsForAll.
func (s *Server) ParamSets(endpoint string) ([]map[string]any, error) {
	ep := endpointByName(endpoint)
	if ep == nil {
		return nil, fmt.Errorf("list parameter sets of %q: unknown endpoint; use one of Endpoints() "+
			"or ChildEndpoints()", endpoint)
	}
	with := func(name string, value any) map[string]any {
		params := s.ParamsForAll(endpoint)
		params[name] = value
		return params
	}
	switch {
	case ep.parent != nil:
		ids, err := s.ParentIDs(endpoint)
		if err != nil {
			return nil, err
		}
		sets := make([]map[string]any, len(ids))
		for k, id := range ids {
			sets[k] = with(ep.parent.param, id)
		}
		return sets, nil
	case ep.name == "jobPosting.list":
		var sets []map[string]any
		for b := range jobBoardSpecs {
			sets = append(sets, with("jobBoardId", s.org.id(kindJobBoard, b).String()))
		}
		return sets, nil
	case ep.name == "surveySubmission.list":
		var sets []map[string]any
		for _, t := range surveyTypes {
			sets = append(sets, with("surveyType", t))
		}
		return sets, nil
	}
	return []map[string]any{s.ParamsForAll(endpoint)}, nil
}

// ParentIDs returns the ids of the parents of a per-parent endpoint: the
// ids that a full listing of its parent endpoint returns with
// ParamsForAll, archived and deactivated ones included, in listing order.
// The per-parent endpoint succeeds for each of them, because deleted and
// merged objects are left out.
func (s *Server) ParentIDs(endpoint string) ([]string, error) {
	ep := endpointByName(endpoint)
	if ep == nil || ep.parent == nil {
		return nil, fmt.Errorf("list parent ids of %q: not a per-parent endpoint; use one of "+
			"ChildEndpoints()", endpoint)
	}
	parentEP := endpointByName(ep.parent.endpoint)
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, q, err := s.listQuery(parentEP.name, s.ParamsForAll(parentEP.name))
	if err != nil {
		return nil, err
	}
	items := s.org.visibleAll(parentEP, q)
	ids := make([]string, len(items))
	for k, i := range items {
		ids[k] = s.org.id(ep.parent.kind, i).String()
	}
	return ids, nil
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
			if err := s.org.resolveParent(ep, q); err != nil {
				return nil, nil, fmt.Errorf("list objects of %s: %w", endpoint, err)
			}
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
// last page of a full listing made now would carry. For
// surveySubmission.list it is a token of the CandidateExperience listing. A request with it
// returns the objects changed by later calls to Apply.
func (s *Server) SyncToken(endpoint string) (string, error) {
	ep := endpointByName(endpoint)
	if ep == nil || ep.shape != shapeSync {
		return "", fmt.Errorf("issue sync token for %q: the endpoint has no incremental sync",
			endpoint)
	}
	if ep.parent != nil {
		return "", fmt.Errorf("issue sync token for %q: tokens of per-parent endpoints belong to "+
			"one parent; take the syncToken of a listing instead", endpoint)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.org.encodeToken(ep, s.org.clock), nil
}
