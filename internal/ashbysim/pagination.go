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
//	sync token: 't' endpoint-code clock check
//	cursor:     'c' endpoint-code flags next-index listing-clock [token-clock] check
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
	b := []byte{tagToken, ep.code}
	b = binary.AppendUvarint(b, uint64(clock))
	return o.seal(b)
}

// decodeToken returns the clock of a sync token issued for ep.
func (o *org) decodeToken(ep *endpoint, s string) (int64, error) {
	b, err := o.unseal(s, tagToken)
	if err != nil || b[0] != ep.code {
		return 0, errUndecodable
	}
	clock, n := binary.Uvarint(b[1:])
	if n <= 0 || 1+n != len(b) {
		return 0, errUndecodable
	}
	return int64(clock), nil
}

// cursorState is the decoded content of a cursor.
type cursorState struct {
	next        int   // index of the next object to consider
	start       int64 // clock when the listing began
	incremental bool
	since       int64 // token clock of an incremental listing
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
	fields := []*int64{new(int64), &c.start}
	if c.incremental {
		fields = append(fields, &c.since)
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
	c.next = int(*fields[0])
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
	l := &listing{ep: ep, q: q, total: o.store(ep.kind).total()}
	var since int64
	hasToken := q.syncToken != ""
	if hasToken {
		clock, err := o.decodeToken(ep, q.syncToken)
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
		if c.incremental != hasToken || c.incremental && c.since != since {
			return nil, &apiError{"invalid_next_cursor", "The cursor belongs to a listing with " +
				"a different syncToken. Send the syncToken of the first page with every cursor, " +
				"or none for a full listing."}
		}
		l.cursor = c
	default:
		l.cursor = cursorState{start: o.clock, incremental: hasToken, since: since}
	}
	if l.cursor.incremental {
		l.changed = o.changedSince(ep.kind, l.cursor.since)
	}
	return l, nil
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
		if !l.ep.visible(o, i, l.q) {
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
