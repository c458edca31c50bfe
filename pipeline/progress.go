package pipeline

import "time"

// Progress receives events while a run works, for progress bars or
// periodic log lines. Calls come from the goroutine that runs the
// pipeline, one at a time.
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
