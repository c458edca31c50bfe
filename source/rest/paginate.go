package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// pageRequest is the part of a request that paginators change between
// pages.
type pageRequest struct {
	url   *url.URL
	query url.Values
	body  map[string]any
}

// pager pages one request chain. A new pager serves each chain, so the
// chains of two parent items never share a page counter.
type pager interface {
	// first prepares the first request.
	first(req *pageRequest) error
	// next reads a response with n items. It prepares req for the next
	// page and returns true, or returns false after the last page.
	next(resp *Response, n int, req *pageRequest) (bool, error)
}

// newPager returns the pager for p.
func newPager(p *Paginator) (pager, error) {
	var pg pager
	switch p.Type {
	case PaginatorSinglePage:
		pg = singlePage{}
	case PaginatorJSONLink:
		expr := p.NextURLPath
		if expr == "" {
			expr = "next"
		}
		path, err := compilePath(expr)
		if err != nil {
			return nil, err
		}
		pg = &linkPager{seen: map[string]bool{}, fromBody: path}
	case PaginatorHeaderLink:
		rel := p.LinksNextKey
		if rel == "" {
			rel = "next"
		}
		pg = &linkPager{seen: map[string]bool{}, rel: rel}
	case PaginatorOffset:
		op, err := newOffsetPager(p)
		if err != nil {
			return nil, err
		}
		pg = op
	case PaginatorPageNumber:
		pp, err := newPagePager(p)
		if err != nil {
			return nil, err
		}
		pg = pp
	case PaginatorCursor:
		cp, err := newCursorPager(p)
		if err != nil {
			return nil, err
		}
		pg = cp
	default:
		return nil, fmt.Errorf("unknown paginator type %q", p.Type)
	}
	if p.MaxPages > 0 {
		pg = &maxPager{pager: pg, max: p.MaxPages}
	}
	return pg, nil
}

type singlePage struct{}

func (singlePage) first(*pageRequest) error { return nil }
func (singlePage) next(*Response, int, *pageRequest) (bool, error) {
	return false, nil
}

// maxPager stops another pager after max pages.
type maxPager struct {
	pager
	max, pages int
}

func (m *maxPager) next(resp *Response, n int, req *pageRequest) (bool, error) {
	m.pages++
	if m.pages >= m.max {
		return false, nil
	}
	return m.pager.next(resp, n, req)
}

// capped reports whether pg stopped because max_pages was reached, so
// that more pages may have followed.
func capped(pg pager) bool {
	m, ok := pg.(*maxPager)
	return ok && m.pages >= m.max
}

// linkPager follows a next URL from the JSON body (fromBody set) or from
// the Link header (rel set).
type linkPager struct {
	fromBody *jsonPath
	rel      string
	seen     map[string]bool
}

func (l *linkPager) first(*pageRequest) error { return nil }

func (l *linkPager) next(resp *Response, _ int, req *pageRequest) (bool, error) {
	var next string
	if l.fromBody != nil {
		raw, err := selectOne(resp, l.fromBody)
		if err != nil || raw == nil || isNull(raw) {
			return false, err
		}
		// An object or list is not shown, since it may hold URLs with
		// credentials in their query.
		if t := bytes.TrimSpace(raw); isObject(t) || isArray(t) {
			return false, fmt.Errorf("next URL at %s is an object or a list, not a URL: "+
				"point next_url_path at the URL inside it", l.fromBody)
		}
		if next, err = valueText(raw); err != nil {
			return false, fmt.Errorf("next URL at %s: %w", l.fromBody, err)
		}
	} else {
		next = linkHeader(resp.Header.Values("Link"), l.rel)
	}
	if next == "" {
		return false, nil
	}
	// A relative link resolves against the URL that was sent, whose
	// query holds the parameters too.
	sent := *req.url
	sent.RawQuery = req.query.Encode()
	u, err := sent.Parse(next)
	if err != nil {
		// The parse error quotes the whole link, whose query may carry an
		// API key, so only its reason is kept.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("invalid next page URL: %w", err)
	}
	if u.Scheme != req.url.Scheme || u.Host != req.url.Host {
		// Credentials travel with every request, so they never follow a
		// link to another server.
		return false, fmt.Errorf("next page URL points to %s://%s, not to %s://%s: refusing to send credentials there",
			u.Scheme, u.Host, req.url.Scheme, req.url.Host)
	}
	// The page just read counts as seen too, so that a link back to it
	// is not followed. A fragment is not sent and makes no other page.
	l.seen[pageKey(&sent, req.query)] = true
	u.Fragment, u.RawFragment = "", ""
	key := pageKey(u, u.Query())
	if l.seen[key] {
		return false, errRepeated("next page URL", hideQueryValues(u))
	}
	l.seen[key] = true
	// The next URL carries its own query, so the configured parameters
	// are dropped.
	req.url = u
	req.query = u.Query()
	return true, nil
}

// pageKey identifies the request for u with query q, as it is sent.
func pageKey(u *url.URL, q url.Values) string {
	c := *u
	c.RawQuery, c.Fragment, c.RawFragment = q.Encode(), "", ""
	return c.String()
}

// hideQueryValues returns u as text without its user info and fragment,
// and with each query value replaced by "…". Pagination errors show next
// page URLs this way, because APIs often repeat the request's query, API
// key included, in the links they return, and the pager cannot tell
// which parameter holds a secret.
func hideQueryValues(u *url.URL) string {
	c := *u
	c.User, c.Fragment, c.RawFragment = nil, "", ""
	if c.RawQuery == "" {
		return c.String()
	}
	q := c.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, url.QueryEscape(name)+"=…")
	}
	slices.Sort(names)
	c.RawQuery = ""
	return c.String() + "?" + strings.Join(names, "&")
}

// errRepeated reports a pagination token seen before, which would loop.
func errRepeated(what, value string) error {
	return fmt.Errorf("%s %q was returned before: stopping instead of looping over the same pages", what, value)
}

// linkHeader returns the URL of relation rel in RFC 8288 Link header
// values, or "".
func linkHeader(values []string, rel string) string {
	for _, v := range values {
		for _, link := range splitLinks(v) {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(r, rel) {
						return target[1 : len(target)-1]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header value at the commas between links,
// not at commas inside <...> or quotes.
func splitLinks(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<':
			depth++
		case '>':
			depth--
		case '"':
			quoted = !quoted
		case ',':
			if depth == 0 && !quoted {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// stopRules are the stop conditions that offset, page number and cursor
// paginators share.
type stopRules struct {
	total      *jsonPath
	hasMore    *jsonPath
	stopEmpty  bool
	knownTotal int64
	haveTotal  bool
}

func newStopRules(p *Paginator, emptyDefault bool) (stopRules, error) {
	s := stopRules{stopEmpty: emptyDefault}
	if p.StopAfterEmptyPage != nil {
		s.stopEmpty = *p.StopAfterEmptyPage
	}
	var err error
	if p.TotalPath != "" {
		if s.total, err = compilePath(p.TotalPath); err != nil {
			return s, err
		}
	}
	if p.HasMorePath != "" {
		if s.hasMore, err = compilePath(p.HasMorePath); err != nil {
			return s, err
		}
	}
	return s, nil
}

// done applies the empty-page and has-more rules and reads the total. A
// page without the total keeps the one seen last.
func (s *stopRules) done(resp *Response, n int) (bool, error) {
	if s.stopEmpty && n == 0 {
		return true, nil
	}
	if s.total != nil {
		raw, err := selectOne(resp, s.total)
		if err != nil {
			return false, err
		}
		if raw != nil && !isNull(raw) {
			text, err := valueText(raw)
			if err != nil {
				return false, fmt.Errorf("total at %s: %w", s.total, err)
			}
			t, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return false, fmt.Errorf("total at %s is %s, not a whole number", s.total, raw)
			}
			s.knownTotal, s.haveTotal = t, true
		}
	}
	if s.hasMore != nil {
		raw, err := selectOne(resp, s.hasMore)
		if err != nil {
			return false, err
		}
		if raw != nil && !isNull(raw) {
			more, err := parseFlag(raw)
			if err != nil {
				return false, fmt.Errorf("has-more flag at %s: %w", s.hasMore, err)
			}
			if !more {
				return true, nil
			}
		}
	}
	return false, nil
}

func parseFlag(raw json.RawMessage) (bool, error) {
	text, err := valueText(raw)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(text) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("value %s is not a boolean", raw)
}

// offsetPager sends offset and limit.
type offsetPager struct {
	stopRules
	offset, limit, maximum  int64
	offsetParam, limitParam string
	offsetBody, limitBody   string
	stopShort               bool
}

func newOffsetPager(p *Paginator) (*offsetPager, error) {
	rules, err := newStopRules(p, true)
	if err != nil {
		return nil, err
	}
	o := &offsetPager{stopRules: rules, offset: int64(p.Offset), limit: int64(p.Limit), maximum: int64(p.MaximumOffset),
		offsetParam: p.OffsetParam, limitParam: p.LimitParam, offsetBody: p.OffsetBodyPath, limitBody: p.LimitBodyPath,
		stopShort: p.StopAfterShortPage}
	if o.offsetParam == "" && o.offsetBody == "" {
		o.offsetParam = "offset"
	}
	if o.limitParam == "" && o.limitBody == "" {
		o.limitParam = "limit"
	}
	return o, nil
}

func (o *offsetPager) first(req *pageRequest) error { return o.set(req) }

func (o *offsetPager) set(req *pageRequest) error {
	if err := setPageValue(req, o.offsetParam, o.offsetBody, o.offset); err != nil {
		return err
	}
	return setPageValue(req, o.limitParam, o.limitBody, o.limit)
}

func (o *offsetPager) next(resp *Response, n int, req *pageRequest) (bool, error) {
	done, err := o.done(resp, n)
	if err != nil || done {
		return false, err
	}
	if o.stopShort && int64(n) < o.limit {
		return false, nil
	}
	if o.offset > math.MaxInt64-o.limit {
		return false, fmt.Errorf("next offset %d + limit %d is past the largest 64-bit integer: lower offset or limit",
			o.offset, o.limit)
	}
	o.offset += o.limit
	if o.haveTotal && o.offset >= o.knownTotal {
		return false, nil
	}
	if o.maximum > 0 && o.offset >= o.maximum {
		return false, nil
	}
	return true, o.set(req)
}

// pagePager sends a page number.
type pagePager struct {
	stopRules
	page, base, maximum int64
	param, bodyPath     string
}

func newPagePager(p *Paginator) (*pagePager, error) {
	rules, err := newStopRules(p, true)
	if err != nil {
		return nil, err
	}
	pp := &pagePager{stopRules: rules, base: 1, maximum: int64(p.MaximumPage), param: p.PageParam, bodyPath: p.PageBodyPath}
	if p.BasePage != nil {
		pp.base = int64(*p.BasePage)
	}
	if pp.param == "" && pp.bodyPath == "" {
		pp.param = "page"
	}
	pp.page = pp.base
	return pp, nil
}

func (p *pagePager) first(req *pageRequest) error {
	return setPageValue(req, p.param, p.bodyPath, p.page)
}

func (p *pagePager) next(resp *Response, n int, req *pageRequest) (bool, error) {
	done, err := p.done(resp, n)
	if err != nil || done {
		return false, err
	}
	// The total is a page count: the last page is base + total - 1.
	if p.haveTotal && p.page >= p.base+p.knownTotal-1 {
		return false, nil
	}
	if p.maximum > 0 && p.page >= p.maximum {
		return false, nil
	}
	if p.page == math.MaxInt64 {
		return false, errors.New("next page number is past the largest 64-bit integer: lower base_page")
	}
	p.page++
	return true, setPageValue(req, p.param, p.bodyPath, p.page)
}

// cursorPager reads a cursor from the body and sends it back.
type cursorPager struct {
	stopRules
	path            *jsonPath
	param, bodyPath string
	seen            map[string]bool
}

func newCursorPager(p *Paginator) (*cursorPager, error) {
	rules, err := newStopRules(p, false)
	if err != nil {
		return nil, err
	}
	expr := p.CursorPath
	if expr == "" {
		expr = "cursors.next"
	}
	path, err := compilePath(expr)
	if err != nil {
		return nil, err
	}
	c := &cursorPager{stopRules: rules, path: path, param: p.CursorParam, bodyPath: p.CursorBodyPath, seen: map[string]bool{}}
	if c.param == "" && c.bodyPath == "" {
		c.param = "cursor"
	}
	return c, nil
}

func (c *cursorPager) first(*pageRequest) error { return nil }

func (c *cursorPager) next(resp *Response, n int, req *pageRequest) (bool, error) {
	done, err := c.done(resp, n)
	if err != nil || done {
		return false, err
	}
	raw, err := selectOne(resp, c.path)
	if err != nil || raw == nil || isNull(raw) || string(raw) == `""` {
		return false, err
	}
	// A cursor repeats when the request would carry the same value: its
	// text in the query, where "1" and 1 are the same, or its JSON value
	// in the body, whatever the spacing, key order or escapes.
	var key string
	if c.bodyPath != "" {
		key, err = canonicalJSON(raw)
	} else {
		key, err = valueText(raw)
	}
	if err != nil {
		return false, fmt.Errorf("cursor at %s: %w", c.path, err)
	}
	if c.seen[key] {
		return false, errRepeated("cursor", strings.Trim(key, `"`))
	}
	c.seen[key] = true
	if c.bodyPath != "" {
		return true, setBodyPath(req.body, c.bodyPath, raw)
	}
	req.query.Set(c.param, key)
	return true, nil
}

// canonicalJSON returns raw with its members sorted and its strings
// escaped one way, so that equal values give equal text. Numbers keep
// their digits.
func canonicalJSON(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// setPageValue sets a number as query parameter param, or in the body at
// bodyPath.
func setPageValue(req *pageRequest, param, bodyPath string, v int64) error {
	if bodyPath != "" {
		if req.body == nil {
			return errors.New("the paginator writes into the JSON body, but the request has none")
		}
		return setBodyPath(req.body, bodyPath, json.Number(strconv.FormatInt(v, 10)))
	}
	req.query.Set(param, strconv.FormatInt(v, 10))
	return nil
}

// selectOne returns the first value path selects in the body of resp, or
// nil.
func selectOne(resp *Response, path *jsonPath) (json.RawMessage, error) {
	vals, err := path.selectIn(resp)
	if err != nil || len(vals) == 0 {
		return nil, err
	}
	return vals[0], nil
}
