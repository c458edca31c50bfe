package rest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const validYAML = `
name: demo
client:
  base_url: https://api.example.com/v1
  headers: {Accept: application/json}
  auth: {type: bearer, token: {secret: demo_token}}
  paginator: {type: json_link, next_url_path: links.next}
  timeout: 30s
  requests_per_second: 5
  retry: {max_attempts: 3, backoff: 500ms, max_delay: 10, max_total_wait: 2m}
resource_defaults:
  primary_key: [id]
  write_disposition: merge
  endpoint:
    params: {per_page: 100}
resources:
  - users
  - name: posts
    endpoint:
      path: users/{resources.users.id}/posts
      params: {since: "{incremental.start_value}", literal: "{{x}}"}
      incremental: {cursor_path: updated_at, initial_value: "2024-01-01T00:00:00Z", lag: 1h}
      response_actions:
        - {status_code: 404, action: ignore}
    include_from_parent: [name]
  - name: search
    write_disposition: append
    endpoint:
      path: search
      method: POST
      json: {query: {size: 50, big: 123456789012345678901234567890, flag: true, tags: [a, 1.5]}}
      paginator: {type: cursor, cursor_path: next, cursor_body_path: page.cursor, has_more_path: more}
`

func TestParseValid(t *testing.T) {
	cfg, err := Parse("demo.yaml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Resources) != 3 || cfg.Resources[0].Name != "users" {
		t.Fatalf("resources %+v", cfg.Resources)
	}
	if cfg.Client.Auth.Token.Secret != "demo_token" {
		t.Errorf("token %+v, want the secret name", cfg.Client.Auth.Token)
	}
	if got := cfg.Client.Retry.MaxDelay; got != Duration(10e9) {
		t.Errorf("max_delay %v, want 10s from a bare number", got)
	}
	specs, problems := compile(cfg)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var search *spec
	for _, s := range specs {
		if s.name == "search" {
			search = s
		}
	}
	body, err := search.body.render(nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jsonMarshal(body)
	if !strings.Contains(raw, `"big":123456789012345678901234567890`) || !strings.Contains(raw, `"tags":["a",1.5]`) {
		t.Errorf("body %s lost the exact numbers or types", raw)
	}
	if specs[1].parent != "users" || specs[1].params["literal"].parts[0].text != "{x}" {
		t.Errorf("posts spec: parent %q, literal %+v", specs[1].parent, specs[1].params["literal"])
	}
	if specs[0].hints.WriteDisposition != "merge" || specs[0].hints.PrimaryKey[0] != "id" {
		t.Errorf("defaults not applied: %+v", specs[0].hints)
	}
}

func TestLintReportsEveryProblem(t *testing.T) {
	src := `client:
  base_url: ftp://example.com
  pagintor: single_page
resources:
  - name: a
    endpoint:
      paginator: {type: offset}
      method: PATCH
  - name: b
    write_disposition: upsert
    endpoint:
      path: a/{resources.nope.id}
      auth: {type: bearer, token: abc123}
  - name: a
  - name: c
    max_table_nesting: many
    endpoint:
      incremental: {initial_value: 1}
      response_actions: [{action: explode, status_code: 404}]
`
	problems := Lint([]byte(src))
	want := []struct {
		line int
		path string
		text string
	}{
		{2, "client.base_url", "ftp://example.com"},
		{3, "client.pagintor", `did you mean "paginator"`},
		{7, "resources[0].endpoint.paginator.limit", "needs limit"},
		{8, "resources[0].endpoint.method", "use GET or POST"},
		{10, "resources[1].write_disposition", "append, replace, merge"},
		{12, "resources[1].endpoint.path", `unknown parent resource "nope"`},
		{13, "resources[1].endpoint.auth.token", "must name a secret"},
		{14, "resources[2].name", "must be unique"},
		{16, "resources[3].max_table_nesting", "whole number"},
		{18, "resources[3].endpoint.incremental.cursor_path", "missing cursor_path"},
		{19, "resources[3].endpoint.response_actions[0].action", "ignore, retry, fail"},
	}
	for _, w := range want {
		found := false
		for _, p := range problems {
			if p.Path == w.path && p.Line == w.line && strings.Contains(p.Message, w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem at line %d, %s, mentioning %q", w.line, w.path, w.text)
		}
	}
	for _, p := range problems {
		if strings.Contains(p.String(), "abc123") {
			t.Errorf("problem repeats the literal secret: %s", p)
		}
	}
	if t.Failed() {
		for _, p := range problems {
			t.Log(p)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty", ``, "empty"},
		{"not yaml", "client: [", "invalid YAML"},
		{"no resources", "client: {base_url: http://x}", "no resources"},
		{"duplicate key", "client: {base_url: http://x}\nclient: {}\nresources: [a]", "appears twice"},
		{"list for mapping", "client: []\nresources: [a]", "want a mapping"},
		{"placeholder", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {params: {q: '{what}'}}}]", "unknown placeholder {what}"},
		{"json on GET", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {json: {a: 1}}}]", "set method: POST"},
		{"merge without key", "client: {base_url: http://x}\nresources: [{name: a, write_disposition: merge}]", "needs primary_key"},
		{"paginator key of another type", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {paginator: {type: cursor, limit: 5}}}]", "does not apply to paginator cursor"},
		{"no base url", "resources: [a]", "not a full URL"},
		{"include without parent", "client: {base_url: http://x}\nresources: [{name: a, include_from_parent: [id]}]", "needs a parent"},
		{"cycle", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {path: 'x/{resources.b.id}'}}, {name: b, endpoint: {path: 'y/{resources.a.id}'}}]", "cycle"},
		{"incremental placeholder without incremental", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {params: {s: '{incremental.start_value}'}}}]", "needs endpoint.incremental"},
		{"no stop rule", "client: {base_url: http://x}\nresources: [{name: a, endpoint: {paginator: {type: page_number, stop_after_empty_page: false}}}]", "no stop rule"},
		{"alias bomb", aliasBomb(), "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.src))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a DefinitionError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.yaml") {
				t.Errorf("error %q lacks %q or the file name", err, tc.want)
			}
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("resources: [{name: x, endpoint: {json: {a: *a8}}}]\n")
	return b.String()
}

func TestValidateGoDefinition(t *testing.T) {
	cfg := &Config{
		Client: ClientConfig{BaseURL: "https://api.example.com"},
		Resources: []Resource{
			{Name: "a", Endpoint: Endpoint{Auth: &Auth{Type: AuthAPIKey, APIKey: Value{Literal: "key"}, Location: "cookie"}}},
		},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"resources[0].endpoint.auth.api_key: api_key must name a secret", "unknown location \"cookie\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(validYAML)
	f.Add("resources: [a]\nclient: {base_url: 'http://x'}")
	f.Add("client: {paginator: cursor}\nresources: [{name: a, endpoint: {json: {x: [1, {y: null}]}}}]")
	f.Add(aliasBomb())
	f.Add("client: {base_url: 'http://x'}\nresource_defaults: {columns: {a.b: {pii: hash}}, schema_contract: freeze}\n" +
		"resources: [{name: a, merge_key: [d], write_disposition: {disposition: merge, strategy: upsert}, columns: {aB: {nullable: false}}}]")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, problems := parse([]byte(src))
		for _, p := range problems {
			if p.Message == "" {
				t.Fatalf("problem without a message: %+v", p)
			}
		}
		if len(problems) == 0 {
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Parse accepted a definition that Validate rejects: %v", err)
			}
		}
	})
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
