package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TraceFile is the name of the last run's trace in the working folder.
const TraceFile = "trace.json"

// Trace records what the last run did: its steps with their timings, each
// resource's pages and items, and errors. It is written to the working
// folder when a run ends, whether it succeeded or not.
type Trace struct {
	Pipeline   string          `json:"pipeline"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Error      string          `json:"error,omitempty"`
	Steps      []StepTrace     `json:"steps"`
	Resources  []ResourceTrace `json:"resources"`
	Packages   []PackageInfo   `json:"packages"`
}

// StepTrace is one step of a run on one package.
type StepTrace struct {
	Name      string        `json:"name"`
	LoadID    string        `json:"load_id,omitempty"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	Error     string        `json:"error,omitempty"`
}

// ResourceTrace is one resource's extract.
type ResourceTrace struct {
	Name string `json:"name"`
	// Pages counts the pages the resource emitted, one per request that
	// returned data; retried requests are not counted.
	Pages    int64         `json:"pages"`
	Items    int64         `json:"items"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
}

// step runs fn as a named step and records it in the trace.
func (t *Trace) step(name, loadID string, fn func() error) error {
	s := StepTrace{Name: name, LoadID: loadID, StartedAt: time.Now().UTC()}
	err := fn()
	s.Duration = time.Since(s.StartedAt)
	if err != nil {
		s.Error = err.Error()
	}
	t.Steps = append(t.Steps, s)
	return err
}

// save writes the trace into dir.
func (t *Trace) save(dir string) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode trace: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, TraceFile), b)
}

// ReadTrace reads the trace of the last run from a working folder.
func ReadTrace(workDir string) (*Trace, error) {
	b, err := os.ReadFile(filepath.Join(workDir, TraceFile))
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	var t Trace
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(workDir, TraceFile), err)
	}
	return &t, nil
}
