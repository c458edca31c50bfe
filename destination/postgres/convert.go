package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// convert returns the COPY value of one JSON value of a job file for a
// column of type t. JSON null becomes SQL NULL for every type.
func convert(t schema.DataType, v jsontext.Value) (any, error) {
	return sqlload.Convert(dialect{}, t, v)
}

// JSONValue rejects the escape \u0000, which jsonb cannot store, and
// returns a copy of v, because the decoder reuses its buffer.
func (dialect) JSONValue(v jsontext.Value) (any, error) {
	if hasNulEscape(v) {
		return nil, errors.New(`JSON value contains the escape \u0000, which PostgreSQL's jsonb cannot store`)
	}
	return json.RawMessage(bytes.Clone(v)), nil
}

// CheckText rejects text with a NUL character, which a text column
// cannot store.
func (dialect) CheckText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("text contains a NUL character, which PostgreSQL cannot store in a text column")
	}
	return nil
}

// DecimalValue returns n as a numeric with DecimalScale fraction digits.
func (dialect) DecimalValue(n *big.Int) any {
	return pgtype.Numeric{Int: n, Exp: -sqlload.DecimalScale, Valid: true}
}

// hasNulEscape reports whether the JSON text v contains the escape
// \u0000 in a string. Backslashes occur in valid JSON only inside
// strings, so a scan of escapes finds every one.
func hasNulEscape(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			continue
		}
		if i+5 < len(v) && v[i+1] == 'u' && string(v[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}
