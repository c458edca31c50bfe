package show

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
)

// Limits of the overview and load history pages.
const (
	recentLoads  = 10
	historyLoads = 200
	chartLoads   = 50
)

// emptyDatasetMessage is shown when a pipeline's dataset has no tables.
const emptyDatasetMessage = "dataset %s holds no tables yet: run the pipeline " +
	"(for example \"restload run ashby --demo\") and reload this page"

// queryContext returns the request's context bounded by the query
// timeout.
func (s *Server) queryContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
}

type overviewData struct {
	SchemaVersion int
	Loads         []load
	Tables        []tableInfo
	Empty         string
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, src *Source) error {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	sch, err := schemaOf(ctx, src)
	if err != nil {
		return err
	}
	all, err := tables(ctx, src, sch)
	if err != nil {
		return err
	}
	d := &overviewData{}
	if sch != nil {
		d.SchemaVersion = sch.Version
	}
	for _, t := range all {
		if !t.System && t.Parent == "" {
			d.Tables = append(d.Tables, t)
		}
	}
	if len(all) == 0 {
		d.Empty = fmt.Sprintf(emptyDatasetMessage, src.Record.Dataset)
	}
	if d.Loads, err = loads(ctx, src, recentLoads); err != nil {
		return err
	}
	s.render(w, r, "overview", &view{Title: src.Record.Pipeline, Source: src, Data: d})
	return nil
}

type tableListData struct {
	Tables []tableInfo
	Empty  string
}

func (s *Server) tableList(w http.ResponseWriter, r *http.Request, src *Source) error {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	sch, err := schemaOf(ctx, src)
	if err != nil {
		return err
	}
	all, err := tables(ctx, src, sch)
	if err != nil {
		return err
	}
	d := &tableListData{Tables: all}
	if len(all) == 0 {
		d.Empty = fmt.Sprintf(emptyDatasetMessage, src.Record.Dataset)
	}
	s.render(w, r, "tables", &view{Title: "Tables", Source: src, Data: d})
	return nil
}

type tableViewData struct {
	Table    string
	Parent   string
	Children []string
	Columns  []column
	Request  *browseRequest
	Result   *browseResult
	PageSize int
	// IDIndex and ParentIndex locate _rl_id and _rl_parent_id in the
	// result's columns, or are -1.
	IDIndex     int
	ParentIndex int
}

// ParentLinks reports whether each row links to its parent row.
func (d *tableViewData) ParentLinks() bool { return d.ParentIndex >= 0 && d.Parent != "" }

// ChildLinks reports whether each row links to its child rows.
func (d *tableViewData) ChildLinks() bool { return d.IDIndex >= 0 && len(d.Children) > 0 }

// Pages returns the number of pages of the filtered rows.
func (d *tableViewData) Pages() int64 {
	return max(1, (d.Result.Total+int64(d.PageSize)-1)/int64(d.PageSize))
}

// URL returns the path of this table page with one parameter changed;
// an empty value removes the parameter.
func (d *tableViewData) URL(pipelineName, key, value string) string {
	var kv []string
	set := func(k, v string) {
		if k == key {
			v = value
		}
		if v != "" {
			kv = append(kv, k, v)
		}
	}
	set(paramPage, pageText(d.Request.Page))
	set(paramSort, d.Request.Sort)
	if d.Request.Desc {
		set(paramDesc, "1")
	} else {
		set(paramDesc, "")
	}
	u := tableURL(pipelineName, d.Table, kv...)
	return appendFilters(u, d.Request.Filters)
}

// SortURL returns the path that sorts by col, descending when the page
// is sorted by col ascending already.
func (d *tableViewData) SortURL(pipelineName, col string) string {
	kv := []string{paramSort, col}
	if d.Request.Sort == col && !d.Request.Desc {
		kv = append(kv, paramDesc, "1")
	}
	return appendFilters(tableURL(pipelineName, d.Table, kv...), d.Request.Filters)
}

// FilterValue returns the contains-filter value of a column, for the
// filter form.
func (d *tableViewData) FilterValue(col string) string {
	for _, f := range d.Request.Filters {
		if f.Column == col && !f.Exact {
			return f.Value
		}
	}
	return ""
}

// Exact lists the exact-match filters, which the filter form keeps as
// hidden fields.
func (d *tableViewData) Exact() []filter {
	var out []filter
	for _, f := range d.Request.Filters {
		if f.Exact {
			out = append(out, f)
		}
	}
	return out
}

func pageText(p int) string {
	if p <= 1 {
		return ""
	}
	return fmt.Sprint(p)
}

func appendFilters(u string, fs []filter) string {
	var parts []string
	for _, f := range fs {
		key := prefixFilter
		if f.Exact {
			key = prefixEqual
		}
		parts = append(parts, url.QueryEscape(key+f.Column)+"="+url.QueryEscape(f.Value))
	}
	if len(parts) == 0 {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + strings.Join(parts, "&")
}

func (s *Server) tableView(w http.ResponseWriter, r *http.Request, src *Source) error {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	table := r.PathValue("table")
	sch, err := schemaOf(ctx, src)
	if err != nil {
		return err
	}
	var st *schema.Table
	if sch != nil {
		st = sch.Table(table)
	}
	cols, err := columns(ctx, src, table, st)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return &pageError{http.StatusNotFound, fmt.Sprintf("table %q not found in dataset %s: the table list shows the tables it holds", table, src.Record.Dataset)}
	}
	req, err := parseBrowse(table, r.URL.Query(), cols)
	if err != nil {
		return err
	}
	res, err := browse(ctx, src, req, st, cols, s.cfg.PageSize)
	if err != nil {
		return err
	}

	d := &tableViewData{Table: table, Columns: cols, Request: req, Result: res, PageSize: s.cfg.PageSize,
		IDIndex: indexOf(res.Columns, schema.ColumnID), ParentIndex: indexOf(res.Columns, schema.ColumnParentID)}
	if st != nil {
		d.Parent = st.Parent
	}
	if sch != nil {
		for _, t := range sch.Tables {
			if t.Parent == table {
				d.Children = append(d.Children, t.Name)
			}
		}
	}
	s.render(w, r, "table", &view{Title: table, Source: src, Data: d})
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// treeNode is one table of the schema tree with its child tables.
type treeNode struct {
	Table    *schema.Table
	Children []*treeNode
}

type schemaData struct {
	Name    string
	Version int
	Roots   []*treeNode
	Empty   string
}

func (s *Server) schemaTree(w http.ResponseWriter, r *http.Request, src *Source) error {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	sch, err := schemaOf(ctx, src)
	if err != nil {
		return err
	}
	d := &schemaData{}
	if sch == nil || len(sch.Tables) == 0 {
		d.Empty = fmt.Sprintf("dataset %s has no stored schema %q yet: run the pipeline and reload this page",
			src.Record.Dataset, src.Record.Source)
	} else {
		d.Name, d.Version, d.Roots = sch.Name, sch.Version, buildTree(sch)
	}
	s.render(w, r, "schema", &view{Title: "Schema", Source: src, Data: d})
	return nil
}

// buildTree arranges the schema's tables under their parents, in
// creation order. A table whose parent is missing becomes a root.
func buildTree(sch *schema.Schema) []*treeNode {
	nodes := map[string]*treeNode{}
	for _, t := range sch.Tables {
		nodes[t.Name] = &treeNode{Table: t}
	}
	var roots []*treeNode
	for _, t := range sch.Tables {
		n := nodes[t.Name]
		if p, ok := nodes[t.Parent]; ok && t.Parent != "" {
			p.Children = append(p.Children, n)
			continue
		}
		roots = append(roots, n)
	}
	return roots
}

type loadsData struct {
	Loads []load
	Chart *barChart
	// Packages reports whether any load has its package manifest.
	Packages bool
}

func (s *Server) loadHistory(w http.ResponseWriter, r *http.Request, src *Source) error {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	ls, err := loads(ctx, src, historyLoads)
	if err != nil {
		return err
	}
	d := &loadsData{Loads: ls}
	var labels []string
	var values []int64
	for i := min(len(ls), chartLoads) - 1; i >= 0; i-- {
		if !ls[i].HasRows {
			continue
		}
		d.Packages = true
		labels = append(labels, ls[i].ID+" "+ls[i].InsertedAt.UTC().Format("2006-01-02 15:04"))
		values = append(values, ls[i].Rows)
	}
	if d.Packages {
		d.Chart = newBarChart("Rows per load", labels, values)
		d.Chart.Caption = "Rows per load, oldest first"
	}
	s.render(w, r, "loads", &view{Title: "Loads", Source: src, Data: d})
	return nil
}

// packages returns the manifests of the pipeline's load packages.
func packages(src *Source) ([]*pipeline.Manifest, error) {
	return pipeline.Packages(src.WorkDir)
}

type consoleData struct {
	SQL     string
	Columns []string
	Rows    [][]any
	More    bool
	Ran     bool
	Limit   int
	CSVURL  string
	Example string
}

func (s *Server) console(w http.ResponseWriter, r *http.Request, src *Source) error {
	query := r.URL.Query().Get("sql")
	d := &consoleData{SQL: query, Limit: s.cfg.PageSize}
	v := &view{Title: "SQL", Source: src, Data: d}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	if strings.TrimSpace(query) == "" {
		d.Example = s.exampleQuery(ctx, src)
		s.render(w, r, "console", v)
		return nil
	}
	err := checkQuery(ctx, src, query)
	if err == nil {
		// The page shows PageSize rows, so the database computes no more
		// than one beyond them; a checked query is one SELECT, which may
		// stand as a subquery.
		limited := fmt.Sprintf("SELECT * FROM (%s) AS console_result LIMIT %d",
			strings.TrimRight(strings.TrimSpace(query), "; \t\n"), s.cfg.PageSize+1)
		err = runQuery(ctx, src, limited, func(rows *sql.Rows) error {
			var err error
			d.Columns, d.Rows, d.More, err = scanRows(rows, s.cfg.PageSize)
			return err
		})
	}
	if err != nil {
		v.Error = err.Error()
		v.status = http.StatusBadRequest
		var pe *pageError
		if !errors.As(err, &pe) {
			v.status = http.StatusInternalServerError
		}
		s.render(w, r, "console", v)
		return nil
	}
	d.Ran = true
	d.CSVURL = pipelinePath(src.Record.Pipeline, "query.csv") + "?sql=" + url.QueryEscape(query)
	s.render(w, r, "console", v)
	return nil
}

// exampleQuery returns a query on the dataset's largest root table for
// the console's placeholder.
func (s *Server) exampleQuery(ctx context.Context, src *Source) string {
	names, err := tableNames(ctx, src)
	if err != nil {
		return ""
	}
	for _, n := range []string{"applications", "candidates"} {
		if contains(names, n) {
			return fmt.Sprintf("SELECT * FROM %s.%s LIMIT 10", src.Record.Dataset, n)
		}
	}
	for _, n := range names {
		if !strings.HasPrefix(n, schema.SystemPrefix) {
			return fmt.Sprintf("SELECT * FROM %s LIMIT 10", qualified(src.Record.Dataset, n))
		}
	}
	return ""
}

// consoleCSV sends the whole result of a console query as CSV. An error
// before the first row is shown as an error page; an error after it
// ends the download early and is logged.
func (s *Server) consoleCSV(w http.ResponseWriter, r *http.Request, src *Source) error {
	query := r.URL.Query().Get("sql")
	ctx, cancel := s.queryContext(r)
	defer cancel()
	if err := checkQuery(ctx, src, query); err != nil {
		return err
	}
	started := false
	err := runQuery(ctx, src, query, func(rows *sql.Rows) error {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+csvName(src)+`"`)
		started = true
		cw := csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		line := make([]string, len(cols))
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i, v := range vals {
				line[i] = text(v)
			}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return rows.Err()
	})
	if err != nil && started {
		s.log.Warn("show: CSV download ended early", "pipeline", src.Record.Pipeline, "error", err)
		return nil
	}
	return err
}

// csvName returns the download's file name, made of the pipeline name's
// safe characters.
func csvName(src *Source) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, src.Record.Pipeline)
	return name + "_query.csv"
}
