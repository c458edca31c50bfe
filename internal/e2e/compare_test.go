package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/schema"
)

// variantSuffix matches the suffix of a variant column.
var variantSuffix = regexp.MustCompile(`__v_(text|bigint|double|decimal|bool|timestamp|date|json|binary)$`)

// canonical rewrites a decoded JSON value for comparison: object keys in
// the naming convention, and nulls, empty lists and empty objects removed,
// because a table cannot tell them apart from an absent field.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if c := canonical(e); c != nil {
				out[schema.NormalizeIdentifier(k)] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, canonical(e))
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}

// decodeItem decodes one emulator item keeping number literals.
func decodeItem(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode emulator item: %v", err)
	}
	return m
}

// expectedChildCounts adds to counts the rows that each list inside item
// gives its child table, named as the normalizer names them.
func expectedChildCounts(table string, item map[string]any, counts map[string]int) {
	for k, v := range item {
		name := table + "__" + schema.NormalizeIdentifier(k)
		switch x := v.(type) {
		case map[string]any:
			expectedChildCounts(name, x, counts)
		case []any:
			counts[name] += len(x)
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					expectedChildCounts(name, m, counts)
				}
			}
		}
	}
}

// reconstructor rebuilds objects from a loaded dataset, following the
// schema's parent links.
type reconstructor struct {
	t       *testing.T
	db      *sql.DB
	dataset string
	sch     *schema.Schema
}

// root reconstructs the root row of table whose key columns hold the
// given values.
func (r *reconstructor) root(table string, key map[string]any) map[string]any {
	r.t.Helper()
	var conds []string
	var args []any
	for _, col := range sortedKeys(key) {
		conds = append(conds, fmt.Sprintf("%q = ?", col))
		args = append(args, key[col])
	}
	rows := r.query(fmt.Sprintf(`SELECT * FROM %q.%q WHERE %s`, r.dataset, table, strings.Join(conds, " AND ")), args...)
	if len(rows) != 1 {
		r.t.Fatalf("%s: %d rows with key %v, want 1", table, len(rows), key)
	}
	return r.build(table, rows[0])
}

// build turns one row and its child rows into a nested value.
func (r *reconstructor) build(table string, row map[string]any) map[string]any {
	r.t.Helper()
	out := map[string]any{}
	for col, v := range row {
		if strings.HasPrefix(col, "_rl_") || v == nil {
			continue
		}
		col = variantSuffix.ReplaceAllString(col, "")
		setPath(out, strings.Split(col, "__"), dbValue(r.sch.Table(table), col, v))
	}
	for _, child := range r.sch.Tables {
		if child.Parent != table {
			continue
		}
		children := r.query(fmt.Sprintf(`SELECT * FROM %q.%q WHERE _rl_parent_id = ? ORDER BY _rl_list_idx`,
			r.dataset, child.Name), row["_rl_id"])
		if len(children) == 0 {
			continue
		}
		scalars := isScalarList(child)
		var list []any
		for _, c := range children {
			built := r.build(child.Name, c)
			if scalars {
				list = append(list, built["value"])
			} else {
				list = append(list, built)
			}
		}
		setPath(out, strings.Split(strings.TrimPrefix(child.Name, table+"__"), "__"), list)
	}
	return out
}

// isScalarList reports whether a child table holds a list of scalars,
// whose rows have only a value column and its variants.
func isScalarList(t *schema.Table) bool {
	for _, c := range t.Columns {
		if !c.System && variantSuffix.ReplaceAllString(c.Name, "") != "value" {
			return false
		}
	}
	return true
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// dbValue converts a value read from DuckDB for comparison; json columns
// are decoded and put in canonical form.
func dbValue(t *schema.Table, col string, v any) any {
	switch x := v.(type) {
	case string:
		if c := t.Column(col); c != nil && c.Type == schema.JSON {
			var j any
			d := json.NewDecoder(strings.NewReader(x))
			d.UseNumber()
			if d.Decode(&j) == nil {
				return canonical(j)
			}
		}
	case []byte:
		return dbValue(t, col, string(x))
	case map[string]any, []any:
		return canonical(x)
	}
	return v
}

func (r *reconstructor) query(q string, args ...any) []map[string]any {
	r.t.Helper()
	rows, err := r.db.Query(q, args...)
	if err != nil {
		r.t.Fatalf("query %s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		r.t.Fatal(err)
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			r.t.Fatalf("scan %s: %v", q, err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// diff compares an emulator value (decoded with UseNumber, canonical)
// with a reconstructed one and returns the paths that differ.
func diff(path string, want, got any) []string {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return []string{fmt.Sprintf("%s: want nothing, got %v", path, got)}
		}
		return nil
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %T %v", path, got, got)}
		}
		var out []string
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, diff(path+"."+k, w[k], g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want list of %d, got %T %v", path, len(w), got, got)}
		}
		var out []string
		for i := range w {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if !scalarEqual(want, got) {
		return []string{fmt.Sprintf("%s: want %v (%T), got %v (%T)", path, want, want, got, got)}
	}
	return nil
}

// scalarEqual compares a JSON scalar with a database value: numbers
// exactly, timestamps as instants with their milliseconds.
func scalarEqual(want, got any) bool {
	switch w := want.(type) {
	case json.Number:
		wr, ok := new(big.Rat).SetString(w.String())
		if !ok {
			return false
		}
		switch g := got.(type) {
		case float64:
			f, err := strconv.ParseFloat(w.String(), 64)
			return err == nil && f == g
		case json.Number:
			gr, ok := new(big.Rat).SetString(g.String())
			return ok && gr.Cmp(wr) == 0
		default:
			gr, ok := new(big.Rat).SetString(fmt.Sprint(g))
			return ok && gr.Cmp(wr) == 0
		}
	case string:
		switch g := got.(type) {
		case string:
			if g == w {
				return true
			}
			wt, err1 := time.Parse(time.RFC3339Nano, w)
			gt, err2 := time.Parse(time.RFC3339Nano, g)
			return err1 == nil && err2 == nil && wt.Equal(gt)
		case time.Time:
			wt, err := time.Parse(time.RFC3339Nano, w)
			return err == nil && wt.Equal(g)
		}
		return false
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
