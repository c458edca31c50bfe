package webhook

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultKeepAcked is the number of acknowledged event ids a spool
// remembers when OpenSpool is given zero. Ashby retries a failed delivery
// at most 10 times over roughly six hours, so this covers six hours at
// about 4.6 events per second.
const DefaultKeepAcked = 100_000

const (
	eventExt   = ".event"
	tempPrefix = ".tmp-"
	ackedName  = "acked"
)

// Spool is a folder of received events, one file per event, named by the
// SHA-256 of its webhookActionId. Its methods are safe for concurrent use.
//
// An event file is written under a temporary name, fsynced, renamed into
// place and the folder fsynced, so a crash leaves either a complete event
// or a temporary file that OpenSpool deletes. The file "acked" lists the
// hashes of recently acknowledged ids, one per line.
type Spool struct {
	dir  string
	keep int

	mu       sync.Mutex
	seq      uint64
	pending  map[string]spooled // by hash
	inflight map[string]*putCall
	acked    map[string]struct{}
	ackOrder []string // hashes in acknowledgement order, oldest first
	notify   chan struct{}

	// dirSync shares one folder fsync among concurrent Puts.
	dirSync dirSyncer

	// ackMu serialises writes to the acked file.
	ackMu     sync.Mutex
	ackFile   *os.File
	ackLines  int
	closeOnce sync.Once
}

// spooled is the index entry of one pending event.
type spooled struct {
	seq uint64
	id  string
}

// putCall lets a concurrent Put of the same id wait for the first.
type putCall struct {
	done chan struct{}
	err  error
}

// header is the first line of an event file, and the raw body follows it.
type header struct {
	Seq      uint64    `json:"seq"`
	ID       string    `json:"id"`
	Action   string    `json:"action"`
	Received time.Time `json:"received"`
}

// OpenSpool opens the spool in dir, creating the folder if needed. It
// deletes temporary files left by a crash and finishes acknowledgements
// that a crash interrupted. keepAcked bounds how many acknowledged ids
// the spool remembers, and zero means DefaultKeepAcked.
func OpenSpool(dir string, keepAcked int) (*Spool, error) {
	if keepAcked <= 0 {
		keepAcked = DefaultKeepAcked
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool folder %s: %w", dir, err)
	}
	s := &Spool{
		dir:      dir,
		keep:     keepAcked,
		pending:  make(map[string]spooled),
		inflight: make(map[string]*putCall),
		acked:    make(map[string]struct{}),
		notify:   make(chan struct{}, 1),
	}
	if err := s.readAcked(); err != nil {
		return nil, err
	}
	if err := s.readEvents(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.path(ackedName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open acked list in %s: %w", dir, err)
	}
	s.ackFile = f
	return s, nil
}

func (s *Spool) path(name string) string { return filepath.Join(s.dir, name) }

// hashID returns the file name stem of the event with webhookActionId id.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// readAcked loads the acked list, keeping its newest s.keep hashes.
func (s *Spool) readAcked() error {
	data, err := os.ReadFile(s.path(ackedName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read acked list in %s: %w", s.dir, err)
	}
	for line := range strings.Lines(string(data)) {
		// A line without its newline is the tail of an append that a
		// crash cut short, and its events are still in the spool.
		key, ok := strings.CutSuffix(line, "\n")
		if !ok || len(key) != sha256.Size*2 {
			continue
		}
		s.ackLines++
		s.remember(key)
	}
	return nil
}

// remember adds key to the acked set and drops the oldest keys beyond
// s.keep. The caller holds s.mu or owns s exclusively.
func (s *Spool) remember(key string) {
	if _, ok := s.acked[key]; ok {
		return
	}
	s.acked[key] = struct{}{}
	s.ackOrder = append(s.ackOrder, key)
	if extra := len(s.ackOrder) - s.keep; extra > 0 {
		for _, old := range s.ackOrder[:extra] {
			delete(s.acked, old)
		}
		s.ackOrder = slices.Delete(s.ackOrder, 0, extra)
	}
}

// readEvents indexes the event files and removes leftovers of a crash.
func (s *Spool) readEvents() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list spool folder %s: %w", s.dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(s.path(name)); err != nil {
				return fmt.Errorf("remove temporary spool file %s: %w", s.path(name), err)
			}
		case strings.HasSuffix(name, eventExt):
			key := strings.TrimSuffix(name, eventExt)
			if _, ok := s.acked[key]; ok {
				// An acknowledgement recorded the id but a crash came
				// before it removed the file.
				if err := os.Remove(s.path(name)); err != nil {
					return fmt.Errorf("remove acknowledged event %s: %w", s.path(name), err)
				}
				continue
			}
			h, _, err := readEventFile(s.path(name))
			if err != nil {
				return err
			}
			if hashID(h.ID) != key {
				return fmt.Errorf("read spooled event %s: its name does not match the id %q inside; move the file out of the spool folder and inspect it", s.path(name), h.ID)
			}
			s.pending[key] = spooled{seq: h.Seq, id: h.ID}
			s.seq = max(s.seq, h.Seq)
		}
	}
	return syncDir(s.dir)
}

// readEventFile returns the header and the raw body of an event file.
func readEventFile(path string) (header, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return header{}, nil, fmt.Errorf("read spooled event: %w", err)
	}
	line, body, ok := bytes.Cut(data, []byte("\n"))
	var h header
	if !ok {
		return header{}, nil, fmt.Errorf("read spooled event %s: no header line; move the file out of the spool folder and inspect it", path)
	}
	if err := json.Unmarshal(line, &h); err != nil || h.ID == "" {
		return header{}, nil, fmt.Errorf("read spooled event %s: invalid header line; move the file out of the spool folder and inspect it", path)
	}
	return h, body, nil
}

// Put stores ev durably and returns once it is on disk. A second Put of
// an id that is pending or was acknowledged recently stores nothing and
// reports duplicate. A Put of an id that another Put is storing waits for
// that one and reports duplicate if it succeeded.
func (s *Spool) Put(ctx context.Context, ev Event) (duplicate bool, err error) {
	if ev.ID == "" {
		return false, errors.New("put event: empty webhookActionId")
	}
	key := hashID(ev.ID)
	for {
		s.mu.Lock()
		_, isPending := s.pending[key]
		_, isAcked := s.acked[key]
		if isPending || isAcked {
			s.mu.Unlock()
			return true, nil
		}
		if c, ok := s.inflight[key]; ok {
			s.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return false, fmt.Errorf("put event %s: %w", ev.ID, ctx.Err())
			}
			if c.err == nil {
				return true, nil
			}
			continue // the other Put failed, so try again
		}
		c := &putCall{done: make(chan struct{})}
		s.inflight[key] = c
		s.seq++
		seq := s.seq
		s.mu.Unlock()

		if ev.Received.IsZero() {
			ev.Received = time.Now().UTC()
		}
		err := s.write(key, header{Seq: seq, ID: ev.ID, Action: ev.Action, Received: ev.Received}, ev.Body)

		s.mu.Lock()
		delete(s.inflight, key)
		if err == nil {
			s.pending[key] = spooled{seq: seq, id: ev.ID}
		}
		s.mu.Unlock()
		c.err = err
		close(c.done)
		if err != nil {
			return false, fmt.Errorf("put event %s: %w", ev.ID, err)
		}
		select {
		case s.notify <- struct{}{}:
		default:
		}
		return false, nil
	}
}

// write creates the event file through a fsynced temporary file.
func (s *Spool) write(key string, h header, body []byte) error {
	line, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode event header: %w", err)
	}
	f, err := os.CreateTemp(s.dir, tempPrefix+key+"-*")
	if err != nil {
		return fmt.Errorf("create temporary file in %s: %w", s.dir, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	buf := make([]byte, 0, len(line)+1+len(body))
	buf = append(append(append(buf, line...), '\n'), body...)
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, s.path(key+eventExt)); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	done = true
	return s.dirSync.sync(s.dir)
}

// dirSyncer lets concurrent callers share folder fsyncs. One caller at a
// time leads: it takes the callers waiting so far, fsyncs the folder,
// which covers their renames and its own, and then hands the lead to the
// next waiting caller so that no caller runs more than one fsync.
type dirSyncer struct {
	mu      sync.Mutex
	running bool
	waiting []chan syncResult
}

type syncResult struct {
	err  error
	lead bool
}

func (d *dirSyncer) sync(dir string) error {
	d.mu.Lock()
	if d.running {
		c := make(chan syncResult, 1)
		d.waiting = append(d.waiting, c)
		d.mu.Unlock()
		if r := <-c; !r.lead {
			return r.err
		}
		d.mu.Lock()
	}
	d.running = true
	group := d.waiting
	d.waiting = nil
	d.mu.Unlock()

	err := syncDir(dir)
	for _, c := range group {
		c <- syncResult{err: err}
	}

	d.mu.Lock()
	if len(d.waiting) == 0 {
		d.running = false
		d.mu.Unlock()
		return err
	}
	next := d.waiting[0]
	d.waiting = d.waiting[1:]
	d.mu.Unlock()
	next <- syncResult{lead: true}
	return err
}

// syncDir fsyncs a folder so that renames and removals in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// Len returns the number of pending events.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Notify returns a channel that receives a value after a Put stored a new
// event. Several Puts may share one value.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

// Pending returns up to limit pending events in arrival order, all of them
// when limit is zero or less.
func (s *Spool) Pending(limit int) ([]Event, error) {
	type item struct {
		key string
		seq uint64
	}
	s.mu.Lock()
	items := make([]item, 0, len(s.pending))
	for key, e := range s.pending {
		items = append(items, item{key, e.seq})
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	events := make([]Event, 0, len(items))
	for _, it := range items {
		h, body, err := readEventFile(s.path(it.key + eventExt))
		if errors.Is(err, fs.ErrNotExist) {
			continue // acknowledged since the index was copied
		}
		if err != nil {
			return nil, err
		}
		events = append(events, Event{ID: h.ID, Action: h.Action, Received: h.Received, Body: body})
	}
	return events, nil
}

// Ack records the events with the given ids as loaded and removes them
// from the spool. Ids that are not pending are ignored. The ids are
// written to the acked list before the files are removed, so a crash in
// between makes the next OpenSpool finish the removal.
func (s *Spool) Ack(ids []string) error {
	s.mu.Lock()
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		if key := hashID(id); s.isPending(key) {
			keys = append(keys, key)
		}
	}
	s.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}

	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	if err := s.appendAcked(keys); err != nil {
		return err
	}
	s.mu.Lock()
	for _, key := range keys {
		delete(s.pending, key)
		s.remember(key)
	}
	s.mu.Unlock()
	for _, key := range keys {
		if err := os.Remove(s.path(key + eventExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove acknowledged event: %w", err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if s.ackLines > 2*s.keep {
		return s.compactAcked()
	}
	return nil
}

func (s *Spool) isPending(key string) bool {
	_, ok := s.pending[key]
	return ok
}

// appendAcked appends keys to the acked list and fsyncs it. The caller
// holds s.ackMu.
func (s *Spool) appendAcked(keys []string) error {
	if s.ackFile == nil {
		return errors.New("acknowledge events: spool is closed")
	}
	var b strings.Builder
	for _, key := range keys {
		b.WriteString(key)
		b.WriteByte('\n')
	}
	if _, err := s.ackFile.WriteString(b.String()); err != nil {
		return fmt.Errorf("append to acked list in %s: %w", s.dir, err)
	}
	if err := s.ackFile.Sync(); err != nil {
		return fmt.Errorf("sync acked list in %s: %w", s.dir, err)
	}
	s.ackLines += len(keys)
	return nil
}

// compactAcked rewrites the acked list with only the remembered hashes,
// which bounds the file at about 2*keep lines. The caller holds s.ackMu.
func (s *Spool) compactAcked() error {
	s.mu.Lock()
	keys := slices.Clone(s.ackOrder)
	s.mu.Unlock()
	f, err := os.CreateTemp(s.dir, tempPrefix+ackedName+"-*")
	if err != nil {
		return fmt.Errorf("compact acked list in %s: %w", s.dir, err)
	}
	w := bufio.NewWriter(f)
	for _, key := range keys {
		w.WriteString(key)
		w.WriteByte('\n')
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), s.path(ackedName))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("compact acked list in %s: %w", s.dir, err)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	nf, err := os.OpenFile(s.path(ackedName), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("reopen acked list in %s: %w", s.dir, err)
	}
	s.ackFile.Close()
	s.ackFile = nf
	s.ackLines = len(keys)
	return nil
}

// Check reports whether the spool folder accepts a new fsynced file.
func (s *Spool) Check() error {
	f, err := os.CreateTemp(s.dir, tempPrefix+"check-*")
	if err != nil {
		return fmt.Errorf("check spool folder %s: %w", s.dir, err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString("ok\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("check spool folder %s: %w", s.dir, err)
	}
	return nil
}

// Close releases the acked list. Pending events stay on disk for the next
// OpenSpool.
func (s *Spool) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.ackMu.Lock()
		defer s.ackMu.Unlock()
		err = s.ackFile.Close()
		s.ackFile = nil
	})
	return err
}
