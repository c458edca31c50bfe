package normalize

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/restload/restload/schema"
)

// Limits of the decimal type that numbers are inferred into: DECIMAL(38,9),
// which every destination restload writes to can hold.
const (
	decimalIntDigits  = 29
	decimalFracDigits = 9
)

// decomposed is a JSON number as significant digits and an exponent:
// |value| = digits × 10^exp. Zero has no digits. big is set when the
// exponent is so large that no numeric type can hold the value.
type decomposed struct {
	digits []byte
	exp    int
	big    bool
}

// decompose splits the JSON number literal lit, appending its significant
// digits to dst. The literal must be valid JSON.
func decompose(dst, lit []byte) decomposed {
	i := 0
	if i < len(lit) && lit[i] == '-' {
		i++
	}
	d := decomposed{digits: dst[:0]}
	for ; i < len(lit) && isDigit(lit[i]); i++ {
		d.digits = append(d.digits, lit[i])
	}
	if i < len(lit) && lit[i] == '.' {
		for i++; i < len(lit) && isDigit(lit[i]); i++ {
			d.digits = append(d.digits, lit[i])
			d.exp--
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		neg := false
		if lit[i] == '+' || lit[i] == '-' {
			neg = lit[i] == '-'
			i++
		}
		e := 0
		for ; i < len(lit); i++ {
			if e < 1<<30 {
				e = e*10 + int(lit[i]-'0')
			}
		}
		if e >= 1<<30 {
			d.big = true
		}
		if neg {
			e = -e
		}
		d.exp += e
	}

	lead := 0
	for lead < len(d.digits) && d.digits[lead] == '0' {
		lead++
	}
	d.digits = d.digits[lead:]
	for len(d.digits) > 0 && d.digits[len(d.digits)-1] == '0' {
		d.digits = d.digits[:len(d.digits)-1]
		d.exp++
	}
	if len(d.digits) == 0 {
		d.exp, d.big = 0, false
	}
	return d
}

// fitsDecimal reports whether the number fits DECIMAL(38,9) exactly.
func (d decomposed) fitsDecimal() bool {
	if d.big {
		return false
	}
	intDigits := len(d.digits) + d.exp
	return intDigits <= decimalIntDigits && -d.exp <= decimalFracDigits
}

// numberType returns the type that a JSON number literal is inferred as.
// It is BigInt for an integer that fits int64, and Double when the
// shortest formatting of its float64 value has the same decimal value as
// the literal. It is Decimal when the literal fits DECIMAL(38,9) exactly,
// and Text otherwise, so that no digit is lost. scratch is reused to
// avoid allocation.
func numberType(lit []byte, scratch *[]byte) schema.DataType {
	if isIntLiteral(lit) {
		if len(lit) <= 18 {
			return schema.BigInt
		}
		if _, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
			return schema.BigInt
		}
	}

	d := decompose(*scratch, lit)
	*scratch = d.digits[:0]
	if d.big {
		return schema.Text
	}
	if len(d.digits) == 0 {
		return schema.Double // zero
	}
	if roundTrips(lit, d) {
		return schema.Double
	}
	if d.fitsDecimal() {
		return schema.Decimal
	}
	return schema.Text
}

// roundTrips reports whether the float64 nearest to lit, formatted in
// the shortest form that parses back to it, equals lit digit for digit.
func roundTrips(lit []byte, d decomposed) bool {
	// Up to 15 significant digits survive a round trip through a normal
	// float64, so most literals need no parsing.
	e10 := d.exp + len(d.digits)
	if len(d.digits) <= 15 && e10 >= -306 && e10 <= 308 {
		return true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false // out of range
	}
	var buf [32]byte
	var dbuf [24]byte
	back := decompose(dbuf[:0], strconv.AppendFloat(buf[:0], f, 'e', -1, 64))
	return back.exp == d.exp && string(back.digits) == string(d.digits)
}

// exactInDouble reports whether the integer literal lit, which fits
// int64, converts to float64 without rounding.
func exactInDouble(lit []byte) bool {
	i, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		return false
	}
	u := uint64(i)
	if i < 0 {
		u = -u
	}
	if u == 0 {
		return true
	}
	return bits.Len64(u)-bits.TrailingZeros64(u) <= 53
}

func isIntLiteral(lit []byte) bool {
	for _, c := range lit {
		if c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendTimestamp parses s as an ISO 8601 date-time with a zone
// ("Z" or an offset) and appends it in UTC as YYYY-MM-DDTHH:MM:SS, the
// fraction as written, and "Z". It reports false, appending nothing,
// when s is not such a date-time or would lose precision in a
// microsecond timestamp (more than 6 significant fraction digits).
//
// Date and time are separated by "T", "t" or a space. Seconds and a
// fraction (after ".") are optional. The zone is "Z", "z", ±HH:MM, ±HHMM
// or ±HH. A date alone or a date-time without a zone is not a timestamp,
// since its instant is unknown.
func appendTimestamp(dst, s []byte) ([]byte, bool) {
	if len(s) < 17 || s[4] != '-' || s[7] != '-' || s[13] != ':' {
		return dst, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return dst, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return dst, false
	}
	rest := s[16:]
	sec := 0
	if len(rest) >= 3 && rest[0] == ':' {
		var ok bool
		if sec, ok = digits(rest[1:3]); !ok {
			return dst, false
		}
		rest = rest[3:]
	}
	var frac []byte
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		frac = rest[:n] // with the dot
		rest = rest[n:]
		if len(frac) == 1 || !fitsMicros(frac[1:]) {
			return dst, false
		}
	}
	offset, ok := zoneOffset(rest)
	if !ok {
		return dst, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return dst, false
	}

	if offset == 0 && s[10] == 'T' && len(s) >= 19 && s[16] == ':' && rest[0] == 'Z' {
		// Already in the output form, as most API timestamps are.
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"'), true
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	if t.Year() < 0 || t.Year() > 9999 {
		return dst, false
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	dst = append(dst, frac...)
	return append(dst, 'Z', '"'), true
}

// fitsMicros reports whether a fraction has no significant digit past
// the sixth.
func fitsMicros(frac []byte) bool {
	for i := 6; i < len(frac); i++ {
		if frac[i] != '0' {
			return false
		}
	}
	return true
}

// zoneOffset parses "Z", "z", ±HH:MM, ±HHMM or ±HH into seconds east of
// UTC.
func zoneOffset(z []byte) (int, bool) {
	if len(z) == 1 && (z[0] == 'Z' || z[0] == 'z') {
		return 0, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	h, ok := digits(z[1:3])
	if !ok || h > 23 {
		return 0, false
	}
	m := 0
	switch mm := z[3:]; {
	case len(mm) == 0:
	case len(mm) == 3 && mm[0] == ':':
		m, ok = digits(mm[1:])
	case len(mm) == 2:
		m, ok = digits(mm)
	default:
		return 0, false
	}
	if !ok || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// isDate reports whether s is a valid calendar date YYYY-MM-DD.
func isDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	return ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendCompact appends the JSON value src without the whitespace
// between its tokens.
func appendCompact(dst, src []byte) []byte {
	inString, escaped := false, false
	for _, c := range src {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			dst = append(dst, c)
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			inString = true
		}
		dst = append(dst, c)
	}
	return dst
}
