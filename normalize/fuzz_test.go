package normalize_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

// FuzzNormalize normalizes arbitrary lines and checks that nothing
// panics, that every written line is a JSON object whose keys are columns
// of its table, and that a second run writes the same files.
func FuzzNormalize(f *testing.F) {
	f.Add(`{"id":1,"userId":"a","tags":["x"],"cf":[{"value":true},{"value":"s"}]}`, 0, false)
	f.Add("{\"id\":\"c1\",\"a\":{\"b\":[[1],[2,[3]]]}}\n{\"id\":\"c2\",\"a\":{\"b\":{\"c\":1}}}", 2, true)
	f.Add("5\n\"x\"\n[1,{\"a\":null}]\nnull", 1, false)
	f.Add(`{"k":1,"K":"2024-01-05T10:15:00+01:00","k_":12345678901234567890.5,"k":{}}`, 0, false)
	f.Fuzz(func(t *testing.T, input string, maxNesting int, withKey bool) {
		if maxNesting < 0 || maxNesting > 5 {
			maxNesting = 0
		}
		h := schema.Hints{Table: "items", MaxNesting: maxNesting}
		if withKey {
			h.PrimaryKey = []string{"id"}
		}
		first, err1 := fuzzRun(t, h, input)
		second, err2 := fuzzRun(t, h, input)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(first, second) {
			t.Fatalf("second run differs: errors %v, %v", err1, err2)
		}
	})
}

// fuzzRun normalizes input and returns the written files and the error of
// Normalize.
func fuzzRun(t *testing.T, h schema.Hints, input string) ([]byte, error) {
	t.Helper()
	s := schema.New("fuzz")
	n := normalize.New(s, "1", t.TempDir())
	err := n.Normalize(h, strings.NewReader(input))
	files, cerr := n.Close()
	if cerr != nil {
		t.Fatalf("Close: %v", cerr)
	}
	checkFiles(t, s, files)
	var out bytes.Buffer
	for _, f := range files {
		b, rerr := os.ReadFile(f.Path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		out.WriteString(f.Table + "\n")
		out.Write(b)
	}
	return out.Bytes(), err
}
