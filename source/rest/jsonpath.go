package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonPath is a compiled JSONPath expression of the subset that data
// selectors, cursor paths and parent fields use:
//
//	$            the document itself (optional at the start)
//	.name, name  an object member
//	['name']     an object member whose name needs quoting ("name" also works)
//	[n]          an array element; a negative n counts from the end
//	[*], .*      every element of an array or every member value of an object
//	..name       name at any depth, the current value included
//	..*          every value at any depth below the current one
//
// Selection works on raw JSON and returns raw values, so numbers keep
// their exact digits.
type jsonPath struct {
	expr  string
	steps []pathStep
}

type stepKind int

const (
	stepMember stepKind = iota
	stepIndex
	stepWildcard
	stepDescendantMember
	stepDescendantWildcard
)

type pathStep struct {
	kind  stepKind
	name  string
	index int
}

// compilePath parses expr. An empty expression is an error.
func compilePath(expr string) (*jsonPath, error) {
	p := &jsonPath{expr: expr}
	s := strings.TrimSpace(expr)
	if s == "" {
		return nil, errors.New("empty JSONPath")
	}
	i := 0
	if s[0] == '$' {
		i = 1
	} else if s[0] != '.' && s[0] != '[' {
		// A bare first name, as in "data.items".
		name, n := scanName(s)
		if n == 0 {
			return nil, fmt.Errorf("invalid JSONPath %q: unexpected %q at offset 0", expr, s[0])
		}
		p.steps = append(p.steps, pathStep{kind: stepMember, name: name})
		i = n
	}
	for i < len(s) {
		step, n, err := parseStep(s[i:])
		if err != nil {
			return nil, fmt.Errorf("invalid JSONPath %q at offset %d: %w", expr, i, err)
		}
		p.steps = append(p.steps, step)
		i += n
	}
	return p, nil
}

// parseStep parses one step at the start of s and returns its length.
func parseStep(s string) (pathStep, int, error) {
	switch {
	case strings.HasPrefix(s, ".."):
		rest := s[2:]
		if strings.HasPrefix(rest, "*") {
			return pathStep{kind: stepDescendantWildcard}, 3, nil
		}
		if strings.HasPrefix(rest, "[") {
			step, n, err := parseBracket(rest)
			if err != nil {
				return step, 0, err
			}
			switch step.kind {
			case stepMember:
				step.kind = stepDescendantMember
			case stepWildcard:
				step.kind = stepDescendantWildcard
			default:
				return step, 0, errors.New("an index cannot follow \"..\"")
			}
			return step, 2 + n, nil
		}
		name, n := scanName(rest)
		if n == 0 {
			return pathStep{}, 0, errors.New("expected a member name or * after \"..\"")
		}
		return pathStep{kind: stepDescendantMember, name: name}, 2 + n, nil
	case s[0] == '.':
		rest := s[1:]
		if strings.HasPrefix(rest, "*") {
			return pathStep{kind: stepWildcard}, 2, nil
		}
		name, n := scanName(rest)
		if n == 0 {
			return pathStep{}, 0, errors.New("expected a member name or * after \".\"")
		}
		return pathStep{kind: stepMember, name: name}, 1 + n, nil
	case s[0] == '[':
		return parseBracket(s)
	}
	return pathStep{}, 0, fmt.Errorf("unexpected %q: steps start with '.' or '['", s[0])
}

// parseBracket parses [n], [*], ['name'] or ["name"] at the start of s.
func parseBracket(s string) (pathStep, int, error) {
	end := -1
	if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
		quote := s[1]
		var b strings.Builder
		for i := 2; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			if c == quote {
				if i+1 >= len(s) || s[i+1] != ']' {
					return pathStep{}, 0, errors.New("expected ']' after the quoted name")
				}
				return pathStep{kind: stepMember, name: b.String()}, i + 2, nil
			}
			b.WriteByte(c)
		}
		return pathStep{}, 0, errors.New("unterminated quoted name")
	}
	end = strings.IndexByte(s, ']')
	if end < 0 {
		return pathStep{}, 0, errors.New("missing ']'")
	}
	inner := strings.TrimSpace(s[1:end])
	if inner == "*" {
		return pathStep{kind: stepWildcard}, end + 1, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil {
		return pathStep{}, 0, fmt.Errorf("invalid index %q: use a number, * or a quoted name", inner)
	}
	return pathStep{kind: stepIndex, index: n}, end + 1, nil
}

// scanName returns the member name at the start of s and its length in
// bytes. Names run until '.', '[', a quote, '*' or white space.
func scanName(s string) (string, int) {
	for i, r := range s {
		if r == '.' || r == '[' || r == ']' || r == '\'' || r == '"' || r == '*' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return s[:i], i
		}
	}
	return s, len(s)
}

// String returns the expression as written.
func (p *jsonPath) String() string { return p.expr }

// isRoot reports whether the path selects the document itself.
func (p *jsonPath) isRoot() bool { return len(p.steps) == 0 }

// Select returns the values the path matches in doc, in document order.
// A path that matches nothing returns no values and no error; doc that is
// not valid JSON returns an error.
func (p *jsonPath) Select(doc json.RawMessage) ([]json.RawMessage, error) {
	nodes := []json.RawMessage{bytes.TrimSpace(doc)}
	for _, st := range p.steps {
		var next []json.RawMessage
		for _, n := range nodes {
			var err error
			next, err = st.apply(n, next)
			if err != nil {
				return nil, err
			}
		}
		nodes = next
		if len(nodes) == 0 {
			break
		}
	}
	if len(p.steps) == 0 && !json.Valid(nodes[0]) {
		return nil, errors.New("invalid JSON")
	}
	return nodes, nil
}

// apply appends the values that one step selects in n to out.
func (st pathStep) apply(n json.RawMessage, out []json.RawMessage) ([]json.RawMessage, error) {
	switch st.kind {
	case stepMember:
		if !isObject(n) {
			return out, nil
		}
		return out, eachMember(n, func(k string, v json.RawMessage) error {
			if k == st.name {
				out = append(out, v)
			}
			return nil
		})
	case stepIndex:
		if !isArray(n) {
			return out, nil
		}
		elems, err := arrayElements(n, nil)
		if err != nil {
			return nil, err
		}
		i := st.index
		if i < 0 {
			i += len(elems)
		}
		if i >= 0 && i < len(elems) {
			out = append(out, elems[i])
		}
		return out, nil
	case stepWildcard:
		return appendChildren(n, out)
	case stepDescendantMember, stepDescendantWildcard:
		return st.descend(n, out)
	}
	return out, nil
}

// descend applies a ".." step: it visits n and every value below it.
func (st pathStep) descend(n json.RawMessage, out []json.RawMessage) ([]json.RawMessage, error) {
	children, err := appendChildren(n, nil)
	if err != nil {
		return nil, err
	}
	if st.kind == stepDescendantMember && isObject(n) {
		err := eachMember(n, func(k string, v json.RawMessage) error {
			if k == st.name {
				out = append(out, v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, c := range children {
		if st.kind == stepDescendantWildcard {
			out = append(out, c)
		}
		if out, err = st.descend(c, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendChildren appends the elements of an array or the member values of
// an object to out; scalars have none.
func appendChildren(n json.RawMessage, out []json.RawMessage) ([]json.RawMessage, error) {
	switch {
	case isArray(n):
		return arrayElements(n, out)
	case isObject(n):
		return out, eachMember(n, func(_ string, v json.RawMessage) error {
			out = append(out, v)
			return nil
		})
	}
	return out, nil
}

// scanOptions make the scanner as lenient as encoding/json: APIs send
// duplicate member names and invalid UTF-8 now and then, and rejecting a
// whole page for them would stop a load that the values themselves do not
// concern.
var scanOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// newScanner returns a decoder that reads n in place. A decoder over a
// bytes.Buffer reads the buffer's bytes without copying them.
func newScanner(n []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewBuffer(n), scanOptions...)
}

// readValue reads the next value of dec and returns it as a slice of n,
// the decoder's input, so that the value outlives the decoder's buffer.
func readValue(dec *jsontext.Decoder, n []byte) (json.RawMessage, error) {
	v, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	end := int(dec.InputOffset())
	return json.RawMessage(n[end-len(v) : end : end]), nil
}

// arrayElements appends the elements of the JSON array n to out, each a
// slice of n. It fails when n is not a valid array.
func arrayElements(n json.RawMessage, out []json.RawMessage) ([]json.RawMessage, error) {
	dec := newScanner(n)
	if tok, err := dec.ReadToken(); err != nil {
		return nil, err
	} else if tok.Kind() != '[' {
		return nil, fmt.Errorf("invalid JSON: %s where a list should start", tok.Kind())
	}
	for dec.PeekKind() != ']' {
		v, err := readValue(dec, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if err := scanEnd(dec); err != nil {
		return nil, err
	}
	return out, nil
}

// eachMember calls fn for each member of the JSON object n in document
// order, with values that are slices of n.
func eachMember(n json.RawMessage, fn func(key string, value json.RawMessage) error) error {
	dec := newScanner(n)
	if tok, err := dec.ReadToken(); err != nil {
		return err
	} else if tok.Kind() != '{' {
		return fmt.Errorf("invalid JSON: %s where an object should start", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		key := tok.String()
		v, err := readValue(dec, n)
		if err != nil {
			return err
		}
		if err := fn(key, v); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	return scanEnd(dec)
}

// scanEnd fails unless dec has nothing but white space left.
func scanEnd(dec *jsontext.Decoder) error {
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return errors.New("invalid JSON: data after the value")
		}
		return err
	}
	return nil
}

func isObject(n json.RawMessage) bool { return len(n) > 0 && n[0] == '{' }
func isArray(n json.RawMessage) bool  { return len(n) > 0 && n[0] == '[' }

// isNull reports whether n is JSON null.
func isNull(n json.RawMessage) bool { return string(bytes.TrimSpace(n)) == "null" }
