package openapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/restload/restload/source/rest"
)

// TestCodeHostIntoDuckDB generates a definition from a document in the
// style of a code hosting API and loads a server built from the
// document's examples: issues two a page, linked by the Link header,
// and the comments of each issue.
func TestCodeHostIntoDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("loads into DuckDB")
	}
	issues := example(t, "codehost.yaml", "/repos/{owner}/{repo}/issues").([]any)
	comments := example(t, "codehost.yaml", "/repos/{owner}/{repo}/issues/{number}/comments").([]any)
	const token = "codehost-token"
	rec := &recorder{}
	var srv string
	server := newServer(t, rec, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token },
		func(w http.ResponseWriter, r *http.Request) {
			const size = 2
			switch {
			case r.URL.Path == "/repos/acme/rocket/issues":
				page := intParam(r, "page", 1)
				start, end := min((page-1)*size, len(issues)), min(page*size, len(issues))
				if end < len(issues) {
					w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/rocket/issues?page=%d&per_page=100&state=all>; rel="next"`, srv, page+1))
				}
				writeJSON(w, issues[start:end])
			case strings.HasPrefix(r.URL.Path, "/repos/acme/rocket/issues/") && strings.HasSuffix(r.URL.Path, "/comments"):
				number := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/repos/acme/rocket/issues/"), "/comments")
				// Each issue gets the example comments with ids of its own.
				var out []map[string]any
				for _, c := range comments {
					m := map[string]any{}
					for k, v := range c.(map[string]any) {
						m[k] = v
					}
					m["id"] = fmt.Sprintf("%s-%v", number, m["id"])
					out = append(out, m)
				}
				writeJSON(w, out)
			default:
				http.NotFound(w, r)
			}
		})
	srv = server.URL

	def := generate(t, "codehost.yaml", "codehost", srv)
	if got := def.Secrets; len(got) != 1 || got[0] != "token" {
		t.Errorf("secrets %v, want [token]", got)
	}
	byName := map[string]rest.Resource{}
	for _, r := range def.Config.Resources {
		byName[r.Name] = r
	}
	if p := byName["issues"].Endpoint.Paginator; p == nil || p.Type != rest.PaginatorHeaderLink {
		t.Errorf("issues paginator %+v, want header_link", p)
	}
	if got := byName["issue_comments"].Endpoint.Path; got != "repos/acme/rocket/issues/{resources.issues.number}/comments" {
		t.Errorf("issue_comments path %q", got)
	}

	db := runDefinition(t, def.Config, token)
	tables := tableRows(t, db, "codehost_data")
	want := map[string]int{"issues": 3, "issues__labels": 3, "issue_comments": 6}
	for table, n := range want {
		if tables[table] != n {
			t.Errorf("table %s has %d rows, want %d", table, tables[table], n)
		}
	}
	var parents string
	if err := db.QueryRow(`SELECT string_agg(DISTINCT _issues_number::VARCHAR, ',' ORDER BY _issues_number::VARCHAR) FROM codehost_data.issue_comments`).Scan(&parents); err != nil {
		t.Fatal(err)
	}
	if parents != "1,2,3" {
		t.Errorf("comments belong to issues %s, want 1,2,3", parents)
	}
	sent := rec.all()
	for _, q := range []string{"per_page=100", "state=all", "page=2"} {
		if !strings.Contains(sent, q) {
			t.Errorf("requests %s lack %s", sent, q)
		}
	}
}
