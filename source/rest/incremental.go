package rest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// incrSpec is a parsed Incremental.
type incrSpec struct {
	cfg     *Incremental
	cursor  *jsonPath
	initial json.RawMessage // nil when unset
	end     json.RawMessage // nil when unset
	lag     *lag
	// keys identify an item at the boundary; nil means the whole item.
	keys    []*jsonPath
	missing string
}

func newIncrSpec(in *Incremental, resourceKey []string) (*incrSpec, error) {
	s := &incrSpec{cfg: in, missing: in.OnCursorValueMissing}
	var err error
	if s.cursor, err = compilePath(in.CursorPath); err != nil {
		return nil, err
	}
	if in.InitialValue != "" {
		s.initial = literalJSON(in.InitialValue)
	}
	if in.EndValue != "" {
		s.end = literalJSON(in.EndValue)
	}
	if in.Lag != "" {
		if s.lag, err = parseLag(in.Lag); err != nil {
			return nil, err
		}
	}
	keys := in.PrimaryKey
	if keys == nil {
		keys = resourceKey
	}
	for _, k := range keys {
		p, err := compilePath(k)
		if err != nil {
			return nil, fmt.Errorf("primary key %q: %w", k, err)
		}
		s.keys = append(s.keys, p)
	}
	if s.missing == "" {
		s.missing = "raise"
	}
	return s, nil
}

// incrState is the incremental part of a resource's stored state.
type incrState struct {
	CursorPath   string          `json:"cursor_path"`
	InitialValue json.RawMessage `json:"initial_value,omitempty"`
	LastValue    json.RawMessage `json:"last_value,omitempty"`
	// UniqueHashes identify the items, by key and cursor value, whose
	// cursor lay in the boundary window of the last value: equal to it,
	// or within the lag below it.
	UniqueHashes []string `json:"unique_hashes,omitempty"`
}

// incrRun filters one run's items and tracks the next state.
type incrRun struct {
	spec *incrSpec
	old  *incrState
	// last is the stored last value, or the initial value on a first run.
	last json.RawMessage
	// start is last moved back by the lag: the lowest cursor value kept.
	start  json.RawMessage
	seen   map[string]bool
	newMax json.RawMessage
	// window holds the cursor values and hashes of kept or skipped items
	// that may still lie in the boundary window of newMax.
	window []windowItem
}

type windowItem struct {
	value json.RawMessage
	hash  string
}

func (s *incrSpec) begin(stored *incrState) (*incrRun, error) {
	r := &incrRun{spec: s, seen: map[string]bool{}}
	if stored != nil && stored.CursorPath == s.cfg.CursorPath && len(stored.LastValue) > 0 {
		r.old = stored
		r.last = stored.LastValue
		for _, h := range stored.UniqueHashes {
			r.seen[h] = true
		}
	} else {
		r.last = s.initial
	}
	r.start = r.last
	if r.last != nil && s.lag != nil {
		var err error
		if r.start, err = s.lag.subtract(r.last); err != nil {
			return nil, fmt.Errorf("apply lag %s to %s: %w", s.cfg.Lag, r.last, err)
		}
	}
	return r, nil
}

// value returns the JSON of an {incremental.*} placeholder; nil when it
// has none.
func (r *incrRun) value(name string) json.RawMessage {
	switch name {
	case "start_value":
		return r.start
	case "initial_value":
		return r.spec.initial
	case "last_value":
		return r.last
	case "end_value":
		return r.spec.end
	}
	return nil
}

// keep reports whether item is new: its cursor is inside [start, end) and
// it was not loaded before at the same cursor value.
func (r *incrRun) keep(item json.RawMessage) (bool, error) {
	vals, err := r.spec.cursor.Select(item)
	if err != nil {
		return false, err
	}
	if len(vals) == 0 || isNull(vals[0]) {
		switch r.spec.missing {
		case "include":
			return true, nil
		case "exclude":
			return false, nil
		}
		return false, fmt.Errorf("item has no value at cursor path %s: set on_cursor_value_missing to include or exclude such items: %.200s",
			r.spec.cfg.CursorPath, item)
	}
	v := vals[0]
	if r.spec.end != nil {
		cmp, err := compareCursors(v, r.spec.end)
		if err != nil {
			return false, err
		}
		if cmp >= 0 {
			return false, nil
		}
	}
	inWindow := false
	if r.start != nil {
		cmp, err := compareCursors(v, r.start)
		if err != nil {
			return false, err
		}
		if cmp < 0 {
			return false, nil
		}
		if cmp2, err := compareCursors(v, r.last); err == nil && cmp2 <= 0 {
			inWindow = true
		}
	}
	h, err := r.hash(item, v)
	if err != nil {
		return false, err
	}
	if err := r.track(v, h); err != nil {
		return false, err
	}
	if inWindow && r.seen[h] {
		return false, nil
	}
	return true, nil
}

// track updates the highest cursor value and the boundary window.
func (r *incrRun) track(v json.RawMessage, h string) error {
	if r.newMax == nil {
		r.newMax = v
	} else {
		cmp, err := compareCursors(v, r.newMax)
		if err != nil {
			return err
		}
		if cmp > 0 {
			r.newMax = v
		}
	}
	r.window = append(r.window, windowItem{value: v, hash: h})
	if len(r.window) > 1024 && len(r.window)%1024 == 0 {
		r.window = r.pruned()
	}
	return nil
}

// pruned returns the window items still within the lag of newMax.
func (r *incrRun) pruned() []windowItem {
	low := r.newMax
	if r.spec.lag != nil {
		if l, err := r.spec.lag.subtract(r.newMax); err == nil {
			low = l
		}
	}
	out := r.window[:0]
	for _, w := range r.window {
		if cmp, err := compareCursors(w.value, low); err == nil && cmp >= 0 {
			out = append(out, w)
		}
	}
	return out
}

// state returns the state to store after a successful run. A run with an
// end value is a backfill and leaves the stored state as it was.
func (r *incrRun) state() *incrState {
	if r.spec.end != nil || r.newMax == nil {
		return r.old
	}
	st := &incrState{CursorPath: r.spec.cfg.CursorPath, InitialValue: r.spec.initial, LastValue: r.newMax}
	hashes := map[string]bool{}
	for _, w := range r.pruned() {
		hashes[w.hash] = true
	}
	// Items of the old window that a later run may see again keep their
	// hashes while the windows overlap.
	if r.old != nil {
		if cmp, err := compareCursors(r.newMax, r.old.LastValue); err == nil && cmp == 0 {
			for _, h := range r.old.UniqueHashes {
				hashes[h] = true
			}
		}
	}
	for h := range hashes {
		st.UniqueHashes = append(st.UniqueHashes, h)
	}
	slices.Sort(st.UniqueHashes)
	return st
}

// hash identifies an item by its key fields, or by all of it, together
// with its cursor value.
func (r *incrRun) hash(item, cursor json.RawMessage) (string, error) {
	h := sha256.New()
	if len(r.spec.keys) == 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, item); err != nil {
			return "", err
		}
		h.Write(b.Bytes())
	}
	for _, k := range r.spec.keys {
		vals, err := k.Select(item)
		if err != nil {
			return "", err
		}
		if len(vals) == 0 {
			return "", fmt.Errorf("item has no primary key field %s: %.200s", k, item)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, vals[0]); err != nil {
			return "", err
		}
		h.Write(b.Bytes())
		h.Write([]byte{0})
	}
	h.Write([]byte{1})
	h.Write(bytes.TrimSpace(cursor))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:15]), nil
}

// cursorValue is a cursor read for comparison.
type cursorValue struct {
	num    *big.Rat
	t      time.Time
	layout string
	s      string
	kind   byte // 'n' number, 't' time, 's' string
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02"}

func parseCursor(raw json.RawMessage) (cursorValue, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return cursorValue{}, errors.New("empty cursor value")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return cursorValue{}, err
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return cursorValue{t: t, layout: l, kind: 't'}, nil
			}
		}
		return cursorValue{s: s, kind: 's'}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, ok := new(big.Rat).SetString(string(raw))
		if !ok {
			return cursorValue{}, fmt.Errorf("invalid number %s", raw)
		}
		return cursorValue{num: n, kind: 'n'}, nil
	}
	return cursorValue{}, fmt.Errorf("cursor value %.60s is not a number or a string", raw)
}

// compareCursors returns -1, 0 or 1 as a is before, equal to or after b.
// Numbers compare by value, timestamps and dates by time, other strings
// by bytes; values of different kinds are an error.
func compareCursors(a, b json.RawMessage) (int, error) {
	va, err := parseCursor(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseCursor(b)
	if err != nil {
		return 0, err
	}
	if va.kind != vb.kind {
		return 0, fmt.Errorf("cursor values %.60s and %.60s are of different kinds", a, b)
	}
	switch va.kind {
	case 'n':
		return va.num.Cmp(vb.num), nil
	case 't':
		return va.t.Compare(vb.t), nil
	}
	return strings.Compare(va.s, vb.s), nil
}

// lag is a cursor lag: a duration for timestamps or a number for numeric
// cursors.
type lag struct {
	dur time.Duration
	num *big.Rat
}

func parseLag(s string) (*lag, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return &lag{dur: d, num: new(big.Rat).SetFloat64(d.Seconds())}, nil
	}
	if n, ok := new(big.Rat).SetString(s); ok && n.Sign() >= 0 {
		return &lag{dur: time.Duration(mustFloat(n) * float64(time.Second)), num: n}, nil
	}
	return nil, fmt.Errorf("invalid lag %q: use a duration such as 1h or 90s, or a number", s)
}

func mustFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// subtract returns v moved back by the lag, of the same kind as v: a
// number for numbers, a timestamp in v's layout for times.
func (l *lag) subtract(v json.RawMessage) (json.RawMessage, error) {
	cv, err := parseCursor(v)
	if err != nil {
		return nil, err
	}
	switch cv.kind {
	case 'n':
		n := new(big.Rat).Sub(cv.num, l.num)
		if n.IsInt() {
			return json.RawMessage(n.Num().String()), nil
		}
		return json.RawMessage(n.FloatString(9)), nil
	case 't':
		return json.Marshal(cv.t.Add(-l.dur).Format(cv.layout))
	}
	return nil, fmt.Errorf("a lag needs a numeric or time cursor, got %.60s", v)
}
