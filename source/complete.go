package source

import (
	"context"
	"sync/atomic"
)

type completeKey struct{}

// WithCompletion returns a context for one call of Resource.Extract and a
// function that reports, after Extract returned, whether the resource
// called MarkComplete on it.
func WithCompletion(ctx context.Context) (context.Context, func() bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, completeKey{}, flag), flag.Load
}

// MarkComplete records, from inside Extract, that the items emitted in
// this call are every object the API holds for the resource: a full
// listing, not an incremental one, a filtered one or one cut short. The
// pipeline then marks the stored rows whose keys the listing lacks as
// deleted, for tables that track deletes (schema.Hints.SoftDelete). A
// resource that cannot tell must not call it: a missed call only delays
// the marking, a wrong one marks live rows deleted.
func MarkComplete(ctx context.Context) {
	if flag, ok := ctx.Value(completeKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
}
