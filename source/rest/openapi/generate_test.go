package openapi_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/restload/restload/source/rest"
	"github.com/restload/restload/source/rest/openapi"
)

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		pointer   string
		want      string
	}{
		{"swagger", "swagger: \"2.0\"\ninfo: {title: x, version: \"1\"}\n", "/swagger", "Swagger 2.0 is not supported"},
		{"version", "openapi: 2.5.0\ninfo: {title: x, version: \"1\"}\n", "/openapi", `OpenAPI version "2.5.0" is not supported`},
		{"notOpenAPI", "name: library\n", "", "the key openapi is missing"},
		{"list", "- a\n- b\n", "", "top level is not a mapping"},
		{"invalidYAML", "openapi: [3.0.0\n", "", "invalid YAML or JSON"},
		{"missingRef", `openapi: 3.0.3
info: {title: x, version: "1"}
paths:
  /jobs:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Job'}
`, "/paths/~1jobs/get/responses/200/content/application~1json/schema/$ref", `reference "#/components/schemas/Job" points to nothing`},
		{"externalRef", `openapi: 3.0.3
info: {title: x, version: "1"}
paths:
  /jobs:
    get:
      responses:
        "200": {$ref: 'common.yaml#/responses/ok'}
`, "/paths/~1jobs/get/responses/200/$ref", "external reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openapi.Generate([]byte(tt.doc), openapi.Options{File: "api.yaml"})
			var e *openapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *openapi.Error", err)
			}
			if e.File != "api.yaml" {
				t.Errorf("file %q, want api.yaml", e.File)
			}
			if e.Pointer != tt.pointer {
				t.Errorf("pointer %q, want %q", e.Pointer, tt.pointer)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "api.yaml") {
				t.Errorf("error %q does not start with the file", err)
			}
		})
	}
}

// TestAshbyDefinition checks what the generator reads from Ashby's
// document: RPC list endpoints, the cursor in the body, basic auth with
// the key as user name, and children by body parameter.
func TestAshbyDefinition(t *testing.T) {
	def := generate(t, "ashby.yml", "ashby", "")
	cfg := def.Config
	if cfg.Client.BaseURL != "https://api.ashbyhq.com" {
		t.Errorf("base URL %q", cfg.Client.BaseURL)
	}
	if a := cfg.Client.Auth; a == nil || a.Type != rest.AuthHTTPBasic || a.Username.Secret != "api_key" || !a.Password.IsZero() {
		t.Errorf("auth %+v, want http_basic with the secret api_key as user name", a)
	}
	byName := map[string]rest.Resource{}
	for _, r := range cfg.Resources {
		byName[r.Name] = r
	}
	tests := []struct {
		name, path, parentParam, parentRef string
		paged                              bool
	}{
		{"candidates", "candidate.list", "", "", true},
		{"jobs", "job.list", "", "", true},
		{"openings", "opening.list", "", "", true},
		{"job_boards", "jobBoard.list", "", "", false},
		{"candidate_notes", "candidate.listNotes", "candidateId", "{resources.candidates.id}", true},
		{"interview_stages", "interviewStage.list", "interviewPlanId", "{resources.interview_plans.id}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no resource %s", tt.name)
			}
			e := r.Endpoint
			if e.Path != tt.path || e.Method != "POST" || e.DataSelector != "results" {
				t.Errorf("endpoint %s %s selector %q", e.Method, e.Path, e.DataSelector)
			}
			if len(r.PrimaryKey) != 1 || r.PrimaryKey[0] != "id" {
				t.Errorf("primary key %v, want [id]", r.PrimaryKey)
			}
			p := e.Paginator
			if tt.paged && (p == nil || p.Type != rest.PaginatorCursor || p.CursorPath != "nextCursor" ||
				p.CursorBodyPath != "cursor" || p.HasMorePath != "moreDataAvailable") {
				t.Errorf("paginator %+v, want a cursor in the body", p)
			}
			if !tt.paged && (p == nil || p.Type != rest.PaginatorSinglePage) {
				t.Errorf("paginator %+v, want single_page", p)
			}
			if got, _ := e.JSON[tt.parentParam].(json.RawMessage); tt.parentParam != "" && string(got) != strconv.Quote(tt.parentRef) {
				t.Errorf("body %v, want %s: %s", e.JSON, tt.parentParam, tt.parentRef)
			}
		})
	}
	if got := byName["jobs"].Endpoint.JSON["status"]; got == nil {
		t.Errorf("jobs body %v lacks every status", byName["jobs"].Endpoint.JSON)
	}
	yaml := string(def.YAML)
	for _, want := range []string{"# guessed:", "Write operations left out:", "POST /candidate.create (candidateCreate)",
		"The document was repaired to load: at /paths/~1candidate.update/"} {
		if !strings.Contains(yaml, want) {
			t.Errorf("definition lacks %q", want)
		}
	}
	for _, s := range def.Skipped {
		if s.Operation == "POST /candidate.list (candidateList)" {
			t.Errorf("candidate.list was skipped: %s", s.Reason)
		}
	}
}

// TestGenerateDeterministic generates twice and compares the bytes, so
// that map order never leaks into the output.
func TestGenerateDeterministic(t *testing.T) {
	for _, file := range []string{"ashby.yml", "codehost.yaml", "store.yaml"} {
		a := generate(t, file, "x", "")
		b := generate(t, file, "x", "")
		if string(a.YAML) != string(b.YAML) {
			t.Errorf("%s: two runs differ", file)
		}
	}
}
