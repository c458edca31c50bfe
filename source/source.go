// Package source defines the interfaces a source of data implements. A
// source is a named set of resources. Each resource reads items from an
// API into the pipeline and reports the state (cursors, sync tokens) that
// the pipeline commits once those items are durable in the destination.
package source

import (
	"context"
	"encoding/json"

	"github.com/restload/restload/schema"
)

// Source is a named set of resources, such as an API.
type Source interface {
	// Name names the source in state and in the schema, for example "ashby".
	Name() string
	// Resources lists the resources to extract, in the order to extract them.
	Resources() []Resource
}

// Resource reads the items of one kind, such as Ashby's candidates.
type Resource interface {
	// Name is the resource name, also the key of its state.
	Name() string
	// Hints describe the root table the resource fills.
	Hints() schema.Hints
	// Extract reads items and passes them to emit, one page at a time, in
	// the order the API returns them. state is what the last committed
	// Extract returned, or nil on a first run. Extract returns the state to
	// commit once every emitted item is loaded. If it returns an error the
	// pipeline discards what it emitted and keeps the old state.
	Extract(ctx context.Context, state json.RawMessage, emit func(items []json.RawMessage) error) (json.RawMessage, error)
}

// Preparer is implemented by sources that check their access before a
// run, such as reading which permissions an API key has. The pipeline
// calls Prepare once per run, before Resources; a source may leave out
// the resources it found it cannot read, and must say so in its log. An
// error fails the run before anything is extracted.
type Preparer interface {
	Prepare(ctx context.Context) error
}
