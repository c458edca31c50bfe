package normalize

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

var parseSeeds = []string{
	`{}`, `[]`, `1`, `-0.5e+3`, `"x"`, `true`, `false`, `null`,
	` { "a" : [ 1 , { "b" : null } ] , "c" : "d" } `,
	`{"a":1,"a":2}`, `{"a":{"b":{"c":[[[]]]}}}`, "\t[1,\r2]\r",
	`"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`, `"é😀"`,
	`{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `[1 2]`, `{"a":1}}`, `]`, `{`, `[`,
	`01`, `1.`, `.5`, `1e`, `-`, `+1`, `0x10`, `1.5e+`, `tru`, `nul`, `truex`,
	`"\x"`, `"\u12"`, `"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, "\"a\x01\"", "\"\xff\"",
	"\"\xed\xa0\x80\"", `{} {}`, `1 2`, `"a"b`, `[1]x`, "\xef\xbb\xbf{}", `NaN`, `Infinity`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

// TestParse_matchesJSONText checks that the parser accepts exactly the
// values that jsontext accepts (allowing repeated names), and that each
// node's span holds a valid value.
func TestParse_matchesJSONText(t *testing.T) {
	var p parser
	for _, s := range parseSeeds {
		checkParse(t, &p, []byte(s))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	var p parser
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '\n') {
			return // the line reader never passes a newline
		}
		checkParse(t, &p, []byte(s))
	})
}

func checkParse(t *testing.T, p *parser, line []byte) {
	t.Helper()
	root, err := p.parse(line)
	want := validJSON(line)
	if (err == nil) != want {
		t.Fatalf("parse(%q): error %v, jsontext valid %v", short(line), err, want)
	}
	if err != nil {
		var se *syntaxError
		if !errors.As(err, &se) || se.off < 0 || se.off > len(line) {
			t.Fatalf("parse(%q): error %v, want a syntaxError inside the line", short(line), err)
		}
		return
	}
	if int(root) >= len(p.nodes) {
		t.Fatalf("parse(%q): root %d of %d nodes", short(line), root, len(p.nodes))
	}
	// Checking every node of a deep value would take quadratic time.
	for i, nd := range p.nodes[:min(len(p.nodes), 100)] {
		v := line[nd.val.start:nd.val.end]
		if !jsontext.Value(v).IsValid(jsontext.AllowDuplicateNames(true)) {
			t.Fatalf("parse(%q): node %d holds %q, not a JSON value", short(line), i, short(v))
		}
		if nd.kind != kindNumber && v[0] != nd.kind {
			t.Fatalf("parse(%q): node %d of kind %c holds %q", short(line), i, nd.kind, short(v))
		}
		if nd.key != (span{}) {
			k := line[nd.key.start:nd.key.end]
			if !jsontext.Value(k).IsValid() || k[0] != '"' {
				t.Fatalf("parse(%q): node %d has key %q", short(line), i, short(k))
			}
		}
	}
}

// validJSON reports whether jsontext reads line as exactly one JSON
// value with optional surrounding whitespace.
func validJSON(line []byte) bool {
	d := jsontext.NewDecoder(bytes.NewReader(line), jsontext.AllowDuplicateNames(true))
	if _, err := d.ReadValue(); err != nil {
		return false
	}
	_, err := d.ReadToken()
	return errors.Is(err, io.EOF)
}

func short(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:40:40], "…"...)
	}
	return b
}

func TestParse_errors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,}`, `invalid JSON at byte 8: found '}' where a member name should start`},
		{`[1,]`, `invalid JSON at byte 4: found ']' where a value should start`},
		{`{"a" 1}`, `invalid JSON at byte 6: found '1' after a member name; expected ':'`},
		{`[1 2]`, `invalid JSON at byte 4: found '2' after an array element; expected ',' or ']'`},
		{`{"a":[1`, `invalid JSON at byte 8: the line ends after an array element; expected ',' or ']'`},
		{`"abc`, `invalid JSON at byte 5: the line ends inside a string`},
		{`{} {}`, `invalid JSON at byte 4: found '{' after the value; each line holds one JSON value`},
		{`1.`, `invalid JSON at byte 3: the line ends after a decimal point; expected a digit`},
		{`"\q"`, `invalid JSON at byte 2: invalid escape sequence \q`},
	}
	var p parser
	for _, tt := range tests {
		_, err := p.parse([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("parse(%s) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	in := "a\r\n\n" + long + "\nlast"
	var r lineReader
	r.reset(strings.NewReader(in))
	var got []string
	for {
		b, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	want := []string{"a\r", "", long, "last"}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, short([]byte(got[i])), short([]byte(want[i])))
		}
	}
}
