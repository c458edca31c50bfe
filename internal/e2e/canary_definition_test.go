package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/filesystem"
	"github.com/restload/restload/destination/iceberg"
)

// definitionSecrets are the credentials that the test API takes and the
// access token that it issues.
type definitionSecrets struct {
	token, queryKey, headerKey, password, clientSecret, accessToken *secret
}

func newDefinitionSecrets() *definitionSecrets {
	return &definitionSecrets{
		token:        newSecret("bearer token", canaryValue("canary-bearer-", "")),
		queryKey:     newSecret("query API key", canaryValue("canary-query-", "+/=")),
		headerKey:    newSecret("header API key", canaryValue("canary-header-", "")),
		password:     newSecret("basic auth password", canaryValue("canary-basic-", ":@")),
		clientSecret: newSecret("OAuth2 client secret", canaryValue("canary-client-", "")),
		accessToken:  newSecret("OAuth2 access token", canaryValue("canary-access-", "")),
	}
}

func (ds *definitionSecrets) all() []*secret {
	return []*secret{ds.token, ds.queryKey, ds.headerKey, ds.password, ds.clientSecret, ds.accessToken}
}

// env returns the environment variables that hold the secrets the
// definition names, except the access token, which the API issues.
func (ds *definitionSecrets) env() []string {
	return []string{
		"SOURCES__CANARY__TOKEN=" + ds.token.value,
		"SOURCES__CANARY__QUERY_KEY=" + ds.queryKey.value,
		"SOURCES__CANARY__HEADER_KEY=" + ds.headerKey.value,
		"SOURCES__CANARY__PASSWORD=" + ds.password.value,
		"SOURCES__CANARY__CLIENT_SECRET=" + ds.clientSecret.value,
	}
}

// canaryAPI serves a small paged API whose routes each take another kind
// of credentials. Some routes misbehave the way real APIs do: next links
// that repeat the query key, a next link that does not parse, error bodies
// that quote the credentials and an endpoint that always fails.
func canaryAPI(t *testing.T, ds *definitionSecrets) *httptest.Server {
	t.Helper()
	var base string
	items := func(w http.ResponseWriter, from, n int, extra map[string]any) {
		var list []map[string]any
		for i := from; i < from+n; i++ {
			list = append(list, map[string]any{"id": i, "name": fmt.Sprintf("item %d", i), "tags": []string{"a", "b"}})
		}
		body := map[string]any{"data": list}
		for k, v := range extra {
			body[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	}
	deny := func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
	}
	queryKeyOK := func(r *http.Request) bool { return r.URL.Query().Get("api_key") == ds.queryKey.value }
	nextWithKey := func(path string, page int) string {
		return fmt.Sprintf("%s%s?api_key=%s&page=%d", base, path, url.QueryEscape(ds.queryKey.value), page)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bearer/items", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+ds.token.value {
			deny(w, r)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		n := 0
		if page <= 2 {
			n = 3
		}
		items(w, page*10, n, nil)
	})
	mux.HandleFunc("GET /query/items", func(w http.ResponseWriter, r *http.Request) {
		if !queryKeyOK(r) {
			deny(w, r)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var next any
		if page < 3 {
			next = nextWithKey("/query/items", page+1)
		}
		items(w, page*10, 2, map[string]any{"next": next})
	})
	mux.HandleFunc("GET /header/items", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != ds.headerKey.value {
			deny(w, r)
			return
		}
		from, next := 0, "c2"
		if r.URL.Query().Get("cursor") == "c2" {
			from, next = 10, ""
		}
		items(w, from, 2, map[string]any{"cursors": map[string]any{"next": next}})
	})
	mux.HandleFunc("GET /basic/items", func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "loader" || pass != ds.password.value {
			deny(w, r)
			return
		}
		items(w, 0, 4, nil)
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != "restload" || secret != ds.clientSecret.value {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"client secret %s is wrong"}`, secret)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, ds.accessToken.value)
	})
	mux.HandleFunc("GET /oauth/items", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+ds.accessToken.value {
			deny(w, r)
			return
		}
		items(w, 0, 3, nil)
	})
	// The routes below fail, each in another way.
	mux.HandleFunc("GET /query/loop", func(w http.ResponseWriter, r *http.Request) {
		items(w, 0, 1, map[string]any{"next": nextWithKey("/query/loop", 2)})
	})
	mux.HandleFunc("GET /query/badlink", func(w http.ResponseWriter, r *http.Request) {
		items(w, 0, 1, map[string]any{"next": "http://[::1%zz]/x?api_key=" + url.QueryEscape(ds.queryKey.value)})
	})
	mux.HandleFunc("GET /query/forbidden", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":"api key %s lacks the scope things:read"}`, r.URL.Query().Get("api_key"))
	})
	mux.HandleFunc("GET /bearer/broken", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "upstream refused %s", r.Header.Get("Authorization"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	return srv
}

// canaryDefinition returns a definition with one resource per route, each
// with its own auth; failing selects the misbehaving routes.
func canaryDefinition(baseURL, tokenURL string, failing bool) string {
	head := `name: canary
client:
  base_url: ` + baseURL + `
  auth: {type: bearer, token: {secret: token}}
  retry: {max_attempts: 2, backoff: 10ms, max_delay: 50ms}
resource_defaults:
  primary_key: [id]
  write_disposition: merge
  endpoint: {data_selector: data}
resources:
`
	queryAuth := `{type: api_key, name: api_key, api_key: {secret: query_key}, location: query}`
	if failing {
		return head + `  - name: loop
    endpoint: {path: query/loop, auth: ` + queryAuth + `, paginator: {type: json_link, next_url_path: next}}
  - name: badlink
    endpoint: {path: query/badlink, auth: ` + queryAuth + `, paginator: {type: json_link, next_url_path: next}}
  - name: forbidden
    endpoint: {path: query/forbidden, auth: ` + queryAuth + `, paginator: single_page}
  - name: broken
    endpoint: {path: bearer/broken, paginator: single_page}
  - name: wrong_client
    endpoint:
      path: oauth/items
      paginator: single_page
      auth: {type: oauth2_client_credentials, access_token_url: ` + tokenURL + `, client_id: restload, client_secret: {secret: token}}
`
	}
	return head + `  - name: bearer_items
    endpoint: {path: bearer/items, paginator: {type: page_number, page_param: page, base_page: 0}}
  - name: query_items
    endpoint: {path: query/items, auth: ` + queryAuth + `, paginator: {type: json_link, next_url_path: next}}
  - name: header_items
    endpoint:
      path: header/items
      auth: {type: api_key, name: X-Api-Key, api_key: {secret: header_key}}
      paginator: {type: cursor, cursor_path: cursors.next}
  - name: basic_items
    endpoint:
      path: basic/items
      auth: {type: http_basic, username: loader, password: {secret: password}}
      paginator: single_page
  - name: oauth_items
    endpoint:
      path: oauth/items
      paginator: single_page
      auth: {type: oauth2_client_credentials, access_token_url: ` + tokenURL + `, client_id: restload, client_secret: {secret: client_secret}}
`
}

// TestDefinitionSecretsNeverLeak runs a REST source definition whose
// resources authenticate with a bearer token, API keys in the query and
// in a header, basic auth and OAuth2 client credentials. It loads into
// DuckDB, JSON lines files and Iceberg tables, and runs a second
// definition whose routes fail, all at debug level. Then it searches
// every output, file and loaded value for the credentials and the access
// token that the API issued.
func TestDefinitionSecretsNeverLeak(t *testing.T) {
	ds := newDefinitionSecrets()
	ls := newLeakSearch(t, ds.all()...)
	api := canaryAPI(t, ds)
	e := newEnv(t)
	files := t.TempDir()
	good := filepath.Join(files, "canary.yaml")
	failing := filepath.Join(files, "failing.yaml")
	for path, failing := range map[string]bool{good: false, failing: true} {
		def := canaryDefinition(api.URL, api.URL+"/oauth/token", failing)
		if err := os.WriteFile(path, []byte(def), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(command string, env []string, args ...string) ([]byte, int) {
		t.Helper()
		out, code := runCaptured(t, canaryCmd(t, e, "", "", append(ds.env(), env...), args...))
		ls.output(command, out)
		return out, code
	}

	targets := []struct {
		pipeline, destination, format string
		env                           []string
	}{
		{"canary_duckdb", "duckdb", "json", nil},
		{"canary_files", "filesystem", "text", []string{"DESTINATION__FILESYSTEM__FORMAT=jsonl"}},
		{"canary_iceberg", "iceberg", "json", nil},
	}
	for _, tg := range targets {
		out, code := run("run into "+tg.destination, tg.env, "run", "--source", good, "--pipeline", tg.pipeline,
			"--destination", tg.destination, "--progress", "none", "--log-level", "debug", "--log-format", tg.format)
		if code != 0 {
			t.Fatalf("run into %s: exit code %d:\n%s", tg.destination, code, out)
		}
		for _, want := range []string{"bearer_items", "query_items", "header_items", "basic_items", "oauth_items"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("run into %s: output does not name %s:\n%.3000s", tg.destination, want, out)
			}
		}
	}
	out, code := run("run of the failing routes", nil, "run", "--source", failing, "--pipeline", "canary_failing",
		"--progress", "none", "--log-level", "debug")
	if code == 0 {
		t.Errorf("run of the failing routes: exit code 0:\n%s", out)
	}
	for _, want := range []string{"loop", "badlink", "forbidden", "broken", "wrong_client"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("run of the failing routes: output does not name %s:\n%.3000s", want, out)
		}
	}
	run("lint", nil, "lint", good)
	for _, name := range []string{"canary_duckdb", "canary_files", "canary_iceberg", "canary_failing"} {
		for _, args := range pipelineCommands(name) {
			run(strings.Join(args, " "), nil, append(args, "--log-level", "debug")...)
		}
	}

	ls.folder(e.dir)
	for _, name := range []string{"canary_duckdb", "canary_failing"} {
		db, err := duckdb.Open(filepath.Join(e.dir, name+".duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		ls.database("DuckDB "+name, db.DB(), `SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'`)
		db.Close()
	}
	views := `SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'VIEW' AND table_schema = 'canary_data'`
	ls.database("files", viewsDB(t, func(ctx context.Context) ([]string, error) {
		fc, err := filesystem.Open(filesystem.Config{BucketURL: filepath.Join(e.dir, "canary_files_files"), Format: filesystem.JSONL})
		if err != nil {
			return nil, err
		}
		s, err := fc.Schema(ctx, "canary_data", "canary")
		if err != nil {
			return nil, err
		}
		return fc.Views("canary_data", s)
	}), views)
	ls.database("Iceberg", viewsDB(t, func(ctx context.Context) ([]string, error) {
		return iceberg.Views(ctx, iceberg.Config{Warehouse: filepath.Join(e.dir, "canary_iceberg_iceberg")}, "canary_data")
	}), views)
	if ls.files < 20 || ls.tables < 20 || ls.values < 100 {
		t.Errorf("the search covered too little: %s", ls.summary())
	}
	t.Log("searched " + ls.summary())
}
