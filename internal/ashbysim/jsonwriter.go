package ashbysim

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonWriter appends JSON to a byte slice. Objects are written field by
// field in a fixed order, which keeps the output byte-for-byte repeatable
// and avoids reflection on the hot path of million-row listings.
//
// The writer tracks only whether the next value needs a leading comma: a
// value or a closing bracket sets it, an opening bracket or a key clears it.
type jsonWriter struct {
	buf   []byte
	comma bool
}

func (w *jsonWriter) reset() {
	w.buf = w.buf[:0]
	w.comma = false
}

func (w *jsonWriter) sep() {
	if w.comma {
		w.buf = append(w.buf, ',')
	}
}

// key writes an object key. Keys are ASCII identifiers and need no escaping.
func (w *jsonWriter) key(name string) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, '"', ':')
	w.comma = false
}

func (w *jsonWriter) open() {
	w.sep()
	w.buf = append(w.buf, '{')
	w.comma = false
}

func (w *jsonWriter) close() {
	w.buf = append(w.buf, '}')
	w.comma = true
}

func (w *jsonWriter) openArray() {
	w.sep()
	w.buf = append(w.buf, '[')
	w.comma = false
}

func (w *jsonWriter) closeArray() {
	w.buf = append(w.buf, ']')
	w.comma = true
}

func (w *jsonWriter) string(s string) {
	w.sep()
	w.buf = appendQuoted(w.buf, s)
	w.comma = true
}

func (w *jsonWriter) int(v int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, v, 10)
	w.comma = true
}

// number writes a float in its shortest exact form: 3.25, 98500.75 or
// 120000 for whole values.
func (w *jsonWriter) number(v float64) {
	w.sep()
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	} else {
		w.buf = strconv.AppendFloat(w.buf, v, 'f', -1, 64)
	}
	w.comma = true
}

func (w *jsonWriter) bool(v bool) {
	w.sep()
	w.buf = strconv.AppendBool(w.buf, v)
	w.comma = true
}

func (w *jsonWriter) null() {
	w.sep()
	w.buf = append(w.buf, "null"...)
	w.comma = true
}

func (w *jsonWriter) uuid(u uuid) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = appendUUID(w.buf, u)
	w.buf = append(w.buf, '"')
	w.comma = true
}

// timestamp writes epoch milliseconds as an ISO 8601 UTC string with
// milliseconds, e.g. "2024-01-05T09:15:00.123Z".
func (w *jsonWriter) timestamp(ms int64) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = appendTimestamp(w.buf, ms)
	w.buf = append(w.buf, '"')
	w.comma = true
}

// appendTimestamp appends epoch milliseconds in the layout
// 2006-01-02T15:04:05.000Z. It writes the digits itself because
// time.Time.AppendFormat, which parses its layout on every call, took a
// tenth of the time of a candidate listing. Years must lie in 0-9999.
func appendTimestamp(b []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	b = appendPadded(b, year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(month), 2)
	b = append(b, '-')
	b = appendPadded(b, day, 2)
	b = append(b, 'T')
	b = appendPadded(b, hour, 2)
	b = append(b, ':')
	b = appendPadded(b, minute, 2)
	b = append(b, ':')
	b = appendPadded(b, second, 2)
	b = append(b, '.')
	b = appendPadded(b, t.Nanosecond()/1_000_000, 3)
	return append(b, 'Z')
}

// appendPadded appends v in decimal with leading zeros to width digits.
func appendPadded(b []byte, v, width int) []byte {
	var digits [4]byte
	for i := width - 1; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, digits[:width]...)
}

// date writes the calendar day of epoch milliseconds as "2024-01-05".
func (w *jsonWriter) date(ms int64) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = time.UnixMilli(ms).UTC().AppendFormat(w.buf, "2006-01-02")
	w.buf = append(w.buf, '"')
	w.comma = true
}

// raw writes an already encoded JSON value.
func (w *jsonWriter) raw(v []byte) {
	w.sep()
	w.buf = append(w.buf, v...)
	w.comma = true
}

func (w *jsonWriter) fieldString(name, v string)         { w.key(name); w.string(v) }
func (w *jsonWriter) fieldInt(name string, v int64)      { w.key(name); w.int(v) }
func (w *jsonWriter) fieldNumber(name string, v float64) { w.key(name); w.number(v) }
func (w *jsonWriter) fieldBool(name string, v bool)      { w.key(name); w.bool(v) }
func (w *jsonWriter) fieldNull(name string)              { w.key(name); w.null() }
func (w *jsonWriter) fieldUUID(name string, u uuid)      { w.key(name); w.uuid(u) }
func (w *jsonWriter) fieldTime(name string, ms int64)    { w.key(name); w.timestamp(ms) }

// fieldStringOmit writes the field only when v is not empty. The OpenAPI
// schemas declare most optional fields as non-nullable, so absent values
// are left out rather than written as null.
func (w *jsonWriter) fieldStringOmit(name, v string) {
	if v != "" {
		w.fieldString(name, v)
	}
}

// appendQuoted appends s as a JSON string. Valid UTF-8 passes through
// unchanged; quotes, backslashes and control characters are escaped and
// invalid bytes become U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
