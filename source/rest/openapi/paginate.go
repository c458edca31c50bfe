package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restload/restload/source/rest"
)

// defaultPageSize is the page size requested when the document gives no
// maximum for it.
const defaultPageSize = 100

// maxPageSize caps a page size taken from a document's maximum.
const maxPageSize = 1000

// input is a request parameter or body member that may carry paging.
type input struct {
	name  string
	body  bool
	shape *shape
}

// pagination is how a list pages, as far as the document shows it.
type pagination struct {
	paginator *rest.Paginator
	note      string
	// consumed lists the inputs that the paginator sets itself.
	consumed []string
	// size is the page size input and its value, when the paginator
	// does not set it.
	size *input
	// sizeValue is the page size to request and sizeNote how it was
	// chosen.
	sizeValue int
	sizeNote  string
	// cursorIn is the cursor input, also when the response declares no
	// cursor to send in it.
	cursorIn *input
}

// Names of paging inputs and response members, normalized, in order of
// preference.
var (
	cursorInputs  = []string{"cursor", "after", "startingafter", "pagetoken", "nextpagetoken", "continuationtoken", "nexttoken", "pagecursor", "startcursor"}
	cursorMembers = []string{"nextcursor", "nextpagetoken", "nexttoken", "endcursor", "continuationtoken", "nextpagecursor", "cursor", "after"}
	moreMembers   = []string{"moredataavailable", "hasmore", "hasnextpage", "hasmoreitems", "hasnext", "more"}
	linkMembers   = []string{"next", "nexturl", "nextlink", "nextpageurl", "nextpage", "odatanextlink"}
	offsetInputs  = []string{"offset", "skip", "start", "startindex"}
	sizeInputs    = []string{"limit", "perpage", "pagesize", "size", "maxresults", "count", "take", "pagelimit"}
	pageInputs    = []string{"page", "pagenumber", "pagenum", "pageindex", "pageno"}
	totalMembers  = []string{"total", "totalcount", "totalresults", "totalitems", "totalsize", "count"}
	pagesMembers  = []string{"totalpages", "pagecount", "numpages", "pages", "lastpage"}
)

// inputs returns the query parameters and, for POST, the body members.
func inputs(op *operation) []input {
	var out []input
	for _, p := range op.queryParams() {
		var s *openapi3.Schema
		if p.Schema != nil {
			s = p.Schema.Value
		}
		out = append(out, input{name: p.Name, shape: flatten(s)})
	}
	if op.method == http.MethodPost && op.body != nil {
		for _, name := range op.body.order {
			out = append(out, input{name: name, body: true, shape: op.body.prop(name)})
		}
	}
	return out
}

func findInput(ins []input, names []string) *input {
	for _, want := range names {
		for i := range ins {
			if normalize(ins[i].name) == want {
				return &ins[i]
			}
		}
	}
	return nil
}

// detectPagination reads the paginator from the request's inputs, the
// response's members and its headers.
func detectPagination(op *operation) pagination {
	ins := inputs(op)
	resp := op.response
	cursorIn := findInput(ins, cursorInputs)
	offsetIn := findInput(ins, offsetInputs)
	pageIn := findInput(ins, pageInputs)
	sizeIn := findInput(ins, sizeInputs)
	cursorOut := findField(resp, cursorMembers...)
	more := findField(resp, moreMembers...)
	if more != nil && !more.shape.is("boolean") {
		more = nil
	}
	next := findField(resp, linkMembers...)
	if next != nil && !looksLikeURL(next) {
		next = nil
	}
	total := findField(resp, totalMembers...)
	pages := findField(resp, pagesMembers...)

	pg := pagination{cursorIn: cursorIn}
	switch {
	case cursorIn != nil && cursorOut != nil:
		p := &rest.Paginator{Type: rest.PaginatorCursor, CursorPath: cursorOut.path}
		if cursorIn.body {
			p.CursorBodyPath = cursorIn.name
		} else {
			p.CursorParam = cursorIn.name
		}
		pg.note = fmt.Sprintf("guessed: the response's %s is sent back as %s", cursorOut.path, inputName(cursorIn))
		if more != nil {
			p.HasMorePath = more.path
			pg.note += fmt.Sprintf(" while %s is true", more.path)
		}
		pg.paginator, pg.consumed = p, []string{cursorIn.name}
	case next != nil:
		pg.paginator = &rest.Paginator{Type: rest.PaginatorJSONLink, NextURLPath: next.path}
		pg.note = fmt.Sprintf("guessed: the response's %s links the next page", next.path)
	case slices.Contains(op.headers, "link"):
		pg.paginator = &rest.Paginator{Type: rest.PaginatorHeaderLink}
		pg.note = "guessed: the response's Link header links the next page"
		if pageIn != nil {
			pg.consumed = []string{pageIn.name}
		}
	case offsetIn != nil && sizeIn != nil:
		limit, _ := pageSize(sizeIn)
		p := &rest.Paginator{Type: rest.PaginatorOffset, Limit: limit}
		if offsetIn.body {
			p.OffsetBodyPath, p.LimitBodyPath = offsetIn.name, sizeIn.name
		} else {
			p.OffsetParam, p.LimitParam = offsetIn.name, sizeIn.name
		}
		pg.note = fmt.Sprintf("guessed: %s and %s page through the list", inputName(offsetIn), inputName(sizeIn))
		if total != nil {
			p.TotalPath = total.path
			pg.note += fmt.Sprintf(", and %s counts all items", total.path)
		}
		pg.paginator, pg.consumed = p, []string{offsetIn.name, sizeIn.name}
		return pg
	case pageIn != nil:
		p := &rest.Paginator{Type: rest.PaginatorPageNumber}
		if pageIn.body {
			p.PageBodyPath = pageIn.name
		} else {
			p.PageParam = pageIn.name
		}
		pg.note = fmt.Sprintf("guessed: %s numbers the pages from 1", inputName(pageIn))
		if pages != nil {
			p.TotalPath = pages.path
			pg.note += fmt.Sprintf(", and %s counts them", pages.path)
		}
		pg.paginator, pg.consumed = p, []string{pageIn.name}
	default:
		pg.paginator = &rest.Paginator{Type: rest.PaginatorSinglePage}
		pg.note = "the document shows no way to page: one request reads the list"
	}
	if sizeIn != nil {
		pg.size = sizeIn
		pg.sizeValue, pg.sizeNote = pageSize(sizeIn)
		pg.consumed = append(pg.consumed, sizeIn.name)
	}
	return pg
}

// inputName names an input in comments: "body member cursor".
func inputName(in *input) string {
	if in.body {
		return "body member " + in.name
	}
	return "query parameter " + in.name
}

// looksLikeURL reports a string member that holds a URL: one with a URI
// format, an example that is a URL, or a name that says so.
func looksLikeURL(f *field) bool {
	s := f.shape
	if s == nil || s.schema == nil || !(s.is("string") || len(s.types) == 0) {
		return false
	}
	if strings.Contains(s.schema.Format, "uri") || strings.Contains(s.schema.Format, "url") {
		return true
	}
	if ex, ok := s.schema.Example.(string); ok && (strings.HasPrefix(ex, "http://") || strings.HasPrefix(ex, "https://") || strings.HasPrefix(ex, "/")) {
		return true
	}
	n := normalize(f.path)
	return strings.Contains(n, "url") || strings.Contains(n, "link")
}

// pageSize returns the page size to request: the input's maximum, or
// defaultPageSize when it has none.
func pageSize(in *input) (int, string) {
	if s := in.shape.schema; s != nil && s.Max != nil && *s.Max >= 1 {
		if *s.Max > maxPageSize {
			return maxPageSize, fmt.Sprintf("the document's maximum is %g; guessed: %d is enough per page", *s.Max, maxPageSize)
		}
		return int(*s.Max), "the document's maximum page size"
	}
	return defaultPageSize, fmt.Sprintf("guessed: the document gives no maximum page size, %d is common", defaultPageSize)
}

// borrowCursors gives a cursor paginator to lists that take a cursor but
// whose response schema declares none, copying the response members that
// most other lists of the document use. Ashby's opening.list is such a
// list.
func (g *generator) borrowCursors() {
	type key struct{ cursor, more string }
	count := map[key]int{}
	var best key
	for _, r := range g.resources {
		if p := r.pager.paginator; p.Type == rest.PaginatorCursor {
			k := key{p.CursorPath, p.HasMorePath}
			count[k]++
			if count[k] > count[best] || count[k] == count[best] && k.cursor < best.cursor {
				best = k
			}
		}
	}
	if count[best] == 0 {
		return
	}
	for _, r := range g.resources {
		in := r.pager.cursorIn
		if in == nil || r.pager.paginator.Type != rest.PaginatorSinglePage {
			continue
		}
		p := &rest.Paginator{Type: rest.PaginatorCursor, CursorPath: best.cursor, HasMorePath: best.more}
		if in.body {
			p.CursorBodyPath = in.name
		} else {
			p.CursorParam = in.name
		}
		r.pager.paginator = p
		r.pager.consumed = append(r.pager.consumed, in.name)
		r.pager.note = fmt.Sprintf("guessed: the response declares no cursor, but %d other lists return it in %s", count[best], best.cursor)
	}
}
