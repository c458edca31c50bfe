package filesystem

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Names of the helper columns inside view queries. They start with two
// underscores, which no normalized column name does.
const (
	viewLoad = "__rl_load"
	viewSeq  = "__rl_seq"
	viewHD   = "__rl_hd"
	// viewCurrent is the alias of the current rows of a merge table.
	viewCurrent = "__rl_cur"
)

// Views returns DuckDB statements that create a schema named after the
// dataset, with one view per table of s. Each view reads the data files
// of committed loads under the bucket folder root and applies the reader
// rules of the package comment. The file lists are fixed when Views
// runs, so files of later loads need new views.
func Views(root, dataset string, s *schema.Schema) ([]string, error) {
	if err := checkName("dataset", dataset); err != nil {
		return nil, fmt.Errorf("build views: %w", err)
	}
	dir := filepath.Join(root, dataset)
	records, err := readRecords(dir)
	if err != nil {
		return nil, fmt.Errorf("build views of dataset %s: %w", dataset, err)
	}
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + ident(dataset), loadsView(dataset, records)}
	for _, t := range s.Tables {
		q, err := viewQuery(dir, dataset, records, s, t)
		if err != nil {
			return nil, fmt.Errorf("build view of table %s: %w", t.Name, err)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", qualified(dataset, t.Name), q))
	}
	return stmts, nil
}

// Views returns the statements of the package function Views for a
// dataset of this client's bucket.
func (c *Client) Views(dataset string, s *schema.Schema) ([]string, error) {
	return Views(c.root, dataset, s)
}

// loadsView returns the statement that creates the view _rl_loads, with
// one row per committed load, in the columns of the DuckDB destination's
// loads table.
func loadsView(dataset string, records []*record) string {
	q := `SELECT CAST(NULL AS VARCHAR) AS load_id, CAST(NULL AS VARCHAR) AS schema_name,
		CAST(NULL AS INTEGER) AS status, CAST(NULL AS TIMESTAMPTZ) AS inserted_at,
		CAST(NULL AS VARCHAR) AS schema_version_hash WHERE false`
	for _, r := range records {
		q += fmt.Sprintf(" UNION ALL SELECT %s, %s, 0, TIMESTAMPTZ %s, %s",
			literal(r.LoadID), literal(r.SchemaName),
			literal(r.InsertedAt.UTC().Format("2006-01-02 15:04:05.999999+00")), literal(r.SchemaHash))
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS %s", qualified(dataset, schema.TableLoads), q)
}

// visibleFiles returns the files of t that readers count: those of the
// newest load that replaced t's root table or dropped t, and of every
// later load.
func visibleFiles(records []*record, s *schema.Schema, t *schema.Table) []dataFile {
	root := s.Root(t.Name)
	start := 0
	for i, r := range records {
		if slices.Contains(r.Dropped, t.Name) || (root != nil && slices.Contains(r.Replaced, root.Name)) {
			start = i
		}
	}
	var files []dataFile
	for _, r := range records[start:] {
		for _, f := range r.Files {
			if f.Table == t.Name {
				if f.Format == "" {
					f.Format = r.Format
				}
				files = append(files, f)
			}
		}
	}
	return files
}

// viewQuery returns the query of the view of table t.
func viewQuery(dir, dataset string, records []*record, s *schema.Schema, t *schema.Table) (string, error) {
	src, err := sourceQuery(dir, t, visibleFiles(records, s, t))
	if err != nil {
		return "", err
	}
	root := s.Root(t.Name)
	if root == nil {
		return "", fmt.Errorf("table %s has no root table in the schema", t.Name)
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = ident(c.Name)
	}
	keyed := root.WriteDisposition == schema.History ||
		(root.WriteDisposition == schema.Merge && (len(root.PrimaryKey()) > 0 || len(mergeKey(root)) > 0))
	switch {
	case !keyed:
		return fmt.Sprintf("SELECT %s FROM (%s)", strings.Join(names, ", "), src), nil
	case !t.IsRoot():
		if root.Column(schema.ColumnID) == nil || t.Column(schema.ColumnRootID) == nil {
			return "", fmt.Errorf("table %s or its root table %s lacks %s or %s, which link child rows to their root row",
				t.Name, root.Name, schema.ColumnRootID, schema.ColumnID)
		}
		return fmt.Sprintf("SELECT %s FROM (%s) WHERE %s IN (SELECT %s FROM %s)",
			strings.Join(names, ", "), src, ident(schema.ColumnRootID), ident(schema.ColumnID),
			qualified(dataset, root.Name)), nil
	case root.WriteDisposition == schema.History:
		return historyQuery(records, t, src, names)
	}
	return mergeQuery(dir, records, t, src, names)
}

// mergeQuery returns the current rows of a merge root table.
func mergeQuery(dir string, records []*record, t *schema.Table, src string, names []string) (string, error) {
	pk, mk := t.PrimaryKey(), mergeKey(t)
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT * FROM (SELECT *")
	if len(pk) > 0 {
		fmt.Fprintf(&b, ", row_number() OVER (PARTITION BY %s ORDER BY %s) AS __rl_rank",
			identList(pk), newestFirst(t))
	}
	if len(mk) > 0 {
		fmt.Fprintf(&b, ", max(%s) OVER (PARTITION BY %s) AS __rl_mk_load", viewLoad, identList(mk))
	}
	fmt.Fprintf(&b, " FROM (%s)) WHERE NOT (%s)", src, hardDelete)
	if len(pk) > 0 {
		b.WriteString(" AND __rl_rank = 1")
	}
	if len(mk) > 0 {
		b.WriteString(" AND " + viewLoad + " = __rl_mk_load")
	}
	cols := slices.Clone(names)
	if t.SoftDelete && t.Column(schema.ColumnDeletedAt) != nil {
		if i := slices.Index(names, ident(schema.ColumnDeletedAt)); i >= 0 {
			expr, err := deletedAtExpr(dir, records, t, viewCurrent)
			if err != nil {
				return "", err
			}
			cols[i] = expr + " AS " + ident(schema.ColumnDeletedAt)
		}
	}
	return fmt.Sprintf("SELECT %s FROM (%s) AS %s", strings.Join(cols, ", "), b.String(), viewCurrent), nil
}

// historyQuery returns every version of a history root table with its
// _rl_valid_to.
func historyQuery(records []*record, t *schema.Table, src string, names []string) (string, error) {
	pk := t.PrimaryKey()
	for _, c := range []string{schema.ColumnValidFrom, schema.ColumnValidTo, schema.ColumnRowHash} {
		if t.Column(c) == nil {
			return "", fmt.Errorf("table %s has no %s column, which write disposition history needs", t.Name, c)
		}
	}
	if len(pk) == 0 {
		return "", fmt.Errorf("history table %s has no primary key; set one", t.Name)
	}
	hash, from := ident(schema.ColumnRowHash), ident(schema.ColumnValidFrom)
	keys := identList(pk)
	// events: per key and load the row that merge would keep.
	events := fmt.Sprintf("SELECT *, %s AS __rl_del FROM (SELECT *, row_number() OVER (PARTITION BY %s, %s ORDER BY %s) AS __rl_rank FROM (%s)) WHERE __rl_rank = 1",
		hardDelete, keys, viewLoad, newestFirst(t), src)
	if t.RetireAbsent {
		events = withAbsences(records, t, events)
	}
	// marked: whether each event starts a version.
	marked := fmt.Sprintf(`SELECT *, NOT __rl_del AND (lag(__rl_del) OVER w IS NULL OR lag(__rl_del) OVER w
		OR lag(%s) OVER w IS DISTINCT FROM %s) AS __rl_start FROM (%s) WINDOW w AS (PARTITION BY %s ORDER BY %s)`,
		hash, hash, events, keys, viewLoad)
	// closed: version starts and deletes, each closing the one before.
	closed := fmt.Sprintf("SELECT *, lead(%s) OVER (PARTITION BY %s ORDER BY %s) AS __rl_to FROM (%s) WHERE __rl_start OR __rl_del",
		from, keys, viewLoad, marked)
	cols := slices.Clone(names)
	i := slices.Index(names, ident(schema.ColumnValidTo))
	cols[i] = "__rl_to AS " + ident(schema.ColumnValidTo)
	return fmt.Sprintf("SELECT %s FROM (%s) WHERE NOT __rl_del", strings.Join(cols, ", "), closed), nil
}

// withAbsences adds to the events of a history table with RetireAbsent
// a hard delete event for each key at the first load that covered the
// table without the key, after each event of the key and before its next
// one.
//
// TODO: a merge key does not limit the absences to objects whose merge
// key value the covering load holds, as the DuckDB destination does.
func withAbsences(records []*record, t *schema.Table, events string) string {
	var values []string
	for _, r := range records {
		if slices.Contains(r.Covered, t.Name) {
			values = append(values, fmt.Sprintf("(%s, TIMESTAMPTZ %s)",
				literal(r.LoadID), literal(r.CreatedAt.UTC().Format("2006-01-02 15:04:05.999999+00"))))
		}
	}
	if len(values) == 0 {
		return events
	}
	keys := identList(t.PrimaryKey())
	var eKeys []string
	for _, k := range t.PrimaryKey() {
		eKeys = append(eKeys, "e."+ident(k))
	}
	next := fmt.Sprintf("SELECT *, lead(%s) OVER (PARTITION BY %s ORDER BY %s) AS __rl_next FROM (%s)",
		viewLoad, keys, viewLoad, events)
	absent := fmt.Sprintf(`SELECT %s, min(c.load_id) AS %s, arg_min(c.created_at, c.load_id) AS %s, true AS __rl_del
		FROM (%s) AS e JOIN (VALUES %s) AS c(load_id, created_at)
		ON c.load_id > e.%s AND (e.__rl_next IS NULL OR c.load_id < e.__rl_next)
		GROUP BY %s, e.%s`,
		strings.Join(eKeys, ", "), viewLoad, ident(schema.ColumnValidFrom), next, strings.Join(values, ", "),
		viewLoad, strings.Join(eKeys, ", "), viewLoad)
	return fmt.Sprintf("SELECT * FROM (%s) UNION ALL BY NAME %s", events, absent)
}

// newestFirst returns the ORDER BY list that puts the row that merge
// keeps first among rows of one key: newest load, then the dedup sort
// column, then the highest _rl_seq.
func newestFirst(t *schema.Table) string {
	order := []string{viewLoad + " DESC"}
	for _, c := range t.Columns {
		switch c.DedupSort {
		case schema.Desc:
			order = append(order, ident(c.Name)+" DESC NULLS LAST")
		case schema.Asc:
			order = append(order, ident(c.Name)+" ASC NULLS LAST")
		}
	}
	return strings.Join(append(order, viewSeq+" DESC"), ", ")
}

// hardDelete is the condition that marks a root row as a hard delete,
// by the hard delete column of the schema of the row's own load.
const hardDelete = viewHD + " IS TRUE"

func mergeKey(t *schema.Table) []string {
	return t.ColumnsWhere(func(c *schema.Column) bool { return c.MergeKey })
}

// sourceQuery returns a query of all rows of the files, with every
// column of t cast to its SQL type and, for a root table, the load id
// and _rl_seq of each row as __rl_load and __rl_seq.
func sourceQuery(dir string, t *schema.Table, files []dataFile) (string, error) {
	cols := fileColumns(t)
	if len(files) == 0 {
		exprs := make([]string, 0, len(cols))
		for _, c := range outputColumns(t) {
			exprs = append(exprs, fmt.Sprintf("CAST(NULL AS %s) AS %s", sqlType(c.typ), ident(c.alias)))
		}
		return "SELECT " + strings.Join(exprs, ", ") + " WHERE false", nil
	}
	var byFormat []Format
	groups := make(map[Format][]dataFile)
	for _, f := range files {
		if _, ok := groups[f.Format]; !ok {
			byFormat = append(byFormat, f.Format)
		}
		groups[f.Format] = append(groups[f.Format], f)
	}
	var parts []string
	for _, format := range byFormat {
		q, err := formatQuery(dir, t, cols, format, groups[format])
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
	}
	return strings.Join(parts, " UNION ALL "), nil
}

// outputColumn is a column of a source query: the file column name and
// the name it gets in the query.
type outputColumn struct {
	name, alias string
	typ         schema.DataType
}

func outputColumns(t *schema.Table) []outputColumn {
	var out []outputColumn
	for _, c := range t.Columns {
		out = append(out, outputColumn{c.Name, c.Name, c.Type})
	}
	if t.IsRoot() {
		out = append(out,
			outputColumn{schema.ColumnLoadID, viewLoad, schema.Text},
			outputColumn{destination.SeqField, viewSeq, schema.BigInt},
			outputColumn{hardDeleteField, viewHD, schema.Bool})
	}
	return out
}

// formatQuery returns the source query of files of one format.
func formatQuery(dir string, t *schema.Table, cols []column, format Format, files []dataFile) (string, error) {
	present := make(map[string]bool)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = literal(filepath.Join(dir, filepath.FromSlash(f.Path)))
		for _, c := range f.Columns {
			present[c] = true
		}
	}
	list := "[" + strings.Join(paths, ", ") + "]"
	var from string
	switch format {
	case Parquet:
		from = fmt.Sprintf("read_parquet(%s, union_by_name = true)", list)
	case JSONL:
		var types []string
		for _, c := range cols {
			if present[c.name] {
				types = append(types, literal(c.name)+": "+literal(jsonReadType(c.typ)))
			}
		}
		from = fmt.Sprintf("read_json(%s, format = 'newline_delimited', columns = {%s})", list, strings.Join(types, ", "))
	case CSV:
		from = fmt.Sprintf(`read_csv(%s, header = true, all_varchar = true, union_by_name = true,
			delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false)`, list)
	default:
		return "", fmt.Errorf("unknown data file format %q in a load record", format)
	}
	var exprs []string
	for _, c := range outputColumns(t) {
		e := fmt.Sprintf("CAST(NULL AS %s)", sqlType(c.typ))
		if present[c.name] {
			e = castExpr(format, c.typ, ident(c.name))
		}
		exprs = append(exprs, e+" AS "+ident(c.alias))
	}
	return fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), from), nil
}

// jsonReadType is the type that read_json reads a column of JSONL files
// as: the types that JSONL stores as strings are read as VARCHAR and
// cast afterwards.
func jsonReadType(t schema.DataType) string {
	switch t {
	case schema.BigInt, schema.Double, schema.Bool:
		return sqlType(t)
	}
	return "VARCHAR"
}

// castExpr converts a file column to its SQL type.
func castExpr(format Format, t schema.DataType, col string) string {
	if t == schema.Binary && format != Parquet {
		return "from_base64(" + col + ")"
	}
	return "CAST(" + col + " AS " + sqlType(t) + ")"
}

// sqlType returns the DuckDB type of a data type.
func sqlType(t schema.DataType) string {
	switch t {
	case schema.BigInt:
		return "BIGINT"
	case schema.Double:
		return "DOUBLE"
	case schema.Decimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", decimalPrecision, decimalScale)
	case schema.Bool:
		return "BOOLEAN"
	case schema.Timestamp:
		return "TIMESTAMPTZ"
	case schema.Date:
		return "DATE"
	case schema.JSON:
		return "JSON"
	case schema.Binary:
		return "BLOB"
	}
	return "VARCHAR"
}

func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func identList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ident(n)
	}
	return strings.Join(out, ", ")
}

func qualified(dataset, table string) string { return ident(dataset) + "." + ident(table) }

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ReadViews returns the views of the dataset for dataset.Open; it is
// Views with the schema that the caller already read.
func (c *Client) ReadViews(_ context.Context, dataset string, s *schema.Schema) ([]string, error) {
	if s == nil {
		return nil, fmt.Errorf("no schema for dataset %s in %s: nothing was loaded yet", dataset, c.Location())
	}
	return c.Views(dataset, s)
}
