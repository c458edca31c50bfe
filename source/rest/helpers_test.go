package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is one request a test server received.
type recorded struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   string
}

// server is a test API. handle serves each request; the server records
// them all.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

func newServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
		n := len(s.requests)
		s.mu.Unlock()
		handle(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) recorded() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// waits records the retry waits of a source instead of sleeping.
type waits struct {
	mu  sync.Mutex
	got []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, d)
	return ctx.Err()
}

// newTestSource builds a source whose retries do not sleep.
func newTestSource(t *testing.T, cfg *Config, opts Options) (*Source, *waits) {
	t.Helper()
	if opts.Secrets == nil {
		opts.Secrets = func(name string) (string, error) {
			return "", fmt.Errorf("secret %q is not set", name)
		}
	}
	src, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	src.client.sleep = w.sleep
	t.Cleanup(func() { src.Close() })
	return src, w
}

// secrets returns a lookup over fixed values.
func secrets(values map[string]string) SecretLookup {
	return func(name string) (string, error) {
		if v, ok := values[name]; ok {
			return v, nil
		}
		return "", fmt.Errorf("secret %q is not set", name)
	}
}

// extract runs the named resource and returns its items compacted, the
// state it returned and its error.
func extract(t *testing.T, src *Source, name string, state string) ([]string, string, error) {
	t.Helper()
	var items []string
	for _, r := range src.all {
		if r.Name() != name {
			continue
		}
		var st json.RawMessage
		if state != "" {
			st = json.RawMessage(state)
		}
		next, err := r.Extract(context.Background(), st, func(page []json.RawMessage) error {
			for _, it := range page {
				items = append(items, compact(t, it))
			}
			return nil
		})
		return items, string(next), err
	}
	t.Fatalf("no resource %s", name)
	return nil, "", nil
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b strings.Builder
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	out, _ := json.Marshal(v)
	b.Write(out)
	return b.String()
}

// ids returns the "id" member of each item.
func ids(t *testing.T, items []string) string {
	t.Helper()
	var out []string
	for _, it := range items {
		var v struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal([]byte(it), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Trim(string(v.ID), `"`))
	}
	return strings.Join(out, ",")
}

func one(name string, e Endpoint) []Resource { return []Resource{{Name: name, Endpoint: e}} }
