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
// of its table, and that a second run writes the same files. The bits of
// config switch on column hints (PII modes, data types), a contract
// mode, write disposition history and a short identifier limit.
func FuzzNormalize(f *testing.F) {
	f.Add(`{"id":1,"userId":"a","tags":["x"],"cf":[{"value":true},{"value":"s"}]}`, 0, false, uint8(0))
	f.Add("{\"id\":\"c1\",\"a\":{\"b\":[[1],[2,[3]]]}}\n{\"id\":\"c2\",\"a\":{\"b\":{\"c\":1}}}", 2, true, uint8(0))
	f.Add("5\n\"x\"\n[1,{\"a\":null}]\nnull", 1, false, uint8(0))
	f.Add(`{"k":1,"K":"2024-01-05T10:15:00+01:00","k_":12345678901234567890.5,"k":{}}`, 0, false, uint8(0))
	f.Add(`{"id":"c1","email":"a@example.com","tags":["x",{"value":"y"}],"b":{"c":1,"d":[1]},"a":[{"b":2}]}`, 1, true, uint8(1))
	f.Add(`{"id":2,"name":7,"tags":[{"z":1}],"new":{"x":[1]}}`, 0, true, uint8(2|8))
	f.Add(`{"id":3,"n":"42","s":1.5,"j":{"a":[1]},"ts":"2024-01-05T10:15:00","d":"2024-02-29","a_very_long_member_name_indeed":[{"another_long_member":1}]}`, 0, true, uint8(32|16|6))
	f.Fuzz(func(t *testing.T, input string, maxNesting int, withKey bool, config uint8) {
		if maxNesting < 0 || maxNesting > 5 {
			maxNesting = 0
		}
		first, err1 := fuzzRun(t, input, maxNesting, withKey, config)
		second, err2 := fuzzRun(t, input, maxNesting, withKey, config)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(first, second) {
			t.Fatalf("second run differs: errors %v, %v", err1, err2)
		}
	})
}

// fuzzHints returns the hints that config selects.
func fuzzHints(maxNesting int, withKey bool, config uint8) schema.Hints {
	h := schema.Hints{Table: "items", MaxNesting: maxNesting}
	if withKey {
		h.PrimaryKey = []string{"id"}
	}
	cols := map[string]schema.ColumnHint{}
	if config&1 != 0 {
		cols["email"] = schema.ColumnHint{PII: schema.PIIMask}
		cols["tags"] = schema.ColumnHint{PII: schema.PIIHash}
		cols["a"] = schema.ColumnHint{PII: schema.PIIDrop}
		cols["b.c"] = schema.ColumnHint{PII: schema.PIIDrop}
		cols["b.d"] = schema.ColumnHint{PII: schema.PIIMask}
		if withKey {
			cols["id"] = schema.ColumnHint{PII: schema.PIIHash}
		}
	}
	h.Contract = schema.ContractAll([]schema.ContractMode{
		schema.Evolve, schema.DiscardRow, schema.DiscardValue, schema.Freeze}[config>>1&3])
	if config&8 != 0 && withKey {
		h.WriteDisposition = schema.History
	}
	if config&32 != 0 {
		cols["n"] = schema.ColumnHint{DataType: schema.BigInt}
		cols["s"] = schema.ColumnHint{DataType: schema.Text}
		cols["j"] = schema.ColumnHint{DataType: schema.JSON}
		cols["ts"] = schema.ColumnHint{DataType: schema.Timestamp}
		cols["name"] = schema.ColumnHint{Nullable: new(bool)}
		h.Detections = []schema.Detection{schema.DetectISODate}
	}
	if len(cols) > 0 {
		h.Columns = cols
	}
	return h
}

// fuzzRun normalizes a first package that creates the table, so that
// contracts have something to guard, then input as a second package. It
// returns the files of the second package and the error of Normalize.
func fuzzRun(t *testing.T, input string, maxNesting int, withKey bool, config uint8) ([]byte, error) {
	t.Helper()
	s := schema.New("fuzz")
	h := fuzzHints(maxNesting, withKey, config)
	seed := h
	seed.Contract = schema.Contract{}
	limit := 0
	if config&16 != 0 {
		limit = schema.MinIdentifierLength
	}
	first := normalize.New(s, "1", t.TempDir())
	normalize.SkipSync(first)
	first.HashKey, first.MaxIdentifierLength = []byte("fuzz"), limit
	if err := first.Normalize(seed, strings.NewReader(`{"id":1,"name":"x","tags":["t"]}`)); err != nil {
		t.Fatalf("seed package: %v", err)
	}
	if _, err := first.Close(); err != nil {
		t.Fatal(err)
	}

	n := normalize.New(s, "2", t.TempDir())
	normalize.SkipSync(n)
	n.HashKey, n.MaxIdentifierLength = []byte("fuzz"), limit
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
