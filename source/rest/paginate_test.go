package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func boolp(b bool) *bool { return &b }
func intp(i int) *int    { return &i }

// itemsJSON returns a JSON list of objects with ids from..to-1.
func itemsJSON(from, to int) string {
	var parts []string
	for i := from; i < to; i++ {
		parts = append(parts, fmt.Sprintf(`{"id":%d}`, i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func seq(from, to int) string {
	var parts []string
	for i := from; i < to; i++ {
		parts = append(parts, strconv.Itoa(i))
	}
	return strings.Join(parts, ",")
}

func TestSinglePage(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"data":[{"id":1},{"id":2}],"next":"/ignored"}`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}, DataSelector: "data"})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "1,2" || len(srv.recorded()) != 1 {
		t.Errorf("ids %s after %d requests, want 1,2 after 1", got, len(srv.recorded()))
	}
}

func TestJSONLinkPaginator(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Query().Get("page") {
		case "":
			writeJSON(w, 200, `{"items":[{"id":1}],"links":{"next":"/things?page=2"}}`)
		case "2":
			writeJSON(w, 200, `{"items":[{"id":2}],"links":{"next":"things?page=3"}}`)
		default:
			writeJSON(w, 200, `{"items":[{"id":3}],"links":{"next":null}}`)
		}
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Params: map[string]string{"filter": "x"},
			Paginator: &Paginator{Type: PaginatorJSONLink, NextURLPath: "links.next"}})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "1,2,3" {
		t.Errorf("ids %s, want 1,2,3", got)
	}
	reqs := srv.recorded()
	if reqs[0].Query["filter"] == nil || reqs[1].Query["filter"] != nil {
		t.Errorf("queries %v, %v: want the params on the first request only, the next URL carries its own", reqs[0].Query, reqs[1].Query)
	}
}

func TestLinkPaginatorRefusesOtherHost(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"items":[{"id":1}],"next":"http://127.0.0.2:1/steal"}`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorJSONLink}})}, Options{})
	_, _, err := extract(t, src, "things", "")
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Fatalf("error %v, want the other host refused", err)
	}
}

func TestHeaderLinkPaginator(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 3 {
			w.Header().Add("Link", fmt.Sprintf(`<%s/things?page=%d>; rel="next", <%s/things?page=3>; rel="last"`, "http://"+r.Host, page+1, "http://"+r.Host))
		}
		writeJSON(w, 200, fmt.Sprintf(`[{"id":%d}]`, page))
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorHeaderLink}})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "0,1,2,3" {
		t.Errorf("ids %s, want 0,1,2,3", got)
	}
}

func TestLinkPaginatorRepeatedURL(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Link", `</things?page=2>; rel="next"`)
		writeJSON(w, 200, `[{"id":1}]`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorHeaderLink}})}, Options{})
	_, _, err := extract(t, src, "things", "")
	if err == nil || !strings.Contains(err.Error(), "was returned before") {
		t.Fatalf("error %v, want the repeated next URL named", err)
	}
	if n := len(srv.recorded()); n != 2 {
		t.Errorf("%d requests, want 2: the repeated URL is not requested again", n)
	}
}

// offsetServer serves total items in pages of the requested limit. With
// withTotal it reports the total on the first page only.
func offsetServer(t *testing.T, total int, withTotal bool, capLimit int) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if capLimit > 0 {
			lim = min(lim, capLimit)
		}
		end := min(off+lim, total)
		body := `{"results":` + itemsJSON(off, max(end, off))
		if withTotal && off == 0 {
			body += `,"total":` + strconv.Itoa(total)
		}
		writeJSON(w, 200, body+"}")
	})
}

func TestOffsetPaginator(t *testing.T) {
	tests := []struct {
		name      string
		pg        Paginator
		total     int
		withTotal bool
		capLimit  int
		requests  int
		want      string
	}{
		{"total", Paginator{Type: PaginatorOffset, Limit: 2, TotalPath: "total"}, 5, true, 0, 3, seq(0, 5)},
		{"exact multiple stops on total", Paginator{Type: PaginatorOffset, Limit: 2, TotalPath: "total"}, 4, true, 0, 2, seq(0, 4)},
		{"empty page", Paginator{Type: PaginatorOffset, Limit: 2}, 4, false, 0, 3, seq(0, 4)},
		{"short page", Paginator{Type: PaginatorOffset, Limit: 2, StopAfterShortPage: true}, 5, false, 0, 3, seq(0, 5)},
		{"short pages do not stop by default", Paginator{Type: PaginatorOffset, Limit: 3}, 4, false, 2, 3, "0,1,3"},
		{"maximum offset", Paginator{Type: PaginatorOffset, Limit: 2, MaximumOffset: 4}, 10, false, 0, 2, seq(0, 4)},
		{"max pages", Paginator{Type: PaginatorOffset, Limit: 1, MaxPages: 3}, 10, false, 0, 3, seq(0, 3)},
		{"start offset", Paginator{Type: PaginatorOffset, Limit: 2, Offset: 2}, 4, false, 0, 2, seq(2, 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := offsetServer(t, tc.total, tc.withTotal, tc.capLimit)
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
				Resources: one("things", Endpoint{Paginator: &tc.pg})}, Options{})
			items, _, err := extract(t, src, "things", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, items); got != tc.want {
				t.Errorf("ids %s, want %s", got, tc.want)
			}
			if n := len(srv.recorded()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if q := srv.recorded()[0].Query; len(q["limit"]) == 0 {
				t.Errorf("first request %v lacks the limit", q)
			}
		})
	}
}

func TestOffsetInBody(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"results":`+itemsJSON((n-1)*2, min(n*2, 3))+`}`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
		Resources: one("things", Endpoint{Method: "POST", JSON: map[string]any{"q": "x"},
			Paginator: &Paginator{Type: PaginatorOffset, Limit: 2, OffsetBodyPath: "page.offset", LimitBodyPath: "page.limit"}})}, Options{})
	if _, _, err := extract(t, src, "things", ""); err != nil {
		t.Fatal(err)
	}
	reqs := srv.recorded()
	if len(reqs) != 3 || reqs[1].Body != `{"page":{"limit":2,"offset":2},"q":"x"}` {
		t.Errorf("%d requests, second body %s", len(reqs), reqs[1].Body)
	}
}

func TestPageNumberPaginator(t *testing.T) {
	pages := func(base, count int, withTotal bool) func(w http.ResponseWriter, r *http.Request, n int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			p, _ := strconv.Atoi(r.URL.Query().Get("p"))
			idx := p - base
			body := `{"data":[]`
			if idx >= 0 && idx < count {
				body = fmt.Sprintf(`{"data":[{"id":%d}]`, idx)
			}
			if withTotal {
				body += fmt.Sprintf(`,"meta":{"pages":%d}`, count)
			}
			writeJSON(w, 200, body+"}")
		}
	}
	tests := []struct {
		name     string
		base     *int
		total    bool
		requests int
	}{
		{"one based with total", nil, true, 3},
		{"zero based with total", intp(0), true, 3},
		{"empty page ends", nil, false, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := 1
			if tc.base != nil {
				base = *tc.base
			}
			srv := newServer(t, pages(base, 3, tc.total))
			pg := &Paginator{Type: PaginatorPageNumber, PageParam: "p", BasePage: tc.base}
			if tc.total {
				pg.TotalPath = "meta.pages"
			}
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
				Resources: one("things", Endpoint{Paginator: pg, DataSelector: "data"})}, Options{})
			items, _, err := extract(t, src, "things", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, items); got != "0,1,2" {
				t.Errorf("ids %s, want 0,1,2", got)
			}
			reqs := srv.recorded()
			if len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
			if got := reqs[0].Query["p"]; len(got) != 1 || got[0] != strconv.Itoa(base) {
				t.Errorf("first page number %v, want %d", got, base)
			}
		})
	}
}

func TestCursorPaginator(t *testing.T) {
	t.Run("query with has more", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			switch r.URL.Query().Get("after") {
			case "":
				writeJSON(w, 200, `{"items":[{"id":1}],"has_more":true,"next":"c1"}`)
			case "c1":
				writeJSON(w, 200, `{"items":[{"id":2}],"has_more":false,"next":"c2"}`)
			default:
				t.Errorf("request after has_more false: %v", r.URL)
			}
		})
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{
			Paginator: &Paginator{Type: PaginatorCursor, CursorPath: "next", CursorParam: "after", HasMorePath: "has_more"}})}, Options{})
		items, _, err := extract(t, src, "things", "")
		if err != nil || ids(t, items) != "1,2" {
			t.Fatalf("ids %v, error %v", items, err)
		}
	})
	t.Run("body keeps the cursor type", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				writeJSON(w, 200, `{"results":[{"id":1}],"nextCursor":12345678901234567890}`)
				return
			}
			writeJSON(w, 200, `{"results":[{"id":2}],"nextCursor":""}`)
		})
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{Method: "POST",
			Paginator: &Paginator{Type: PaginatorCursor, CursorPath: "nextCursor", CursorBodyPath: "cursor"}})}, Options{})
		if _, _, err := extract(t, src, "things", ""); err != nil {
			t.Fatal(err)
		}
		reqs := srv.recorded()
		if len(reqs) != 2 || reqs[1].Body != `{"cursor":12345678901234567890}` {
			t.Errorf("%d requests, second body %s", len(reqs), reqs[1].Body)
		}
	})
	t.Run("repeated cursor", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, 200, `{"items":[{"id":1}],"cursors":{"next":"same"}}`)
		})
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL},
			Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorCursor}})}, Options{})
		_, _, err := extract(t, src, "things", "")
		if err == nil || !strings.Contains(err.Error(), `cursor "same" was returned before`) {
			t.Fatalf("error %v, want the repeated cursor named", err)
		}
	})
	t.Run("empty page", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			page := itemsJSON(n, n+1)
			if n == 3 {
				page = "[]"
			}
			writeJSON(w, 200, fmt.Sprintf(`{"items":%s,"cursors":{"next":"c%d"}}`, page, n))
		})
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{
			Paginator: &Paginator{Type: PaginatorCursor, StopAfterEmptyPage: boolp(true)}})}, Options{})
		items, _, err := extract(t, src, "things", "")
		if err != nil || ids(t, items) != "1,2" || len(srv.recorded()) != 3 {
			t.Fatalf("ids %v after %d requests, error %v; want 1,2 after 3", items, len(srv.recorded()), err)
		}
	})
}

func TestDetectPaginator(t *testing.T) {
	tests := []struct {
		name   string
		header string
		body   string
		want   string
	}{
		{"link header", `<https://x/p2>; rel="next"`, `[]`, "type: header_link"},
		{"next url", "", `{"data":[],"paging":{"next":"https://x/p2"}}`, `type: json_link, next_url_path: "paging.next"`},
		{"next href", "", `{"data":[],"_links":{"next":{"href":"/p2"}}}`, `next_url_path: "_links.next.href"`},
		{"page count", "", `{"data":[],"page":1,"total_pages":4}`, `type: page_number, total_path: "total_pages", base_page: 1`},
		{"cursor", "", `{"data":[],"next_cursor":"abc"}`, `type: cursor, cursor_path: "next_cursor"`},
		{"nothing", "", `{"data":[]}`, "type: single_page"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := &Response{Header: http.Header{}, Body: []byte(tc.body)}
			if tc.header != "" {
				resp.Header.Set("Link", tc.header)
			}
			p, _ := detectPaginator(resp)
			if got := describePaginator(p); !strings.Contains(got, tc.want) {
				t.Errorf("detected %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDetectedPaginatorPages(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p == 0 {
			p = 1
		}
		writeJSON(w, 200, fmt.Sprintf(`{"page":%d,"total_pages":3,"items":[{"id":%d}]}`, p, p))
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, items); got != "1,2,3" {
		t.Errorf("ids %s, want each of the 3 pages once", got)
	}
}

func TestDetectSelector(t *testing.T) {
	tests := []struct{ body, want string }{
		{`[1,2]`, "$"},
		{`{"meta":{"tags":[1]},"data":[{"id":1}]}`, "data"},
		{`{"response":{"records":[{"id":1}]}}`, "response.records"},
		{`{"ids":[1],"x":{"things":[2]}}`, "ids"},
		{`{"id":1}`, "$"},
	}
	for _, tc := range tests {
		p, err := detectSelector([]byte(tc.body))
		if err != nil || p.String() != tc.want {
			t.Errorf("detectSelector(%s) = %v, %v; want %s", tc.body, p, err, tc.want)
		}
	}
}

func TestLinkHeader(t *testing.T) {
	v := `<https://x/a?b=1,2>; rel="prev", <https://x/n>; rel="next last"`
	if got := linkHeader([]string{v}, "next"); got != "https://x/n" {
		t.Errorf("next = %q", got)
	}
	if got := linkHeader([]string{v}, "prev"); got != "https://x/a?b=1,2" {
		t.Errorf("prev = %q", got)
	}
	if got := linkHeader([]string{`garbage`}, "next"); got != "" {
		t.Errorf("garbage gave %q", got)
	}
}
