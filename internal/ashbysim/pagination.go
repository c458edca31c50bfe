package ashbysim

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"sync"
)

// Cursors and sync tokens are short base64url strings over a few varints
// and a 16-bit check keyed by the seed. They are opaque to clients. The
// check makes a mistyped value, or one from an organisation with another
// seed, fail to decode, except by a chance of 1 in 65,536.
//
//	sync token: 't' endpoint-code clock [variant] check
//	cursor:     'c' endpoint-code flags next-index listing-clock [token-clock] [variant] check
//
// Only endpoints with several listings (one per survey type or parent)
// carry the variant.
//
// A sync token carries the logical clock at which the listing that issued
// it started. A later request with the token gets the objects changed
// after that clock. A cursor carries the index to continue from and the
// listing's start clock, so the final token covers changes made while
// paging.

const (
	tagToken  = 't'
	tagCursor = 'c'

	cursorIncremental = 1
)

var errUndecodable = errors.New("undecodable")

func (o *org) seal(payload []byte) string {
	check := uint16(hash(o.seed, 0x7e57, uint64(len(payload)), hashBytes(payload)))
	payload = binary.BigEndian.AppendUint16(payload, check)
	return base64.RawURLEncoding.EncodeToString(payload)
}

func (o *org) unseal(s string, tag byte) ([]byte, error) {
	// The decoder skips newlines, and Strict rejects stray trailing bits,
	// so each token has exactly one spelling.
	if strings.ContainsAny(s, "\r\n") {
		return nil, errUndecodable
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) < 4 || raw[0] != tag {
		return nil, errUndecodable
	}
	payload := raw[:len(raw)-2]
	check := uint16(hash(o.seed, 0x7e57, uint64(len(payload)), hashBytes(payload)))
	if binary.BigEndian.Uint16(raw[len(raw)-2:]) != check {
		return nil, errUndecodable
	}
	return payload[1:], nil
}

func hashBytes(b []byte) uint64 {
	h := uint64(len(b))
	for _, c := range b {
		h = mix64(h ^ uint64(c))
	}
	return h
}

func (o *org) encodeToken(ep *endpoint, clock int64) string {
	return o.encodeVariantToken(ep, 0, clock)
}

// encodeVariantToken encodes a sync token of listing variant of ep.
func (o *org) encodeVariantToken(ep *endpoint, variant int, clock int64) string {
	b := []byte{tagToken, ep.code}
	b = binary.AppendUvarint(b, uint64(clock))
	if ep.variant != nil {
		b = binary.AppendUvarint(b, uint64(variant))
	}
	return o.seal(b)
}

// decodeToken returns the clock of a sync token issued for ep.
func (o *org) decodeToken(ep *endpoint, s string) (int64, error) {
	clock, _, err := o.decodeVariantToken(ep, s)
	return clock, err
}

// decodeVariantToken returns the clock and listing variant of a sync
// token issued for ep.
func (o *org) decodeVariantToken(ep *endpoint, s string) (clock int64, variant int, err error) {
	b, err := o.unseal(s, tagToken)
	if err != nil || b[0] != ep.code {
		return 0, 0, errUndecodable
	}
	b = b[1:]
	fields := []*int64{&clock}
	var v int64
	if ep.variant != nil {
		fields = append(fields, &v)
	}
	for _, f := range fields {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, 0, errUndecodable
		}
		*f, b = int64(x), b[n:]
	}
	if len(b) != 0 {
		return 0, 0, errUndecodable
	}
	return clock, int(v), nil
}

// cursorState is the decoded content of a cursor.
type cursorState struct {
	next        int   // index of the next object to consider
	start       int64 // clock when the listing began
	incremental bool
	since       int64 // token clock of an incremental listing
	variant     int   // listing variant, for endpoints that have them
}

func (o *org) encodeCursor(ep *endpoint, c cursorState) string {
	flags := byte(0)
	if c.incremental {
		flags |= cursorIncremental
	}
	b := []byte{tagCursor, ep.code, flags}
	b = binary.AppendUvarint(b, uint64(c.next))
	b = binary.AppendUvarint(b, uint64(c.start))
	if c.incremental {
		b = binary.AppendUvarint(b, uint64(c.since))
	}
	if ep.variant != nil {
		b = binary.AppendUvarint(b, uint64(c.variant))
	}
	return o.seal(b)
}

func (o *org) decodeCursor(ep *endpoint, s string) (cursorState, error) {
	var c cursorState
	b, err := o.unseal(s, tagCursor)
	if err != nil || len(b) < 2 || b[0] != ep.code {
		return c, errUndecodable
	}
	c.incremental = b[1]&cursorIncremental != 0
	b = b[2:]
	var variant int64
	fields := []*int64{new(int64), &c.start}
	if c.incremental {
		fields = append(fields, &c.since)
	}
	if ep.variant != nil {
		fields = append(fields, &variant)
	}
	for _, f := range fields {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return c, errUndecodable
		}
		*f, b = int64(v), b[n:]
	}
	if len(b) != 0 {
		return c, errUndecodable
	}
	c.next, c.variant = int(*fields[0]), int(variant)
	return c, nil
}

// listing is the set of objects one request pages through: every object
// of the kind, or only those changed after a sync token's clock.
type listing struct {
	ep      *endpoint
	q       *query
	total   int   // objects of the kind; the full listing is [0, total)
	changed []int // sorted indexes of an incremental listing
	cursor  cursorState
}

// openListing resolves the cursor and sync token of a request.
func (o *org) openListing(ep *endpoint, q *query) (*listing, error) {
	l := &listing{ep: ep, q: q, total: o.listSize(ep, q)}
	var since int64
	hasToken := q.syncToken != ""
	variant := ep.variantOf(q)
	if hasToken {
		clock, v, err := o.decodeVariantToken(ep, q.syncToken)
		if err == nil && v != variant {
			return nil, &apiError{"sync_token_invalid", "The syncToken belongs to another listing of " +
				ep.name + " (another " + ep.variantParam() + "). Send the token of this listing, " +
				"or none for a full sync."}
		}
		if err != nil {
			return nil, &apiError{"sync_token_invalid", "The syncToken could not be decoded for " +
				ep.name + ". Drop the stored token and run a full sync."}
		}
		if clock > o.clock {
			return nil, &apiError{"sync_token_invalid", "The syncToken is from a later state of " +
				"this organisation than the current one. Drop the stored token and run a full sync."}
		}
		since = clock
	}
	switch {
	case q.cursor != "":
		c, err := o.decodeCursor(ep, q.cursor)
		if err != nil {
			return nil, &apiError{"invalid_next_cursor", "The cursor could not be decoded for " +
				ep.name + ". Restart the listing from its first page."}
		}
		if c.incremental != hasToken || c.incremental && c.since != since || c.variant != variant {
			return nil, &apiError{"invalid_next_cursor", "The cursor belongs to a listing with " +
				"a different syncToken. Send the syncToken of the first page with every cursor, " +
				"or none for a full listing."}
		}
		l.cursor = c
	default:
		l.cursor = cursorState{start: o.clock, incremental: hasToken, since: since, variant: variant}
	}
	if l.cursor.incremental {
		l.changed = o.changedIn(ep, q, l.cursor.since)
	}
	return l, nil
}

// listSize returns the end of the index range a full listing of ep walks:
// the object count of its kind, or the number of children of q's parent.
func (o *org) listSize(ep *endpoint, q *query) int {
	if ep.children != nil {
		return len(q.children)
	}
	return o.store(ep.kind).total()
}

// changedIn returns the sorted indexes of ep's listing under q that
// changed after clock since.
func (o *org) changedIn(ep *endpoint, q *query, since int64) []int {
	if ep.children == nil {
		return o.changedSince(ep.kind, since)
	}
	var out []int
	for k, c := range q.children {
		if c.clock > since {
			out = append(out, k)
		}
	}
	return out
}

// listed reports whether a listing of ep under q shows index i: the
// object exists and passes the endpoint's filters.
func (o *org) listed(ep *endpoint, i int, q *query) bool {
	if ep.children == nil && o.gone(ep.kind, i) {
		return false
	}
	return ep.visible(o, i, q)
}

func (ep *endpoint) variantOf(q *query) int {
	if ep.variant == nil {
		return 0
	}
	return ep.variant(q)
}

// variantParam returns the name of the parameter that distinguishes ep's
// listings.
func (ep *endpoint) variantParam() string {
	if ep.parent != nil {
		return ep.parent.param
	}
	return "surveyType"
}

// changedCache keeps the last changedSince result per kind, so that the
// pages of one incremental listing sort the changed indexes once.
type changedCache struct {
	mu      sync.Mutex
	entries map[kind]changedEntry
}

type changedEntry struct {
	since, clock int64
	indexes      []int
}

// changedSince returns the sorted indexes of objects of kind k changed
// after clock since. Callers hold at least the read lock of the org.
func (o *org) changedSince(k kind, since int64) []int {
	c := &o.changedCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok && e.since == since && e.clock == o.clock {
		return e.indexes
	}
	indexes := o.store(k).changedSince(since)
	if c.entries == nil {
		c.entries = map[kind]changedEntry{}
	}
	c.entries[k] = changedEntry{since: since, clock: o.clock, indexes: indexes}
	return indexes
}

// page collects up to limit visible indexes from the cursor on. It looks
// one object further to know whether more data is available, and returns
// that object's index as the next position.
func (o *org) page(l *listing, limit int) (items []int, more bool, next int) {
	visit := func(i int) bool {
		if !o.listed(l.ep, i, l.q) {
			return true
		}
		if len(items) == limit {
			more, next = true, i
			return false
		}
		items = append(items, i)
		return true
	}
	if l.cursor.incremental {
		from := sort.SearchInts(l.changed, l.cursor.next)
		for _, i := range l.changed[from:] {
			if !visit(i) {
				break
			}
		}
		return items, more, next
	}
	for i := l.cursor.next; i < l.total; i++ {
		if !visit(i) {
			break
		}
	}
	return items, more, next
}
