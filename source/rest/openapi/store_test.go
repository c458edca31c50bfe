package openapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/restload/restload/source/rest"
)

// TestStoreIntoDuckDB generates a definition from a document in the
// style of a shop API and loads a server built from the document's
// examples, which pages by offset and limit and rejects a limit above
// the document's maximum of 2.
func TestStoreIntoDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("loads into DuckDB")
	}
	products := example(t, "store.yaml", "/products").(map[string]any)["products"].([]any)
	orders := example(t, "store.yaml", "/orders").(map[string]any)["data"].([]any)
	lines := example(t, "store.yaml", "/orders/{orderId}/lines").(map[string]any)["lines"].([]any)
	const key = "store-key"
	rec := &recorder{}
	orderLines := regexp.MustCompile(`^/api/v2/orders/(\d+)/lines$`)
	server := newServer(t, rec, func(r *http.Request) bool { return r.Header.Get("X-Store-Key") == key },
		func(w http.ResponseWriter, r *http.Request) {
			offset := intParam(r, "offset", 0)
			limit := intParam(r, "limit", 2)
			if limit > 2 {
				http.Error(w, `{"error":"limit above 2"}`, http.StatusBadRequest)
				return
			}
			page := func(items []any) []any { return items[min(offset, len(items)):min(offset+limit, len(items))] }
			switch {
			case r.URL.Path == "/api/v2/products":
				writeJSON(w, map[string]any{"total": len(products), "products": page(products)})
			case r.URL.Path == "/api/v2/orders":
				writeJSON(w, map[string]any{"meta": map[string]any{"total": len(orders)}, "data": page(orders)})
			case orderLines.MatchString(r.URL.Path):
				writeJSON(w, map[string]any{"total": len(lines), "lines": page(lines)})
			default:
				http.NotFound(w, r)
			}
		})

	def := generate(t, "store.yaml", "store", server.URL+"/api/v2")
	for _, r := range def.Config.Resources {
		if p := r.Endpoint.Paginator; p == nil || p.Type != rest.PaginatorOffset || p.Limit != 2 {
			t.Errorf("resource %s: paginator %+v, want offset with limit 2", r.Name, p)
		}
	}
	db := runDefinition(t, def.Config, key)
	tables := tableRows(t, db, "store_data")
	want := map[string]int{"products": 5, "orders": 3, "order_lines": 6}
	for table, n := range want {
		if tables[table] != n {
			t.Errorf("table %s has %d rows, want %d", table, tables[table], n)
		}
	}
	var ids string
	if err := db.QueryRow(`SELECT string_agg(id, ',' ORDER BY id) FROM store_data.products`).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if ids != "p-1,p-2,p-3,p-4,p-5" {
		t.Errorf("product ids %s", ids)
	}
	sent := rec.all()
	for _, q := range []string{"/api/v2/orders/12/lines", "offset=4", "limit=2"} {
		if !strings.Contains(sent, q) {
			t.Errorf("requests lack %s: %s", q, sent)
		}
	}
	if strings.Contains(fmt.Sprint(def.Skipped), "listProducts") {
		t.Errorf("listProducts was skipped: %v", def.Skipped)
	}
}
