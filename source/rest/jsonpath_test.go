package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONPathSelect(t *testing.T) {
	doc := `{"data": {"items": [{"id": 12345678901234567890, "tags": ["a"]}, {"id": 2.50, "tags": []}]},
		"next": null, "a.b": {"c": 1}, "meta": {"id": "m"}}`
	tests := []struct {
		path string
		want string
	}{
		{"$", strings.Join(strings.Fields(doc), " ")},
		{"data.items", `[{"id": 12345678901234567890, "tags": ["a"]}, {"id": 2.50, "tags": []}]`},
		{"$.data.items[*].id", `12345678901234567890|2.50`},
		{"$.data.items[0].id", `12345678901234567890`},
		{"$.data.items[-1].id", `2.50`},
		{"$.data.items[5]", ``},
		{"$['a.b'].c", `1`},
		{`$["a.b"]["c"]`, `1`},
		{"$..id", `12345678901234567890|2.50|"m"`},
		{"$.next", `null`},
		{"$.missing", ``},
		{"$.data.items.id", ``},
		{"$.meta.*", `"m"`},
		{"$.data.items[0].tags[*]", `"a"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := compilePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := p.Select(json.RawMessage(doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vals {
				got = append(got, strings.Join(strings.Fields(string(v)), " "))
			}
			if g := strings.Join(got, "|"); g != tc.want {
				t.Errorf("Select(%s) = %s, want %s", tc.path, g, tc.want)
			}
		})
	}
}

func TestJSONPathCompileErrors(t *testing.T) {
	for _, expr := range []string{"", "$.", "$[", "$['a'", "$[x]", "$..", "$.a[1", "$ a", "*"} {
		t.Run(expr, func(t *testing.T) {
			if _, err := compilePath(expr); err == nil {
				t.Errorf("compilePath(%q) succeeded, want an error", expr)
			}
		})
	}
}

func TestJSONPathRejectsInvalidJSON(t *testing.T) {
	for _, expr := range []string{"$", "$.a"} {
		p, _ := compilePath(expr)
		if _, err := p.Select(json.RawMessage(`{"a": 1,`)); err == nil {
			t.Errorf("Select(%s) on broken JSON returned no error", expr)
		}
	}
}

func FuzzJSONPath(f *testing.F) {
	f.Add("$.data.items[*].id", `{"data":{"items":[{"id":1}]}}`)
	f.Add("$..id", `[{"id":1},{"x":{"id":2}}]`)
	f.Add(`$['a.b'][0]`, `{"a.b":[true]}`)
	f.Add("results[-1]", `{"results":[1,2]}`)
	f.Fuzz(func(t *testing.T, expr, doc string) {
		p, err := compilePath(expr)
		if err != nil {
			return
		}
		if p.String() != expr {
			t.Fatalf("String() = %q, want %q", p.String(), expr)
		}
		vals, err := p.Select(json.RawMessage(doc))
		if err != nil {
			return
		}
		if !json.Valid([]byte(doc)) && len(vals) > 0 && p.isRoot() {
			t.Fatalf("root path returned values of invalid JSON %q", doc)
		}
		for _, v := range vals {
			if json.Valid([]byte(doc)) && !json.Valid(v) {
				t.Fatalf("Select(%q) on %q returned invalid JSON %q", expr, doc, v)
			}
		}
	})
}
