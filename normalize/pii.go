package normalize

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/restload/restload/schema"
)

// ErrNoHashKey is returned by Normalize when a column hint sets PII mode
// hash and the Normalizer has no HashKey.
var ErrNoHashKey = errors.New("a column hint sets pii hash, but no hash key is configured")

// maskText is the replacement of a masked value or of its hidden part.
const maskText = "***"

// piiText returns the text of the scalar node v that a PII transform
// works on: a string's content, a number's literal, "true" or "false".
// The result is valid until the next call that unquotes a string.
func (n *Normalizer) piiText(v int32) []byte {
	nd := &n.p.nodes[v]
	raw := n.line[nd.val.start:nd.val.end]
	if nd.kind == kindString {
		return n.unquoted(raw)
	}
	return raw
}

// appendPII appends the scalar node v transformed by mode (hash or mask)
// as a JSON string.
func (n *Normalizer) appendPII(mode schema.PIIMode, v int32) {
	n.appendPIIText(mode, n.p.nodes[v].kind == kindString, n.piiText(v))
}

// appendPIIText appends text transformed by mode (hash or mask) as a JSON
// string. isString reports whether text is the content of a string,
// which masking keeps a little of.
func (n *Normalizer) appendPIIText(mode schema.PIIMode, isString bool, text []byte) {
	if mode == schema.PIIHash {
		n.out = append(n.out, '"')
		n.out = n.appendHash(n.out, text)
		n.out = append(n.out, '"')
		return
	}
	n.scratch = appendMask(n.scratch[:0], isString, text)
	n.out, _ = jsontext.AppendQuote(n.out, n.scratch)
}

// appendHash appends the lowercase hex HMAC-SHA256 of text under the
// Normalizer's hash key.
func (n *Normalizer) appendHash(dst, text []byte) []byte {
	if n.mac == nil {
		n.mac = hmac.New(sha256.New, n.HashKey)
	}
	n.mac.Reset()
	n.mac.Write(text)
	return hex.AppendEncode(dst, n.mac.Sum(n.sum[:0]))
}

// appendMask appends the masked form of a value to dst. A string with an
// "@" followed by a domain keeps the first character of the part before
// the last "@", then "***", "@" and the domain. Any other string of at
// least four characters keeps its first character, followed by "***".
// Everything else becomes "***". text must not share memory with dst.
func appendMask(dst []byte, isString bool, text []byte) []byte {
	if !isString {
		return append(dst, maskText...)
	}
	at := bytes.LastIndexByte(text, '@')
	first := text
	if at >= 0 {
		first = text[:at]
	}
	_, size := utf8.DecodeRune(first)
	if at >= 0 && at+1 < len(text) && isDomain(text[at+1:]) {
		dst = append(dst, first[:size]...)
		dst = append(dst, maskText...)
		return append(dst, text[at:]...)
	}
	if utf8.RuneCount(text) < 4 {
		return append(dst, maskText...)
	}
	dst = append(dst, text[:size]...)
	return append(dst, maskText...)
}

// isDomain reports whether b looks like a mail domain: no spaces or
// further "@", and a dot that is neither first nor last.
func isDomain(b []byte) bool {
	dot := false
	for i, c := range b {
		switch c {
		case ' ', '\t', '@', '<', '>':
			return false
		case '.':
			if i > 0 && i < len(b)-1 {
				dot = true
			}
		}
	}
	return dot
}

// appendRedacted appends the object or list node v as compact JSON with
// every value below a PII path transformed: hashed or masked scalars
// become strings, and dropped members are left out. The hint node nd
// belongs to v's path. Elements of a list are matched like child rows: an
// object's members below the list's node, a scalar under "value" and a
// list under "list".
func (n *Normalizer) appendRedacted(v int32, nd *hintNode) {
	node := &n.p.nodes[v]
	switch node.kind {
	case kindObject:
		n.out = append(n.out, '{')
		first := true
		for c := node.first; c >= 0; c = n.p.nodes[c].next {
			k := n.p.nodes[c].key
			key := n.line[k.start:k.end]
			cn := nd.child(n.identifier(key))
			if cn != nil && cn.pii == schema.PIIDrop {
				continue
			}
			if !first {
				n.out = append(n.out, ',')
			}
			first = false
			n.out = append(n.out, key...)
			n.out = append(n.out, ':')
			n.appendRedacted(c, cn)
		}
		n.out = append(n.out, '}')
	case kindArray:
		n.out = append(n.out, '[')
		first := true
		for e := node.first; e >= 0; e = n.p.nodes[e].next {
			en := nd
			switch n.p.nodes[e].kind {
			case kindObject:
			case kindArray:
				en = nd.child("list")
			default:
				en = nd.child("value")
			}
			if en != nil && en.pii == schema.PIIDrop {
				continue
			}
			if !first {
				n.out = append(n.out, ',')
			}
			first = false
			n.appendRedacted(e, en)
		}
		n.out = append(n.out, ']')
	case kindNull:
		n.out = append(n.out, "null"...)
	default:
		if nd != nil && (nd.pii == schema.PIIHash || nd.pii == schema.PIIMask) {
			n.appendPII(nd.pii, v)
			return
		}
		n.out = appendCompact(n.out, n.line[node.val.start:node.val.end])
	}
}
