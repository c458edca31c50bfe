package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// checkIndexMatchesScan fails t unless reading body through its index
// gives what scanning the body gives: validity, each member's values by
// path, and the elements of each list member.
func checkIndexMatchesScan(t *testing.T, body []byte, names ...string) {
	t.Helper()
	resp := &Response{Body: body}
	idx := resp.index()
	if valid := json.Valid(body); valid != (idx.err == nil) {
		t.Fatalf("index of %q: error %v, json.Valid %v", body, idx.err, valid)
	}
	if idx.err != nil {
		return
	}
	for _, name := range names {
		path := &jsonPath{expr: name, steps: []pathStep{{kind: stepMember, name: name}}}
		want, werr := path.Select(body)
		got, gerr := path.selectIn(resp)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("member %q of %q: index error %v, scan error %v", name, body, gerr, werr)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("member %q of %q: index gives %q, scan gives %q", name, body, got, want)
		}
		for _, v := range got {
			elems, ok := resp.elements(v)
			if !isArray(v) {
				if ok {
					t.Fatalf("member %q of %q: elements of a value that is not a list", name, body)
				}
				continue
			}
			want, err := arrayElements(v, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || fmt.Sprintf("%q", elems) != fmt.Sprintf("%q", want) {
				t.Fatalf("elements of %q in %q: index gives %q (%v), scan gives %q", name, body, elems, ok, want)
			}
		}
	}
}

func TestBodyIndexMatchesScan(t *testing.T) {
	bodies := []string{
		`{"success": true, "results": [{"id": 1}, {"id": 2, "tags": ["a"]}], "nextCursor": "c2", "moreDataAvailable": true}`,
		` {"results": [], "nextCursor": null} `,
		`{"results": [1, [2, 3], {"a": []}], "results": {"twice": true}}`,
		`{"results": "not a list", "other": [null]}`,
		`[{"results": [1]}]`,
		`"results"`,
		`{"results": [1, 2}`,
		`{"results": [1, 2]} trailing`,
		`{"a": "\u00e9", "results": [ { "x" : 1 } , 2 ]}`,
		``,
	}
	for _, b := range bodies {
		checkIndexMatchesScan(t, []byte(b), "results", "nextCursor", "other", "missing")
	}
}

func TestBodyIndexFollowsReplacedBody(t *testing.T) {
	resp := &Response{Body: []byte(`{"results": [1, 2]}`)}
	path, err := compilePath("results")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := path.selectIn(resp); err != nil {
		t.Fatal(err)
	}
	// A response hook may rewrite the body after the engine read it.
	resp.Body = []byte(`{"results": [3]}`)
	got, err := path.selectIn(resp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0]) != "[3]" {
		t.Errorf("after replacing the body, results = %q, want [3]", got)
	}
	if elems, ok := resp.elements(got[0]); !ok || len(elems) != 1 || string(elems[0]) != "3" {
		t.Errorf("elements after replacing the body = %q, %v", elems, ok)
	}
}

func TestEachMember(t *testing.T) {
	tests := []struct {
		body    string
		want    string
		wantErr string
	}{
		{`{"success": true, "results": [1, 2], "syncToken": "t"}`, `success=true results=[1, 2] syncToken="t" `, ""},
		{`{}`, ``, ""},
		{`[1]`, ``, "not a JSON object"},
		{`{"success": tru}`, ``, "not JSON"},
	}
	for _, tt := range tests {
		var got bytes.Buffer
		err := (&Response{Body: []byte(tt.body)}).EachMember(func(name string, v json.RawMessage) error {
			fmt.Fprintf(&got, "%s=%s ", name, v)
			return nil
		})
		if tt.wantErr != "" {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) {
				t.Errorf("EachMember(%s) = %v, want an error containing %q", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("EachMember(%s) = %q, %v; want %q", tt.body, got.String(), err, tt.want)
		}
	}
}

func FuzzBodyIndex(f *testing.F) {
	f.Add([]byte(`{"results": [{"id": 1}], "nextCursor": "x"}`), "results")
	f.Add([]byte(`{"data": [[1], {"a": [2]}], "data": 3}`), "data")
	f.Add([]byte(`[1, 2]`), "results")
	f.Add([]byte(`{"a": 1,}`), "a")
	f.Fuzz(func(t *testing.T, body []byte, name string) {
		checkIndexMatchesScan(t, body, name)
	})
}

func TestFirstMemberMatchesSelect(t *testing.T) {
	objects := []string{
		`{"id": "a", "name": "x"}`,
		`{"name": "x", "id": {"nested": [1, 2]}}`,
		`{"id": 1, "id": 2}`,
		`{"name": "x"}`,
		`{}`,
		` {"a": [], "id": null} `,
	}
	path := &jsonPath{expr: "id", steps: []pathStep{{kind: stepMember, name: "id"}}}
	for _, obj := range objects {
		got, err := firstMember([]byte(obj), "id")
		if err != nil {
			t.Fatalf("firstMember(%s): %v", obj, err)
		}
		vals, err := path.Select([]byte(obj))
		if err != nil {
			t.Fatal(err)
		}
		var want json.RawMessage
		if len(vals) > 0 {
			want = vals[0]
		}
		if string(got) != string(want) {
			t.Errorf("firstMember(%s) = %s, Select gives %s first", obj, got, want)
		}
	}
}
