package normalize

import (
	"testing"
)

func TestAppendMask(t *testing.T) {
	tests := []struct {
		in       string
		isString bool
		want     string
	}{
		{"jane.doe@example.com", true, "j***@example.com"},
		{"J@example.co.uk", true, "J***@example.co.uk"},
		{"@example.com", true, "***@example.com"},
		{"ölaf@exämple.de", true, "ö***@exämple.de"},
		{"a@b", true, "***"},                // no dot in the domain
		{"name@host.", true, "n***"},        // a dot at the end is no domain
		{"x@y.com <x@y.com>", true, "x***"}, // the domain part holds a space
		{"first@second@example.org", true, "f***@example.org"},
		{"Ada Lovelace", true, "A***"},
		{"+49 30 1234", true, "+***"},
		{"abcd", true, "a***"},
		{"abc", true, "***"},
		{"", true, "***"},
		{"12345", false, "***"},
		{"true", false, "***"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(appendMask([]byte("x"), tt.isString, []byte(tt.in))); got != "x"+tt.want {
				t.Errorf("appendMask(%q) = %q, want %q", tt.in, got, "x"+tt.want)
			}
		})
	}
}

func TestIsNumber(t *testing.T) {
	for in, want := range map[string]bool{
		"0": true, "-12": true, "3.25": true, "1e3": true, "-0.5E-7": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, " 1": false, "0x1F": false,
	} {
		if got := isNumber([]byte(in)); got != want {
			t.Errorf("isNumber(%q) = %v, want %v", in, got, want)
		}
	}
}
