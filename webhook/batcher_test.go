package webhook

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a LoadFunc that records batches and fails while failing
// is above zero.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	times   []time.Time
	failing int
	calls   int
	loaded  chan struct{}
}

func newRecorder() *recorder { return &recorder{loaded: make(chan struct{}, 100)} }

func (r *recorder) load(ctx context.Context, events []Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failing > 0 {
		r.failing--
		return errors.New("destination unavailable")
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	r.batches = append(r.batches, ids)
	r.times = append(r.times, time.Now())
	r.loaded <- struct{}{}
	return nil
}

func (r *recorder) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-r.loaded:
	case <-time.After(timeout):
		t.Fatalf("no batch loaded within %s", timeout)
	}
}

func (r *recorder) snapshot() ([][]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.batches...), r.calls
}

// runBatcher starts b and returns a func that stops it and returns Run's
// error.
func runBatcher(t *testing.T, b *Batcher) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestBatcherBatchSize(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 3, BatchWait: time.Hour}
	runBatcher(t, b)
	putEvents(t, spool, "a", "b")
	select {
	case <-rec.loaded:
		t.Fatal("loaded a batch of 2 with BatchSize 3 and BatchWait 1h")
	case <-time.After(200 * time.Millisecond):
	}
	putEvents(t, spool, "c")
	rec.wait(t, 5*time.Second)
	batches, _ := rec.snapshot()
	if len(batches) != 1 || strings.Join(batches[0], ",") != "a,b,c" {
		t.Errorf("batches = %v, want [[a b c]]", batches)
	}
	waitLen(t, spool, 0)
}

func TestBatcherBatchWait(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	const wait = 300 * time.Millisecond
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 100, BatchWait: wait}
	runBatcher(t, b)
	start := time.Now()
	putEvents(t, spool, "only")
	rec.wait(t, 5*time.Second)
	batches, _ := rec.snapshot()
	rec.mu.Lock()
	loadedAt := rec.times[0]
	rec.mu.Unlock()
	if elapsed := loadedAt.Sub(start); elapsed < wait || elapsed > wait+2*time.Second {
		t.Errorf("batch loaded after %s, want about %s", elapsed, wait)
	}
	if len(batches) != 1 || strings.Join(batches[0], ",") != "only" {
		t.Errorf("batches = %v, want [[only]]", batches)
	}
}

func TestBatcherRetries(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	rec.failing = 2
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 1, BatchWait: time.Hour,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	runBatcher(t, b)
	putEvents(t, spool, "r1")
	deadline := time.Now().Add(5 * time.Second)
	for b.LastError() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.LastError(); err == nil || !strings.Contains(err.Error(), "destination unavailable") {
		t.Errorf("last error while failing = %v, want the load error", err)
	}
	rec.wait(t, 5*time.Second)
	_, calls := rec.snapshot()
	if calls != 3 {
		t.Errorf("load called %d times, want 3", calls)
	}
	waitLen(t, spool, 0)
	// The batcher clears the error just after the acknowledgement.
	deadline = time.Now().Add(5 * time.Second)
	for b.LastError() != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.LastError(); err != nil {
		t.Errorf("last error after success = %v, want nil", err)
	}
}

func TestBatcherLoadsBacklogAtStart(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	putEvents(t, spool, "old1", "old2", "old3")
	rec := newRecorder()
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 2, BatchWait: time.Hour}
	runBatcher(t, b)
	rec.wait(t, 5*time.Second)
	rec.wait(t, 5*time.Second)
	batches, _ := rec.snapshot()
	if len(batches) != 2 || strings.Join(batches[0], ",") != "old1,old2" ||
		strings.Join(batches[1], ",") != "old3" {
		t.Errorf("batches = %v, want [[old1 old2] [old3]]", batches)
	}
}

func TestBatcherDrainsOnStop(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 100, BatchWait: time.Hour}
	stop := runBatcher(t, b)
	putEvents(t, spool, "d1", "d2")
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	batches, _ := rec.snapshot()
	if len(batches) != 1 || strings.Join(batches[0], ",") != "d1,d2" {
		t.Errorf("batches = %v, want [[d1 d2]]", batches)
	}
	if spool.Len() != 0 {
		t.Errorf("spool holds %d events after drain, want 0", spool.Len())
	}
}

func TestBatcherDrainTimeout(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	rec.failing = 1 << 30
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 100, BatchWait: time.Hour,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		DrainTimeout: 200 * time.Millisecond}
	stop := runBatcher(t, b)
	putEvents(t, spool, "stuck")
	start := time.Now()
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "1 events still pending") {
		t.Errorf("run = %v, want an error about 1 pending event", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("drain took %s, want about 200ms", elapsed)
	}
	if spool.Len() != 1 {
		t.Errorf("spool holds %d events, want 1 kept for the next start", spool.Len())
	}
}

func waitLen(t *testing.T, s *Spool, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() != want {
		if time.Now().After(deadline) {
			t.Fatalf("spool holds %d events, want %d", s.Len(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
