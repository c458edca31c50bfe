package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// template is text with placeholders in braces, such as
// "jobs/{resources.jobs.id}/notes". "{{" and "}}" stand for literal braces.
type template struct {
	parts []tplPart
}

// tplPart is literal text or, when ref is set, a placeholder.
type tplPart struct {
	text string
	ref  *placeholder
}

// placeholder is one parsed {...} reference.
type placeholder struct {
	// expr is the text between the braces.
	expr string
	// parent and field are set for resources.<parent>.<field>.
	parent string
	field  *jsonPath
	// incremental is start_value, initial_value, last_value or end_value
	// for incremental.<name>.
	incremental string
}

var incrementalVars = []string{"start_value", "initial_value", "last_value", "end_value"}

// parseTemplate parses s. Placeholders other than resources.* and
// incremental.* are errors that suggest escaping the braces.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return nil, fmt.Errorf("unmatched '}' at offset %d: write }} for a literal brace", i)
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unterminated placeholder at offset %d: close it with } or write {{ for a literal brace", i)
			}
			ref, err := parsePlaceholder(s[i+1 : i+end])
			if err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tplPart{text: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, tplPart{ref: ref})
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tplPart{text: lit.String()})
	}
	return t, nil
}

func parsePlaceholder(expr string) (*placeholder, error) {
	ref := &placeholder{expr: expr}
	switch {
	case strings.HasPrefix(expr, "resources."):
		parent, field, ok := strings.Cut(strings.TrimPrefix(expr, "resources."), ".")
		if !ok || parent == "" || field == "" {
			return nil, fmt.Errorf("invalid placeholder {%s}: write {resources.PARENT.FIELD}", expr)
		}
		p, err := compilePath(field)
		if err != nil {
			return nil, fmt.Errorf("invalid placeholder {%s}: %w", expr, err)
		}
		ref.parent, ref.field = parent, p
	case strings.HasPrefix(expr, "incremental."):
		name := strings.TrimPrefix(expr, "incremental.")
		found := false
		for _, v := range incrementalVars {
			found = found || v == name
		}
		if !found {
			return nil, fmt.Errorf("unknown placeholder {%s}: use incremental.%s", expr, strings.Join(incrementalVars, ", incremental."))
		}
		ref.incremental = name
	default:
		return nil, fmt.Errorf("unknown placeholder {%s}: placeholders are {resources.PARENT.FIELD} and {incremental.start_value} and its kin; write {{ and }} for literal braces", expr)
	}
	return ref, nil
}

// refs returns the template's placeholders.
func (t *template) refs() []*placeholder {
	var out []*placeholder
	for _, p := range t.parts {
		if p.ref != nil {
			out = append(out, p.ref)
		}
	}
	return out
}

// single returns the placeholder when the template is exactly one.
func (t *template) single() *placeholder {
	if len(t.parts) == 1 {
		return t.parts[0].ref
	}
	return nil
}

// resolver returns the JSON value of a placeholder.
type resolver func(ref *placeholder) (json.RawMessage, error)

// render fills in the placeholders, each value as text, and passes each
// through escape (nil for none).
func (t *template) render(resolve resolver, escape func(string) string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == nil {
			b.WriteString(p.text)
			continue
		}
		raw, err := resolve(p.ref)
		if err != nil {
			return "", err
		}
		s, err := valueText(raw)
		if err != nil {
			return "", fmt.Errorf("placeholder {%s}: %w", p.ref.expr, err)
		}
		if escape != nil {
			s = escape(s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// valueText returns a scalar JSON value as text: a string without its
// quotes, a number with its digits as sent. Objects and arrays are errors.
func valueText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("value %.60s is an object or a list, not text", raw)
	}
	if string(raw) == "null" {
		return "", errors.New("value is null")
	}
	return string(raw), nil
}

// bodyTemplate is a JSON body whose strings may hold placeholders.
type bodyTemplate struct {
	// tree is the body decoded with json.Number, so numbers keep their
	// digits.
	tree map[string]any
	refs []*placeholder
}

// parseBody prepares a JSON body. Values that are Go values (from a Go
// literal) or json.RawMessage (from YAML) are both accepted.
func parseBody(body map[string]any) (*bodyTemplate, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode JSON body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	bt := &bodyTemplate{}
	if err := dec.Decode(&bt.tree); err != nil {
		return nil, fmt.Errorf("decode JSON body: %w", err)
	}
	err = walkStrings(bt.tree, func(s string) (any, error) {
		t, err := parseTemplate(s)
		if err != nil {
			return nil, err
		}
		bt.refs = append(bt.refs, t.refs()...)
		return s, nil
	})
	return bt, err
}

// render returns a fresh copy of the body with its placeholders filled in.
// A string that is exactly one placeholder takes the referenced JSON value.
func (bt *bodyTemplate) render(resolve resolver) (map[string]any, error) {
	out := deepCopy(bt.tree).(map[string]any)
	if len(bt.refs) == 0 {
		return out, nil
	}
	err := walkStrings(out, func(s string) (any, error) {
		t, err := parseTemplate(s)
		if err != nil {
			return nil, err
		}
		if ref := t.single(); ref != nil {
			raw, err := resolve(ref)
			if err != nil {
				return nil, err
			}
			return json.RawMessage(raw), nil
		}
		return t.render(resolve, nil)
	})
	return out, err
}

// walkStrings replaces every string value in v (not member names) by what
// fn returns.
func walkStrings(v any, fn func(string) (any, error)) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := x[k].(string); ok {
				r, err := fn(s)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				x[k] = r
				continue
			}
			if err := walkStrings(x[k], fn); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	case []any:
		for i := range x {
			if s, ok := x[i].(string); ok {
				r, err := fn(s)
				if err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
				x[i] = r
				continue
			}
			if err := walkStrings(x[i], fn); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	}
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// setBodyPath stores v at a dotted path such as "page.cursor" in body,
// creating objects on the way.
func setBodyPath(body map[string]any, path string, v any) error {
	keys := strings.Split(path, ".")
	m := body
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return fmt.Errorf("body path %q: member %q is not an object", path, k)
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return nil
}
