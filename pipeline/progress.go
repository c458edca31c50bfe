package pipeline

import (
	"sync"
	"time"
)

// Progress receives events while a run works, for progress bars or
// periodic log lines. The pipeline makes one call at a time, also when it
// extracts resources concurrently.
type Progress interface {
	// ResourceStarted is called before a resource's extract begins.
	ResourceStarted(name string)
	// PageExtracted is called after each page with the resource's totals.
	PageExtracted(name string, pages, items int64)
	// ResourceDone is called when the extract ends; err is nil on success.
	ResourceDone(name string, pages, items int64, err error)
	// LoadStarted is called before a package is loaded, with its rows per
	// table.
	LoadStarted(loadID string, rows map[string]int64)
	// LoadDone is called when the load ends; err is nil on success.
	LoadDone(loadID string, elapsed time.Duration, err error)
}

// noProgress discards progress events.
type noProgress struct{}

func (noProgress) ResourceStarted(string)                   {}
func (noProgress) PageExtracted(string, int64, int64)       {}
func (noProgress) ResourceDone(string, int64, int64, error) {}
func (noProgress) LoadStarted(string, map[string]int64)     {}
func (noProgress) LoadDone(string, time.Duration, error)    {}

// lockedProgress serializes the calls to a Progress.
type lockedProgress struct {
	mu sync.Mutex
	p  Progress
}

func (l *lockedProgress) ResourceStarted(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.ResourceStarted(name)
}

func (l *lockedProgress) PageExtracted(name string, pages, items int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.PageExtracted(name, pages, items)
}

func (l *lockedProgress) ResourceDone(name string, pages, items int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.ResourceDone(name, pages, items, err)
}

func (l *lockedProgress) LoadStarted(loadID string, rows map[string]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.LoadStarted(loadID, rows)
}

func (l *lockedProgress) LoadDone(loadID string, elapsed time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.LoadDone(loadID, elapsed, err)
}
