package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// shopServer serves /stores (two pages, store 2 listed twice) and
// /stores/{id}/orders, and counts the order requests per store.
func shopServer(t *testing.T) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/stores":
			if r.URL.Query().Get("page") == "2" {
				writeJSON(w, 200, `{"stores":[{"id":2,"name":"two"},{"id":3,"name":"three"}],"next":null}`)
				return
			}
			writeJSON(w, 200, `{"stores":[{"id":1,"name":"one"},{"id":2,"name":"two"}],"next":"/stores?page=2"}`)
		case "/stores/1/orders", "/stores/2/orders":
			store := strings.Split(r.URL.Path, "/")[2]
			writeJSON(w, 200, fmt.Sprintf(`[{"id":"%s-a"},{"id":"%s-b"}]`, store, store))
		case "/stores/3/orders":
			writeJSON(w, 404, `{"error":"store closed"}`)
		default:
			writeJSON(w, 404, `{}`)
		}
	})
}

func shopConfig(url string) *Config {
	return &Config{
		Client: ClientConfig{BaseURL: url, Paginator: &Paginator{Type: PaginatorJSONLink}},
		Resources: []Resource{
			{Name: "stores", Endpoint: Endpoint{DataSelector: "stores"}},
			{Name: "orders", IncludeFromParent: []string{"name"}, Endpoint: Endpoint{
				Path:            "stores/{resources.stores.id}/orders",
				Paginator:       &Paginator{Type: PaginatorSinglePage},
				ResponseActions: []ResponseAction{{StatusCode: 404, Action: ActionIgnore}},
			}},
		},
	}
}

func orderRequests(srv *server) map[string]int {
	got := map[string]int{}
	for _, r := range srv.recorded() {
		if strings.HasSuffix(r.Path, "/orders") {
			got[r.Path]++
		}
	}
	return got
}

func TestDependentResource(t *testing.T) {
	srv := shopServer(t)
	src, _ := newTestSource(t, shopConfig(srv.URL), Options{})
	if names := resourceNames(src); names != "stores,orders" {
		t.Fatalf("resources %s", names)
	}
	stores, _, err := extract(t, src, "stores", "")
	if err != nil || len(stores) != 4 {
		t.Fatalf("stores %v, error %v", stores, err)
	}
	orders, state, err := extract(t, src, "orders", "")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_stores_name":"one","id":"1-a"},{"_stores_name":"one","id":"1-b"},{"_stores_name":"two","id":"2-a"},{"_stores_name":"two","id":"2-b"}`
	if got := strings.Join(orders, ","); got != want {
		t.Errorf("orders\n%s\nwant\n%s", got, want)
	}
	for path, n := range orderRequests(srv) {
		if n != 1 {
			t.Errorf("%s requested %d times, want once per parent item", path, n)
		}
	}
	if storesRequests := len(srv.recorded()) - 3; storesRequests != 2 {
		t.Errorf("stores listed with %d requests, want the parent's 2 only", storesRequests)
	}
	if state != "" {
		t.Errorf("state %s, want none for a parent without state", state)
	}
}

func TestDependentResourceListsUnselectedParent(t *testing.T) {
	srv := shopServer(t)
	cfg := shopConfig(srv.URL)
	cfg.Resources[0].Selected = boolp(false)
	src, _ := newTestSource(t, cfg, Options{})
	if names := resourceNames(src); names != "orders" {
		t.Fatalf("resources %s, want only orders", names)
	}
	orders, _, err := extract(t, src, "orders", "")
	if err != nil || len(orders) != 4 {
		t.Fatalf("orders %v, error %v", orders, err)
	}
	if n := len(orderRequests(srv)); n != 3 {
		t.Errorf("%d stores' orders requested, want 3", n)
	}
}

func TestDependentResourceConcurrent(t *testing.T) {
	srv := shopServer(t)
	src, _ := newTestSource(t, shopConfig(srv.URL), Options{})
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	// Started in order, as Concurrency documents: the child waits for the
	// parent's items instead of listing the parent again.
	started := make(chan struct{})
	for i, r := range src.Resources() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				close(started)
			} else {
				<-started
			}
			_, errs[i] = r.Extract(context.Background(), nil, func(items []json.RawMessage) error {
				counts[i] += len(items)
				return nil
			})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || counts[0] != 4 || counts[1] != 4 {
		t.Fatalf("counts %v, errors %v", counts, errs)
	}
}

// incrementalParent serves /tickets with updated_at filtering by the since
// parameter, from a list the test changes, and /tickets/{id}/comments.
type ticketAPI struct {
	mu      sync.Mutex
	tickets map[int]int // id -> updated_at
}

func (a *ticketAPI) handle(w http.ResponseWriter, r *http.Request, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/comments") {
		writeJSON(w, 200, `[{"id":"c`+strings.Split(r.URL.Path, "/")[2]+`"}]`)
		return
	}
	var since int
	fmt.Sscan(r.URL.Query().Get("since"), &since)
	var items []string
	for id := 1; id <= 10; id++ {
		if u, ok := a.tickets[id]; ok && u >= since {
			items = append(items, fmt.Sprintf(`{"id":%d,"updated_at":%d}`, id, u))
		}
	}
	writeJSON(w, 200, "["+strings.Join(items, ",")+"]")
}

func ticketConfig(url string) *Config {
	return &Config{
		Client: ClientConfig{BaseURL: url, Paginator: &Paginator{Type: PaginatorSinglePage}},
		Resources: []Resource{
			{Name: "tickets", PrimaryKey: []string{"id"}, WriteDisposition: "merge", Endpoint: Endpoint{
				Incremental: &Incremental{CursorPath: "updated_at", InitialValue: "0", StartParam: "since"}}},
			{Name: "comments", Endpoint: Endpoint{Path: "tickets/{resources.tickets.id}/comments"}},
		},
	}
}

func TestIncrementalBoundaryDuplicates(t *testing.T) {
	api := &ticketAPI{tickets: map[int]int{1: 10, 2: 20, 3: 20}}
	srv := newServer(t, api.handle)
	src, _ := newTestSource(t, ticketConfig(srv.URL), Options{})
	items, state, err := extract(t, src, "tickets", "")
	if err != nil || ids(t, items) != "1,2,3" {
		t.Fatalf("first run %v, error %v", items, err)
	}
	var st struct {
		Incremental incrState `json:"incremental"`
	}
	if err := json.Unmarshal([]byte(state), &st); err != nil {
		t.Fatal(err)
	}
	if string(st.Incremental.LastValue) != "20" || len(st.Incremental.UniqueHashes) != 2 {
		t.Errorf("state %s, want last value 20 and the hashes of tickets 2 and 3", state)
	}
	// The API returns items at the boundary again (since is inclusive):
	// tickets 2 and 3 are not loaded twice, the new ticket 4 at the same
	// value and the changed ticket 1 are.
	api.mu.Lock()
	api.tickets[4], api.tickets[1] = 20, 25
	api.mu.Unlock()
	items, state2, err := extract(t, src, "tickets", state)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "1,4" {
		t.Errorf("second run loaded %s, want 1,4", got)
	}
	reqs := srv.recorded()
	if got := reqs[len(reqs)-1].Query["since"]; len(got) != 1 || got[0] != "20" {
		t.Errorf("second run sent since=%v, want 20", got)
	}
	if !strings.Contains(state2, `"last_value":25`) {
		t.Errorf("state %s, want last value 25", state2)
	}
	// Nothing changed: nothing loaded, state kept.
	items, state3, err := extract(t, src, "tickets", state2)
	if err != nil || len(items) != 0 || !sameJSON([]byte(state3), []byte(state2)) {
		t.Errorf("third run loaded %v with state %s (error %v), want nothing and the same state", items, state3, err)
	}
}

func TestIncrementalLagAndEndValue(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `[{"id":1,"ts":"2024-01-01T10:00:00Z"},{"id":2,"ts":"2024-01-01T11:30:00Z"},{"id":3,"ts":"2024-01-01T12:00:00Z"}]`)
	})
	cfg := &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("events", Endpoint{
		Paginator:   &Paginator{Type: PaginatorSinglePage},
		Params:      map[string]string{"from": "{incremental.start_value}"},
		Incremental: &Incremental{CursorPath: "ts", Lag: "1h", PrimaryKey: []string{"id"}}})}
	src, _ := newTestSource(t, cfg, Options{})
	state := `{"incremental":{"cursor_path":"ts","last_value":"2024-01-01T12:00:00Z","unique_hashes":[]}}`
	items, _, err := extract(t, src, "events", state)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "2,3" {
		t.Errorf("loaded %s, want the items within the hour of lag", got)
	}
	if got := srv.recorded()[0].Query["from"]; len(got) != 1 || got[0] != "2024-01-01T11:00:00Z" {
		t.Errorf("from=%v, want the last value moved back by the lag", got)
	}

	cfg.Resources[0].Endpoint.Incremental = &Incremental{CursorPath: "ts", InitialValue: "2024-01-01T00:00:00Z", EndValue: "2024-01-01T12:00:00Z"}
	src, _ = newTestSource(t, cfg, Options{})
	items, next, err := extract(t, src, "events", "")
	if err != nil || ids(t, items) != "1,2" || next != "" {
		t.Errorf("backfill loaded %v with state %q (error %v), want 1,2 and no state", items, next, err)
	}
}

func TestIncrementalMissingCursor(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `[{"id":1,"v":3},{"id":2},{"id":3,"v":null}]`)
	})
	for _, tc := range []struct{ policy, want, err string }{
		{"", "", "no value at cursor path v"}, {"include", "1,2,3", ""}, {"exclude", "1", ""},
	} {
		t.Run("policy "+tc.policy, func(t *testing.T) {
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{
				Paginator:   &Paginator{Type: PaginatorSinglePage},
				Incremental: &Incremental{CursorPath: "v", OnCursorValueMissing: tc.policy}})}, Options{})
			items, _, err := extract(t, src, "things", "")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ids(t, items) != tc.want {
				t.Errorf("items %v, error %v; want %s", items, err, tc.want)
			}
		})
	}
}

func TestDependentOfIncrementalParentCatchesUp(t *testing.T) {
	api := &ticketAPI{tickets: map[int]int{1: 10, 2: 20}}
	srv := newServer(t, api.handle)
	src, _ := newTestSource(t, ticketConfig(srv.URL), Options{})
	_, parentState, err := extract(t, src, "tickets", "")
	if err != nil {
		t.Fatal(err)
	}
	comments, childState, err := extract(t, src, "comments", "")
	if err != nil || ids(t, comments) != "c1,c2" {
		t.Fatalf("comments %v, error %v", comments, err)
	}
	if !strings.Contains(childState, `"parent"`) {
		t.Fatalf("child state %s does not record the parent state it covered", childState)
	}

	// Run 2: ticket 3 is new; the child fails, so its state stays.
	api.mu.Lock()
	api.tickets[3] = 30
	api.mu.Unlock()
	_, parentState2, err := extract(t, src, "tickets", parentState)
	if err != nil {
		t.Fatal(err)
	}
	// Run 3: ticket 4 is new. The parent's run starts from the state of
	// run 2, which the child never covered: the child lists the parent
	// again from its own state and so also gets ticket 3.
	api.mu.Lock()
	api.tickets[4] = 40
	api.mu.Unlock()
	tickets, _, err := extract(t, src, "tickets", parentState2)
	if err != nil || ids(t, tickets) != "4" {
		t.Fatalf("tickets %v, error %v", tickets, err)
	}
	comments, _, err = extract(t, src, "comments", childState)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, comments); got != "c3,c4" {
		t.Errorf("comments %s, want c3,c4: the ones of run 2 are caught up", got)
	}
}

func TestProcessingSteps(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `[{"id":1,"tags":["a","b"]},{"id":2,"tags":[]},{"id":3,"tags":["c"],"draft":true}]`)
	})
	hooks := Hooks{
		Filter: map[string]func(json.RawMessage) (bool, error){"published": func(it json.RawMessage) (bool, error) {
			return !strings.Contains(string(it), `"draft":true`), nil
		}},
		YieldMap: map[string]func(json.RawMessage) ([]json.RawMessage, error){"tags": func(it json.RawMessage) ([]json.RawMessage, error) {
			var v struct {
				ID   int
				Tags []string
			}
			if err := json.Unmarshal(it, &v); err != nil {
				return nil, err
			}
			var out []json.RawMessage
			for _, tag := range v.Tags {
				out = append(out, json.RawMessage(fmt.Sprintf(`{"id":"%d-%s"}`, v.ID, tag)))
			}
			return out, nil
		}},
	}
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: []Resource{{Name: "tags",
		ProcessingSteps: []Step{{Filter: "published"}, {YieldMap: "tags"}},
		Endpoint:        Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}}}}}, Options{Hooks: hooks})
	items, _, err := extract(t, src, "tags", "")
	if err != nil || ids(t, items) != "1-a,1-b" {
		t.Errorf("items %v, error %v; want 1-a,1-b", items, err)
	}
	if _, err := New(&Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: []Resource{{Name: "x",
		ProcessingSteps: []Step{{Map: "nope"}}}}}, Options{Hooks: hooks}); err == nil || !strings.Contains(err.Error(), `no hook "nope"`) {
		t.Errorf("error %v, want the unknown hook named", err)
	}
}

func TestExtractHook(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Query().Get("token") == "expired" {
			writeJSON(w, 410, `{"error":"token expired"}`)
			return
		}
		writeJSON(w, 200, `{"items":[{"id":1}],"token":"t`+fmt.Sprint(n)+`"}`)
	})
	hook := func(ctx context.Context, state json.RawMessage, list ListFunc) (json.RawMessage, error) {
		var st struct{ Token string }
		json.Unmarshal(state, &st)
		extra := Extra{}
		if st.Token != "" {
			extra.Params = map[string]string{"token": st.Token}
		}
		res, err := list(ctx, extra)
		if err != nil && st.Token != "" {
			res, err = list(ctx, Extra{})
		}
		if err != nil {
			return nil, err
		}
		var body struct{ Token string }
		json.Unmarshal(res.Last.Body, &body)
		return json.Marshal(map[string]string{"token": body.Token})
	}
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: []Resource{{Name: "x", ExtractHook: "tokens",
		Endpoint: Endpoint{DataSelector: "items", Paginator: &Paginator{Type: PaginatorSinglePage}}}}},
		Options{Hooks: Hooks{Extract: map[string]ExtractHook{"tokens": hook}}})
	_, state, err := extract(t, src, "x", `{"token":"expired"}`)
	if err != nil {
		t.Fatal(err)
	}
	if state != `{"token":"t2"}` {
		t.Errorf("state %s, want the token of the relisting", state)
	}
}

func resourceNames(src *Source) string {
	var names []string
	for _, r := range src.Resources() {
		names = append(names, r.Name())
	}
	return strings.Join(names, ",")
}

func TestGrandparentChain(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch {
		case len(parts) == 1: // /orgs
			writeJSON(w, 200, `[{"id":"o1"},{"id":"o2"}]`)
		case parts[0] == "orgs": // /orgs/{org}/teams
			writeJSON(w, 200, fmt.Sprintf(`[{"slug":"%s-t"}]`, parts[1]))
		default: // /teams/{slug}/members
			writeJSON(w, 200, fmt.Sprintf(`[{"id":"%s-m"}]`, parts[1]))
		}
	})
	cfg := &Config{Client: ClientConfig{BaseURL: srv.URL, Paginator: &Paginator{Type: PaginatorSinglePage}}, Resources: []Resource{
		{Name: "members", IncludeFromParent: []string{"slug"}, Endpoint: Endpoint{Path: "teams/{resources.teams.slug}/members"}},
		{Name: "teams", Endpoint: Endpoint{Path: "orgs/{resources.orgs.id}/teams"}},
		{Name: "orgs", Selected: boolp(false)},
	}}
	src, _ := newTestSource(t, cfg, Options{})
	if got := resourceNames(src); got != "teams,members" {
		t.Fatalf("resources %s, want parents first and orgs left out", got)
	}
	if _, _, err := extract(t, src, "teams", ""); err != nil {
		t.Fatal(err)
	}
	members, _, err := extract(t, src, "members", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(members, ","); got != `{"_teams_slug":"o1-t","id":"o1-t-m"},{"_teams_slug":"o2-t","id":"o2-t-m"}` {
		t.Errorf("members %s", got)
	}
	if n := len(srv.recorded()); n != 5 {
		t.Errorf("%d requests, want 5: orgs once, teams of 2 orgs, members of 2 teams", n)
	}
}
