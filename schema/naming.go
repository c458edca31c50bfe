package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SystemPrefix starts the name of every system table and column.
const SystemPrefix = "_rl_"

// EmptyIdentifier is the identifier of an empty or all-whitespace name.
const EmptyIdentifier = "_empty"

// NormalizeIdentifier converts a source name, such as an object key or a
// resource name, into a snake_case identifier for a table or column:
//
//   - surrounding whitespace is trimmed; an empty name becomes "_empty";
//   - camelCase, PascalCase and acronyms break into words: "userId" becomes
//     "user_id" and "HTTPCode" becomes "http_code";
//   - "+" and "*" become "x", "@" becomes "a" and "|" becomes "l", as in
//     dlt's snake_case convention;
//   - letters (ASCII or not) are lowercased and kept, as are digits and
//     combining marks; any other character becomes "_";
//   - runs of "_" collapse to one, so "__" only ever appears where nested
//     names are joined and a key such as "a__b" cannot pose as a nested
//     field (dlt keeps "a__b" and so makes the two indistinguishable);
//   - a leading digit gets a "_" prefix;
//   - a name that would start with SystemPrefix gets one more leading "_",
//     so that a source field never takes a system column's name.
//
// The result is deterministic and NormalizeIdentifier(result) == result.
// Unlike dlt, a trailing "_" is kept rather than turned into "x".
func NormalizeIdentifier(name string) string {
	if isNormalASCII(name) {
		return name
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return EmptyIdentifier
	}

	rs := make([]rune, 0, len(name))
	for _, r := range name {
		switch r {
		case '+', '*':
			r = 'x'
		case '@':
			r = 'a'
		case '|':
			r = 'l'
		}
		if !isIdentRune(r) {
			r = '_'
		}
		rs = append(rs, r)
	}

	var b strings.Builder
	b.Grow(len(name) + 4)
	last := rune(0)
	put := func(r rune) {
		if r == '_' && last == '_' {
			return
		}
		b.WriteRune(r)
		last = r
	}
	for i, r := range rs {
		if i > 0 && isUpper(r) && wordBreak(rs[i-1], rs[i+1:]) {
			put('_')
		}
		put(unicode.ToLower(r))
	}

	s := b.String()
	if first, _ := utf8.DecodeRuneInString(s); unicode.IsDigit(first) {
		s = "_" + s
	}
	if strings.HasPrefix(s, SystemPrefix) {
		s = "_" + s
	}
	return s
}

// wordBreak reports whether a "_" goes before an upper-case letter that
// follows prev and precedes rest: after a lower-case letter or digit
// ("userId"), or at the last capital of an acronym that starts a word
// ("HTTPCode").
func wordBreak(prev rune, rest []rune) bool {
	switch {
	case prev == '_':
		return false
	case unicode.IsLower(prev), unicode.IsDigit(prev):
		return true
	case isUpper(prev):
		return len(rest) > 0 && unicode.IsLower(rest[0])
	}
	return false
}

// isUpper reports whether r is an upper-case letter that has a lower-case
// form. Capitals without one (such as U+03D2) act as caseless letters, so
// they neither break words nor make the convention lose idempotence.
func isUpper(r rune) bool {
	return unicode.IsUpper(r) && unicode.ToLower(r) != r
}

func isIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isNormalASCII reports whether s is already an ASCII identifier that
// NormalizeIdentifier would return unchanged.
func isNormalASCII(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') || strings.HasPrefix(s, SystemPrefix) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_':
			if i > 0 && s[i-1] == '_' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// MinIdentifierLength is the smallest identifier length limit that
// ShortenIdentifier honors; smaller limits are raised to it, since a
// shortened name needs room for its hash suffix.
const MinIdentifierLength = 16

// hashSuffixLen is the length of the suffix that ShortenIdentifier adds:
// "_" and 10 hex digits of a SHA-256 of the whole name.
const hashSuffixLen = 11

// ShortenIdentifier returns name unchanged when it has at most limit
// bytes or limit is 0 (no limit). A longer name is cut at a character
// boundary to leave room for "_" and 10 hex digits of the SHA-256 of the
// whole name, so the result has at most limit bytes, is the same on every
// run, and two long names that share a beginning still differ.
// Underscores at the cut are dropped, so the suffix never forms a "__"
// separator. A limit below MinIdentifierLength counts as that minimum.
func ShortenIdentifier(name string, limit int) string {
	if limit <= 0 {
		return name
	}
	limit = max(limit, MinIdentifierLength)
	if len(name) <= limit {
		return name
	}
	cut := limit - hashSuffixLen
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	head := strings.TrimRight(name[:cut], "_")
	sum := sha256.Sum256([]byte(name))
	return head + "_" + hex.EncodeToString(sum[:5])
}
