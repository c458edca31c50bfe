package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/restload/restload/source/rest"
)

// exampleAPI serves /repos in two pages linked by a next URL, and the
// issues of each repository, to callers with the right bearer token.
func exampleAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer example-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/repos":
			if r.URL.Query().Get("page") == "2" {
				fmt.Fprint(w, `{"items":[{"id":3,"name":"gamma"}],"next":null}`)
				return
			}
			fmt.Fprint(w, `{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}],"next":"/repos?page=2"}`)
		case "/repos/2/issues":
			fmt.Fprint(w, `[{"number":7,"title":"Crash on start"}]`)
		case "/repos/1/issues", "/repos/3/issues":
			fmt.Fprint(w, `[]`)
		default:
			http.NotFound(w, r)
		}
	}))
}

// A definition written as a Go literal: a list of repositories and the
// issues of each, with the token resolved from a secret at New.
func Example() {
	srv := exampleAPI()
	defer srv.Close()

	cfg := &rest.Config{
		Name: "tracker",
		Client: rest.ClientConfig{
			BaseURL:   srv.URL,
			Auth:      &rest.Auth{Type: rest.AuthBearer, Token: rest.Value{Secret: "tracker_token"}},
			Paginator: &rest.Paginator{Type: rest.PaginatorJSONLink, NextURLPath: "next"},
		},
		Resources: []rest.Resource{
			{Name: "repos", PrimaryKey: []string{"id"}, WriteDisposition: "merge",
				Endpoint: rest.Endpoint{Path: "repos", DataSelector: "items"}},
			{Name: "issues", IncludeFromParent: []string{"name"},
				Endpoint: rest.Endpoint{
					Path:      "repos/{resources.repos.id}/issues",
					Paginator: &rest.Paginator{Type: rest.PaginatorSinglePage},
				}},
		},
	}
	src, err := rest.New(cfg, rest.Options{Secrets: func(name string) (string, error) {
		return "example-token", nil // a program would read its secret store here
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()

	// The pipeline calls Extract on each resource in this order; here the
	// items are printed instead.
	for _, r := range src.Resources() {
		_, err := r.Extract(context.Background(), nil, func(items []json.RawMessage) error {
			for _, it := range items {
				fmt.Printf("%s: %s\n", r.Name(), it)
			}
			return nil
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// repos: {"id":1,"name":"alpha"}
	// repos: {"id":2,"name":"beta"}
	// repos: {"id":3,"name":"gamma"}
	// issues: {"_repos_name":"beta","number":7,"title":"Crash on start"}
}

// Parse reads a YAML definition; Lint lists its problems with their lines.
func ExampleLint() {
	definition := `
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint:
      paginator: {type: offset, limt: 100}
`
	for _, p := range rest.Lint([]byte(definition)) {
		fmt.Println(p)
	}
	// Output:
	// line 7, column 7: resources[0].endpoint.paginator.limit: offset paginator needs limit, the page size, above 0
	// line 7, column 33: resources[0].endpoint.paginator.limt: unknown key "limt" (did you mean "limit"?); valid keys here: type, max_pages, next_url_path, links_next_key, limit, offset, offset_param, limit_param, offset_body_path, limit_body_path, maximum_offset, stop_after_short_page, base_page, page_param, page_body_path, maximum_page, total_path, cursor_path, cursor_param, cursor_body_path, has_more_path, stop_after_empty_page
}

// A response hook rejects bodies that report an error with status 200.
func ExampleResponseHook() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":false,"error":"account suspended"}`)
	}))
	defer srv.Close()
	checkOK := func(resp *rest.Response) error {
		var body struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(resp.Body, &body) == nil && body.OK != nil && !*body.OK {
			return fmt.Errorf("API error: %s", body.Error)
		}
		return nil
	}
	cfg := &rest.Config{Client: rest.ClientConfig{BaseURL: srv.URL}, Resources: []rest.Resource{{
		Name:     "accounts",
		Endpoint: rest.Endpoint{ResponseActions: []rest.ResponseAction{{Hook: "check_ok"}}},
	}}}
	src, err := rest.New(cfg, rest.Options{Hooks: rest.Hooks{Response: map[string]rest.ResponseHook{"check_ok": checkOK}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = src.Resources()[0].Extract(context.Background(), nil, func([]json.RawMessage) error { return nil })
	fmt.Println(strings.TrimPrefix(err.Error(), "read page 1 of accounts: "))
	// Output:
	// API error: account suspended
}
