package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// reader queries the loaded data of one destination.
type reader struct {
	t  testing.TB
	ds *dataset.Dataset
	s  *schema.Schema
}

// read opens the dataset of d for queries with schema s. Destinations
// read through views show the loads committed at this call.
func (h Harness) read(t testing.TB, d destination.Destination, s *schema.Schema) *reader {
	t.Helper()
	open := h.Dataset
	if open == nil {
		open = func(ctx context.Context, d destination.Destination, name string, s *schema.Schema) (*dataset.Dataset, error) {
			return dataset.Open(ctx, d, name, s)
		}
	}
	ds, err := open(context.Background(), d, Dataset, s)
	if err != nil {
		t.Fatalf("open dataset %s of %s: %v", Dataset, d.Location(), err)
	}
	t.Cleanup(func() {
		if err := ds.Close(); err != nil {
			t.Errorf("close dataset %s: %v", Dataset, err)
		}
	})
	return &reader{t: t, ds: ds, s: s}
}

// query returns the rows of q as text, one string per row with the
// columns joined by "|". A column of the given types is formatted by
// formatValue; the others are taken as text, NULL as "<null>".
func (r *reader) query(q string, types ...schema.DataType) []string {
	r.t.Helper()
	rows, err := r.ds.Query(context.Background(), q)
	if err != nil {
		r.t.Fatalf("%v\n%s", err, q)
	}
	_, records, err := dataset.ScanAll(rows)
	if err != nil {
		r.t.Fatalf("read the rows of %s: %v", q, err)
	}
	out := make([]string, len(records))
	for i, rec := range records {
		parts := make([]string, len(rec))
		for j, v := range rec {
			typ := schema.Text
			if j < len(types) {
				typ = types[j]
			}
			parts[j] = r.format(typ, v)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

func (r *reader) format(typ schema.DataType, v any) string {
	r.t.Helper()
	if v == nil {
		return "<null>"
	}
	s, err := formatValue(typ, v)
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// count returns the number of rows of a table.
func (r *reader) count(table string) int {
	r.t.Helper()
	got := r.query("SELECT count(*) FROM " + qualified(table))
	var n int
	if _, err := fmt.Sscan(got[0], &n); err != nil {
		r.t.Fatalf("count rows of %s: %v", table, err)
	}
	return n
}

// tables lists the tables of the dataset, system tables included.
func (r *reader) tables() []string {
	r.t.Helper()
	names, err := r.ds.Tables(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return names
}

// tableRows returns the rows of a table of the schema as lines of
// column=value pairs in schema order, NULL columns left out, sorted.
func (r *reader) tableRows(tab *schema.Table) []string {
	r.t.Helper()
	exprs := make([]string, len(tab.Columns))
	types := make([]schema.DataType, len(tab.Columns))
	for i, col := range tab.Columns {
		exprs[i] = selectExpr(col)
		types[i] = col.Type
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), qualified(tab.Name))
	rows, err := r.ds.Query(context.Background(), q)
	if err != nil {
		r.t.Fatalf("%v\n%s", err, q)
	}
	_, records, err := dataset.ScanAll(rows)
	if err != nil {
		r.t.Fatalf("read the rows of %s: %v", tab.Name, err)
	}
	out := make([]string, 0, len(records))
	for _, rec := range records {
		var parts []string
		for i, v := range rec {
			if v != nil {
				parts = append(parts, tab.Columns[i].Name+"="+r.format(types[i], v))
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	slices.Sort(out)
	return out
}

// dump writes every table of the schema with its rows.
func (r *reader) dump(w io.Writer) {
	r.t.Helper()
	for _, tab := range r.s.Tables {
		fmt.Fprintf(w, "-- %s --\n", tab.Name)
		for _, row := range r.tableRows(tab) {
			fmt.Fprintln(w, row)
		}
	}
}

// selectExpr returns the select list entry for a column. Timestamps and
// binary values are read as the driver returns them and formatted in Go,
// because DuckDB and PostgreSQL write them as text differently. Every
// other type is cast to text, which both write alike.
func selectExpr(col *schema.Column) string {
	if col.Type == schema.Timestamp || col.Type == schema.Binary {
		return quote(col.Name)
	}
	return "CAST(" + quote(col.Name) + " AS VARCHAR)"
}

// formatValue returns a value scanned from a destination as text in the
// form of the expected results. Timestamps are in UTC with six fraction
// digits and a Z, and binary values are upper-case hex. JSON values are
// compacted with object keys sorted, because PostgreSQL's jsonb changes
// spacing and key order.
func formatValue(typ schema.DataType, v any) (string, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z"), nil
	case []byte:
		if typ == schema.Binary {
			return fmt.Sprintf("%X", x), nil
		}
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v), nil
	}
	if typ != schema.JSON {
		return s, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("read JSON value %q: %w", s, err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("write JSON value %q: %w", s, err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// qualified returns the quoted name of a table of the suite's dataset.
func qualified(table string) string { return quote(Dataset) + "." + quote(table) }
