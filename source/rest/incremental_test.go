package rest

import (
	"encoding/json"
	"testing"
)

func TestCompareCursors(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		err  bool
	}{
		{`10`, `9`, 1, false},
		{`12345678901234567890`, `12345678901234567891`, -1, false},
		{`1.50`, `1.5`, 0, false},
		{`"2024-01-01T10:00:00Z"`, `"2024-01-01T11:00:00+01:00"`, 0, false},
		{`"2024-01-02"`, `"2024-01-01"`, 1, false},
		{`"abc"`, `"abd"`, -1, false},
		{`"2024-01-01"`, `5`, 0, true},
		{`true`, `true`, 0, true},
	}
	for _, tc := range tests {
		got, err := compareCursors(json.RawMessage(tc.a), json.RawMessage(tc.b))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("compareCursors(%s, %s) = %d, %v; want %d, error %v", tc.a, tc.b, got, err, tc.want, tc.err)
		}
	}
}

func TestLagSubtract(t *testing.T) {
	tests := []struct{ lag, value, want string }{
		{"1h", `"2024-01-01T10:00:00Z"`, `"2024-01-01T09:00:00Z"`},
		{"90s", `"2024-01-01T10:00:00.5+02:00"`, `"2024-01-01T09:58:30.5+02:00"`},
		{"48h", `"2024-01-03"`, `"2024-01-01"`},
		{"10", `100`, `90`},
		{"0.5", `2`, `1.500000000`},
	}
	for _, tc := range tests {
		l, err := parseLag(tc.lag)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.subtract(json.RawMessage(tc.value))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s minus %s = %s, %v; want %s", tc.value, tc.lag, got, err, tc.want)
		}
	}
	if _, err := parseLag("soon"); err == nil {
		t.Error("lag soon parsed")
	}
}

func TestTemplateRender(t *testing.T) {
	tpl, err := parseTemplate("a/{resources.p.id}/{{lit}}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.render(func(*placeholder) (json.RawMessage, error) { return json.RawMessage(`"x/y"`), nil }, nil)
	if err != nil || got != "a/x/y/{lit}" {
		t.Errorf("render = %q, %v", got, err)
	}
	for _, bad := range []string{"{", "}", "{resources.p}", "{incremental.nope}", "{other}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q) succeeded", bad)
		}
	}
	body, _ := parseBody(map[string]any{"n": "{resources.p.id}", "s": "id-{resources.p.id}"})
	out, err := body.render(func(*placeholder) (json.RawMessage, error) { return json.RawMessage(`42`), nil })
	if raw, _ := json.Marshal(out); err != nil || string(raw) != `{"n":42,"s":"id-42"}` {
		t.Errorf("body %s, %v; want the single placeholder to keep its number type", raw, err)
	}
}
