package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/restload/restload/schema"
)

// spec is one resource after defaults were merged and every expression in
// it was parsed: what Extract runs.
type spec struct {
	name string
	// at is the resource's path in the definition, for messages.
	at       string
	res      Resource
	method   string
	path     *template
	params   map[string]*template
	headers  map[string]*template
	body     *bodyTemplate
	selector *jsonPath
	// paginator is nil when it is detected from the first response.
	paginator *Paginator
	auth      *Auth
	authAt    string
	actions   []ResponseAction
	incr      *incrSpec
	// parent names the resource whose items fill the placeholders;
	// parentAt is the key that refers to it.
	parent   string
	parentAt string
	// parentFields are the parent item fields that placeholders and
	// include_from_parent read, by expression.
	parentFields map[string]*jsonPath
	include      []string
	selected     bool
	hints        schema.Hints
}

// checker collects problems.
type checker struct{ problems []Problem }

// add records a problem, once: a value of the resource defaults that is
// wrong in every resource is reported for the defaults alone.
func (c *checker) add(path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if !slices.Contains(c.problems, p) {
		c.problems = append(c.problems, p)
	}
}

// compile checks cfg and returns the resources in extraction order, each
// parent before the resources that depend on it.
func compile(cfg *Config) ([]*spec, []Problem) {
	c := &checker{}
	checkClient(c, &cfg.Client)
	if cfg.ResourceDefaults.Name != "" {
		c.add("resource_defaults.name", "resource_defaults cannot set a name: set it on each resource")
	}
	checkResource(c, &cfg.ResourceDefaults, "resource_defaults")
	if len(cfg.Resources) == 0 {
		c.add("resources", "no resources: list at least one")
	}
	var specs []*spec
	names := map[string]string{}
	for i := range cfg.Resources {
		at := fmt.Sprintf("resources[%d]", i)
		r := &cfg.Resources[i]
		checkResource(c, r, at)
		if r.Name == "" {
			c.add(at+".name", "missing resource name")
			continue
		}
		if prev, dup := names[r.Name]; dup {
			c.add(at+".name", "resource name %q is also used by %s: names must be unique", r.Name, prev)
			continue
		}
		names[r.Name] = at
		if s := buildSpec(c, cfg, r, at); s != nil {
			specs = append(specs, s)
		}
	}
	specs = orderSpecs(c, specs)
	return specs, c.problems
}

func checkClient(c *checker, cl *ClientConfig) {
	if cl.BaseURL != "" {
		if err := checkHTTPURL(cl.BaseURL); err != nil {
			c.add("client.base_url", "%v", err)
		}
	}
	checkHeaders(c, cl.Headers, "client.headers")
	if cl.Timeout < 0 {
		c.add("client.timeout", "timeout must not be negative")
	}
	if cl.RequestsPerSecond < 0 {
		c.add("client.requests_per_second", "requests_per_second must not be negative: use 0 for no limit")
	}
	if cl.Concurrency < 0 {
		c.add("client.concurrency", "concurrency must not be negative: use 0 for the default of 4")
	}
	if cl.Retry.MaxAttempts < 0 {
		c.add("client.retry.max_attempts", "max_attempts must not be negative: use 1 for no retries")
	}
	if cl.Retry.Backoff < 0 || cl.Retry.MaxDelay < 0 || cl.Retry.MaxTotalWait < 0 {
		c.add("client.retry", "retry durations must not be negative")
	}
	if cl.Auth != nil {
		checkAuth(c, cl.Auth, "client.auth")
	}
	if cl.Paginator != nil {
		checkPaginator(c, cl.Paginator, "client.paginator")
	}
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid URL %q: want an absolute http:// or https:// URL", s)
	}
	if u.User != nil {
		return fmt.Errorf("URL %q contains credentials: use auth with secrets instead", u.Redacted())
	}
	return nil
}

func checkHeaders(c *checker, h map[string]string, at string) {
	for name, v := range h {
		if !validHeaderName(name) {
			c.add(joinPath(at, name), "invalid header name %q", name)
		}
		if strings.ContainsAny(v, "\r\n") {
			c.add(joinPath(at, name), "header value contains a line break")
		}
		if _, err := parseTemplate(v); err != nil {
			c.add(joinPath(at, name), "%v", err)
		}
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

// checkResource checks the fields of one resource, or of the defaults, on
// their own; buildSpec checks how they combine.
func checkResource(c *checker, r *Resource, at string) {
	checkHintValues(c, r, at)
	if r.MaxTableNesting < 0 {
		c.add(at+".max_table_nesting", "max_table_nesting must not be negative")
	}
	for i, st := range r.ProcessingSteps {
		n := 0
		for _, f := range []string{st.Filter, st.Map, st.YieldMap} {
			if f != "" {
				n++
			}
		}
		if n != 1 {
			c.add(fmt.Sprintf("%s.processing_steps[%d]", at, i), "a step sets exactly one of filter, map or yield_map")
		}
	}
	checkEndpoint(c, &r.Endpoint, at+".endpoint")
}

var methods = []string{http.MethodGet, http.MethodPost}

func checkEndpoint(c *checker, e *Endpoint, at string) {
	if e.Method != "" && !oneOf(strings.ToUpper(e.Method), methods) {
		c.add(at+".method", "unsupported method %q: use GET or POST", e.Method)
	}
	if e.Path != "" {
		if _, err := parseTemplate(e.Path); err != nil {
			c.add(at+".path", "%v", err)
		}
	}
	for k, v := range e.Params {
		if _, err := parseTemplate(v); err != nil {
			c.add(joinPath(at+".params", k), "%v", err)
		}
	}
	checkHeaders(c, e.Headers, at+".headers")
	if e.JSON != nil {
		if _, err := parseBody(e.JSON); err != nil {
			c.add(at+".json", "%v", err)
		}
	}
	if e.DataSelector != "" {
		if _, err := compilePath(e.DataSelector); err != nil {
			c.add(at+".data_selector", "%v", err)
		}
	}
	if e.Auth != nil {
		checkAuth(c, e.Auth, at+".auth")
	}
	if e.Paginator != nil {
		checkPaginator(c, e.Paginator, at+".paginator")
	}
	for i := range e.ResponseActions {
		checkAction(c, &e.ResponseActions[i], fmt.Sprintf("%s.response_actions[%d]", at, i))
	}
	if e.Incremental != nil {
		checkIncremental(c, e.Incremental, at+".incremental")
	}
}

var actions = []string{ActionIgnore, ActionRetry, ActionFail}

func checkAction(c *checker, a *ResponseAction, at string) {
	switch {
	case a.Hook != "" && a.Action != "":
		c.add(at, "set either action or hook, not both")
	case a.Hook == "" && a.Action == "":
		c.add(at, "missing action: use %s, or name a hook", strings.Join(actions, ", "))
	case a.Action != "" && !oneOf(a.Action, actions):
		c.add(at+".action", "unknown action %q%s: use %s", a.Action, closest(a.Action, actions), strings.Join(actions, ", "))
	case a.Hook == "" && a.StatusCode == 0 && a.Content == "":
		c.add(at, "action %s without status_code or content would apply to every response: add a condition", a.Action)
	}
	if a.StatusCode != 0 && (a.StatusCode < 100 || a.StatusCode > 599) {
		c.add(at+".status_code", "status_code %d is not an HTTP status: use 100 to 599", a.StatusCode)
	}
	if a.Message != "" && a.Action != ActionFail {
		c.add(at+".message", "message applies only to action fail")
	}
}

var authTypes = []string{AuthBearer, AuthAPIKey, AuthHTTPBasic, AuthOAuth2ClientCredentials}

// authFields lists the keys each auth type takes besides type.
var authFields = map[string][]string{
	AuthBearer:                  {"token"},
	AuthAPIKey:                  {"name", "api_key", "location"},
	AuthHTTPBasic:               {"username", "password"},
	AuthOAuth2ClientCredentials: {"access_token_url", "client_id", "client_secret", "scopes", "access_token_request_data", "default_token_expiration"},
}

func checkAuth(c *checker, a *Auth, at string) {
	if !oneOf(a.Type, authTypes) {
		c.add(at+".type", "unknown auth type %q%s: use %s", a.Type, closest(a.Type, authTypes), strings.Join(authTypes, ", "))
		return
	}
	for _, f := range setFields(a) {
		if f != "type" && !oneOf(f, authFields[a.Type]) {
			c.add(at+"."+f, "%s does not apply to auth type %s, which takes %s", f, a.Type, strings.Join(authFields[a.Type], ", "))
		}
	}
	secret := func(key string, v Value, required bool) {
		switch {
		case v.Literal != "":
			c.add(at+"."+key, "%s must name a secret, as %s: {secret: NAME}; secret values never go in the definition", key, key)
		case v.IsZero() && required:
			c.add(at+"."+key, "missing %s: write %s: {secret: NAME}", key, key)
		}
	}
	switch a.Type {
	case AuthBearer:
		secret("token", a.Token, true)
	case AuthAPIKey:
		secret("api_key", a.APIKey, true)
		if a.Location != "" && a.Location != "header" && a.Location != "query" {
			c.add(at+".location", "unknown location %q: use header or query", a.Location)
		}
		if a.Location == "query" && a.Name == "" {
			c.add(at+".name", "missing name: an API key in the query needs the parameter name")
		}
	case AuthHTTPBasic:
		if a.Username.IsZero() {
			c.add(at+".username", "missing username")
		}
		secret("password", a.Password, false)
	case AuthOAuth2ClientCredentials:
		if err := checkHTTPURL(a.AccessTokenURL); err != nil {
			c.add(at+".access_token_url", "%v", err)
		}
		if a.ClientID.IsZero() {
			c.add(at+".client_id", "missing client_id")
		}
		secret("client_secret", a.ClientSecret, true)
		if a.DefaultTokenExpiration < 0 {
			c.add(at+".default_token_expiration", "default_token_expiration must not be negative")
		}
	}
}

var paginatorTypes = []string{PaginatorAuto, PaginatorSinglePage, PaginatorJSONLink, PaginatorHeaderLink,
	PaginatorOffset, PaginatorPageNumber, PaginatorCursor}

// paginatorFields lists the keys each paginator type takes besides type
// and max_pages.
var paginatorFields = map[string][]string{
	PaginatorAuto:       nil,
	PaginatorSinglePage: nil,
	PaginatorJSONLink:   {"next_url_path"},
	PaginatorHeaderLink: {"links_next_key"},
	PaginatorOffset: {"limit", "offset", "offset_param", "limit_param", "offset_body_path", "limit_body_path",
		"maximum_offset", "stop_after_short_page", "total_path", "has_more_path", "stop_after_empty_page"},
	PaginatorPageNumber: {"base_page", "page_param", "page_body_path", "maximum_page", "total_path",
		"has_more_path", "stop_after_empty_page"},
	PaginatorCursor: {"cursor_path", "cursor_param", "cursor_body_path", "has_more_path", "stop_after_empty_page"},
}

func checkPaginator(c *checker, p *Paginator, at string) {
	if p.Type == "" {
		c.add(at+".type", "missing paginator type: use %s", strings.Join(paginatorTypes, ", "))
		return
	}
	if !oneOf(p.Type, paginatorTypes) {
		c.add(at+".type", "unknown paginator type %q%s: use %s", p.Type, closest(p.Type, paginatorTypes), strings.Join(paginatorTypes, ", "))
		return
	}
	for _, f := range setFields(p) {
		if f != "type" && f != "max_pages" && !oneOf(f, paginatorFields[p.Type]) {
			takes := "no other keys"
			if fs := paginatorFields[p.Type]; len(fs) > 0 {
				takes = strings.Join(fs, ", ")
			}
			c.add(at+"."+f, "%s does not apply to paginator %s, which takes max_pages and %s", f, p.Type, takes)
		}
	}
	if p.MaxPages < 0 {
		c.add(at+".max_pages", "max_pages must not be negative")
	}
	for key, expr := range map[string]string{"next_url_path": p.NextURLPath, "total_path": p.TotalPath,
		"cursor_path": p.CursorPath, "has_more_path": p.HasMorePath} {
		if expr != "" {
			if _, err := compilePath(expr); err != nil {
				c.add(at+"."+key, "%v", err)
			}
		}
	}
	exclusive := func(a, b string, va, vb string) {
		if va != "" && vb != "" {
			c.add(at+"."+b, "set %s or %s, not both", a, b)
		}
	}
	switch p.Type {
	case PaginatorOffset:
		if p.Limit <= 0 {
			c.add(at+".limit", "offset paginator needs limit, the page size, above 0")
		}
		if p.Offset < 0 || p.MaximumOffset < 0 {
			c.add(at+".offset", "offset and maximum_offset must not be negative")
		}
		exclusive("offset_param", "offset_body_path", p.OffsetParam, p.OffsetBodyPath)
		exclusive("limit_param", "limit_body_path", p.LimitParam, p.LimitBodyPath)
	case PaginatorPageNumber:
		if p.BasePage != nil && *p.BasePage < 0 {
			c.add(at+".base_page", "base_page must not be negative")
		}
		if p.MaximumPage < 0 {
			c.add(at+".maximum_page", "maximum_page must not be negative")
		}
		exclusive("page_param", "page_body_path", p.PageParam, p.PageBodyPath)
	case PaginatorCursor:
		exclusive("cursor_param", "cursor_body_path", p.CursorParam, p.CursorBodyPath)
	}
	noEmptyStop := p.StopAfterEmptyPage != nil && !*p.StopAfterEmptyPage
	if (p.Type == PaginatorOffset || p.Type == PaginatorPageNumber) && noEmptyStop && p.TotalPath == "" &&
		p.HasMorePath == "" && p.MaximumOffset == 0 && p.MaximumPage == 0 && !p.StopAfterShortPage && p.MaxPages == 0 {
		c.add(at, "paginator %s has no stop rule: set total_path, has_more_path, a maximum, or stop_after_empty_page: true", p.Type)
	}
}

var missingCursorActions = []string{"raise", "include", "exclude"}

func checkIncremental(c *checker, in *Incremental, at string) {
	if in.CursorPath == "" {
		c.add(at+".cursor_path", "missing cursor_path: the JSONPath of the cursor field in each item")
	} else if _, err := compilePath(in.CursorPath); err != nil {
		c.add(at+".cursor_path", "%v", err)
	}
	if in.OnCursorValueMissing != "" && !oneOf(in.OnCursorValueMissing, missingCursorActions) {
		c.add(at+".on_cursor_value_missing", "unknown value %q: use raise, include or exclude", in.OnCursorValueMissing)
	}
	if in.Lag != "" {
		if _, err := parseLag(in.Lag); err != nil {
			c.add(at+".lag", "%v", err)
		}
	}
	if in.InitialValue != "" && in.EndValue != "" {
		cmp, err := compareCursors(literalJSON(in.InitialValue), literalJSON(in.EndValue))
		if err != nil {
			c.add(at+".end_value", "end_value and initial_value cannot be compared: %v", err)
		} else if cmp >= 0 {
			c.add(at+".end_value", "end_value %s must be after initial_value %s", in.EndValue, in.InitialValue)
		}
	}
}

// setFields lists the YAML keys of the non-zero fields of a struct.
func setFields(v any) []string {
	rv := reflect.ValueOf(v).Elem()
	var out []string
	for i := range rv.NumField() {
		if tag := yamlTag(rv.Type().Field(i)); tag != "" && !rv.Field(i).IsZero() {
			out = append(out, tag)
		}
	}
	return out
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

// literalJSON returns s as JSON: s itself when it is a JSON scalar, else s
// as a JSON string.
func literalJSON(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if t != "" && json.Valid([]byte(t)) && t[0] != '{' && t[0] != '[' {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(s)
	return b
}
