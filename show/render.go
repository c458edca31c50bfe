package show

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCellRunes is the number of characters of a value that a table
// cell shows; the console's CSV download has the whole value.
const maxCellRunes = 300

// view is the data of every page template.
type view struct {
	Title string
	// Source is the pipeline the page belongs to; nil on the start page
	// and for errors before a pipeline was opened.
	Source *Source
	// Error is a message shown above the page content.
	Error string
	// Data is the page's own content.
	Data any

	status int
}

// Pipeline returns the name of the page's pipeline, or "".
func (v *view) Pipeline() string {
	if v.Source == nil {
		return ""
	}
	return v.Source.Record.Pipeline
}

// Nav lists the links of the pipeline's navigation bar.
func (v *view) Nav() []navLink {
	if v.Source == nil {
		return nil
	}
	name := v.Source.Record.Pipeline
	links := []navLink{
		{"Overview", pipelinePath(name, "")},
		{"Tables", pipelinePath(name, "tables")},
		{"Schema", pipelinePath(name, "schema")},
		{"Loads", pipelinePath(name, "loads")},
		{"SQL", pipelinePath(name, "query")},
	}
	if v.Source.Record.Source == "ashby" {
		links = append(links, navLink{"Hiring funnel", pipelinePath(name, "funnel")})
	}
	return links
}

type navLink struct{ Label, Href string }

var funcs = template.FuncMap{
	"cell":     cell,
	"isNull":   func(v any) bool { return v == nil },
	"path":     pipelinePath,
	"tableURL": tableURL,
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") },
	"add":      func(a, b int) int { return a + b },
	"nodeArgs": func(p string, n *treeNode) nodeArgs { return nodeArgs{p, n} },
}

// nodeArgs is the argument of the schema tree's recursive template.
type nodeArgs struct {
	Pipeline string
	Node     *treeNode
}

// parseTemplates parses each page template together with the layout.
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files whose names start with "_" hold templates that pages share.
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout template: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if b := path.Base(n); b == "layout.html" || strings.HasPrefix(b, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return pages, nil
}

// render executes a page template into a buffer first, so that a
// template error yields a clean error response instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, v *view) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("show: no template", "page", page)
		http.Error(w, "internal error: page template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.Error("show: render page", "page", page, "path", r.URL.Path, "error", err)
		http.Error(w, "internal error: the page could not be rendered; the server log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.status != 0 {
		w.WriteHeader(v.status)
	}
	w.Write(buf.Bytes())
}

// text formats a database value as text, as the CSV download writes it.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case string:
		return x
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// cell formats a value for a table cell, cut to maxCellRunes
// characters. html/template escapes the result.
func cell(v any) string {
	s := text(v)
	if utf8.RuneCountInString(s) <= maxCellRunes {
		return s
	}
	return string([]rune(s)[:maxCellRunes]) + "…"
}

// tableURL returns the path of a table page with query parameters given
// as alternating keys and values.
func tableURL(pipelineName, table string, kv ...string) string {
	u := pipelinePath(pipelineName, "tables/"+url.PathEscape(table))
	if len(kv) == 0 {
		return u
	}
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return u + "?" + q.Encode()
}
