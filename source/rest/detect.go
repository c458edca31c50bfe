package rest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// detectPaginator picks a paginator from the first response of an endpoint
// that configures none:
//
//  1. a Link header with rel="next": header_link;
//  2. a member whose name starts with "next" holding a URL (or an object
//     with href or url): json_link;
//  3. a member total_pages, totalpages or pages holding a number:
//     page_number with that total, counting from the page number the
//     response states in page or current_page, else from 1;
//  4. a member whose name starts with "next" holding another scalar:
//     cursor, sent as the query parameter cursor;
//  5. otherwise single_page.
//
// It returns the paginator and how it found it.
func detectPaginator(resp *Response) (*Paginator, string) {
	if linkHeader(resp.Header.Values("Link"), "next") != "" {
		return &Paginator{Type: PaginatorHeaderLink}, `a Link header with rel="next"`
	}
	var doc any
	if json.Unmarshal(resp.Body, &doc) != nil {
		return &Paginator{Type: PaginatorSinglePage}, "a body that is not JSON"
	}
	if path, ok := findMember(doc, "", 0, isNextURL); ok {
		return &Paginator{Type: PaginatorJSONLink, NextURLPath: path}, "a next page URL at " + path
	}
	if path, ok := findMember(doc, "", 0, isTotalPages); ok {
		p := &Paginator{Type: PaginatorPageNumber, TotalPath: path}
		if m, ok := doc.(map[string]any); ok {
			for _, k := range []string{"page", "current_page", "currentPage"} {
				if n, ok := m[k].(float64); ok && n >= 0 && n == float64(int(n)) {
					base := int(n)
					p.BasePage = &base
					break
				}
			}
		}
		return p, "a page count at " + path
	}
	if path, ok := findMember(doc, "", 0, isNextCursor); ok {
		return &Paginator{Type: PaginatorCursor, CursorPath: path}, "a cursor at " + path
	}
	return &Paginator{Type: PaginatorSinglePage}, "no sign of more pages"
}

var (
	nextName       = regexp.MustCompile(`(?i)^next`)
	totalPagesName = regexp.MustCompile(`(?i)^(total_?pages|pages)$`)
)

// findMember searches doc depth first, three levels deep at most, for a
// member accepted by match, and returns its JSONPath.
func findMember(doc any, prefix string, depth int, match func(name string, v any) (string, bool)) (string, bool) {
	m, ok := doc.(map[string]any)
	if !ok || depth > 2 {
		return "", false
	}
	for _, k := range sortedKeys(m) {
		path := memberPath(prefix, k)
		if sub, ok := match(k, m[k]); ok {
			return path + sub, true
		}
		if found, ok := findMember(m[k], path, depth+1, match); ok {
			return found, true
		}
	}
	return "", false
}

func isNextURL(name string, v any) (string, bool) {
	if !nextName.MatchString(name) {
		return "", false
	}
	if obj, ok := v.(map[string]any); ok {
		for _, k := range []string{"href", "url"} {
			if s, ok := obj[k].(string); ok && looksLikeURL(s) {
				return "." + k, true
			}
		}
		return "", false
	}
	s, ok := v.(string)
	return "", ok && looksLikeURL(s)
}

func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/")
}

func isTotalPages(name string, v any) (string, bool) {
	n, ok := v.(float64)
	return "", ok && totalPagesName.MatchString(name) && n >= 0
}

func isNextCursor(name string, v any) (string, bool) {
	if !nextName.MatchString(name) {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return "", x != ""
	case float64:
		return "", true
	}
	return "", false
}

// memberPath appends a member to a JSONPath, quoting names that need it.
func memberPath(prefix, name string) string {
	if n, l := scanName(name); l == len(name) && n != "" {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	q := "['" + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), "'", `\'`) + "']"
	if prefix == "" {
		return "$" + q
	}
	return prefix + q
}

// preferredLists are member names that usually hold a response's items;
// ignoredLists usually hold something else.
var (
	preferredLists = []string{"data", "items", "results", "entries", "records", "rows", "entities", "payload", "content", "objects", "values"}
	ignoredLists   = []string{"meta", "metadata", "pagination", "links", "extras", "headers", "errors"}
)

// detectSelector picks the data selector from a first response: "$" for a
// top-level array, else the list under a preferred member name, else the
// first list found three levels deep at most, else "$" for the whole
// object as one item.
func detectSelector(body []byte) (*jsonPath, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return compilePath("$")
	}
	var first string
	var walk func(m map[string]any, prefix string, depth int) string
	walk = func(m map[string]any, prefix string, depth int) string {
		for _, k := range sortedKeys(m) {
			if oneOf(strings.ToLower(k), ignoredLists) {
				continue
			}
			path := memberPath(prefix, k)
			switch v := m[k].(type) {
			case []any:
				if oneOf(strings.ToLower(k), preferredLists) {
					return path
				}
				if first == "" {
					first = path
				}
			case map[string]any:
				if depth < 2 {
					if found := walk(v, path, depth+1); found != "" {
						return found
					}
				}
			}
		}
		return ""
	}
	path := walk(m, "", 0)
	if path == "" {
		path = first
	}
	if path == "" {
		path = "$"
	}
	return compilePath(path)
}

// sortedKeys returns the member names of m with the preferred list names
// first, then in alphabetical order, so detection does not depend on map
// order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) string {
		for i, p := range preferredLists {
			if strings.ToLower(k) == p {
				return "0" + strconv.Itoa(100+i)
			}
		}
		return "1" + k
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && rank(keys[j]) < rank(keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// describePaginator formats a paginator as the YAML to pin it.
func describePaginator(p *Paginator) string {
	var parts []string
	parts = append(parts, "type: "+p.Type)
	for _, kv := range [][2]string{{"next_url_path", p.NextURLPath}, {"total_path", p.TotalPath}, {"cursor_path", p.CursorPath}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s: %q", kv[0], kv[1]))
		}
	}
	if p.BasePage != nil {
		parts = append(parts, fmt.Sprintf("base_page: %d", *p.BasePage))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
