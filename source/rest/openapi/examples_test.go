package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// example returns the example of the 200 JSON response of GET path in
// the document in testdata.
func example(t *testing.T, file, path string) any {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Value(path)
	if item == nil || item.Get == nil {
		t.Fatalf("%s has no GET %s", file, path)
	}
	ex := item.Get.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Example
	if ex == nil {
		t.Fatalf("%s has no example for GET %s", file, path)
	}
	return ex
}

// recorder is a test server's log of requests.
type recorder struct {
	mu       sync.Mutex
	requests []string
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.URL.RequestURI())
}

func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.requests, " ")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// intParam returns the query parameter name as an int, or def.
func intParam(r *http.Request, name string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

// newServer starts an httptest server that checks a credential with ok
// before serving h.
func newServer(t *testing.T, rec *recorder, ok func(*http.Request) bool, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if !ok(r) {
			http.Error(w, `{"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}
