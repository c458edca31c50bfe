package rest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/source/rest"
)

// libraryDefinition reads a small library API: a paged list of authors,
// each author's details, and loans loaded incrementally.
const libraryDefinition = `
name: library
client:
  base_url: {{URL}}/api
  auth:
    type: api_key
    name: X-Library-Key
    api_key: {secret: library_key}
  retry: {backoff: 1ms}
resources:
  - name: authors
    primary_key: [id]
    write_disposition: merge
    endpoint:
      path: authors
      data_selector: data
      paginator:
        type: page_number
        total_path: meta.total_pages
  - name: author_details
    table_name: author_details
    primary_key: [id]
    write_disposition: merge
    include_from_parent: [name]
    endpoint:
      path: authors/{resources.authors.id}
  - name: loans
    primary_key: [id]
    write_disposition: merge
    endpoint:
      path: loans
      params:
        changed_since: "{incremental.start_value}"
      paginator:
        type: cursor
        cursor_path: next
        cursor_param: after
      incremental:
        cursor_path: changed_at
        initial_value: "2024-01-01T00:00:00Z"
`

// library is the API behind libraryDefinition.
type library struct {
	mu       sync.Mutex
	loans    []loan
	requests []string
}

type loan struct {
	id      int
	book    string
	changed string
}

const libraryKey = "lib-key-0123456789"

func (l *library) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r.URL.RequestURI())
	if r.Header.Get("X-Library-Key") != libraryKey {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	switch {
	case path == "authors":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var authors []string
		for id := page*2 - 1; id <= page*2 && id <= 5; id++ {
			authors = append(authors, fmt.Sprintf(`{"id":%d,"name":"Author %d"}`, id, id))
		}
		fmt.Fprintf(w, `{"data":[%s],"meta":{"total_pages":3}}`, strings.Join(authors, ","))
	case strings.HasPrefix(path, "authors/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(path, "authors/"))
		fmt.Fprintf(w, `{"id":%d,"born":%d,"books":["Book %dA","Book %dB"],"royalty":12345678901234567.25}`, id, 1900+id, id, id)
	case path == "loans":
		since := r.URL.Query().Get("changed_since")
		var out []string
		for _, ln := range l.loans {
			if ln.changed >= since {
				out = append(out, fmt.Sprintf(`{"id":%d,"book":%q,"changed_at":%q}`, ln.id, ln.book, ln.changed))
			}
		}
		// Two loans a page.
		start := 0
		if a := r.URL.Query().Get("after"); a != "" {
			start, _ = strconv.Atoi(a)
		}
		end := min(start+2, len(out))
		next := "null"
		if end < len(out) {
			next = strconv.Itoa(end)
		}
		fmt.Fprintf(w, `{"loans":[%s],"next":%s}`, strings.Join(out[start:end], ","), next)
	default:
		http.NotFound(w, r)
	}
}

func TestYAMLDefinitionIntoDuckDB(t *testing.T) {
	lib := &library{loans: []loan{
		{1, "Book 1A", "2024-02-01T00:00:00Z"}, {2, "Book 2A", "2024-02-02T00:00:00Z"}, {3, "Book 3B", "2024-02-03T00:00:00Z"},
	}}
	srv := httptest.NewServer(lib)
	defer srv.Close()
	dir := t.TempDir()
	defPath := filepath.Join(dir, "library.yaml")
	if err := os.WriteFile(defPath, []byte(strings.ReplaceAll(libraryDefinition, "{{URL}}", srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "library.duckdb")

	run := func() *pipeline.LoadInfo {
		t.Helper()
		cfg, err := rest.LoadFile(defPath)
		if err != nil {
			t.Fatal(err)
		}
		src, err := rest.New(cfg, rest.Options{Secrets: func(name string) (string, error) {
			if name != "library_key" {
				return "", fmt.Errorf("unknown secret %q", name)
			}
			return libraryKey, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dest, err := duckdb.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer dest.Close()
		p, err := pipeline.New(pipeline.Config{Name: "library", Dataset: "library_data", DataDir: filepath.Join(dir, "data"),
			Destination: dest, DestinationName: "duckdb"})
		if err != nil {
			t.Fatal(err)
		}
		info, err := p.Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	query := func(q string) string {
		t.Helper()
		dest, err := duckdb.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer dest.Close()
		rows, err := dest.DB().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return strings.Join(out, "|")
	}

	run()
	checks := []struct{ q, want string }{
		{`SELECT string_agg(id::VARCHAR || ':' || name, ',' ORDER BY id) FROM library_data.authors`,
			"1:Author 1,2:Author 2,3:Author 3,4:Author 4,5:Author 5"},
		{`SELECT string_agg(id::VARCHAR || ':' || born::VARCHAR || ':' || _authors_name, ',' ORDER BY id) FROM library_data.author_details`,
			"1:1901:Author 1,2:1902:Author 2,3:1903:Author 3,4:1904:Author 4,5:1905:Author 5"},
		{`SELECT count(*)::VARCHAR FROM library_data.author_details__books`, "10"},
		{`SELECT rtrim(royalty::VARCHAR, '0') FROM library_data.author_details WHERE id = 1`, "12345678901234567.25"},
		{`SELECT string_agg(id::VARCHAR || ':' || book, ',' ORDER BY id) FROM library_data.loans`, "1:Book 1A,2:Book 2A,3:Book 3B"},
	}
	for _, c := range checks {
		if got := query(c.q); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.q, got, c.want)
		}
	}

	// Loan 3 changes and loan 4 is new. The second run requests the loans
	// changed since the stored cursor, and loan 3's old boundary copy is
	// not loaded again.
	lib.mu.Lock()
	lib.loans[2] = loan{3, "Book 3B returned", "2024-03-01T00:00:00Z"}
	lib.loans = append(lib.loans, loan{4, "Book 4A", "2024-03-02T00:00:00Z"})
	lib.requests = nil
	lib.mu.Unlock()
	info := run()
	if got := info.Rows()["loans"]; got != 2 {
		t.Errorf("second run loaded %d loans, want the 2 changed ones", got)
	}
	lib.mu.Lock()
	sent := strings.Join(lib.requests, " ")
	lib.mu.Unlock()
	if !strings.Contains(sent, "changed_since=2024-02-03T00%3A00%3A00Z") {
		t.Errorf("requests %s lack the stored cursor", sent)
	}
	if got := query(`SELECT string_agg(id::VARCHAR || ':' || book, ',' ORDER BY id) FROM library_data.loans`); got != "1:Book 1A,2:Book 2A,3:Book 3B returned,4:Book 4A" {
		t.Errorf("loans after the second run: %s", got)
	}
	if got := query(`SELECT count(*)::VARCHAR FROM library_data.author_details__books`); got != "10" {
		t.Errorf("%s book rows after the second run, want the 10 replaced, not appended", got)
	}
}
