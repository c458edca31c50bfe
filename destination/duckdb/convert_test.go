package duckdb

import (
	"strings"
	"testing"
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
		max := decimalDigits
		if tt.scale == 0 {
			max = bigintDigits
		}
		n, exact, err := scaleNumber(tt.num, tt.scale, max)
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
