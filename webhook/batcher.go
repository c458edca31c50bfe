package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Batcher defaults, used where a Batcher field is zero.
//
// DefaultBatchSize is large because a batch costs mostly per table and
// little per event: each batch is one pipeline run that merges into every
// table its events touch. Measured with "restload-bench webhook" into
// DuckDB on 2 cores, batches of 100 loaded about 150 events/s and
// batches of 1,000 about 400 to 550 events/s. A batch of 1,000 emulated
// Ashby events is about 3 MB of payloads in memory.
const (
	DefaultBatchSize    = 1000
	DefaultBatchWait    = 5 * time.Second
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = time.Minute
	DefaultDrainTimeout = 30 * time.Second
)

// LoadFunc loads a batch of events in arrival order. It may receive an
// event again after a crash between its return and the acknowledgement,
// so it must be idempotent by Event.ID.
type LoadFunc func(ctx context.Context, events []Event) error

// Batcher passes spooled events to Load in batches and acknowledges them
// in the spool after Load returned nil. Set the fields before Run.
type Batcher struct {
	// Spool holds the events to load. It is required.
	Spool *Spool
	// Load loads one batch. It is required.
	Load LoadFunc
	// BatchSize is the maximum number of events per batch. A batch is
	// loaded as soon as this many are pending. Zero means DefaultBatchSize.
	BatchSize int
	// BatchWait is how long the first event of a batch waits for more
	// before the batch is loaded anyway. Zero means DefaultBatchWait.
	BatchWait time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed load is
	// retried. The wait doubles after each failure. Zero means
	// DefaultMinBackoff and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// DrainTimeout bounds how long Run keeps loading after its context
	// is cancelled. Zero means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Logger receives batch results and retries. Nil discards them.
	Logger *slog.Logger

	mu      sync.Mutex
	lastErr error
}

// LastError returns the error of the last load or acknowledgement, or nil
// when it succeeded or none has run.
func (b *Batcher) LastError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastErr
}

func (b *Batcher) setLastError(err error) {
	b.mu.Lock()
	b.lastErr = err
	b.mu.Unlock()
}

func (b *Batcher) defaults() {
	if b.BatchSize <= 0 {
		b.BatchSize = DefaultBatchSize
	}
	if b.BatchWait <= 0 {
		b.BatchWait = DefaultBatchWait
	}
	if b.MinBackoff <= 0 {
		b.MinBackoff = DefaultMinBackoff
	}
	if b.MaxBackoff < b.MinBackoff {
		b.MaxBackoff = max(DefaultMaxBackoff, b.MinBackoff)
	}
	if b.DrainTimeout <= 0 {
		b.DrainTimeout = DefaultDrainTimeout
	}
	if b.Logger == nil {
		b.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run loads batches until ctx is cancelled, then drains: it loads what is
// pending for at most DrainTimeout. Events left at startup are loaded at
// once. Run returns nil when the spool was drained, or an error naming
// how many events stay pending for the next start.
func (b *Batcher) Run(ctx context.Context) error {
	if b.Spool == nil || b.Load == nil {
		return errors.New("run batcher: Spool and Load are required")
	}
	b.defaults()
	b.flush(ctx, true) // events left by an earlier process

	timer := time.NewTimer(b.BatchWait)
	timer.Stop()
	armed := false
	for ctx.Err() == nil {
		n := b.Spool.Len()
		switch {
		case n >= b.BatchSize:
			b.flush(ctx, false)
			continue
		case n > 0 && !armed:
			timer.Reset(b.BatchWait)
			armed = true
		}
		select {
		case <-ctx.Done():
		case <-b.Spool.Notify():
		case <-timer.C:
			armed = false
			b.flush(ctx, false)
		}
	}
	timer.Stop()
	return b.drain(context.WithoutCancel(ctx))
}

// flush loads batches until fewer than BatchSize events are pending, or
// none when all is set, or until ctx is done. A failed load is retried
// with backoff.
func (b *Batcher) flush(ctx context.Context, all bool) {
	backoff := b.MinBackoff
	for ctx.Err() == nil {
		loaded, err := b.loadBatch(ctx)
		if err != nil {
			b.Logger.Warn("webhook batch load failed, retrying", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, b.MaxBackoff)
			continue
		}
		backoff = b.MinBackoff
		n := b.Spool.Len()
		if loaded == 0 || n == 0 || !all && n < b.BatchSize {
			return
		}
	}
}

// loadBatch loads and acknowledges the oldest pending events and returns
// how many it loaded.
func (b *Batcher) loadBatch(ctx context.Context) (int, error) {
	events, err := b.Spool.Pending(b.BatchSize)
	if err != nil {
		b.setLastError(err)
		return 0, err
	}
	if len(events) == 0 {
		return 0, nil
	}
	start := time.Now()
	if err := b.Load(ctx, events); err != nil {
		err = fmt.Errorf("load %d webhook events: %w", len(events), err)
		b.setLastError(err)
		return 0, err
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	if err := b.Spool.Ack(ids); err != nil {
		// The events stay pending and load again, which is safe because
		// Load is idempotent.
		err = fmt.Errorf("acknowledge %d loaded webhook events: %w", len(ids), err)
		b.setLastError(err)
		return 0, err
	}
	b.setLastError(nil)
	b.Logger.Info("webhook batch loaded", "events", len(events), "duration", time.Since(start))
	return len(events), nil
}

// drain loads everything pending within DrainTimeout.
func (b *Batcher) drain(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.DrainTimeout)
	defer cancel()
	backoff := b.MinBackoff
	for b.Spool.Len() > 0 {
		if _, err := b.loadBatch(ctx); err != nil {
			b.Logger.Warn("webhook drain load failed, retrying", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, b.MaxBackoff)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if n := b.Spool.Len(); n > 0 {
		return fmt.Errorf("drain webhook spool: %d events still pending after %s; they load on the next start", n, b.DrainTimeout)
	}
	return nil
}
