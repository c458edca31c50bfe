package sqlload

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/schema"
)

// Digit limits of the exact number types. Both destinations store
// schema.Decimal as a decimal with 38 digits, DecimalScale of them after
// the point, so that a value reads back the same from both.
const (
	DecimalScale  = 9
	DecimalDigits = 38
	BigIntDigits  = 19
)

// ValueRules describes how a database takes the values of job files:
// the type names for messages, the JSON and decimal values, and the text
// it rejects.
type ValueRules interface {
	// Type returns the name of the column type that stores values of t,
	// for messages.
	Type(t schema.DataType) (string, error)
	// JSONValue returns the value for a JSON column from the JSON text v,
	// which is not null. The decoder reuses v's memory after the call.
	JSONValue(v jsontext.Value) (any, error)
	// CheckText returns an error for text that a text column cannot
	// store.
	CheckText(s string) error
	// DecimalValue returns the value for a decimal column from n, the
	// number multiplied by 10^DecimalScale.
	DecimalValue(n *big.Int) any
}

// Convert returns the driver value of one JSON value of a job file for a
// column of type t. JSON null becomes SQL NULL for every type.
func Convert(r ValueRules, t schema.DataType, v jsontext.Value) (any, error) {
	k := v.Kind()
	if k == 'n' {
		return nil, nil
	}
	switch t {
	case schema.JSON:
		return r.JSONValue(v)
	case schema.Text, schema.Timestamp, schema.Date, schema.Binary:
		if k != '"' {
			return nil, kindError("string", k)
		}
		s, err := unquote(v)
		if err != nil {
			return nil, err
		}
		return convertString(r, t, s)
	case schema.BigInt, schema.Double, schema.Decimal:
		if k != '0' {
			return nil, kindError("number", k)
		}
		return convertNumber(r, t, string(v))
	case schema.Bool:
		if k != 't' && k != 'f' {
			return nil, kindError("boolean", k)
		}
		return k == 't', nil
	}
	return nil, fmt.Errorf("unknown data type %q", t)
}

// convertString converts the text of a JSON string for a column of type t.
func convertString(r ValueRules, t schema.DataType, s string) (any, error) {
	switch t {
	case schema.Timestamp:
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("invalid RFC 3339 timestamp %q", s)
		}
		return ts.UTC(), nil
	case schema.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("invalid date %q, expected YYYY-MM-DD", s)
		}
		return d, nil
	case schema.Binary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("invalid base64: %w", err)
		}
		return b, nil
	}
	if err := r.CheckText(s); err != nil {
		return nil, err
	}
	return s, nil
}

// convertNumber converts the text of a JSON number for a column of type t.
func convertNumber(r ValueRules, t schema.DataType, num string) (any, error) {
	switch t {
	case schema.BigInt:
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return n, nil
		}
		// Integral values written with a fraction or exponent, such as
		// 2.0 or 1e3, are accepted.
		n, exact, err := scaleNumber(num, 0, BigIntDigits)
		if err != nil {
			return nil, err
		}
		if !exact {
			return nil, fmt.Errorf("number %s is not an integer", num)
		}
		if !n.IsInt64() {
			return nil, rangeError(r, num, t)
		}
		return n.Int64(), nil
	case schema.Double:
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, rangeError(r, num, t)
		}
		return f, nil
	}
	// Digits past the ninth fraction digit are rounded half away from
	// zero, as DuckDB and PostgreSQL round when they cast text to a
	// decimal with scale 9.
	n, _, err := scaleNumber(num, DecimalScale, DecimalDigits)
	if err != nil {
		return nil, err
	}
	return r.DecimalValue(n), nil
}

// rangeError reports a number outside the range of the column type t.
func rangeError(r ValueRules, num string, t schema.DataType) error {
	name, err := r.Type(t)
	if err != nil {
		name = string(t)
	}
	return fmt.Errorf("number %s is out of the %s range", num, name)
}

// scaleNumber returns the JSON number num multiplied by 10^scale and
// rounded half away from zero to an integer, and whether no digit was
// lost. It works on the decimal digits, so no value passes through a
// float, and it fails when the result has more than maxDigits digits.
func scaleNumber(num string, scale, maxDigits int) (*big.Int, bool, error) {
	neg := strings.HasPrefix(num, "-")
	mant := strings.TrimPrefix(num, "-")
	exp := 0
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(mant[i+1:], "+"))
		if err != nil {
			return nil, false, fmt.Errorf("number %s has an exponent out of range", num)
		}
		exp, mant = e, mant[:i]
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	shift := exp - len(frac) + scale // power of ten to multiply digits by

	exact := true
	roundUp := false
	switch {
	case digits == "":
		digits = "0"
	case shift >= 0:
		if len(digits)+shift > maxDigits {
			return nil, false, fmt.Errorf("number %s has more than %d digits", num, maxDigits)
		}
		digits += strings.Repeat("0", shift)
	default:
		keep := len(digits) + shift // digits left after dropping -shift of them
		dropped := ""
		if keep > 0 {
			digits, dropped = digits[:keep], digits[keep:]
		} else {
			if keep == 0 {
				dropped = digits
			}
			digits = "0"
		}
		exact = strings.Trim(dropped, "0") == "" && keep >= 0
		roundUp = dropped != "" && dropped[0] >= '5'
	}

	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, false, fmt.Errorf("invalid number %s", num)
	}
	if roundUp {
		n.Add(n, big.NewInt(1))
	}
	if len(n.String()) > maxDigits {
		return nil, false, fmt.Errorf("number %s has more than %d digits", num, maxDigits)
	}
	if neg {
		n.Neg(n)
	}
	return n, exact, nil
}

// unquote returns the text of a JSON string value.
func unquote(v jsontext.Value) (string, error) {
	if len(v) >= 2 && bytes.IndexByte(v[1:len(v)-1], '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	b, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// kindError reports a JSON value of kind k where want was expected.
func kindError(want string, k jsontext.Kind) error {
	return errors.New("expected a JSON " + want + ", got " + KindName(k))
}

// KindName returns the name of a JSON value kind for messages.
func KindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return k.String()
}
