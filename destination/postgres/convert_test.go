package postgres_test

import (
	"testing"

	"github.com/restload/restload/destination/postgres"
)

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
