package sqlload

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

func testTable(parent string) *schema.Table {
	return &schema.Table{
		Name:   "jobs",
		Parent: parent,
		Columns: []*schema.Column{
			{Name: "id", Type: schema.BigInt},
			{Name: "title", Type: schema.Text},
		},
	}
}

// textValue converts every value to its JSON text, so that tests see
// which member went to which position.
func textValue(_ schema.DataType, v jsontext.Value) (string, error) {
	return string(v), nil
}

// readRows reads every object of text with ReadObject.
func readRows(t *testing.T, s *Stage, text string) ([][]string, error) {
	t.Helper()
	dec := jsontext.NewDecoder(strings.NewReader(text))
	var rows [][]string
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if tok.Kind() != '{' {
			t.Fatalf("token %s, want an object", tok)
		}
		row := make([]string, s.Width())
		if err := ReadObject(s, dec, row, textValue); err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func TestStage_Columns(t *testing.T) {
	root := NewStage(testTable(""), `"r"`)
	if got, want := root.Columns(), []string{"id", "title", destination.SeqField}; !reflect.DeepEqual(got, want) {
		t.Errorf("root Columns() = %v, want %v", got, want)
	}
	if root.Width() != 3 {
		t.Errorf("root Width() = %d, want 3", root.Width())
	}
	child := NewStage(testTable("parent"), `"c"`)
	if got, want := child.Columns(), []string{"id", "title"}; !reflect.DeepEqual(got, want) {
		t.Errorf("child Columns() = %v, want %v", got, want)
	}
	if child.Width() != 2 {
		t.Errorf("child Width() = %d, want 2", child.Width())
	}
}

func TestReadObject_Root(t *testing.T) {
	s := NewStage(testTable(""), `"r"`)
	text := `{"title":"a","id":1,"_rl_seq":7}` + "\n" + `{"id":2}` + "\n" + `{"ti\u0074le":"esc"}`
	rows, err := readRows(t, &s, text)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1", `"a"`, "7"}, {"2", "", ""}, {"", `"esc"`, ""}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
}

func TestReadObject_ChildIgnoresSeq(t *testing.T) {
	s := NewStage(testTable("parent"), `"c"`)
	rows, err := readRows(t, &s, `{"id":1,"_rl_seq":7,"title":"a"}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"1", `"a"`}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
}

func TestReadObject_Errors(t *testing.T) {
	failing := func(typ schema.DataType, v jsontext.Value) (string, error) {
		if typ == schema.Text {
			return "", errors.New("bad text")
		}
		return string(v), nil
	}
	s := NewStage(testTable(""), `"r"`)
	tests := []struct {
		name    string
		text    string
		convert func(schema.DataType, jsontext.Value) (string, error)
		want    string
	}{
		{"UnknownKey", `{"salary":1}`, textValue, `key "salary" is not a column of table jobs`},
		{"ConvertError", `{"id":1,"title":"x"}`, failing, "column title: bad text"},
		{"SeqConverted", `{"_rl_seq":"x"}`, func(typ schema.DataType, v jsontext.Value) (string, error) {
			if typ != schema.BigInt {
				t.Errorf("_rl_seq converted as %s, want %s", typ, schema.BigInt)
			}
			return "", errors.New("not a number")
		}, "column _rl_seq: not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := jsontext.NewDecoder(strings.NewReader(tt.text))
			if _, err := dec.ReadToken(); err != nil {
				t.Fatal(err)
			}
			row := make([]string, s.Width())
			err := ReadObject(&s, dec, row, tt.convert)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadObject(%s) error = %v, want %q", tt.text, err, tt.want)
			}
		})
	}
}

func TestStage_ColumnDefs(t *testing.T) {
	typeName := func(typ schema.DataType) (string, error) {
		if typ == schema.Date {
			return "", errors.New("no date type")
		}
		return strings.ToUpper(string(typ)), nil
	}
	root := NewStage(testTable(""), `"r"`)
	got, err := root.ColumnDefs(typeName)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"id" BIGINT, "title" TEXT, "_rl_seq" BIGINT`; got != want {
		t.Errorf("root ColumnDefs = %s, want %s", got, want)
	}
	child := NewStage(testTable("parent"), `"c"`)
	if got, err = child.ColumnDefs(typeName); err != nil || got != `"id" BIGINT, "title" TEXT` {
		t.Errorf("child ColumnDefs = %s, %v; want the columns without _rl_seq", got, err)
	}
	table := testTable("")
	table.Columns = append(table.Columns, &schema.Column{Name: "day", Type: schema.Date})
	bad := NewStage(table, `"b"`)
	if _, err := bad.ColumnDefs(typeName); err == nil || !strings.Contains(err.Error(), "column day: no date type") {
		t.Errorf("ColumnDefs error = %v, want one naming column day", err)
	}
}
