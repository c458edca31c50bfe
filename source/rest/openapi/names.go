package openapi

import (
	"strings"
	"unicode"
)

// snake turns a name such as "hiringTeamRole", "HTTPStatus" or
// "job-boards" into snake_case.
func snake(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		switch {
		case unicode.IsUpper(r):
			prevLower := i > 0 && (unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1]))
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			prevUpper := i > 0 && unicode.IsUpper(runes[i-1])
			if b.Len() > 0 && (prevLower || prevUpper && nextLower) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

// uncountable lists nouns that plural leaves as they are.
var uncountable = map[string]bool{
	"feedback": true, "info": true, "information": true, "history": true, "data": true,
	"metadata": true, "settings": true, "media": true, "news": true,
}

// plural returns the English plural of a snake_case name's last word,
// by the regular rules.
func plural(name string) string {
	i := strings.LastIndexByte(name, '_')
	word := name[i+1:]
	switch {
	case uncountable[word]:
		return name
	case strings.HasSuffix(word, "s"), strings.HasSuffix(word, "x"), strings.HasSuffix(word, "ch"), strings.HasSuffix(word, "sh"):
		return name + "es"
	case strings.HasSuffix(word, "y") && len(word) > 1 && !strings.ContainsRune("aeiou", rune(word[len(word)-2])):
		return name[:len(name)-1] + "ies"
	}
	return name + "s"
}

// singular undoes the regular English plural of a name's last word.
func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return name[:len(name)-3] + "y"
	case strings.HasSuffix(name, "sses"), strings.HasSuffix(name, "xes"), strings.HasSuffix(name, "ches"), strings.HasSuffix(name, "shes"):
		return name[:len(name)-2]
	case strings.HasSuffix(name, "ss"), strings.HasSuffix(name, "us"):
		return name
	case strings.HasSuffix(name, "s"):
		return name[:len(name)-1]
	}
	return name
}
