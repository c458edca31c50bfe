package normalize

import (
	"testing"

	"github.com/restload/restload/schema"
)

func TestNumberType(t *testing.T) {
	tests := []struct {
		lit  string
		want schema.DataType
	}{
		{"0", schema.BigInt},
		{"-0", schema.BigInt},
		{"42", schema.BigInt},
		{"-9223372036854775808", schema.BigInt},
		{"9223372036854775807", schema.BigInt},
		{"9223372036854775808", schema.Decimal},
		{"10000000000000000000", schema.Double}, // 1e19 is exact in float64
		{"12345678901234567890", schema.Decimal},
		{"123456789012345678901234567890", schema.Text}, // 30 integer digits
		{"12345678901234567890123456789", schema.Decimal},
		{"3.25", schema.Double},
		{"0.1", schema.Double},
		{"1e3", schema.Double},
		{"1E+3", schema.Double},
		{"-0.0", schema.Double},
		{"0e999999999999", schema.Double},
		{"2.0", schema.Double},
		{"0.30000000000000004", schema.Double},
		{"1.7976931348623157e308", schema.Double},
		{"5e-324", schema.Double},
		{"1e400", schema.Text},
		{"1e-400", schema.Text},
		{"1e99999999999999999999", schema.Text},
		{"0.123456789", schema.Double},
		{"1.0000000000000001", schema.Text},     // 16 fraction digits
		{"12345678.000000001", schema.Decimal},  // 17 digits, not a float64
		{"0.12345678901234567891", schema.Text}, // 20 fraction digits
		{"123456789012345678.123456789", schema.Decimal},
		{"99999999999999999999999999999.999999999", schema.Decimal},
		{"1e28", schema.Double},
		{"1.5e-12", schema.Double},
	}
	var scratch []byte
	for _, tt := range tests {
		t.Run(tt.lit, func(t *testing.T) {
			if got := numberType([]byte(tt.lit), &scratch); got != tt.want {
				t.Errorf("numberType(%s) = %s, want %s", tt.lit, got, tt.want)
			}
		})
	}
}

func TestNumberFits(t *testing.T) {
	tests := []struct {
		typ  schema.DataType
		lit  string
		want bool
	}{
		{schema.BigInt, "7", true},
		{schema.BigInt, "7.0", false},
		{schema.BigInt, "1e2", false},
		{schema.Double, "7", true},
		{schema.Double, "9007199254740992", true},
		{schema.Double, "9007199254740993", false},
		{schema.Double, "-9223372036854775808", true},
		{schema.Double, "9223372036854775807", false},
		{schema.Double, "12345678901234567890", false},
		{schema.Decimal, "7", true},
		{schema.Decimal, "9223372036854775807", true},
		{schema.Decimal, "0.5", true},
		{schema.Decimal, "1e-9", true},
		{schema.Decimal, "1e-10", false},
		{schema.Decimal, "1e28", true},
		{schema.Decimal, "1e29", false},
		{schema.Text, "1e400", true},
		{schema.Text, "7", false},
		{schema.Bool, "1", false},
		{schema.Timestamp, "1700000000", false},
	}
	n := &Normalizer{}
	for _, tt := range tests {
		if got := n.numberFits(tt.typ, []byte(tt.lit)); got != tt.want {
			t.Errorf("numberFits(%s, %s) = %v, want %v", tt.typ, tt.lit, got, tt.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	tests := []struct {
		in, want string // want "" when in is not a timestamp
	}{
		{"2024-01-05T10:15:00.123+01:00", "2024-01-05T09:15:00.123Z"},
		{"2024-01-05T10:15:00Z", "2024-01-05T10:15:00Z"},
		{"2024-01-05t10:15:00z", "2024-01-05T10:15:00Z"},
		{"2024-01-05 10:15:00Z", "2024-01-05T10:15:00Z"},
		{"2024-01-05T10:15Z", "2024-01-05T10:15:00Z"},
		{"2024-01-05T10:15:00.000Z", "2024-01-05T10:15:00.000Z"},
		{"2024-01-05T10:15:00.5-0530", "2024-01-05T15:45:00.5Z"},
		{"2024-01-05T00:15:00+01", "2024-01-04T23:15:00Z"},
		{"2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"},
		{"2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"},
		{"9999-12-31T23:59:59-01:00", ""}, // year 10000 in UTC
		{"0000-01-01T00:30:00+01:00", ""}, // year -1 in UTC
		{"2024-01-05T10:15:00.123456Z", "2024-01-05T10:15:00.123456Z"},
		{"2024-01-05T10:15:00.123456000Z", "2024-01-05T10:15:00.123456000Z"},
		{"2024-01-05T10:15:00.1234567Z", ""},
		{"2024-01-05T10:15:00.Z", ""},
		{"2024-01-05T10:15:00", ""},
		{"2024-01-05", ""},
		{"2023-02-29T12:00:00Z", ""},
		{"1900-02-29T12:00:00Z", ""},
		{"2024-04-31T12:00:00Z", ""},
		{"2024-01-05T24:00:00Z", ""},
		{"2024-01-05T23:60:00Z", ""},
		{"2024-01-05T23:59:60Z", ""},
		{"2024-01-05T10:15:00+24:00", ""},
		{"2024-01-05T10:15:00+01:60", ""},
		{"2024-01-05T10:15:00+1:00", ""},
		{"2024-01-05T10:15:00 Z", ""},
		{"2024-01-05T10:15:00ZZ", ""},
		{"2024-1-05T10:15:00Z", ""},
		{"Wed, 29 Jun 2022 13:56:34 +0000", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := appendTimestamp([]byte("x"), []byte(tt.in))
			want := `x"` + tt.want + `"`
			if tt.want == "" {
				want = "x"
			}
			if ok != (tt.want != "") || string(got) != want {
				t.Errorf("appendTimestamp(%q) = %s, %v; want %s", tt.in, got, ok, want)
			}
		})
	}
}

func TestIsDate(t *testing.T) {
	for s, want := range map[string]bool{
		"2024-01-05": true, "2024-02-29": true, "2023-02-29": false,
		"2024-13-01": false, "2024-01-5": false, "2024-01-05T00:00:00Z": false,
	} {
		if got := isDate([]byte(s)); got != want {
			t.Errorf("isDate(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestAppendCompact(t *testing.T) {
	in := ` { "a b" : [ 1 , "x \" y\\" ] ,"c":{ } } `
	want := `{"a b":[1,"x \" y\\"],"c":{}}`
	if got := string(appendCompact(nil, []byte(in))); got != want {
		t.Errorf("appendCompact = %s, want %s", got, want)
	}
}
