package ashbysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/restload/restload/internal/ashbysim"
)

// Ashby's published OpenAPI 3.1 document, with its prose removed, is in
// testdata. Two spots need repair before a validator can use it:
//
//   - candidate.update declares "properties: {$ref: ...}", a reference
//     where a map of schemas belongs; kin-openapi rejects the document.
//     The reference is resolved in place.
//   - The value of a custom field is a oneOf of ten types, several of which
//     accept the same JSON: every string matches String, LongText and
//     ValueSelect, and every object matches Currency, whose members are
//     all optional. No value can match exactly one branch, so real Ashby
//     responses fail the oneOf too. It is validated as anyOf, which still
//     rejects values of no listed type.
//   - The interviewer's trainingRole has type [string, null] and is
//     required, but its enum lacks null, so no interviewer could be
//     without a training role. null is added to such enums, as the
//     document already does for fraudStatus and approvalStatus.
//
// kin-openapi validates OpenAPI 3.1 schemas with a JSON Schema 2020-12
// validator only when the schema compiles on its own. The response schemas
// refer into other paths of the document, so their references are inlined
// first; otherwise kin-openapi falls back to its OpenAPI 3.0 rules, under
// which the empty schema {} rejects null.
var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	raw, err := os.ReadFile("testdata/openapi-structure.yml")
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("parse OpenAPI document: %w", err)
	}
	repairSpec(&root, &root)
	fixed, err := yaml.Marshal(&root)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(fixed)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	probe := ashbysim.New(ashbysim.Config{})
	for _, endpoint := range append(append(probe.Endpoints(), probe.ChildEndpoints()...), "apiKey.info") {
		path := doc.Paths.Find("/" + endpoint)
		if path == nil || path.Post == nil {
			return nil, fmt.Errorf("OpenAPI document has no POST /%s", endpoint)
		}
		ref := path.Post.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Schema
		if !inlineRefs(ref, map[*openapi3.Schema]bool{}) {
			return nil, fmt.Errorf("response schema of %s is recursive and cannot be inlined", endpoint)
		}
	}
	return doc, nil
})

// inlineRefs clears the $ref of every schema below ref, so that the schema
// marshals with its referenced content in place. It reports false on a
// cycle, which cannot be inlined.
func inlineRefs(ref *openapi3.SchemaRef, path map[*openapi3.Schema]bool) bool {
	if ref == nil || ref.Value == nil {
		return true
	}
	s := ref.Value
	if path[s] {
		return false
	}
	path[s] = true
	defer delete(path, s)
	ref.Ref = ""
	ok := inlineRefs(s.Not, path) && inlineRefs(s.Items, path) &&
		inlineRefs(s.AdditionalProperties.Schema, path)
	for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
		for _, r := range list {
			ok = inlineRefs(r, path) && ok
		}
	}
	for _, r := range s.Properties {
		ok = inlineRefs(r, path) && ok
	}
	return ok
}

func repairSpec(root, n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		addNullToEnum(n)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			if key.Value == "properties" && val.Kind == yaml.MappingNode {
				if ref := mappingValue(val, "$ref"); ref != nil && ref.Kind == yaml.ScalarNode {
					if target := resolvePointer(root, ref.Value); target != nil {
						n.Content[i+1] = target
					}
				}
			}
			if key.Value == "oneOf" && val.Kind == yaml.SequenceNode && isCustomFieldValue(val) {
				key.Value = "anyOf"
			}
		}
	}
	for _, c := range n.Content {
		repairSpec(root, c)
	}
}

// addNullToEnum appends null to the enum of a schema whose type allows
// null.
func addNullToEnum(schema *yaml.Node) {
	typ, enum := mappingValue(schema, "type"), mappingValue(schema, "enum")
	if typ == nil || enum == nil || typ.Kind != yaml.SequenceNode || enum.Kind != yaml.SequenceNode {
		return
	}
	nullable := false
	for _, t := range typ.Content {
		nullable = nullable || t.Value == "null"
	}
	for _, v := range enum.Content {
		if v.Tag == "!!null" {
			return
		}
	}
	if nullable {
		enum.Content = append(enum.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
	}
}

func isCustomFieldValue(branches *yaml.Node) bool {
	titles := map[string]bool{}
	for _, b := range branches.Content {
		if t := mappingValue(b, "title"); t != nil {
			titles[t.Value] = true
		}
	}
	return titles["String"] && titles["LongText"] && titles["Currency"]
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// resolvePointer follows a local JSON pointer such as "#/paths/~1x/post".
func resolvePointer(root *yaml.Node, ref string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			n = mappingValue(n, part)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// responseSchema returns the schema of the 200 response of an endpoint.
func responseSchema(t *testing.T, endpoint string) *openapi3.Schema {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	path := doc.Paths.Find("/" + endpoint)
	if path == nil || path.Post == nil {
		t.Fatalf("OpenAPI document has no POST /%s", endpoint)
	}
	return path.Post.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Schema.Value
}

// The emulator promises more than the document's formats check: lowercase
// UUIDs and UTC timestamps with milliseconds.
var (
	lowercaseUUID = openapi3.NewRegexpFormatValidator(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	utcMillis     = openapi3.NewRegexpFormatValidator(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

// validate checks a response body against the endpoint's response schema.
func validate(t *testing.T, endpoint, what string, raw []byte) {
	t.Helper()
	var body any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s: invalid JSON: %v", endpoint, what, err)
	}
	err := responseSchema(t, endpoint).VisitJSON(body,
		openapi3.EnableJSONSchema2020(),
		openapi3.WithStringFormatValidator("uuid", lowercaseUUID),
		openapi3.WithStringFormatValidator("date-time", utcMillis),
	)
	if err != nil {
		msg := err.Error()
		if len(msg) > 3000 {
			msg = msg[:3000] + "..."
		}
		t.Errorf("%s %s does not match the OpenAPI response schema:\n%s", endpoint, what, msg)
	}
}

// validationParams are request parameters that make each endpoint show
// everything it can, expansions included.
func validationParams(s *ashbysim.Server, endpoint string) map[string]any {
	params := s.ParamsForAll(endpoint)
	switch endpoint {
	case "job.list":
		params["expand"] = []string{"location", "openings"}
		params["includeUnpublishedJobPostingsIds"] = true
	case "application.list":
		params["expand"] = []string{"openings"}
	}
	return params
}

func TestOpenAPIResponses(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 11, Candidates: 120})
	tokens := map[string][]string{} // per parameter set
	for _, endpoint := range s.Endpoints() {
		t.Run(endpoint+"/full", func(t *testing.T) {
			sets, err := s.ParamSets(endpoint)
			if err != nil {
				t.Fatal(err)
			}
			for k, params := range sets {
				for name, v := range validationParams(s, endpoint) {
					if _, ok := params[name]; !ok {
						params[name] = v
					}
				}
				count, err := s.Count(endpoint, params)
				if err != nil {
					t.Fatal(err)
				}
				params["limit"] = max(1, count/3)
				l := listAll(t, url, endpoint, params)
				for i, page := range l.Pages {
					validate(t, endpoint, fmt.Sprintf("set %d page %d of %d", k, i+1, len(l.Pages)), page.Raw)
				}
				tokens[endpoint] = append(tokens[endpoint], l.SyncToken)
			}
		})
	}
	childTokens := childSyncTokens(t, s, url)
	for _, endpoint := range s.ChildEndpoints() {
		t.Run(endpoint+"/full", func(t *testing.T) {
			for k, params := range someParamSets(t, s, endpoint, 12) {
				params["limit"] = 2
				for i, page := range childPages(t, s, url, endpoint, params) {
					validate(t, endpoint, fmt.Sprintf("parent %d page %d", k, i+1), page.Raw)
				}
			}
		})
	}

	changed := s.Apply(validationChanges)
	for _, endpoint := range s.Endpoints() {
		t.Run(endpoint+"/incremental", func(t *testing.T) {
			if len(tokens[endpoint]) == 0 || tokens[endpoint][0] == "" {
				t.Skip("endpoint has no incremental sync")
			}
			sets, err := s.ParamSets(endpoint)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for k, params := range sets {
				for name, v := range validationParams(s, endpoint) {
					if _, ok := params[name]; !ok {
						params[name] = v
					}
				}
				params["syncToken"] = tokens[endpoint][k]
				params["limit"] = 2
				l := listAll(t, url, endpoint, params)
				ids = append(ids, l.IDs...)
				for i, page := range l.Pages {
					validate(t, endpoint, fmt.Sprintf("set %d incremental page %d of %d", k, i+1, len(l.Pages)), page.Raw)
				}
			}
			if !slices.Equal(sorted(ids), sorted(changed[endpoint])) {
				t.Fatalf("incremental listings returned %d objects, Apply changed %d", len(ids), len(changed[endpoint]))
			}
		})
	}
	for endpoint, tokensByParent := range childTokens {
		t.Run(endpoint+"/incremental", func(t *testing.T) {
			info, _ := s.Endpoint(endpoint)
			if len(changed[endpoint]) == 0 {
				t.Fatalf("Apply changed no children of %s", endpoint)
			}
			for _, parent := range changed[endpoint] {
				token, ok := tokensByParent[parent]
				if !ok {
					continue // a parent added by Apply
				}
				params := map[string]any{info.ParentParam: parent, "syncToken": token, "limit": 1}
				l := listAll(t, url, endpoint, params)
				if len(l.IDs) == 0 {
					t.Errorf("incremental listing of parent %s is empty, Apply changed it", parent)
				}
				for i, page := range l.Pages {
					validate(t, endpoint, fmt.Sprintf("incremental page %d of parent %s", i+1, parent), page.Raw)
				}
			}
		})
	}
	for _, endpoint := range append(s.Endpoints(), s.ChildEndpoints()...) {
		t.Run(endpoint+"/error", func(t *testing.T) {
			for _, body := range []string{`{"includeArchived": "yes", "limit": "ten", "location": 5, "surveyType": 7}`, `[1]`} {
				r := post(t, url, testKey, endpoint, body)
				if body[0] == '{' && !takesBadParams(s, endpoint) {
					continue
				}
				if r.Body.Success || r.Body.ErrorInfo == nil || r.Body.ErrorInfo.Code != "invalid_input" {
					t.Fatalf("body %s: want invalid_input, got %s", body, r.Raw)
				}
				validate(t, endpoint, "error envelope", r.Raw)
			}
		})
	}
	for _, endpoint := range s.ChildEndpoints() {
		t.Run(endpoint+"/notFound", func(t *testing.T) {
			info, _ := s.Endpoint(endpoint)
			r := post(t, url, testKey, endpoint, map[string]any{info.ParentParam: "3ae2b801-19f6-41ef-ad28-214bd731948f"})
			checkError(t, r, http.StatusOK, info.NotFoundCode)
			validate(t, endpoint, "not-found envelope", r.Raw)
		})
	}
	t.Run("apiKey.info", func(t *testing.T) {
		r := post(t, url, testKey, "apiKey.info", nil)
		mustSucceed(t, "apiKey.info", r)
		validate(t, "apiKey.info", "response", r.Raw)
	})
}

// validationChanges touches every kind of object, deletes and merges
// included.
var validationChanges = ashbysim.Changes{
	NewCandidates: 3, UpdatedCandidates: 3, NewApplications: 3, UpdatedApplications: 3,
	ArchivedApplications: 3, NewJobs: 2, UpdatedJobs: 2, NewOffers: 2, UpdatedOffers: 2,
	NewInterviewSchedules: 2, UpdatedInterviewSchedules: 2, NewUsers: 2, DeactivatedUsers: 1,
	NewDepartments: 2, ArchivedDepartments: 1, NewLocations: 2, ArchivedLocations: 1,
	NewCandidateTags: 2, ArchivedCandidateTags: 1, NewCustomFields: 2, ArchivedCustomFields: 1,
	NewOpenings: 2, UpdatedOpenings: 2, NewApplicationFeedback: 2, UpdatedApplicationFeedback: 2,
	NewApprovals: 2, UpdatedApprovals: 2, NewProjects: 2, UpdatedProjects: 2,
	NewSurveySubmissions: 4, NewSurveyRequests: 2, DeletedCandidates: 2, DeletedApplications: 2,
	DeletedOffers: 1, DeletedOpenings: 1, DeletedJobPostings: 1, DeletedSourceTrackingLinks: 1,
	MergedCandidates: 2,
}

// takesBadParams reports whether endpoint rejects the invalid
// parameters of TestOpenAPIResponses: it declares one of them or needs a
// parameter that the body lacks.
func takesBadParams(s *ashbysim.Server, endpoint string) bool {
	// An endpoint with a required parameter rejects the body anyway.
	info, _ := s.Endpoint(endpoint)
	if len(info.Required) > 0 {
		return true
	}
	switch endpoint {
	case "jobBoard.list", "communicationTemplate.list", "interviewStageGroup.list",
		"applicationHiringTeamRole.list", "hiringTeamRole.list", "sourceTrackingLink.list":
		return false
	}
	return true
}

// someParamSets returns the parameter sets of up to n parents of a
// per-parent endpoint, spread over all of them.
func someParamSets(t *testing.T, s *ashbysim.Server, endpoint string, n int) []map[string]any {
	t.Helper()
	sets, err := s.ParamSets(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) == 0 {
		t.Fatalf("%s has no parents", endpoint)
	}
	step := max(1, len(sets)/n)
	var out []map[string]any
	for k := 0; k < len(sets); k += step {
		out = append(out, sets[k])
	}
	return out
}

// childPages returns the pages of one per-parent listing: every page of
// an endpoint that pages, else the one response.
func childPages(t *testing.T, s *ashbysim.Server, url, endpoint string, params map[string]any) []response {
	t.Helper()
	if info, _ := s.Endpoint(endpoint); info.Pages {
		return listAll(t, url, endpoint, params).Pages
	}
	delete(params, "limit")
	r := post(t, url, testKey, endpoint, params)
	mustSucceed(t, endpoint, r)
	return []response{r}
}

// childSyncTokens lists every parent of each incremental per-parent
// endpoint and returns the sync tokens by endpoint and parent id.
func childSyncTokens(t *testing.T, s *ashbysim.Server, url string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, endpoint := range s.ChildEndpoints() {
		info, _ := s.Endpoint(endpoint)
		if !info.Incremental {
			continue
		}
		sets, err := s.ParamSets(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		out[endpoint] = map[string]string{}
		for _, params := range sets {
			l := listAll(t, url, endpoint, params)
			out[endpoint][params[info.ParentParam].(string)] = l.SyncToken
		}
	}
	return out
}

// TestOpenAPIRejects checks that the validation above can fail: broken
// copies of a valid candidate page must not pass.
func TestOpenAPIRejects(t *testing.T) {
	s, url := startServer(t, ashbysim.Config{Seed: 3, Candidates: 5})
	r := post(t, url, testKey, "candidate.list", nil)
	mustSucceed(t, "candidate.list", r)
	schema := responseSchema(t, "candidate.list")
	_ = s
	tests := []struct {
		name   string
		break_ func(page map[string]any)
	}{
		{"MissingName", func(p map[string]any) { firstResult(p)["name"] = nil; delete(firstResult(p), "name") }},
		{"UppercaseID", func(p map[string]any) { firstResult(p)["id"] = strings.ToUpper(firstResult(p)["id"].(string)) }},
		{"NoMilliseconds", func(p map[string]any) { firstResult(p)["createdAt"] = "2024-01-05T09:15:00Z" }},
		{"BadEnum", func(p map[string]any) { firstResult(p)["fraudStatus"] = "Maybe" }},
		{"BadCustomValue", func(p map[string]any) {
			firstResult(p)["customFields"] = []any{map[string]any{"id": firstResult(p)["id"], "title": "x", "value": nil}}
		}},
		{"MissingMoreData", func(p map[string]any) { delete(p, "moreDataAvailable") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var page map[string]any
			if err := json.Unmarshal(r.Raw, &page); err != nil {
				t.Fatal(err)
			}
			tt.break_(page)
			err := schema.VisitJSON(page, openapi3.EnableJSONSchema2020(),
				openapi3.WithStringFormatValidator("uuid", lowercaseUUID),
				openapi3.WithStringFormatValidator("date-time", utcMillis))
			if err == nil {
				t.Error("broken page passed validation")
			}
		})
	}
}

func firstResult(page map[string]any) map[string]any {
	return page["results"].([]any)[0].(map[string]any)
}
