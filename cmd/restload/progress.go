package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/restload/restload/pipeline"
)

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// terminalWidth returns the width in columns of the terminal w, or 0 when
// w is no terminal or reports no size.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// barProgress draws a bar per resource during extract and per root
// table during load. Resources are extracted concurrently, so its maps
// are guarded by mu.
type barProgress struct {
	mu        sync.Mutex
	p         *mpb.Progress
	resources map[string]*resourceBar
	tables    map[string]*mpb.Bar
	totals    map[string]int64
}

// resourceBar is one resource's bar and its page count, which the bar's
// decorator reads from mpb's goroutine.
type resourceBar struct {
	bar     *mpb.Bar
	pages   atomic.Int64
	started time.Time
}

func newBarProgress(w io.Writer) *barProgress {
	return &barProgress{
		p:         mpb.New(mpb.WithOutput(w), mpb.WithWidth(24), mpb.WithRefreshRate(150*time.Millisecond)),
		resources: map[string]*resourceBar{},
		tables:    map[string]*mpb.Bar{},
		totals:    map[string]int64{},
	}
}

func (b *barProgress) ResourceStarted(name string) {
	r := &resourceBar{started: time.Now()}
	r.bar = b.p.New(0, mpb.SpinnerStyle(),
		mpb.PrependDecorators(decor.Name("extract "+name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.Any(func(s decor.Statistics) string {
				return fmt.Sprintf("%d pages  %d items", r.pages.Load(), s.Current)
			}, decor.WCSyncSpace),
			decor.AverageSpeed(0, " %.0f items/s", decor.WCSyncSpace),
		),
	)
	b.mu.Lock()
	b.resources[name] = r
	b.mu.Unlock()
}

func (b *barProgress) PageExtracted(name string, pages, items int64) {
	b.mu.Lock()
	r := b.resources[name]
	b.mu.Unlock()
	r.pages.Store(pages)
	r.bar.EwmaSetCurrent(items, time.Since(r.started))
}

func (b *barProgress) ResourceDone(name string, pages, items int64, err error) {
	b.mu.Lock()
	r := b.resources[name]
	delete(b.resources, name)
	b.mu.Unlock()
	if err != nil {
		r.bar.Abort(false)
		return
	}
	r.bar.SetCurrent(items)
	r.bar.SetTotal(-1, true)
}

func (b *barProgress) LoadStarted(loadID string, rows map[string]int64) {
	// One bar per root table, counting the rows of its child tables too:
	// a source such as Ashby makes hundreds of child tables.
	roots := map[string]int64{}
	for t, n := range rows {
		root, _, _ := strings.Cut(t, "__")
		roots[root] += n
	}
	names := make([]string, 0, len(roots))
	for t := range roots {
		names = append(names, t)
	}
	sort.Strings(names)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range names {
		b.totals[t] = roots[t]
		b.tables[t] = b.p.New(roots[t], mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name("load "+t, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.CountersNoUnit("%d / %d rows", decor.WCSyncSpace)),
		)
	}
}

// LoadDone completes the table bars: a destination applies a package in
// one transaction, so every table is done at the same moment.
func (b *barProgress) LoadDone(loadID string, elapsed time.Duration, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for t, bar := range b.tables {
		if err != nil {
			bar.Abort(false)
		} else {
			bar.SetCurrent(b.totals[t])
		}
		delete(b.tables, t)
	}
}

// Wait draws the final state of the bars.
func (b *barProgress) Wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.resources {
		r.bar.Abort(false)
	}
	for _, bar := range b.tables {
		bar.Abort(false)
	}
	b.p.Wait()
}

// logProgress writes one log line per active resource every interval,
// for runs without a terminal.
type logProgress struct {
	logger   *slog.Logger
	mu       sync.Mutex
	active   map[string]*counts
	stop     chan struct{}
	stopped  sync.WaitGroup
	interval time.Duration
}

type counts struct {
	pages, items int64
	started      time.Time
}

func newLogProgress(logger *slog.Logger, interval time.Duration) *logProgress {
	l := &logProgress{logger: logger, active: map[string]*counts{}, stop: make(chan struct{}), interval: interval}
	l.stopped.Add(1)
	go l.loop()
	return l
}

func (l *logProgress) loop() {
	defer l.stopped.Done()
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			names := make([]string, 0, len(l.active))
			for n := range l.active {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				c := l.active[n]
				secs := time.Since(c.started).Seconds()
				l.logger.Info("extract progress", "resource", n, "pages", c.pages, "items", c.items,
					"items_per_second", int64(float64(c.items)/max(secs, 0.001)))
			}
			l.mu.Unlock()
		}
	}
}

func (l *logProgress) ResourceStarted(name string) {
	l.mu.Lock()
	l.active[name] = &counts{started: time.Now()}
	l.mu.Unlock()
}

func (l *logProgress) PageExtracted(name string, pages, items int64) {
	l.mu.Lock()
	if c := l.active[name]; c != nil {
		c.pages, c.items = pages, items
	}
	l.mu.Unlock()
}

func (l *logProgress) ResourceDone(name string, pages, items int64, err error) {
	l.mu.Lock()
	delete(l.active, name)
	l.mu.Unlock()
}

func (l *logProgress) LoadStarted(loadID string, rows map[string]int64) {
	var total int64
	for _, n := range rows {
		total += n
	}
	l.logger.Info("load started", "load_id", loadID, "tables", len(rows), "rows", total)
}

func (l *logProgress) LoadDone(loadID string, elapsed time.Duration, err error) {
	if err == nil {
		l.logger.Info("load committed", "load_id", loadID, "duration", elapsed.Round(time.Millisecond))
	}
}

// Wait stops the periodic lines.
func (l *logProgress) Wait() {
	close(l.stop)
	l.stopped.Wait()
}

var (
	_ pipeline.Progress = (*barProgress)(nil)
	_ pipeline.Progress = (*logProgress)(nil)
)
