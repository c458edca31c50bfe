package show

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/restload/restload/schema"
)

// Query parameters of a table page. A filter parameter is the prefix
// followed by a column name, such as f.status=active.
const (
	paramPage     = "page"
	paramSort     = "sort"
	paramDesc     = "desc"
	prefixFilter  = "f."  // the column's text contains the value, ignoring case
	prefixEqual   = "eq." // the column's text equals the value
	maxFilterSize = 1000
	maxPage       = 1_000_000
)

// filter is one condition on a column.
type filter struct {
	Column string
	Value  string
	Exact  bool
}

// browseRequest is a validated table page request.
type browseRequest struct {
	Table   string
	Page    int
	Sort    string
	Desc    bool
	Filters []filter
}

// parseBrowse validates the query parameters of a table page against the
// table's columns, so that only known column names reach the SQL.
func parseBrowse(table string, q url.Values, cols []column) (*browseRequest, error) {
	known := map[string]bool{}
	for _, c := range cols {
		known[c.Name] = true
	}
	b := &browseRequest{Table: table, Page: 1}
	if p := q.Get(paramPage); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPage {
			return nil, badRequest("invalid page %q: use a number from 1 to %d", p, maxPage)
		}
		b.Page = n
	}
	if s := q.Get(paramSort); s != "" {
		if !known[s] {
			return nil, badRequest("cannot sort by %q: table %s has no such column", s, table)
		}
		b.Sort = s
		b.Desc = q.Get(paramDesc) == "1"
	}
	for key, vals := range q {
		col, exact := "", false
		switch {
		case strings.HasPrefix(key, prefixEqual):
			col, exact = strings.TrimPrefix(key, prefixEqual), true
		case strings.HasPrefix(key, prefixFilter):
			col = strings.TrimPrefix(key, prefixFilter)
		default:
			continue
		}
		if !known[col] {
			return nil, badRequest("cannot filter by %q: table %s has no such column", col, table)
		}
		for _, v := range vals {
			if v == "" && !exact {
				continue
			}
			if len(v) > maxFilterSize {
				return nil, badRequest("filter on %s is %d bytes long: use at most %d", col, len(v), maxFilterSize)
			}
			b.Filters = append(b.Filters, filter{Column: col, Value: v, Exact: exact})
		}
	}
	return b, nil
}

// where builds the WHERE clause of the filters with $n placeholders,
// and the values to bind to them. Both dialects cast the column to text,
// so that one filter works on every column type.
func (b *browseRequest) where() (string, []any) {
	if len(b.Filters) == 0 {
		return "", nil
	}
	conds := make([]string, len(b.Filters))
	args := make([]any, len(b.Filters))
	for i, f := range b.Filters {
		if f.Exact {
			conds[i] = fmt.Sprintf("CAST(%s AS VARCHAR) = $%d", ident(f.Column), i+1)
			args[i] = f.Value
			continue
		}
		conds[i] = fmt.Sprintf(`CAST(%s AS VARCHAR) ILIKE $%d ESCAPE '\'`, ident(f.Column), i+1)
		args[i] = "%" + likeEscaper.Replace(f.Value) + "%"
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// orderBy returns the ORDER BY clause: the requested column, then the
// table's natural order (primary key for root tables, list order for
// child tables) so that pages do not overlap.
func (b *browseRequest) orderBy(st *schema.Table, cols []column) string {
	var keys []string
	if b.Sort != "" {
		dir := " ASC"
		if b.Desc {
			dir = " DESC"
		}
		keys = append(keys, ident(b.Sort)+dir+" NULLS LAST")
	}
	has := func(n string) bool {
		for _, c := range cols {
			if c.Name == n {
				return true
			}
		}
		return false
	}
	var natural []string
	if st != nil && st.IsRoot() {
		natural = st.PrimaryKey()
	}
	if len(natural) == 0 && has(schema.ColumnParentID) && has(schema.ColumnListIndex) {
		natural = []string{schema.ColumnParentID, schema.ColumnListIndex}
	}
	if len(natural) == 0 && has(schema.ColumnID) {
		natural = []string{schema.ColumnID}
	}
	for _, n := range natural {
		if n != b.Sort && has(n) {
			keys = append(keys, ident(n))
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return " ORDER BY " + strings.Join(keys, ", ")
}

// browseResult is one page of a table.
type browseResult struct {
	Columns []string
	Rows    [][]any
	Total   int64
	More    bool
}

// browse reads one page of the table.
func browse(ctx context.Context, src *Source, b *browseRequest, st *schema.Table, cols []column, pageSize int) (*browseResult, error) {
	table := qualified(src.Record.Dataset, b.Table)
	where, args := b.where()
	res := &browseResult{}
	if err := src.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+table+where, args...).Scan(&res.Total); err != nil {
		return nil, fmt.Errorf("count rows of %s.%s: %w", src.Record.Dataset, b.Table, err)
	}
	q := fmt.Sprintf("SELECT * FROM %s%s%s LIMIT %d OFFSET %d",
		table, where, b.orderBy(st, cols), pageSize+1, (b.Page-1)*pageSize)
	rows, err := src.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", src.Record.Dataset, b.Table, err)
	}
	res.Columns, res.Rows, res.More, err = scanRows(rows, pageSize)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", src.Record.Dataset, b.Table, err)
	}
	return res, nil
}
