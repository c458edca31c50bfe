package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/schema"
)

// jsonKind is a set of JSON value kinds seen at one path.
type jsonKind uint16

const (
	kindNull jsonKind = 1 << iota
	kindBool
	kindInt
	kindFloat
	kindString
	kindTime // a string that is an RFC 3339 date-time
	kindObject
	kindArray
)

// shape describes the values of the items at one path: the kinds seen
// and, for objects and arrays, the shapes of members and elements.
type shape struct {
	kinds  jsonKind
	fields map[string]*shape
	elem   *shape
}

// addJSON decodes one item and adds it to the shape.
func (s *shape) addJSON(item []byte) error {
	d := json.NewDecoder(bytes.NewReader(item))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("decode item: %w", err)
	}
	s.add(v)
	return nil
}

func (s *shape) add(v any) {
	switch x := v.(type) {
	case nil:
		s.kinds |= kindNull
	case bool:
		s.kinds |= kindBool
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			s.kinds |= kindFloat
		} else {
			s.kinds |= kindInt
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			s.kinds |= kindTime
		} else {
			s.kinds |= kindString
		}
	case map[string]any:
		s.kinds |= kindObject
		if s.fields == nil {
			s.fields = map[string]*shape{}
		}
		for k, fv := range x {
			f := s.fields[k]
			if f == nil {
				f = &shape{}
				s.fields[k] = f
			}
			f.add(fv)
		}
	case []any:
		s.kinds |= kindArray
		for _, e := range x {
			if s.elem == nil {
				s.elem = &shape{}
			}
			s.elem.add(e)
		}
	}
}

// names returns the member names in sorted order.
func (s *shape) names() []string { return slices.Sorted(maps.Keys(s.fields)) }

// sqlType returns the DuckDB type that holds every value of the shape,
// or "" when the path holds nothing but nulls and empty arrays. Paths
// whose values differ in kind (a number here, a string there) are JSON.
func (s *shape) sqlType() string {
	switch s.kinds &^ kindNull {
	case 0:
		return ""
	case kindBool:
		return "BOOLEAN"
	case kindInt:
		return "BIGINT"
	case kindFloat, kindInt | kindFloat:
		return "DOUBLE"
	case kindString, kindString | kindTime:
		return "VARCHAR"
	case kindTime:
		return "TIMESTAMPTZ"
	case kindObject:
		var members []string
		for _, name := range s.names() {
			if t := s.fields[name].sqlType(); t != "" {
				members = append(members, quoteIdent(name)+" "+t)
			}
		}
		if len(members) == 0 {
			return ""
		}
		return "STRUCT(" + strings.Join(members, ", ") + ")"
	case kindArray:
		if s.elem == nil {
			return ""
		}
		t := s.elem.sqlType()
		if t == "" {
			return ""
		}
		return t + "[]"
	default:
		return "JSON"
	}
}

// mixed reports whether values of the shape differ in kind, so that its
// column is JSON.
func (s *shape) mixed() bool {
	switch s.kinds &^ kindNull {
	case 0, kindBool, kindInt, kindFloat, kindInt | kindFloat, kindString, kindTime,
		kindString | kindTime, kindObject, kindArray:
		return false
	}
	return true
}

// sqlTable is one table of the DuckDB baseline: its name and the query
// that fills it.
type sqlTable struct {
	name  string
	query string
}

// unnestPlan is the SQL that turns the items of a raw table, read by
// read_json with the columns of the root shape, into the tables that
// restload's normalizer makes. Nested objects flatten into columns named
// with "__". Every array becomes a child table <parent>__<field> with one
// row per element. Rows of a child table carry the root item's id and
// the list indexes of their path instead of restload's row ids.
type unnestPlan struct {
	tables []sqlTable
}

// unnestSource is a FROM item of the plan: the raw table, or a subquery
// that unnests a list into one row per element named v.
type unnestSource struct {
	from   string   // FROM item, with its alias
	alias  string   // alias of the FROM item
	rootID string   // expression of the root item's id
	idx    []string // expressions of the list indexes, outermost first
}

// planUnnest returns the tables for the items of shape root, read into
// the table raw. The root items must have an id.
func planUnnest(root *shape, rootTable, raw string) (*unnestPlan, error) {
	id := root.fields["id"]
	if id == nil || id.kinds&^kindNull == 0 || id.mixed() || id.kinds&(kindObject|kindArray) != 0 {
		return nil, fmt.Errorf("items of %s have no scalar id member to link child rows to their root", rootTable)
	}
	p := &unnestPlan{}
	src := unnestSource{from: raw + " AS r", alias: "r", rootID: "r." + quoteIdent("id")}
	var sel selectList
	p.flatten(&sel, src, rootTable, "r", root, "")
	p.tables = slices.Insert(p.tables, 0, sqlTable{name: rootTable, query: sel.query(src)})
	return p, nil
}

// selectList is the select list of one table's query.
type selectList struct {
	cols []string
	// derived are expressions that the query computes once per row of
	// its source, named _rl_json1, _rl_json2 and so on, for columns to
	// share.
	derived []string
}

// query returns the SELECT of the list's columns from src.
func (l *selectList) query(src unnestSource) string {
	from := src.from
	if len(l.derived) > 0 {
		// The wrapper keeps the source's alias, so column expressions
		// read the same either way.
		from = "(SELECT *, " + strings.Join(l.derived, ", ") + " FROM " + src.from + ") AS " + src.alias
	}
	return "SELECT " + strings.Join(l.cols, ", ") + " FROM " + from
}

// flatten adds to sel the columns of the object expr, of shape s, named
// with prefix, and adds a child table for each of its lists.
func (p *unnestPlan) flatten(sel *selectList, src unnestSource, table, expr string, s *shape, prefix string) {
	for _, name := range s.names() {
		f := s.fields[name]
		col := joinName(prefix, schema.NormalizeIdentifier(name))
		e := expr + "." + quoteIdent(name)
		switch {
		case f.sqlType() == "":
		case f.mixed():
			p.flattenJSON(sel, src, table, e, f, col)
		case f.kinds&kindObject != 0:
			p.flatten(sel, src, table, e, f, col)
		case f.kinds&kindArray != 0:
			p.child(src, table+"__"+col, e, f.elem, false)
		default:
			sel.cols = append(sel.cols, e+" AS "+quoteIdent(col))
		}
	}
}

// flattenJSON adds the columns of a JSON value whose kind varies: the
// value itself, the scalar members of its object values, and a child
// table of its array values. The members come from one
// json_extract_string call with a list of paths, which parses each value
// once; a call per member took about 2.5 times as long on the emulator's
// custom fields.
func (p *unnestPlan) flattenJSON(sel *selectList, src unnestSource, table, e string, s *shape, col string) {
	sel.cols = append(sel.cols, e+" AS "+quoteIdent(col))
	var paths, names []string
	for _, name := range s.names() {
		f := s.fields[name]
		if s.kinds&kindObject != 0 && f.kinds&(kindObject|kindArray) == 0 && f.kinds&^kindNull != 0 {
			paths = append(paths, quoteString("$."+quoteIdent(name)))
			names = append(names, name)
		}
	}
	if len(paths) > 0 {
		derived := fmt.Sprintf("_rl_json%d", len(sel.derived)+1)
		sel.derived = append(sel.derived, fmt.Sprintf("json_extract_string(%s, [%s]) AS %s", e, strings.Join(paths, ", "), derived))
		for i, name := range names {
			member := fmt.Sprintf("%s.%s[%d]", src.alias, derived, i+1)
			switch t := s.fields[name].sqlType(); t {
			case "VARCHAR":
			case "JSON":
				member = fmt.Sprintf("%s -> %s", e, paths[i])
			default:
				member = fmt.Sprintf("TRY_CAST(%s AS %s)", member, t)
			}
			sel.cols = append(sel.cols, member+" AS "+quoteIdent(joinName(col, schema.NormalizeIdentifier(name))))
		}
	}
	if s.kinds&kindArray != 0 && s.elem != nil {
		list := fmt.Sprintf("CAST(CASE WHEN json_type(%s) = 'ARRAY' THEN %s END AS JSON[])", e, e)
		p.child(src, table+"__"+col, list, s.elem, true)
	}
}

// child adds the table of the list expression list, whose elements have
// shape elem, unnested from src.
func (p *unnestPlan) child(src unnestSource, table, list string, elem *shape, fromJSON bool) {
	alias := fmt.Sprintf("c%d", len(src.idx)+1)
	inner := []string{src.rootID + " AS _rl_root_id"}
	for i, x := range src.idx {
		inner = append(inner, fmt.Sprintf("%s AS _rl_idx%d", x, i+1))
	}
	own := fmt.Sprintf("_rl_idx%d", len(src.idx)+1)
	inner = append(inner, "unnest("+list+") AS v", fmt.Sprintf("generate_subscripts(%s, 1) - 1 AS %s", list, own))
	next := unnestSource{
		from:   "(SELECT " + strings.Join(inner, ", ") + " FROM " + src.from + ") AS " + alias,
		alias:  alias,
		rootID: alias + "._rl_root_id",
	}
	for i := range len(src.idx) + 1 {
		next.idx = append(next.idx, fmt.Sprintf("%s._rl_idx%d", alias, i+1))
	}

	sel := selectList{cols: append([]string{next.rootID}, next.idx...)}
	v := alias + ".v"
	switch {
	case fromJSON && elem.kinds&^(kindNull|kindString|kindTime) == 0:
		sel.cols = append(sel.cols, v+" ->> '$' AS value")
	case fromJSON || elem.mixed():
		sel.cols = append(sel.cols, v+" AS value")
	case elem.kinds&kindObject != 0:
		p.flatten(&sel, next, table, v, elem, "")
	case elem.kinds&kindArray != 0:
		// TODO: lists of lists are not unnested; restload makes a child
		// table of the inner lists, which the comparison then lists.
	default:
		sel.cols = append(sel.cols, v+" AS value")
	}
	p.tables = append(p.tables, sqlTable{name: table, query: sel.query(next)})
}

// readJSONColumns returns the columns argument of read_json for items of
// the root shape.
func readJSONColumns(root *shape) string {
	var members []string
	for _, name := range root.names() {
		if t := root.fields[name].sqlType(); t != "" {
			members = append(members, quoteString(name)+": "+quoteString(t))
		}
	}
	return "{" + strings.Join(members, ", ") + "}"
}

func joinName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "__" + name
}

// quoteIdent quotes a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
