package webhook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func putEvents(t *testing.T, s *Spool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		dup, err := s.Put(context.Background(), Event{ID: id, Action: "jobUpdate", Body: eventBody(id)})
		if err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
		if dup {
			t.Fatalf("put %s: reported duplicate", id)
		}
	}
}

func pendingIDs(t *testing.T, s *Spool, limit int) []string {
	t.Helper()
	events, err := s.Pending(limit)
	if err != nil {
		t.Fatalf("pending: %v", err)
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	return ids
}

func TestSpoolPendingOrder(t *testing.T) {
	s := openTestSpool(t, t.TempDir())
	ids := []string{"e5", "e1", "e4", "e2", "e3"}
	putEvents(t, s, ids...)
	if got := strings.Join(pendingIDs(t, s, 0), ","); got != "e5,e1,e4,e2,e3" {
		t.Errorf("pending = %s, want arrival order e5,e1,e4,e2,e3", got)
	}
	if got := strings.Join(pendingIDs(t, s, 2), ","); got != "e5,e1" {
		t.Errorf("pending(2) = %s, want e5,e1", got)
	}
	if s.Len() != 5 {
		t.Errorf("len = %d, want 5", s.Len())
	}
}

func TestSpoolPutDuplicate(t *testing.T) {
	s := openTestSpool(t, t.TempDir())
	putEvents(t, s, "a")
	dup, err := s.Put(context.Background(), Event{ID: "a", Action: "jobUpdate", Body: []byte(`{"other":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !dup {
		t.Error("second put of a not reported as duplicate")
	}
	events, err := s.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || string(events[0].Body) != string(eventBody("a")) {
		t.Errorf("pending = %+v, want the first body only", events)
	}
}

func TestSpoolReopenKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	putEvents(t, s, "x", "y")
	s.Close()

	s2 := openTestSpool(t, dir)
	events, err := s2.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("pending after reopen = %d events, want 2", len(events))
	}
	for i, id := range []string{"x", "y"} {
		if events[i].ID != id || events[i].Action != "jobUpdate" {
			t.Errorf("event %d = %s/%s, want %s/jobUpdate", i, events[i].ID, events[i].Action, id)
		}
		if string(events[i].Body) != string(eventBody(id)) {
			t.Errorf("event %d body = %s, want %s", i, events[i].Body, eventBody(id))
		}
		if events[i].Received.IsZero() {
			t.Errorf("event %d has no receive time", i)
		}
	}
	putEvents(t, s2, "z")
	if got := strings.Join(pendingIDs(t, s2, 0), ","); got != "x,y,z" {
		t.Errorf("pending = %s, want x,y,z", got)
	}
}

func TestSpoolIgnoresTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	putEvents(t, s, "kept")
	s.Close()
	// A crash during write leaves a temporary file with a partial event.
	half := filepath.Join(dir, tempPrefix+hashID("torn")+"-123")
	if err := os.WriteFile(half, []byte(`{"seq":9,"id":"torn","act`), 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := openTestSpool(t, dir)
	if got := strings.Join(pendingIDs(t, s2, 0), ","); got != "kept" {
		t.Errorf("pending = %s, want kept", got)
	}
	if _, err := os.Stat(half); !os.IsNotExist(err) {
		t.Errorf("temporary file still present: %v", err)
	}
	dup, err := s2.Put(context.Background(), Event{ID: "torn", Action: "jobUpdate", Body: eventBody("torn")})
	if err != nil || dup {
		t.Errorf("put torn = dup %v, err %v; want stored", dup, err)
	}
}

func TestSpoolAck(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	putEvents(t, s, "a", "b", "c")
	if err := s.Ack([]string{"a", "c", "unknown"}); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if got := strings.Join(pendingIDs(t, s, 0), ","); got != "b" {
		t.Errorf("pending = %s, want b", got)
	}
	if n := len(eventFiles(t, dir)); n != 1 {
		t.Errorf("event files = %d, want 1", n)
	}
	dup, err := s.Put(context.Background(), Event{ID: "a", Body: eventBody("a")})
	if err != nil || !dup {
		t.Errorf("put after ack = dup %v, err %v; want duplicate", dup, err)
	}
	s.Close()

	s2 := openTestSpool(t, dir)
	dup, err = s2.Put(context.Background(), Event{ID: "c", Body: eventBody("c")})
	if err != nil || !dup {
		t.Errorf("put after reopen = dup %v, err %v; want duplicate", dup, err)
	}
	dup, err = s2.Put(context.Background(), Event{ID: "unknown", Body: eventBody("unknown")})
	if err != nil || dup {
		t.Errorf("put of id never stored = dup %v, err %v; want stored", dup, err)
	}
}

func TestSpoolAckedBounded(t *testing.T) {
	dir := t.TempDir()
	const keep = 3
	s, err := OpenSpool(dir, keep)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		id := fmt.Sprintf("ev-%d", i)
		putEvents(t, s, id)
		if err := s.Ack([]string{id}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, ackedName))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines > 2*keep {
		t.Errorf("acked list has %d lines, want at most %d", lines, 2*keep)
	}
	dup, _ := s.Put(context.Background(), Event{ID: "ev-19", Body: eventBody("ev-19")})
	if !dup {
		t.Error("newest acked id not remembered")
	}
	dup, _ = s.Put(context.Background(), Event{ID: "ev-0", Body: eventBody("ev-0")})
	if dup {
		t.Error("oldest acked id still remembered beyond the bound")
	}
}

func TestSpoolFinishesInterruptedAck(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	putEvents(t, s, "done", "open")
	s.Close()
	// A crash after the acked list was written and before the file was
	// removed leaves both. A torn last line must not count.
	acked := hashID("done") + "\n" + hashID("open")[:20]
	if err := os.WriteFile(filepath.Join(dir, ackedName), []byte(acked), 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := openTestSpool(t, dir)
	if got := strings.Join(pendingIDs(t, s2, 0), ","); got != "open" {
		t.Errorf("pending = %s, want open", got)
	}
	if n := len(eventFiles(t, dir)); n != 1 {
		t.Errorf("event files = %d, want 1", n)
	}
}

func TestSpoolConcurrentSameID(t *testing.T) {
	s := openTestSpool(t, t.TempDir())
	var stored atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			dup, err := s.Put(context.Background(), Event{ID: "same", Body: eventBody("same")})
			if err != nil {
				t.Error(err)
			}
			if !dup {
				stored.Add(1)
			}
		})
	}
	wg.Wait()
	if stored.Load() != 1 {
		t.Errorf("stored %d times, want 1", stored.Load())
	}
	if s.Len() != 1 {
		t.Errorf("len = %d, want 1", s.Len())
	}
}

func TestSpoolCorruptEventFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, hashID("bad")+eventExt)
	if err := os.WriteFile(bad, []byte("not a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenSpool(dir, 0)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("open = %v, want an error naming %s", err, bad)
	}
}

func TestSpoolConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("c-%d", i)
			if dup, err := s.Put(context.Background(), Event{ID: id, Body: eventBody(id)}); err != nil || dup {
				t.Errorf("put %s = dup %v, err %v", id, dup, err)
			}
		})
	}
	wg.Wait()
	s.Close()

	s2 := openTestSpool(t, dir)
	if got := len(pendingIDs(t, s2, 0)); got != n {
		t.Errorf("pending after reopen = %d, want %d", got, n)
	}
}

func TestSpoolMisnamedEventFile(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSpool(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	putEvents(t, s, "real")
	s.Close()
	if err := os.Rename(filepath.Join(dir, hashID("real")+eventExt), filepath.Join(dir, hashID("other")+eventExt)); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSpool(dir, 0); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("open = %v, want a name mismatch error", err)
	}
}
