package rest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
)

// feed passes the fields of a parent's items from the parent's Extract to
// the Extract of its dependents in the same run.
type feed struct {
	mu      sync.Mutex
	started bool
	done    chan struct{}
	ok      bool
	// start is the state the parent's Extract started from, end the one
	// it returned.
	start, end json.RawMessage
	spool      *spool
	// complete is set when the parent's listing held every object, so
	// that its dependents' listings can be complete too.
	complete bool
}

// begin starts recording a run of the parent that starts from state.
func (f *feed) begin(state json.RawMessage) (*spool, error) {
	sp, err := newSpool()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.spool != nil {
		f.spool.close()
	}
	f.started, f.ok, f.complete, f.done = true, false, false, make(chan struct{})
	f.start, f.end, f.spool = state, nil, sp
	return sp, nil
}

// finish ends the recording with the parent's outcome. complete reports
// whether its listing held every object.
func (f *feed) finish(end json.RawMessage, complete bool, extractErr error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := extractErr
	if err == nil {
		err = f.spool.finish()
	}
	f.ok, f.end, f.complete = err == nil, end, err == nil && complete
	close(f.done)
	return err
}

// wait returns the recording of the parent's run in progress or done. ok
// is false when the parent did not start in this run or failed; complete
// reports whether the parent's listing held every object.
func (f *feed) wait(ctx context.Context) (sp *spool, start, end json.RawMessage, complete, ok bool) {
	f.mu.Lock()
	started, done := f.started, f.done
	f.mu.Unlock()
	if !started {
		return nil, nil, nil, false, false
	}
	select {
	case <-ctx.Done():
		return nil, nil, nil, false, false
	case <-done:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spool, f.start, f.end, f.complete, f.ok
}

func (f *feed) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.spool == nil {
		return nil
	}
	err := f.spool.close()
	f.spool = nil
	return err
}

// sameJSON reports whether a and b hold the same JSON value, whatever
// their spacing and member order. Empty counts as null.
func sameJSON(a, b json.RawMessage) bool {
	decode := func(raw json.RawMessage) (any, bool) {
		if len(bytes.TrimSpace(raw)) == 0 {
			return nil, true
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	va, oka := decode(a)
	vb, okb := decode(b)
	return oka && okb && reflect.DeepEqual(va, vb)
}

// spool is a temporary file of JSON lines, one per distinct parent
// record. Its name is removed right after it is created where the system
// allows, so a killed process leaves nothing behind.
type spool struct {
	f    *os.File
	name string
	w    *bufio.Writer
	size int64
	seen map[[16]byte]bool
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "restload-parent-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("create file for parent items: %w", err)
	}
	sp := &spool{f: f, name: f.Name(), w: bufio.NewWriter(f), seen: map[[16]byte]bool{}}
	if os.Remove(f.Name()) == nil {
		sp.name = ""
	}
	return sp, nil
}

// add appends rec unless an equal record was added before, so each parent
// item is read once even when the parent listed it twice.
func (s *spool) add(rec json.RawMessage) error {
	sum := sha256.Sum256(rec)
	var key [16]byte
	copy(key[:], sum[:])
	if s.seen[key] {
		return nil
	}
	s.seen[key] = true
	n, err := s.w.Write(append(rec, '\n'))
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("write parent items: %w", err)
	}
	return nil
}

// finish flushes the records; each may then be called.
func (s *spool) finish() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write parent items: %w", err)
	}
	s.seen = nil
	return nil
}

// each calls fn with every record in the order they were added. Several
// readers may run at once.
func (s *spool) each(fn func(rec json.RawMessage) error) error {
	sc := bufio.NewScanner(io.NewSectionReader(s.f, 0, s.size))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read parent items: %w", err)
	}
	return nil
}

func (s *spool) close() error {
	err := s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	return err
}
