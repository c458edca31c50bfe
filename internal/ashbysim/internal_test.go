package ashbysim

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"testing"
	"time"
)

func TestAppendQuoted(t *testing.T) {
	tests := []string{
		"", "plain", `quote " and backslash \`, "line\nbreak\ttab\rreturn",
		"control \x00\x01\x1f", "José Müller – 東京", "invalid \xff byte", "</script>&",
	}
	for _, s := range tests {
		raw := appendQuoted(nil, s)
		var back string
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Errorf("appendQuoted(%q) = %s, not JSON: %v", s, raw, err)
			continue
		}
		// encoding/json also turns each invalid byte into U+FFFD.
		var want string
		wantRaw, _ := json.Marshal(s)
		if err := json.Unmarshal(wantRaw, &want); err != nil {
			t.Fatal(err)
		}
		if back != want {
			t.Errorf("appendQuoted(%q) decodes to %q, want %q", s, back, want)
		}
	}
}

func TestWriterNumbers(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{3.25, "3.25"},
		{120000, "120000"},
		{98500.75, "98500.75"},
		{4_294_967_296, "4294967296"},
		{-2, "-2"},
		{1e21, "1000000000000000000000"},
		{0.1, "0.1"},
	}
	for _, tt := range tests {
		var w jsonWriter
		w.number(tt.in)
		if string(w.buf) != tt.want {
			t.Errorf("number(%v) = %s, want %s", tt.in, w.buf, tt.want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	r := rng{s: 1}
	values := []int64{0, 1, 999, historyStart, historyEnd - 1, 253402300799999}
	for range 10_000 {
		values = append(values, int64(r.next()%253402300799999))
	}
	for _, ms := range values {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		if got := string(appendTimestamp(nil, ms)); got != want {
			t.Fatalf("appendTimestamp(%d) = %s, want %s", ms, got, want)
		}
	}
}

func TestWriterCommas(t *testing.T) {
	var w jsonWriter
	w.open()
	w.fieldString("a", "x")
	w.key("b")
	w.openArray()
	w.int(1)
	w.open()
	w.close()
	w.openArray()
	w.closeArray()
	w.null()
	w.closeArray()
	w.fieldBool("c", true)
	w.close()
	want := `{"a":"x","b":[1,{},[],null],"c":true}`
	if string(w.buf) != want {
		t.Errorf("got %s, want %s", w.buf, want)
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIDsUnique(t *testing.T) {
	seen := map[uuid]bool{}
	for _, k := range []kind{kindCandidate, kindApplication, kindUser, kindRequisition} {
		for _, i := range []int{0, 1, 2, 1000, 1 << 20, 1<<40 - 1} {
			for _, seed := range []uint64{0, 1, math.MaxUint64} {
				id := newID(seed, k, i)
				s := id.String()
				if !uuidPattern.MatchString(s) {
					t.Fatalf("id %s of kind %d index %d is not a lowercase v4 UUID", s, k, i)
				}
				if back, ok := parseUUID(s); !ok || back != id {
					t.Fatalf("parseUUID(%s) = %v, %v", s, back, ok)
				}
				if seen[id] {
					t.Fatalf("id %s issued twice", s)
				}
				seen[id] = true
			}
		}
	}
	for i := range 200_000 {
		id := newID(7, kindCandidate, i)
		if seen[id] {
			t.Fatalf("candidate %d repeats an id", i)
		}
		seen[id] = true
	}
}

func TestApplicationMapping(t *testing.T) {
	o := newOrg(9, 10_007)
	next := 0
	for c := range o.n.candidates {
		first, count := o.baseApplications(c)
		if first != next {
			t.Fatalf("candidate %d: first application %d, want %d", c, first, next)
		}
		for a := first; a < first+count; a++ {
			owner, position := o.applicationOwner(a)
			if owner != c || position != a-first {
				t.Fatalf("application %d: owner %d position %d, want %d %d", a, owner, position, c, a-first)
			}
		}
		next += count
	}
	if next != o.n.applications {
		t.Errorf("candidates hold %d applications, the organisation counts %d", next, o.n.applications)
	}
	for f := range o.n.offers {
		a := o.offerApplication(f)
		if got, ok := o.generatedOffer(a); !ok || got != f {
			t.Fatalf("offer %d: application %d finds offer %d, %v", f, a, got, ok)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	o := newOrg(3, 10)
	ep := endpointByName("candidate.list")
	for _, c := range []cursorState{
		{next: 0, start: 0},
		{next: 1 << 30, start: 12},
		{next: 7, start: 3, incremental: true, since: 2},
	} {
		got, err := o.decodeCursor(ep, o.encodeCursor(ep, c))
		if err != nil || got != c {
			t.Errorf("cursor %+v decoded as %+v, %v", c, got, err)
		}
	}
	for _, clock := range []int64{0, 1, 1 << 40} {
		got, err := o.decodeToken(ep, o.encodeToken(ep, clock))
		if err != nil || got != clock {
			t.Errorf("token of clock %d decoded as %d, %v", clock, got, err)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	o := newOrg(3, 10)
	ep := endpointByName("application.list")
	f.Add(o.encodeCursor(ep, cursorState{next: 5, start: 1}))
	f.Add(o.encodeToken(ep, 4))
	f.Add("")
	f.Add("YwUACgCxlw")
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := o.decodeCursor(ep, s); err == nil {
			if again := o.encodeCursor(ep, c); again != s {
				t.Errorf("cursor %q decodes to %+v, which encodes as %q", s, c, again)
			}
		}
		if clock, err := o.decodeToken(ep, s); err == nil {
			if again := o.encodeToken(ep, clock); again != s {
				t.Errorf("token %q decodes to %d, which encodes as %q", s, clock, again)
			}
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	o := newOrg(3, 10)
	f.Add("job.list", `{"status": ["Open"], "limit": 5, "expand": ["location"]}`)
	f.Add("offer.list", `{"offerStatus": [], "createdAfter": 1.5}`)
	f.Add("application.list", `{"jobId": "3ae2b801-19f6-41ef-ad28-214bd731948f", "status": "Lead"}`)
	f.Add("candidate.list", `[`)
	f.Fuzz(func(t *testing.T, name, body string) {
		ep := endpointByName(name)
		if ep == nil {
			return
		}
		members, err := decodeBody([]byte(body))
		if err == nil {
			var q *query
			q, err = parseQuery(ep, o, members)
			if err == nil && (q.limit < 1 || q.limit > maxLimit) {
				t.Errorf("limit %d out of range for %s", q.limit, body)
			}
		}
		var apiErr *apiError
		if err != nil && (!errors.As(err, &apiErr) || apiErr.code != "invalid_input") {
			t.Errorf("body %s: error %v is not invalid_input", body, err)
		}
	})
}

func TestSplitIDRoundTrip(t *testing.T) {
	const seed = 91
	for _, k := range []kind{kindCandidate, kindApplication, kindJobPosting, kindOrganization} {
		for _, i := range []int{0, 1, 77, 1 << 20, 2<<32 | 5, 1<<40 - 1} {
			gotKind, gotIndex, ok := splitID(seed, newID(seed, k, i))
			if !ok || gotKind != k || gotIndex != i {
				t.Errorf("splitID(newID(%d, %d)) = %d, %d, %v", k, i, gotKind, gotIndex, ok)
			}
		}
	}
	if _, _, ok := splitID(seed, newID(seed+1, kindCandidate, 3)); ok {
		t.Error("splitID accepted an id of another seed")
	}
	foreign, _ := parseUUID("3ae2b801-19f6-41ef-ad28-214bd731948f")
	if _, _, ok := splitID(seed, foreign); ok {
		t.Error("splitID accepted a foreign UUID")
	}
}
