package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logLine is one JSON log line of a restload run.
type logLine struct {
	raw    string
	msg    string
	status string    // the status attribute, set on "resuming package"
	logged time.Time // the time the run wrote in the line
	at     time.Time // when the test read the line
}

// logWatcher collects the JSON log lines that a run writes to standard
// error and wakes up a waiter on each new line. It never blocks the run.
type logWatcher struct {
	started time.Time
	mu      sync.Mutex
	partial []byte
	lines   []logLine
	notify  chan struct{}
}

func newLogWatcher() *logWatcher {
	return &logWatcher{started: time.Now(), notify: make(chan struct{}, 1)}
}

func (w *logWatcher) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, parseLogLine(w.partial[:i], now))
		w.partial = w.partial[i+1:]
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

func parseLogLine(b []byte, at time.Time) logLine {
	l := logLine{raw: string(b), at: at}
	var m struct {
		Time   time.Time `json:"time"`
		Msg    string    `json:"msg"`
		Status string    `json:"status"`
	}
	if json.Unmarshal(b, &m) == nil {
		l.msg, l.status, l.logged = m.Msg, m.Status, m.Time
	}
	return l
}

// all returns the lines read so far.
func (w *logWatcher) all() []logLine {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]logLine(nil), w.lines...)
}

// waitFor feeds each line, in order, to match until it returns true, and
// returns that line. It returns false when the run exits first, and then
// the value on exited is consumed. A nil match matches at once, with the
// start of the run as the line's time.
func (w *logWatcher) waitFor(exited <-chan error, match func(logLine) bool) (logLine, bool) {
	if match == nil {
		return logLine{at: w.started}, true
	}
	seen := 0
	for {
		lines := w.all()
		for _, l := range lines[seen:] {
			if match(l) {
				return l, true
			}
		}
		seen = len(lines)
		select {
		case <-w.notify:
		case <-exited:
			return logLine{}, false
		}
	}
}

// startsPhase returns a matcher for the line that begins the phase p, or
// nil for phaseExtract, which begins with the run. resources is the
// number of resources the run extracts.
func startsPhase(p runPhase, resources int) func(logLine) bool {
	switch p {
	case phaseNormalize:
		extracted := 0
		return func(l logLine) bool {
			switch l.msg {
			case "extracted", "extract failed":
				extracted++
				return extracted == resources
			case "resuming package":
				return l.status == "extracted"
			case "load committed":
				extracted = 0
			}
			return false
		}
	case phaseLoad:
		return func(l logLine) bool { return l.msg == "loading package" || l.msg == "package was already committed" }
	case phaseCommit:
		return func(l logLine) bool { return l.msg == "load committed" }
	}
	return nil
}

// phaseReached returns the phase that a run was in when its log ended.
// A run between its last extracted resource and its manifest on disk is
// still extracting.
func phaseReached(lines []logLine, resources int, e *env) runPhase {
	p, extracted := phaseExtract, 0
	for _, l := range lines {
		switch l.msg {
		case "response", "page extracted":
			if p == phaseCommit {
				p = phaseExtract // the extract after a resumed package
			}
		case "extracted", "extract failed":
			extracted++
			p = phaseExtract
			if extracted == resources {
				p = phaseNormalize
			}
		case "resuming package":
			p = phaseLoad
			if l.status == "extracted" {
				p = phaseNormalize
			}
		case "loading package", "package was already committed", "load started":
			p = phaseLoad
		case "load committed":
			p, extracted = phaseCommit, 0
		}
	}
	if p == phaseNormalize && !manifestWritten(e) {
		p = phaseExtract
	}
	return p
}

// manifestWritten reports whether a pending package has its manifest.
func manifestWritten(e *env) bool {
	dirs, _ := filepath.Glob(filepath.Join(e.dataDir, "pipelines", pipelineName, "packages", "*"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "manifest.json")); err == nil {
			return true
		}
	}
	return false
}

// phaseTiming estimates how long each phase lasts, separately for full
// and incremental runs, from the runs seen so far.
type phaseTiming struct {
	length map[bool]map[runPhase]time.Duration
}

// defaultPhaseLength is the estimate before a phase was observed: a rough
// guess for the crash organisation, which the first runs replace.
var defaultPhaseLength = map[runPhase]time.Duration{
	phaseExtract:   600 * time.Millisecond,
	phaseNormalize: 60 * time.Millisecond,
	phaseLoad:      500 * time.Millisecond,
	phaseCommit:    300 * time.Millisecond,
}

func newPhaseTiming() *phaseTiming {
	return &phaseTiming{length: map[bool]map[runPhase]time.Duration{true: {}, false: {}}}
}

func (pt *phaseTiming) lengthOf(full bool, p runPhase) time.Duration {
	if d, ok := pt.length[full][p]; ok {
		return d
	}
	return defaultPhaseLength[p]
}

// observe records the phases that a run went through from start to end.
// A zero end, for a killed run, leaves the commit phase unmeasured. Runs
// that resumed a package are skipped, because their phases belong to two
// packages.
func (pt *phaseTiming) observe(full bool, lines []logLine, start, end time.Time) {
	var extracted int
	var done, loading, committed time.Time
	for _, l := range lines {
		switch l.msg {
		case "resuming package":
			return
		case "extracted", "extract failed":
			extracted++
			if extracted == len(crashResources) {
				done = l.logged
			}
		case "loading package":
			loading = l.logged
		case "load committed":
			committed = l.logged
		}
	}
	set := func(p runPhase, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() && to.After(from) {
			pt.length[full][p] = to.Sub(from)
		}
	}
	set(phaseExtract, start, done)
	set(phaseNormalize, done, loading)
	set(phaseLoad, loading, committed)
	set(phaseCommit, committed, end)
}
