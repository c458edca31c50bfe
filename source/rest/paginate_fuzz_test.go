package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fuzzResponseSeparator splits the fuzzed body and Link header strings
// into the responses of consecutive pages.
const fuzzResponseSeparator = "\n--\n"

// fuzzMaxCalls bounds the pages one fuzz input runs through.
const fuzzMaxCalls = 64

// FuzzPaginator runs a paginator over a sequence of fuzzed responses
// (bodies and Link headers), as a request chain does. The paginator must
// not panic or prepare a request that it sent before. It may ask for
// another page only when the response gives the means to: a link, a
// cursor, or a full page that the total and has-more flag do not end. It
// must keep to the first request's host, and its errors must name the
// problem without quoting the query of a next link.
//
// kind picks the paginator type, auto included, flags switch its options
// and size is its limit or page number. path is the JSONPath that the
// type reads, or the Link relation for header_link. counts gives the
// number of items of each page, cycled; with no counts each page has one.
func FuzzPaginator(f *testing.F) {
	ashby := `{"success":true,"results":[{"id":"fec0d57a-067e-46dd-bdd8-cb1ef94b7e28","name":"Engineering",` +
		`"isArchived":false,"createdAt":"2021-01-18T05:43:37.066Z","extraData":{}}],` +
		`"moreDataAvailable":true,"nextCursor":"YwgAAQC5ig"}` + fuzzResponseSeparator +
		`{"success":true,"results":[],"moreDataAvailable":false,"syncToken":"dAgAwo4"}`
	f.Add(uint8(6), uint8(0b1010), 0, "nextCursor", "", ashby, []byte{1, 0})
	f.Add(uint8(0), uint8(0), 0, "", "", ashby, []byte{1, 0})

	f.Add(uint8(2), uint8(0), 0, "links.next", "",
		`{"items":[{"id":1}],"links":{"next":"/v1/things?page=2"}}`+fuzzResponseSeparator+
			`{"items":[{"id":2}],"links":{"next":"things?page=3"}}`+fuzzResponseSeparator+
			`{"items":[],"links":{"next":null}}`, []byte{1})
	f.Add(uint8(2), uint8(1), 0, "next", "", `{"next":"a/"}`, []byte{1})
	f.Add(uint8(2), uint8(0), 0, "$.paging.next", "", `{"paging":{"next":"http://127.0.0.2:1/steal"}}`, []byte{1})
	f.Add(uint8(3), uint8(0), 0, "", `<https://api.example.test/v1/things?page=2>; rel="next", <https://x/3>; rel="last"`+
		fuzzResponseSeparator+`</v1/things?page=2>; rel="next"`, `[{"id":1}]`, []byte{1})
	f.Add(uint8(3), uint8(0), 0, "next", `<https://x/a?b=1,2>; rel="prev next", <bad`, `[]`, []byte{0})

	f.Add(uint8(4), uint8(0b10), 2, "total", "", `{"results":[{"id":1},{"id":2}],"total":5}`, []byte{2, 2, 1})
	f.Add(uint8(4), uint8(0b100), 3, "", "", `{"results":[1,2,3],"has_more":"1"}`+fuzzResponseSeparator+
		`{"results":[4],"has_more":false}`, []byte{3, 1})
	f.Add(uint8(4), uint8(0b1011010), 2, "meta.total", "", `{"meta":{"total":"7"}}`, []byte{2})
	f.Add(uint8(5), uint8(0b10), 0, "meta.pages", "", `{"data":[{"id":0}],"meta":{"pages":3}}`, []byte{1})
	f.Add(uint8(5), uint8(0b11000110), 1, "total_pages", "", `{"data":[],"total_pages":1.5,"has_more":true}`, []byte{0})

	f.Add(uint8(0), uint8(0), 0, "", "", `{"page":1,"total_pages":4,"items":[{"id":1}]}`, []byte{1})
	f.Add(uint8(0), uint8(0), 0, "", "", `{"data":[],"_links":{"next":{"href":"/v1/p2"}}}`, []byte{1})
	f.Add(uint8(6), uint8(0), 0, "", "", `{"items":[{"id":1}],"cursors":{"next":"same"}}`, []byte{1})
	f.Add(uint8(6), uint8(0b1000), 0, "nextCursor", "", `{"nextCursor":12345678901234567890}`+
		fuzzResponseSeparator+`{"nextCursor":{"a":[1]}}`, []byte{1})

	f.Fuzz(func(t *testing.T, kind, flags uint8, size int, path, header, body string, counts []byte) {
		p := fuzzPaginatorConfig(kind, flags, size, path)
		var c checker
		checkPaginator(&c, p, "paginator")
		if len(c.problems) > 0 {
			return
		}
		runFuzzPages(t, p, strings.Split(header, fuzzResponseSeparator),
			strings.Split(body, fuzzResponseSeparator), counts)
	})
}

// fuzzPaginatorConfig builds the paginator that the fuzz input selects.
// Inputs that make an invalid paginator are left to the validator.
func fuzzPaginatorConfig(kind, flags uint8, size int, path string) *Paginator {
	types := []string{PaginatorAuto, PaginatorSinglePage, PaginatorJSONLink, PaginatorHeaderLink,
		PaginatorOffset, PaginatorPageNumber, PaginatorCursor}
	p := &Paginator{Type: types[int(kind)%len(types)]}
	bit := func(i uint) bool { return flags&(1<<i) != 0 }
	if bit(0) {
		p.MaxPages = 3
	}
	if bit(4) {
		p.StopAfterEmptyPage = boolp(bit(5))
	}
	switch p.Type {
	case PaginatorJSONLink:
		p.NextURLPath = path
	case PaginatorHeaderLink:
		p.LinksNextKey = path
	case PaginatorOffset:
		p.Limit = size
		if bit(1) {
			p.TotalPath = path
		}
		if bit(2) {
			p.HasMorePath = "has_more"
		}
		if bit(3) {
			p.OffsetBodyPath, p.LimitBodyPath = "page.offset", "page.limit"
		}
		if bit(6) {
			p.Offset = size
		}
		if bit(7) {
			p.StopAfterShortPage = true
			p.MaximumOffset = 10 * max(size, 0)
		}
	case PaginatorPageNumber:
		if bit(1) {
			p.TotalPath = path
		}
		if bit(2) {
			p.HasMorePath = "has_more"
		}
		if bit(3) {
			p.PageBodyPath = "page.number"
		}
		if bit(6) {
			p.BasePage = intp(size)
		}
		if bit(7) {
			p.MaximumPage = size + 5
		}
	case PaginatorCursor:
		p.CursorPath = path
		if bit(1) {
			p.HasMorePath = "moreDataAvailable"
		}
		if bit(3) {
			p.CursorBodyPath = "cursor"
		}
	}
	return p
}

// fuzzPages follows one request chain through fuzzed responses and
// checks each decision of its paginator.
type fuzzPages struct {
	t     *testing.T
	p     *Paginator
	req   *pageRequest
	first *url.URL
	sent  map[string]bool
	more  int // pages that the paginator asked for
}

func runFuzzPages(t *testing.T, p *Paginator, headers, bodies []string, counts []byte) {
	t.Helper()
	u, _ := url.Parse("https://api.example.test/v1/things?filter=x")
	req := &pageRequest{url: u, query: u.Query()}
	if p.OffsetBodyPath != "" || p.PageBodyPath != "" || p.CursorBodyPath != "" {
		req.body = map[string]any{"q": "x"}
	}
	fp := &fuzzPages{t: t, p: p, req: req, first: u, sent: map[string]bool{}}
	var pg pager
	if p.Type != PaginatorAuto {
		var err error
		if pg, err = newPager(p); err != nil {
			t.Fatalf("newPager(%+v) of a valid paginator: %v", p, err)
		}
		if err := pg.first(req); err != nil {
			fp.checkError(err)
			return
		}
	}
	fp.sent[requestKey(req)] = true
	for call := range fuzzMaxCalls {
		resp := &Response{Method: http.MethodGet, URL: req.url.String(), StatusCode: http.StatusOK,
			Header: http.Header{}, Body: []byte(bodies[call%len(bodies)])}
		if h := headers[call%len(headers)]; h != "" {
			resp.Header.Set("Link", h)
		}
		n := 1
		if len(counts) > 0 {
			n = int(counts[call%len(counts)])
		}
		if pg == nil {
			// A chain without a paginator detects one from its first
			// response and does not call first.
			fp.detect(resp)
			var err error
			if pg, err = newPager(fp.p); err != nil {
				t.Fatalf("newPager of the detected %+v: %v", fp.p, err)
			}
		}
		before := *req.url
		beforeQuery := req.query.Encode()
		more, err := pg.next(resp, n, req)
		if err != nil {
			if more {
				t.Fatalf("page %d: next returned true with error %v", call+1, err)
			}
			fp.checkError(err)
			fp.checkHidden(err, resp)
			return
		}
		if !more {
			return
		}
		fp.checkNext(call+1, resp, n, &before, beforeQuery)
	}
}

// detect replaces an auto paginator with the one detected from resp, and
// checks that the validator accepts it.
func (fp *fuzzPages) detect(resp *Response) {
	p, reason := detectPaginator(resp)
	if p == nil || reason == "" {
		fp.t.Fatalf("detectPaginator(%q) = %+v, %q: want a paginator and a reason", resp.Body, p, reason)
	}
	var c checker
	checkPaginator(&c, p, "paginator")
	if len(c.problems) > 0 {
		fp.t.Fatalf("detected paginator %+v from %q is invalid: %v", p, resp.Body, c.problems)
	}
	fp.p = p
}

// requestKey identifies a page request: URL, query and JSON body.
func requestKey(req *pageRequest) string {
	u := *req.url
	u.RawQuery = req.query.Encode()
	b, _ := json.Marshal(req.body)
	return u.String() + " " + string(b)
}

// checkError checks that a paginator error names what is wrong.
func (fp *fuzzPages) checkError(err error) {
	fp.t.Helper()
	msg := err.Error()
	for _, word := range []string{"JSON", "URL", "cursor", "total", "has-more", "body", "offset", "page number", "returned before"} {
		if strings.Contains(msg, word) {
			return
		}
	}
	fp.t.Fatalf("paginator %s error %q names neither the value nor the response part at fault", fp.p.Type, msg)
}

// checkHidden checks that an error of a link paginator quotes no query
// value of the link, which may be an API key that the API repeated.
func (fp *fuzzPages) checkHidden(err error, resp *Response) {
	fp.t.Helper()
	link := fuzzLink(fp.p, resp)
	_, query, ok := strings.Cut(link, "?")
	if !ok {
		return
	}
	values, _ := url.ParseQuery(query)
	for name, vals := range values {
		for _, v := range vals {
			if len(v) >= 8 && strings.Contains(err.Error(), v) {
				fp.t.Fatalf("error %q quotes the value of query parameter %q of the next link %q", err, name, link)
			}
		}
	}
}

// fuzzLink returns the next link that resp gives a link paginator, or "".
func fuzzLink(p *Paginator, resp *Response) string {
	switch p.Type {
	case PaginatorJSONLink:
		return fuzzText(resp.Body, textOr(p.NextURLPath, "next"))
	case PaginatorHeaderLink:
		return linkHeader(resp.Header.Values("Link"), textOr(p.LinksNextKey, "next"))
	}
	return ""
}

// checkNext checks a decision to fetch another page after resp: the new
// request is new, stays on the first host and follows from resp.
func (fp *fuzzPages) checkNext(page int, resp *Response, n int, before *url.URL, beforeQuery string) {
	t, p, req := fp.t, fp.p, fp.req
	t.Helper()
	fp.more++
	key := requestKey(req)
	if fp.sent[key] {
		t.Fatalf("page %d: paginator %s prepared %s again, which would loop over the same pages", page, p.Type, key)
	}
	fp.sent[key] = true

	if req.url.Scheme != fp.first.Scheme || req.url.Host != fp.first.Host {
		t.Fatalf("page %d: next request goes to %s, away from %s", page, req.url, fp.first.Host)
	}
	if p.MaxPages > 0 && fp.more >= p.MaxPages {
		t.Fatalf("page %d: asked for page %d beyond max_pages %d", page, fp.more+1, p.MaxPages)
	}
	if p.HasMorePath != "" && fuzzFlag(resp.Body, p.HasMorePath) == "false" {
		t.Fatalf("page %d: asked for another page after %s was false in %q", page, p.HasMorePath, resp.Body)
	}

	stopEmpty := p.Type == PaginatorOffset || p.Type == PaginatorPageNumber
	if p.StopAfterEmptyPage != nil {
		stopEmpty = *p.StopAfterEmptyPage
	}
	switch p.Type {
	case PaginatorSinglePage:
		t.Fatalf("page %d: single_page asked for another page", page)
	case PaginatorJSONLink, PaginatorHeaderLink:
		fp.checkLink(page, resp, before, beforeQuery)
	case PaginatorCursor:
		fp.checkCursor(page, resp, stopEmpty && n == 0)
	case PaginatorOffset, PaginatorPageNumber:
		if stopEmpty && n == 0 {
			t.Fatalf("page %d: %s asked for another page after an empty page", page, p.Type)
		}
		fp.checkCounter(page, resp, n, beforeQuery)
	}
}

// checkLink checks that the new URL is the link that resp gives, resolved
// against the URL of resp's request, without a fragment.
func (fp *fuzzPages) checkLink(page int, resp *Response, before *url.URL, beforeQuery string) {
	t, p := fp.t, fp.p
	t.Helper()
	link := fuzzLink(p, resp)
	if link == "" {
		t.Fatalf("page %d: %s asked for another page, but the response %q (Link %q) has no next link",
			page, p.Type, resp.Body, resp.Header.Get("Link"))
	}
	sent := *before
	sent.RawQuery = beforeQuery
	want, err := sent.Parse(link)
	if err != nil {
		t.Fatalf("page %d: %s followed link %q, which does not parse: %v", page, p.Type, link, err)
	}
	want.Fragment, want.RawFragment = "", ""
	if got := fp.req.url.String(); got != want.String() {
		t.Fatalf("page %d: next URL %s, want %s from link %q", page, got, want, link)
	}
}

// checkCursor checks that the new request carries the cursor of resp.
func (fp *fuzzPages) checkCursor(page int, resp *Response, empty bool) {
	t, p, req := fp.t, fp.p, fp.req
	t.Helper()
	if empty {
		t.Fatalf("page %d: cursor asked for another page after an empty page", page)
	}
	raw := fuzzSelect(resp.Body, textOr(p.CursorPath, "cursors.next"))
	if raw == nil || isNull(raw) || string(raw) == `""` {
		t.Fatalf("page %d: cursor asked for another page, but %q has no cursor at %s", page, resp.Body, p.CursorPath)
	}
	if p.CursorBodyPath != "" {
		got, _ := json.Marshal(req.body[p.CursorBodyPath])
		if want, _ := json.Marshal(raw); string(got) != string(want) {
			t.Fatalf("page %d: body cursor %s, want %s", page, got, want)
		}
		return
	}
	want, _ := valueText(raw)
	if got := req.query.Get(textOr(p.CursorParam, "cursor")); got != want {
		t.Fatalf("page %d: query cursor %q, want %q", page, got, want)
	}
}

// checkCounter checks the offset or page number of the new request: one
// step on from the last, and within the total and maximum.
func (fp *fuzzPages) checkCounter(page int, resp *Response, n int, beforeQuery string) {
	t, p, req := fp.t, fp.p, fp.req
	t.Helper()
	param, bodyPath, step := textOr(p.PageParam, "page"), p.PageBodyPath, int64(1)
	if p.Type == PaginatorOffset {
		param, bodyPath, step = textOr(p.OffsetParam, "offset"), p.OffsetBodyPath, int64(p.Limit)
		if p.StopAfterShortPage && int64(n) < step {
			t.Fatalf("page %d: offset asked for another page after a short page of %d items", page, n)
		}
	}

	got, ok := fuzzCounter(req.query, req.body, param, bodyPath)
	if !ok {
		t.Fatalf("page %d: next request has no %s%s", page, param, bodyPath)
	}
	if bodyPath == "" {
		old, _ := url.ParseQuery(beforeQuery)
		if prev, err := strconv.ParseInt(old.Get(param), 10, 64); err == nil && got != prev+step {
			t.Fatalf("page %d: %s went from %d to %d, want a step of %d", page, param, prev, got, step)
		}
	}
	if got < 0 {
		t.Fatalf("page %d: %s is %d", page, param, got)
	}

	total, ok := fuzzTotal(resp.Body, p.TotalPath)
	base := int64(1)
	if p.BasePage != nil {
		base = int64(*p.BasePage)
	}
	switch {
	case p.Type == PaginatorOffset && ok && got >= total:
		t.Fatalf("page %d: offset %d is past the total %d", page, got, total)
	case p.Type == PaginatorOffset && p.MaximumOffset > 0 && got >= int64(p.MaximumOffset):
		t.Fatalf("page %d: offset %d is past maximum_offset %d", page, got, p.MaximumOffset)
	case p.Type == PaginatorPageNumber && ok && got > base+total-1:
		t.Fatalf("page %d: page %d is past the %d pages from %d", page, got, total, base)
	case p.Type == PaginatorPageNumber && p.MaximumPage > 0 && got > int64(p.MaximumPage):
		t.Fatalf("page %d: page %d is past maximum_page %d", page, got, p.MaximumPage)
	}
}

// fuzzCounter reads a page counter from the query or the JSON body.
func fuzzCounter(q url.Values, body map[string]any, param, bodyPath string) (int64, bool) {
	if bodyPath == "" {
		v, err := strconv.ParseInt(q.Get(param), 10, 64)
		return v, err == nil
	}
	var v any = body
	for _, k := range strings.Split(bodyPath, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return 0, false
		}
		v = m[k]
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	return i, err == nil
}

// fuzzSelect returns the first value at expr in body, or nil.
func fuzzSelect(body []byte, expr string) json.RawMessage {
	path, err := compilePath(expr)
	if err != nil {
		return nil
	}
	raw, _ := selectOne(&Response{Body: body}, path)
	return raw
}

// fuzzText returns the text of the scalar at expr in body, or "".
func fuzzText(body []byte, expr string) string {
	raw := fuzzSelect(body, expr)
	if raw == nil || isNull(raw) {
		return ""
	}
	text, _ := valueText(raw)
	return text
}

// fuzzFlag returns "true" or "false" for a has-more flag at expr, or "".
func fuzzFlag(body []byte, expr string) string {
	raw := fuzzSelect(body, expr)
	if raw == nil || isNull(raw) {
		return ""
	}
	b, err := parseFlag(raw)
	if err != nil {
		return ""
	}
	return fmt.Sprint(b)
}

// fuzzTotal returns the whole number at expr in body.
func fuzzTotal(body []byte, expr string) (int64, bool) {
	if expr == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(fuzzText(body, expr), 10, 64)
	return v, err == nil
}

// textOr returns s, or def when s is empty.
func textOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
