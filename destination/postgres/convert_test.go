package postgres_test

import (
	"strings"
	"testing"

	"github.com/restload/restload/destination/postgres"
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
		{"1.0000000015", 9, "1000000002", false},
		{"1e3", 9, "1000000000000", true},
		{"1.5E-3", 9, "1500000", true},
		{"25e-1", 0, "3", false},
		{"4.0E2", 0, "400", true},
		{"1e-400", 9, "0", false},
		{"12345678901234567890123456789.123456789", 9, "12345678901234567890123456789123456789", true},
		{"99999999999999999999999999999.9999999995", 9, "error: more than 38 digits", false},
		{"1e400", 9, "error: more than 38 digits", false},
		{"1e99999999999999999999", 9, "error: exponent out of range", false},
		{"12345678901234567890", 0, "error: more than 19 digits", false},
	}
	for _, tt := range tests {
		max := 38
		if tt.scale == 0 {
			max = 19
		}
		n, exact, err := postgres.ScaleNumber(tt.num, tt.scale, max)
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

func TestHasNulEscape(t *testing.T) {
	tests := []struct {
		json string
		want bool
	}{
		{`"a\u0000b"`, true},
		{`{"k":["\u0000"]}`, true},
		{`"a\\u0000"`, false}, // an escaped backslash, then text
		{`"\u00000"`, true},
		{`"\u0001"`, false},
		{`"plain"`, false},
		{`"ends with \\"`, false},
	}
	for _, tt := range tests {
		if got := postgres.HasNulEscape([]byte(tt.json)); got != tt.want {
			t.Errorf("hasNulEscape(%s) = %v, want %v", tt.json, got, tt.want)
		}
	}
}
