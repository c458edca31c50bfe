package sqlload

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/schema"
)

func TestScaleNumber(t *testing.T) {
	tests := []struct {
		num   string
		scale int
		want  string // unscaled integer, or "error: <part of message>"
		exact bool
	}{
		{"0", 9, "0", true},
		{"-0", 9, "0", true},
		{"1", 9, "1000000000", true},
		{"12.5", 9, "12500000000", true},
		{"-0.000000001", 9, "-1", true},
		{"0.0000000005", 9, "1", false},
		{"0.0000000004", 9, "0", false},
		{"-0.0000000005", 9, "-1", false},
		{"0.00000000001", 9, "0", false},
		{"1.0000000015", 9, "1000000002", false},
		{"1e3", 9, "1000000000000", true},
		{"1.5E-3", 9, "1500000", true},
		{"25e-1", 0, "3", false},
		{"2.0", 0, "2", true},
		{"4.0E2", 0, "400", true},
		{"1e-400", 9, "0", false},
		{"0e500", 9, "0", true},
		{"12345678901234567890123456789.123456789", 9, "12345678901234567890123456789123456789", true},
		{"99999999999999999999999999999.9999999995", 9, "error: more than 38 digits", false},
		{"123456789012345678901234567890", 9, "error: more than 38 digits", false},
		{"1e400", 9, "error: more than 38 digits", false},
		{"1e99999999999999999999", 9, "error: exponent out of range", false},
		{"9223372036854775808", 0, "9223372036854775808", true},
		{"12345678901234567890", 0, "error: more than 19 digits", false},
	}
	for _, tt := range tests {
		limit := DecimalDigits
		if tt.scale == 0 {
			limit = BigIntDigits
		}
		n, exact, err := scaleNumber(tt.num, tt.scale, limit)
		if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("scaleNumber(%s) error = %v, want %q", tt.num, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("scaleNumber(%s): %v", tt.num, err)
			continue
		}
		if n.String() != tt.want || exact != tt.exact {
			t.Errorf("scaleNumber(%s, %d) = %s, %v; want %s, %v", tt.num, tt.scale, n, exact, tt.want, tt.exact)
		}
	}
}

// testRules is a ValueRules whose values are easy to tell apart: JSON
// text becomes a []byte, decimals a string of the unscaled integer, and
// text with "bad" in it is rejected.
type testRules struct{}

func (testRules) Type(t schema.DataType) (string, error) { return "T_" + string(t), nil }

func (testRules) JSONValue(v jsontext.Value) (any, error) { return []byte(v), nil }

func (testRules) CheckText(s string) error {
	if strings.Contains(s, "bad") {
		return errors.New("text is bad")
	}
	return nil
}

func (testRules) DecimalValue(n *big.Int) any { return "dec:" + n.String() }

func TestConvert(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		typ  schema.DataType
		json string
		want any
	}{
		{"NullText", schema.Text, `null`, nil},
		{"NullJSON", schema.JSON, `null`, nil},
		{"Text", schema.Text, `"a\"b"`, `a"b`},
		{"BigInt", schema.BigInt, `42`, int64(42)},
		{"BigIntExponent", schema.BigInt, `1e3`, int64(1000)},
		{"Double", schema.Double, `1.5`, 1.5},
		{"Decimal", schema.Decimal, `12.5`, "dec:12500000000"},
		{"BoolTrue", schema.Bool, `true`, true},
		{"BoolFalse", schema.Bool, `false`, false},
		{"Timestamp", schema.Timestamp, `"2024-03-01T01:00:00+01:00"`, day},
		{"Date", schema.Date, `"2024-03-01"`, day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Convert(testRules{}, tt.typ, jsontext.Value(tt.json))
			if err != nil {
				t.Fatalf("Convert(%s, %s): %v", tt.typ, tt.json, err)
			}
			if ts, ok := got.(time.Time); ok {
				if !ts.Equal(tt.want.(time.Time)) {
					t.Errorf("Convert(%s, %s) = %v, want %v", tt.typ, tt.json, got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Convert(%s, %s) = %#v, want %#v", tt.typ, tt.json, got, tt.want)
			}
		})
	}
}

func TestConvert_Values(t *testing.T) {
	got, err := Convert(testRules{}, schema.JSON, jsontext.Value(`{"a":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := got.([]byte); !ok || string(b) != `{"a":[1]}` {
		t.Errorf("JSON value = %#v, want the text from JSONValue", got)
	}
	got, err = Convert(testRules{}, schema.Binary, jsontext.Value(`"AAH/"`))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := got.([]byte); !ok || string(b) != "\x00\x01\xff" {
		t.Errorf("binary value = %#v, want bytes 00 01 ff", got)
	}
}

func TestConvert_Errors(t *testing.T) {
	tests := []struct {
		name string
		typ  schema.DataType
		json string
		want string // part of the message
	}{
		{"TextNumber", schema.Text, `1`, "expected a JSON string, got number"},
		{"BigIntString", schema.BigInt, `"1"`, "expected a JSON number, got string"},
		{"BoolNumber", schema.Bool, `0`, "expected a JSON boolean, got number"},
		{"BigIntFraction", schema.BigInt, `2.5`, "is not an integer"},
		{"BigIntRange", schema.BigInt, `9223372036854775808`, "out of the T_bigint range"},
		{"DoubleRange", schema.Double, `1e400`, "out of the T_double range"},
		{"DecimalDigits", schema.Decimal, `1e40`, "more than 38 digits"},
		{"Timestamp", schema.Timestamp, `"yesterday"`, "invalid RFC 3339 timestamp"},
		{"Date", schema.Date, `"2024-3-1"`, "expected YYYY-MM-DD"},
		{"Binary", schema.Binary, `"%%"`, "invalid base64"},
		{"CheckText", schema.Text, `"bad"`, "text is bad"},
		{"UnknownType", schema.DataType("money"), `1`, `unknown data type "money"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert(testRules{}, tt.typ, jsontext.Value(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Convert(%s, %s) error = %v, want %q", tt.typ, tt.json, err, tt.want)
			}
		})
	}
}
