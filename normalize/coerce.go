package normalize

import (
	"bytes"
	"encoding/base64"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/restload/restload/schema"
)

// valueType returns the type that inference gives the value v.
func (n *Normalizer) valueType(v int32) schema.DataType {
	nd := &n.p.nodes[v]
	raw := n.line[nd.val.start:nd.val.end]
	switch nd.kind {
	case kindString:
		s := n.unquoted(raw)
		mark := len(n.out)
		var ok bool
		n.out, ok = appendTimestamp(n.out, s)
		n.out = n.out[:mark]
		if ok {
			return schema.Timestamp
		}
		if n.res.detectDate && isDate(s) {
			return schema.Date
		}
		return schema.Text
	case kindNumber:
		return numberType(raw, &n.digits)
	case kindTrue, kindFalse:
		return schema.Bool
	}
	return schema.JSON
}

// fieldType returns the type of a new column for the value v of field f:
// text for a scalar under a PII mode that hashes or masks, else the
// hinted type, else the inferred one.
func (n *Normalizer) fieldType(f *field, v int32) schema.DataType {
	switch {
	case f.pii != "" && !n.isContainer(v):
		return schema.Text
	case f.typ != "":
		return f.typ
	}
	return n.valueType(v)
}

// variantType returns the type of the variant column for a value v of
// field f that its column does not take.
func (n *Normalizer) variantType(f *field, v int32) schema.DataType {
	if f.pii != "" && !n.isContainer(v) {
		return schema.Text
	}
	return n.valueType(v)
}

func (n *Normalizer) isContainer(v int32) bool {
	k := n.p.nodes[v].kind
	return k == kindObject || k == kindArray
}

// appendField appends the value v of field f encoded for column c and
// reports whether c takes it; it appends nothing when it does not. PII
// modes apply first: a scalar becomes its hash or mask, and an object or
// list stored whole keeps its structure with every value below a PII
// path transformed. A field with a data type hint converts values as
// appendValue does when lenient.
func (n *Normalizer) appendField(c *column, f *field, v int32) bool {
	container := n.isContainer(v)
	if f.pii != "" && !container {
		if c.c.Type != schema.Text {
			return false
		}
		n.appendPII(f.pii, v)
		return true
	}
	if f.redact && container {
		switch {
		case c.c.Type == schema.JSON:
			n.appendRedacted(v, f.hint)
			return true
		case c.c.Type == schema.Text && f.whole:
			mark := len(n.out)
			n.appendRedacted(v, f.hint)
			n.quoteFrom(mark)
			return true
		}
		return false
	}
	return n.appendValue(c.c.Type, v, f.typ != "")
}

// appendVariant appends the value v of field f for its variant column
// of type vt, the value's own type, and reports whether that worked.
func (n *Normalizer) appendVariant(vt schema.DataType, f *field, v int32) bool {
	container := n.isContainer(v)
	switch {
	case f.pii != "" && !container:
		n.appendPII(f.pii, v)
		return true
	case f.redact && container:
		n.appendRedacted(v, f.hint)
		return true
	}
	return n.appendValue(vt, v, false)
}

// quoteFrom replaces the JSON text after mark in out by a JSON string
// that holds it.
func (n *Normalizer) quoteFrom(mark int) {
	n.scratch = append(n.scratch[:0], n.out[mark:]...)
	n.out, _ = jsontext.AppendQuote(n.out[:mark], n.scratch)
}

// appendValue appends v encoded for a column of type typ and reports
// whether typ takes v without loss. It appends nothing when it does not.
//
// Inferred columns take only values of their type and the exact
// conversions that the package documentation lists. A lenient column is
// one whose type a hint set. It also takes a string that holds a number
// or bool of its type exactly ("42" into bigint), and a date-time
// without a zone as UTC into timestamp. A lenient text column takes any
// scalar as its text and an object or list as its JSON text, and a
// lenient json column takes any value.
func (n *Normalizer) appendValue(typ schema.DataType, v int32, lenient bool) bool {
	nd := &n.p.nodes[v]
	raw := n.line[nd.val.start:nd.val.end]
	switch nd.kind {
	case kindString:
		return n.appendString(typ, raw, lenient)

	case kindNumber:
		switch {
		case lenient && typ == schema.JSON:
		case lenient && typ == schema.Text:
		case !n.numberFits(typ, raw):
			return false
		}
		if typ == schema.Text {
			n.out = append(n.out, '"')
			n.out = append(n.out, raw...)
			n.out = append(n.out, '"')
			return true
		}
		n.out = append(n.out, raw...)
		return true

	case kindTrue, kindFalse:
		switch {
		case typ == schema.Bool, lenient && typ == schema.JSON:
			n.out = append(n.out, raw...)
		case lenient && typ == schema.Text:
			n.out = append(n.out, '"')
			n.out = append(n.out, raw...)
			n.out = append(n.out, '"')
		default:
			return false
		}
		return true
	}

	switch {
	case typ == schema.JSON:
		n.out = appendCompact(n.out, raw)
	case lenient && typ == schema.Text:
		mark := len(n.out)
		n.out = appendCompact(n.out, raw)
		n.quoteFrom(mark)
	default:
		return false
	}
	return true
}

// appendString appends the JSON string raw encoded for a column of type
// typ, as appendValue does.
func (n *Normalizer) appendString(typ schema.DataType, raw []byte, lenient bool) bool {
	switch typ {
	case schema.Text:
		n.out = append(n.out, raw...)
		return true
	case schema.Timestamp:
		s := n.unquoted(raw)
		var ok bool
		if n.out, ok = appendTimestamp(n.out, s); ok || !lenient {
			return ok
		}
		// A hinted timestamp column reads a date-time without a zone
		// as UTC.
		n.scratch = append(append(n.scratch[:0], s...), 'Z')
		n.out, ok = appendTimestamp(n.out, n.scratch)
		return ok
	case schema.Date:
		if isDate(n.unquoted(raw)) {
			n.out = append(n.out, raw...)
			return true
		}
	case schema.Binary:
		if n.isBase64(n.unquoted(raw)) {
			n.out = append(n.out, raw...)
			return true
		}
	case schema.JSON:
		if lenient {
			n.out = append(n.out, raw...)
			return true
		}
	case schema.BigInt, schema.Double, schema.Decimal:
		s := n.unquoted(raw)
		if lenient && isNumber(s) && n.numberFits(typ, s) {
			n.out = append(n.out, s...)
			return true
		}
	case schema.Bool:
		s := n.unquoted(raw)
		if lenient && (string(s) == "true" || string(s) == "false") {
			n.out = append(n.out, s...)
			return true
		}
	}
	return false
}

// isBase64 reports whether s is standard base64 with padding, which is
// how job files carry binary values.
func (n *Normalizer) isBase64(s []byte) bool {
	var err error
	n.scratch, err = base64.StdEncoding.AppendDecode(n.scratch[:0], s)
	return err == nil
}

// numberFits reports whether a column of type typ holds the number
// literal raw exactly. A bigint column takes integers that fit int64. A
// double column also takes integers that convert exactly. A decimal
// column takes integers and doubles that fit DECIMAL(38,9), and a text
// column the numbers that fit no numeric type.
func (n *Normalizer) numberFits(typ schema.DataType, raw []byte) bool {
	nt := numberType(raw, &n.digits)
	switch typ {
	case nt:
		return true
	case schema.Double:
		return nt == schema.BigInt && exactInDouble(raw)
	case schema.Decimal:
		if nt == schema.BigInt {
			return true
		}
		if nt == schema.Double {
			d := decompose(n.digits, raw)
			n.digits = d.digits[:0]
			return d.fitsDecimal()
		}
	}
	return false
}

// isNumber reports whether s is a number in JSON's grammar.
func isNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

// unquoted returns the content of the JSON string raw; the result is
// valid until the next call.
func (n *Normalizer) unquoted(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var err error
	n.unq, err = jsontext.AppendUnquote(n.unq[:0], raw)
	if err != nil {
		return raw[1 : len(raw)-1] // not reached: the parser validated raw
	}
	return n.unq
}

// unquote returns the content of the JSON string raw as a string.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	s, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return string(raw[1 : len(raw)-1]) // not reached: the parser validated raw
	}
	return string(s)
}
