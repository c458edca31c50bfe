package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

type deletedKey struct{}

// deletions passes the keys of one Extract call to the pipeline's
// recorder, one key at a time.
type deletions struct {
	mu     sync.Mutex
	record func(key []json.RawMessage) error
}

// WithDeletions returns a context for one call of Resource.Extract whose
// MarkDeleted calls pass each key to record. Calls of record never
// overlap, even when Extract calls MarkDeleted from several goroutines.
// An error from record is returned by that MarkDeleted call.
func WithDeletions(ctx context.Context, record func(key []json.RawMessage) error) context.Context {
	return context.WithValue(ctx, deletedKey{}, &deletions{record: record})
}

// MarkDeleted records, from inside Extract, that the API deleted the
// object whose primary key is key: one value per primary key column, in
// the order of schema.Hints.PrimaryKeyColumns. A value is a string, a
// number, a bool or a json.RawMessage that holds one of those. Once the
// package loads, the object's stored row gets _rl_deleted_at, which needs
// SoftDelete in the resource's hints. The pipeline stores the key with
// the extracted items, so it is loaded together with them or not at all.
//
// The delete applies after the items of the same package, so an object
// that Extract both emits and marks deleted ends deleted. A key without a
// stored row changes nothing. MarkDeleted is safe for concurrent use, and
// it does nothing when ctx comes from outside the pipeline.
func MarkDeleted(ctx context.Context, key ...any) error {
	d, ok := ctx.Value(deletedKey{}).(*deletions)
	if !ok {
		return nil
	}
	if len(key) == 0 {
		return errors.New("mark deleted: the key has no values; pass one value per primary key column")
	}
	values := make([]json.RawMessage, len(key))
	for i, v := range key {
		raw, err := keyValue(v)
		if err != nil {
			return fmt.Errorf("mark deleted: value %d of key %v: %w", i+1, key, err)
		}
		values[i] = raw
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.record(values)
}

// keyValue returns v as a JSON scalar that is not null.
func keyValue(v any) (json.RawMessage, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode as JSON: %w", err)
		}
		raw = b
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return nil, fmt.Errorf("decode %q: %w", raw, err)
	}
	switch decoded.(type) {
	case string, float64, bool:
	default:
		return nil, fmt.Errorf("%s is not a string, number or bool, the values a primary key holds", raw)
	}
	// Compact cannot fail on JSON that Unmarshal accepted.
	var b bytes.Buffer
	_ = json.Compact(&b, raw)
	return b.Bytes(), nil
}
