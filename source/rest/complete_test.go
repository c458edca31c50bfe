package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/restload/restload/source"
)

// completeAPI serves two pages of stores at /stores (page_number) and
// the orders of each store at /stores/{id}/orders; store 2 is unknown
// (404).
func completeAPI(t *testing.T) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch {
		case r.URL.Path == "/stores" && r.URL.Query().Get("page") == "2":
			writeJSON(w, 200, `{"items":[{"id":2}]}`)
		case r.URL.Path == "/stores" && r.URL.Query().Get("page") == "3":
			writeJSON(w, 200, `{"items":[]}`)
		case r.URL.Path == "/stores":
			writeJSON(w, 200, `{"items":[{"id":1,"ts":5}]}`)
		case r.URL.Path == "/stores/2/orders":
			writeJSON(w, 404, `{"error":"gone"}`)
		case strings.HasPrefix(r.URL.Path, "/stores/"):
			writeJSON(w, 200, `{"items":[{"id":10}]}`)
		default:
			writeJSON(w, 404, `{}`)
		}
	})
}

// TestListingComplete checks which listings report that they hold every
// object, the condition for marking absent rows deleted.
func TestListingComplete(t *testing.T) {
	pages := &Paginator{Type: PaginatorPageNumber, PageParam: "page", StopAfterEmptyPage: new(true)}
	orders := Resource{Name: "orders", Endpoint: Endpoint{Path: "stores/{resources.stores.id}/orders"}}
	ignore404 := []ResponseAction{{StatusCode: 404, Action: ActionIgnore}}
	tests := []struct {
		name   string
		stores Resource
		orders *Resource
		// want lists whether each resource, in order, was complete.
		want []bool
	}{
		{"all pages", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores", Paginator: pages}}, nil, []bool{true}},
		{"cut by max_pages", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores",
			Paginator: &Paginator{Type: PaginatorPageNumber, PageParam: "page", MaxPages: 1}}}, nil, []bool{false}},
		{"incremental", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores", Paginator: pages,
			Incremental: &Incremental{CursorPath: "ts", InitialValue: "0", StartParam: "since",
				OnCursorValueMissing: "include"}}}, nil, []bool{false}},
		{"processing step", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores", Paginator: pages},
			ProcessingSteps: []Step{{Filter: "all"}}}, nil, []bool{false}},
		{"children of every parent", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores"}},
			&Resource{Name: "orders", Endpoint: orders.Endpoint}, []bool{true, true}},
		{"a child answer ignored", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores", Paginator: pages}},
			&Resource{Name: "orders", Endpoint: Endpoint{Path: orders.Endpoint.Path, ResponseActions: ignore404}}, []bool{true, false}},
		{"children of a cut parent", Resource{Name: "stores", Endpoint: Endpoint{Path: "stores",
			Paginator: &Paginator{Type: PaginatorPageNumber, PageParam: "page", MaxPages: 1}}},
			&Resource{Name: "orders", Endpoint: orders.Endpoint}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := completeAPI(t)
			cfg := &Config{Name: "shop", Client: ClientConfig{BaseURL: srv.URL},
				ResourceDefaults: Resource{Endpoint: Endpoint{DataSelector: "items", Paginator: &Paginator{Type: PaginatorSinglePage}}},
				Resources:        []Resource{tt.stores}}
			if tt.orders != nil {
				cfg.Resources = append(cfg.Resources, *tt.orders)
			}
			hooks := Hooks{Filter: map[string]func(json.RawMessage) (bool, error){"all": func(json.RawMessage) (bool, error) { return true, nil }}}
			src, _ := newTestSource(t, cfg, Options{Hooks: hooks})
			var got []bool
			for _, r := range src.Resources() {
				ctx, complete := source.WithCompletion(context.Background())
				if _, err := r.Extract(ctx, nil, func([]json.RawMessage) error { return nil }); err != nil {
					t.Fatalf("extract %s: %v", r.Name(), err)
				}
				got = append(got, complete())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d resources, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("resource %d complete = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
