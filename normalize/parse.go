package normalize

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// span is the byte range [start, end) of a token in the current line.
type span struct{ start, end int32 }

// node is one JSON value of the current item. Nodes live in one slice
// that is reused from item to item. Members and elements are linked
// through first and next, so walking an item allocates nothing.
type node struct {
	kind byte
	// key is the raw, quoted member name; empty for array elements and
	// the item itself.
	key span
	// val is the raw value. For objects and arrays it runs from the
	// opening to the closing delimiter.
	val   span
	first int32 // first member or element, or -1
	next  int32 // next sibling, or -1
}

// Kinds of nodes: the first byte of the value, with '0' for numbers.
const (
	kindObject = '{'
	kindArray  = '['
	kindString = '"'
	kindNumber = '0'
	kindTrue   = 't'
	kindFalse  = 'f'
	kindNull   = 'n'
)

// maxDepth bounds the nesting of objects and arrays in one item, which
// keeps the recursion that builds rows shallow.
const maxDepth = 10000

// frame is an object or array that the parser has opened and not closed.
type frame struct{ node, last int32 }

// parser reads one JSON value (RFC 8259) from a line into a tree of nodes.
// It is strict: strings must be valid UTF-8 without control characters
// and with valid escapes (surrogates in pairs), numbers must follow the
// JSON grammar, and nothing but whitespace may follow the value. Repeated
// member names are allowed: the naming rules give the second of two
// equal keys its own column, so no value is lost.
type parser struct {
	b     []byte
	nodes []node
	stack []frame
}

// syntaxError is invalid JSON at a byte offset of the line.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off+1, e.msg)
}

func (p *parser) fail(i int, msg string) error {
	if i >= len(p.b) {
		return &syntaxError{off: len(p.b), msg: "the line ends " + msg}
	}
	return &syntaxError{off: i, msg: fmt.Sprintf("found %q %s", p.b[i], msg)}
}

// parse reads the JSON value in line and returns the index of its node.
// Spans of the nodes refer to line.
func (p *parser) parse(line []byte) (int32, error) {
	p.b = line
	p.nodes = p.nodes[:0]
	p.stack = p.stack[:0]
	var key span
	i := skipSpace(line, 0)

	for {
		// i is at the start of a value.
		if i >= len(p.b) {
			return 0, p.fail(i, "before a value")
		}
		idx := int32(len(p.nodes))
		p.nodes = append(p.nodes, node{key: key, first: -1, next: -1})
		p.link(idx)
		nd := &p.nodes[idx]
		start := i
		var err error
		closeNow := false

		switch c := p.b[i]; {
		case c == '{' || c == '[':
			nd.kind = c
			nd.val.start = int32(i)
			if len(p.stack) == maxDepth {
				return 0, &syntaxError{off: i, msg: fmt.Sprintf("objects and arrays nest deeper than %d", maxDepth)}
			}
			p.stack = append(p.stack, frame{node: idx, last: -1})
			i = skipSpace(p.b, i+1)
			switch {
			case i < len(p.b) && p.b[i] == c+2: // '}' or ']'
				closeNow = true
			case c == '{':
				if key, i, err = p.memberName(i); err != nil {
					return 0, err
				}
				continue
			default:
				key = span{}
				continue
			}
		case c == '"':
			nd.kind = kindString
			i, err = p.str(i)
		case c == '-' || isDigit(c):
			nd.kind = kindNumber
			i, err = p.number(i)
		case c == 't':
			nd.kind = kindTrue
			i, err = p.literal(i, "true")
		case c == 'f':
			nd.kind = kindFalse
			i, err = p.literal(i, "false")
		case c == 'n':
			nd.kind = kindNull
			i, err = p.literal(i, "null")
		default:
			return 0, p.fail(i, "where a value should start")
		}
		if err != nil {
			return 0, err
		}
		if !closeNow {
			p.nodes[idx].val = span{int32(start), int32(i)}
		}

		// After a value: a separator, the end of containers, or the end.
		for {
			if !closeNow {
				i = skipSpace(p.b, i)
				if len(p.stack) == 0 {
					if i < len(p.b) {
						return 0, p.fail(i, "after the value; each line holds one JSON value")
					}
					return idx, nil
				}
				top := p.nodes[p.stack[len(p.stack)-1].node].kind
				if i < len(p.b) && p.b[i] == ',' {
					i = skipSpace(p.b, i+1)
					if top == kindObject {
						if key, i, err = p.memberName(i); err != nil {
							return 0, err
						}
					} else {
						key = span{}
					}
					break
				}
				if i >= len(p.b) || p.b[i] != top+2 {
					if top == kindObject {
						return 0, p.fail(i, "after an object member; expected ',' or '}'")
					}
					return 0, p.fail(i, "after an array element; expected ',' or ']'")
				}
			}
			closeNow = false
			f := p.stack[len(p.stack)-1]
			p.stack = p.stack[:len(p.stack)-1]
			i++
			p.nodes[f.node].val.end = int32(i)
			idx = f.node
		}
	}
}

// memberName reads `"name" :` at i and returns the name's span and the
// offset of the member's value.
func (p *parser) memberName(i int) (span, int, error) {
	if i >= len(p.b) || p.b[i] != '"' {
		return span{}, i, p.fail(i, "where a member name should start")
	}
	end, err := p.str(i)
	if err != nil {
		return span{}, i, err
	}
	j := skipSpace(p.b, end)
	if j >= len(p.b) || p.b[j] != ':' {
		return span{}, i, p.fail(j, "after a member name; expected ':'")
	}
	return span{int32(i), int32(end)}, skipSpace(p.b, j+1), nil
}

// link appends node idx to the children of the innermost open container.
func (p *parser) link(idx int32) {
	if len(p.stack) == 0 {
		return
	}
	f := &p.stack[len(p.stack)-1]
	if f.last < 0 {
		p.nodes[f.node].first = idx
	} else {
		p.nodes[f.last].next = idx
	}
	f.last = idx
}

// plainByte marks the bytes that a string holds as they are: printable
// ASCII other than '"' and '\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str validates the string that starts at the quote at i and returns the
// offset after its closing quote.
func (p *parser) str(i int) (int, error) {
	b := p.b
	i++
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, p.fail(i, "inside a string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			n, err := p.escape(i)
			if err != nil {
				return i, err
			}
			i = n
		case c < 0x20:
			return i, &syntaxError{off: i, msg: fmt.Sprintf("control character %#02x in a string; it must be escaped", c)}
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, &syntaxError{off: i, msg: "invalid UTF-8 in a string"}
			}
			i += size
		}
	}
}

// escape validates the escape sequence at the backslash at i and returns
// the offset after it. A \u escape of a high surrogate must be followed by
// one of a low surrogate.
func (p *parser) escape(i int) (int, error) {
	b := p.b
	if i+1 >= len(b) {
		return i, p.fail(i+1, "inside an escape sequence")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
	default:
		return i, &syntaxError{off: i, msg: fmt.Sprintf("invalid escape sequence \\%c", b[i+1])}
	}
	r, ok := hex4(b, i+2)
	if !ok {
		return i, &syntaxError{off: i, msg: "invalid \\u escape; expected 4 hex digits"}
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return i, &syntaxError{off: i, msg: "\\u escape of a low surrogate without a high one"}
	case r >= 0xD800 && r <= 0xDBFF:
		lo, ok := rune(0), i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u'
		if ok {
			lo, ok = hex4(b, i+8)
		}
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return i, &syntaxError{off: i, msg: "\\u escape of a high surrogate without a low one"}
		}
		return i + 12, nil
	}
	return i + 6, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number validates the number at i and returns the offset after it.
func (p *parser) number(i int) (int, error) {
	b := p.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, p.fail(i, "in a number; expected a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, p.fail(i, "after a decimal point; expected a digit")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, p.fail(i, "in an exponent; expected a digit")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

// literal validates the literal word at i.
func (p *parser) literal(i int, word string) (int, error) {
	if len(p.b)-i < len(word) || string(p.b[i:i+len(word)]) != word {
		return i, &syntaxError{off: i, msg: "invalid literal; expected " + word}
	}
	return i + len(word), nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// lineReader splits its input into lines of any length.
type lineReader struct {
	br   *bufio.Reader
	long []byte
}

func (r *lineReader) reset(rd io.Reader) {
	if r.br == nil {
		r.br = bufio.NewReaderSize(rd, 64<<10)
		return
	}
	r.br.Reset(rd)
}

// next returns the next line without its end-of-line byte; the slice is
// valid until the following call. It returns io.EOF after the last line.
func (r *lineReader) next() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if errors.Is(err, io.EOF) && len(b) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b, []byte{'\n'}), nil
}

// isBlank reports whether b holds only JSON whitespace.
func isBlank(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t\r")) == 0
}
