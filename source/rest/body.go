package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

// bodyIndex is the result of one validating scan of a response body. Pages
// are often megabytes of items inside an object of a few members, and
// the data selector, the paginator and response hooks each read one of
// those members. Reading them from the index instead of the body scans
// each page once.
type bodyIndex struct {
	// body is the body that was scanned. A response hook may replace
	// Response.Body, which makes the index stale.
	body []byte
	// err is set when the body is not valid JSON.
	err error
	// object is set when the body is a JSON object, and members then
	// lists its members in document order.
	object  bool
	members []bodyMember
}

// bodyMember is one top-level member of a body that is an object.
type bodyMember struct {
	name  string
	value json.RawMessage // a slice of the body
	// list is set when the value is a list, and elems then holds its
	// elements as slices of the body.
	list  bool
	elems []json.RawMessage
}

// index returns the index of the body, scanning it on the first call
// and again after the body was replaced. A Response is used by one
// goroutine at a time, so no lock is needed.
func (r *Response) index() *bodyIndex {
	if r.idx == nil || !sameBytes(r.idx.body, r.Body) {
		r.idx = indexBody(r.Body)
		r.idx.body = r.Body
	}
	return r.idx
}

// sameBytes reports whether a and b are the same slice of memory.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

// indexBody scans body once, as leniently as encoding/json, and records
// its top-level members and the elements of those that are lists.
func indexBody(body []byte) *bodyIndex {
	dec := newScanner(body)
	if dec.PeekKind() != '{' {
		if !jsontext.Value(body).IsValid(scanOptions...) {
			return &bodyIndex{err: errors.New("invalid JSON")}
		}
		return &bodyIndex{}
	}
	idx := &bodyIndex{object: true}
	if err := idx.scanObject(dec, body); err != nil {
		return &bodyIndex{err: err}
	}
	return idx
}

func (idx *bodyIndex) scanObject(dec *jsontext.Decoder, body []byte) error {
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		m := bodyMember{name: tok.String()}
		if dec.PeekKind() == '[' {
			m.list = true
			if m.value, m.elems, err = readList(dec, body); err != nil {
				return err
			}
		} else if m.value, err = readValue(dec, body); err != nil {
			return err
		}
		idx.members = append(idx.members, m)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	return scanEnd(dec)
}

// readList reads the list that comes next in dec, whose input is body,
// and returns it and its elements as slices of body.
func readList(dec *jsontext.Decoder, body []byte) (json.RawMessage, []json.RawMessage, error) {
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, err
	}
	// The '[' token is one byte, just before the decoder's offset.
	start := int(dec.InputOffset()) - 1
	var elems []json.RawMessage
	for dec.PeekKind() != ']' {
		v, err := readValue(dec, body)
		if err != nil {
			return nil, nil, err
		}
		elems = append(elems, v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, err
	}
	end := int(dec.InputOffset())
	return json.RawMessage(body[start:end:end]), elems, nil
}

// memberPath returns the member name of a path that selects one
// top-level member, such as "results" or "$.nextCursor".
func (p *jsonPath) memberPath() (string, bool) {
	if len(p.steps) != 1 || p.steps[0].kind != stepMember {
		return "", false
	}
	return p.steps[0].name, true
}

// selectIn returns the values that p selects in the body of r. A path of
// one member reads the index; any other path scans the body.
func (p *jsonPath) selectIn(r *Response) ([]json.RawMessage, error) {
	name, ok := p.memberPath()
	if !ok {
		return p.Select(r.Body)
	}
	idx := r.index()
	if idx.err != nil {
		return nil, idx.err
	}
	var out []json.RawMessage
	for _, m := range idx.members {
		if m.name == name {
			out = append(out, m.value)
		}
	}
	return out, nil
}

// elements returns the elements of v when v is a list member of the
// index of r, and false otherwise.
func (r *Response) elements(v json.RawMessage) ([]json.RawMessage, bool) {
	if r.idx == nil || !sameBytes(r.idx.body, r.Body) || len(v) == 0 {
		return nil, false
	}
	for _, m := range r.idx.members {
		if m.list && len(m.value) == len(v) && &m.value[0] == &v[0] {
			// The caller may replace elements in place.
			return slices.Clone(m.elems), true
		}
	}
	return nil, false
}

// EachMember calls fn with each top-level member of the body, in
// document order, and stops at fn's first error. The body is scanned
// once per response, however often EachMember and the engine read it.
// It fails when the body is not valid JSON or not an object.
func (r *Response) EachMember(fn func(name string, value json.RawMessage) error) error {
	idx := r.index()
	switch {
	case idx.err != nil:
		return fmt.Errorf("response is not JSON: %w", idx.err)
	case !idx.object:
		return errors.New("response is not a JSON object")
	}
	for _, m := range idx.members {
		if err := fn(m.name, m.value); err != nil {
			return err
		}
	}
	return nil
}

// firstMember returns the value of the first member called name of the
// JSON object obj, or nil when it has none. It reads obj only up to that
// member, so the rest of obj is not checked.
func firstMember(obj json.RawMessage, name string) (json.RawMessage, error) {
	dec := newScanner(obj)
	if tok, err := dec.ReadToken(); err != nil {
		return nil, err
	} else if tok.Kind() != '{' {
		return nil, fmt.Errorf("invalid JSON: %s where an object should start", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if tok.String() == name {
			return readValue(dec, obj)
		}
		if err := dec.SkipValue(); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
