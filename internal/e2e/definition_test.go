package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunSourceDefinition runs a YAML definition with the binary against
// a small paged API that needs a bearer token from secrets.toml.
func TestRunSourceDefinition(t *testing.T) {
	const token = "library-token-123"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var books []map[string]any
		for i := range 3 {
			if page <= 2 {
				id := (page-1)*3 + i + 1
				books = append(books, map[string]any{"id": id, "title": fmt.Sprintf("Book %d", id), "tags": []string{"a", "b"}})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"data": books})
	}))
	defer api.Close()

	e := newEnv(t)
	def := filepath.Join(e.dir, "library.yaml")
	yaml := `name: library
client:
  base_url: ` + api.URL + `
  auth:
    type: bearer
    token: {secret: token}
resources:
  - name: books
    primary_key: [id]
    write_disposition: merge
    endpoint:
      path: books
      data_selector: data
      paginator:
        type: page_number
        page_param: page
`
	if err := os.WriteFile(def, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := runBinary(t, e, "lint", def); code != 0 || !strings.Contains(out, "no problems") {
		t.Fatalf("lint: exit code %d:\n%s", code, out)
	}

	out, code := runBinary(t, e, "run", "--source", def)
	if code != 2 || !strings.Contains(out, "sources.library.token") {
		t.Errorf("run without the secret: exit code %d, want 2 and the secret's key named:\n%s", code, out)
	}
	if err := os.MkdirAll(filepath.Join(e.dir, ".restload"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, ".restload", "secrets.toml"), []byte("[sources.library]\ntoken = \""+token+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = runBinary(t, e, "run", "--source", def)
	if code != 0 {
		t.Fatalf("run: exit code %d:\n%s", code, out)
	}
	for _, want := range []string{"Pipeline library_pipeline load step completed", "into dataset library_data", "- books: 6 row(s)", "- books__tags: 12 row(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) {
		t.Errorf("output shows the token:\n%s", out)
	}
}

func TestLintReportsLines(t *testing.T) {
	e := newEnv(t)
	def := filepath.Join(e.dir, "bad.yaml")
	yaml := "name: bad\nclient:\n  base_url: https://example.invalid\n  auth:\n    type: bearer\n    token: plain-text-token\nresources:\n  - name: items\n    endpoint:\n      pth: items\n"
	if err := os.WriteFile(def, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runBinary(t, e, "lint", def)
	if code != 1 {
		t.Errorf("exit code %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{def + ": line 6", def + ": line 10", "path"} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "plain-text-token") {
		t.Errorf("lint output shows the literal token:\n%s", out)
	}
}
