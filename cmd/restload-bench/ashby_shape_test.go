package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestShapeSQLType(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"bool", []string{`true`, `null`}, "BOOLEAN"},
		{"int", []string{`1`, `-7`}, "BIGINT"},
		{"int and float", []string{`1`, `2.5`}, "DOUBLE"},
		{"exponent", []string{`1e3`}, "DOUBLE"},
		{"string", []string{`"a"`}, "VARCHAR"},
		{"timestamp", []string{`"2024-03-01T10:15:00.123Z"`, `"2024-03-01T10:15:00+02:00"`}, "TIMESTAMPTZ"},
		{"timestamp and text", []string{`"2024-03-01T10:15:00Z"`, `"soon"`}, "VARCHAR"},
		{"date only is text", []string{`"2024-03-01"`}, "VARCHAR"},
		{"object", []string{`{"b":1,"a":"x"}`, `{"a":null}`}, `STRUCT("a" VARCHAR, "b" BIGINT)`},
		{"list", []string{`[1,2]`, `[]`}, "BIGINT[]"},
		{"list of objects", []string{`[{"v":true}]`}, `STRUCT("v" BOOLEAN)[]`},
		{"only nulls", []string{`null`}, ""},
		{"only empty lists", []string{`[]`, `[]`}, ""},
		{"object of nulls", []string{`{"a":null}`}, ""},
		{"mixed", []string{`1`, `"x"`}, "JSON"},
		{"object or list", []string{`{"a":1}`, `[1]`}, "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &shape{}
			for _, v := range tt.values {
				if err := s.addJSON([]byte(v)); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.sqlType(); got != tt.want {
				t.Errorf("sqlType = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanNoID(t *testing.T) {
	for _, item := range []string{`{"name":"x"}`, `{"id":{"a":1}}`, `{"id":null}`} {
		s := &shape{}
		if err := s.addJSON([]byte(item)); err != nil {
			t.Fatal(err)
		}
		if _, err := planUnnest(s, "things", "raw"); err == nil {
			t.Errorf("planUnnest(%s) succeeded, want an error about the id", item)
		}
	}
}

// baselineItems are candidates with nested objects, lists of objects and
// scalars, a list inside an object and a member whose kind varies.
var baselineItems = []string{
	`{"id":"c1","createdAt":"2024-01-02T03:04:05.678Z","name":"Ada","primaryEmailAddress":{"value":"a@x.example","isPrimary":true},` +
		`"tags":[{"id":"t1","title":"Fast"},{"id":"t2","title":"Remote"}],"applicationIds":["a1","a2","a3"],` +
		`"location":{"summary":"Berlin","components":[{"type":"City","name":"Berlin"}]},` +
		`"customFields":[{"title":"Level","value":"Senior"},{"title":"Languages","value":["de","en"]},` +
		`{"title":"Salary","value":{"value":100,"currencyCode":"EUR"}},{"title":"Remote","value":true}]}`,
	`{"id":"c2","createdAt":"2024-02-02T03:04:05Z","name":"Grace","primaryEmailAddress":null,"tags":[],` +
		`"applicationIds":["a4"],"location":null,"customFields":[{"title":"Score","value":4.5},` +
		`{"title":"Languages","value":["fr"]}],"school":null}`,
}

func TestDuckBaseline(t *testing.T) {
	dir := t.TempDir()
	items := filepath.Join(dir, "items.jsonl")
	if err := os.WriteFile(items, []byte(strings.Join(baselineItems, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sh := &shape{}
	for _, it := range baselineItems {
		if err := sh.addJSON([]byte(it)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	dbPath := filepath.Join(dir, "baseline.duckdb")
	b, err := runDuckBaseline(ctx, dbPath, items, sh)
	if err != nil {
		t.Fatalf("runDuckBaseline: %v", err)
	}
	wantRows := map[string]int64{
		"candidates":                       2,
		"candidates__tags":                 2,
		"candidates__application_ids":      4,
		"candidates__location__components": 1,
		"candidates__custom_fields":        6,
		"candidates__custom_fields__value": 3,
	}
	for table, n := range wantRows {
		if b.rows[table] != n {
			t.Errorf("%s has %d rows, want %d", table, b.rows[table], n)
		}
	}
	if len(b.rows) != len(wantRows) {
		t.Errorf("tables %v, want those of %v", b.rows, wantRows)
	}

	tables, err := readTables(ctx, dbPath, "main", "candidates")
	if err != nil {
		t.Fatal(err)
	}
	wantColumns := map[string][]string{
		"candidates": {"application_ids", "created_at", "id", "location__summary", "name",
			"primary_email_address__is_primary", "primary_email_address__value"},
		"candidates__custom_fields": {"_rl_idx1", "_rl_root_id", "title", "value",
			"value__currency_code", "value__value"},
		"candidates__custom_fields__value": {"_rl_idx1", "_rl_idx2", "_rl_root_id", "value"},
		"candidates__application_ids":      {"_rl_idx1", "_rl_root_id", "value"},
	}
	for table, want := range wantColumns {
		var got []string
		for col := range tables[table].columns {
			got = append(got, col)
		}
		slices.Sort(got)
		if table == "candidates" {
			// application_ids is a child table, not a column.
			want = slices.DeleteFunc(want, func(c string) bool { return c == "application_ids" })
		}
		if !slices.Equal(got, want) {
			t.Errorf("columns of %s = %v, want %v", table, got, want)
		}
	}
	if typ := tables["candidates"].columns["created_at"]; typ != "TIMESTAMP WITH TIME ZONE" {
		t.Errorf("created_at is %s, want TIMESTAMP WITH TIME ZONE", typ)
	}
	if typ := tables["candidates__custom_fields"].columns["value__value"]; typ != "BIGINT" {
		t.Errorf("value__value is %s, want BIGINT", typ)
	}

	db, err := sql.Open("duckdb", dbPath+"?access_mode=read_only&"+duckDSNOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := queryRows(t, db, `SELECT _rl_root_id || ' ' || _rl_idx1 || ' ' || _rl_idx2 || ' ' || value
		FROM candidates__custom_fields__value ORDER BY ALL`)
	want := []string{"c1 1 0 de", "c1 1 1 en", "c2 1 0 fr"}
	if !slices.Equal(got, want) {
		t.Errorf("custom field list values = %q, want %q", got, want)
	}
	got = queryRows(t, db, `SELECT _rl_root_id || ' ' || _rl_idx1 || ' ' || title FROM candidates__tags ORDER BY ALL`)
	want = []string{"c1 0 Fast", "c1 1 Remote"}
	if !slices.Equal(got, want) {
		t.Errorf("tags = %q, want %q", got, want)
	}
	got = queryRows(t, db, `SELECT title || ' ' || coalesce(value__currency_code, '-') || ' ' || CAST(value AS VARCHAR)
		FROM candidates__custom_fields WHERE _rl_root_id = 'c1' ORDER BY _rl_idx1`)
	want = []string{`Level - "Senior"`, `Languages - ["de","en"]`, `Salary EUR {"value":100,"currencyCode":"EUR"}`, "Remote - true"}
	if !slices.Equal(got, want) {
		t.Errorf("custom fields of c1 = %q, want %q", got, want)
	}
}

func queryRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTableDiff(t *testing.T) {
	restload := map[string]*tableInfo{
		"c":       {rows: 2, columns: map[string]string{"_rl_id": "VARCHAR", "id": "VARCHAR", "n": "BIGINT", "v__v_text": "VARCHAR"}},
		"c__tags": {rows: 3, columns: map[string]string{"value": "VARCHAR"}},
		"c__x":    {rows: 1, columns: map[string]string{"value": "VARCHAR"}},
	}
	baseline := map[string]*tableInfo{
		"c":       {rows: 2, columns: map[string]string{"_rl_root_id": "VARCHAR", "id": "VARCHAR", "n": "DOUBLE", "extra": "JSON"}},
		"c__tags": {rows: 4, columns: map[string]string{"value": "VARCHAR"}},
		"c__y":    {rows: 5, columns: map[string]string{"value": "VARCHAR"}},
	}
	want := []string{
		"`c`: columns only in restload: v__v_text VARCHAR",
		"`c`: columns only in SQL: extra JSON",
		"`c`: types differ: n (BIGINT in restload, DOUBLE in SQL)",
		"`c__tags`: 3 rows in restload, 4 in SQL",
		"`c__x`: only restload makes it (1 rows)",
		"`c__y`: only the SQL path makes it (5 rows)",
	}
	if got := tableDiff(restload, baseline); !slices.Equal(got, want) {
		t.Errorf("tableDiff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := tableDiff(restload, restload); len(got) != 0 {
		t.Errorf("tableDiff of equal tables = %q, want nothing", got)
	}
}
