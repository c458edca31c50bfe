package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/restload/restload/source"
)

// recorder collects the keys passed to WithDeletions's function as
// strings of comma-joined JSON values.
type recorder struct {
	keys []string
	busy bool
	err  error
}

func (r *recorder) record(key []json.RawMessage) error {
	if r.busy {
		return errors.New("record called while another call was running")
	}
	r.busy = true
	defer func() { r.busy = false }()
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = string(v)
	}
	r.keys = append(r.keys, fmt.Sprint(parts))
	return r.err
}

func TestMarkDeletedValues(t *testing.T) {
	tests := []struct {
		name string
		key  []any
		want string
	}{
		{"string", []any{"c1"}, `["c1"]`},
		{"int", []any{42}, `[42]`},
		{"float", []any{1.5}, `[1.5]`},
		{"bool", []any{true}, `[true]`},
		{"raw number keeps its digits", []any{json.RawMessage(`12345678901234567890`)}, `[12345678901234567890]`},
		{"raw string compacted", []any{json.RawMessage(` "x" `)}, `["x"]`},
		{"two columns", []any{"board", 7}, `["board" 7]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			ctx := source.WithDeletions(context.Background(), r.record)
			if err := source.MarkDeleted(ctx, tt.key...); err != nil {
				t.Fatalf("MarkDeleted: %v", err)
			}
			if !slices.Equal(r.keys, []string{tt.want}) {
				t.Errorf("recorded %q, want %q", r.keys, tt.want)
			}
		})
	}
}

func TestMarkDeletedRejects(t *testing.T) {
	tests := []struct {
		name string
		key  []any
	}{
		{"no values", nil},
		{"null", []any{nil}},
		{"raw null", []any{json.RawMessage(`null`)}},
		{"object", []any{map[string]any{"id": "c1"}}},
		{"list", []any{[]string{"c1"}}},
		{"invalid raw JSON", []any{json.RawMessage(`"open`)}},
		{"raw with trailing data", []any{json.RawMessage(`"a" "b"`)}},
		{"not encodable", []any{make(chan int)}},
		{"second value bad", []any{"c1", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			ctx := source.WithDeletions(context.Background(), r.record)
			if err := source.MarkDeleted(ctx, tt.key...); err == nil {
				t.Error("MarkDeleted returned no error")
			}
			if len(r.keys) != 0 {
				t.Errorf("recorded %q for a rejected key", r.keys)
			}
		})
	}
}

func TestMarkDeletedRecordError(t *testing.T) {
	want := errors.New("disk full")
	r := &recorder{err: want}
	ctx := source.WithDeletions(context.Background(), r.record)
	if err := source.MarkDeleted(ctx, "c1"); !errors.Is(err, want) {
		t.Errorf("MarkDeleted error = %v, want %v", err, want)
	}
}

func TestMarkDeletedOutsidePipeline(t *testing.T) {
	if err := source.MarkDeleted(context.Background(), "c1"); err != nil {
		t.Errorf("MarkDeleted without WithDeletions = %v, want nil", err)
	}
}

func TestMarkDeletedConcurrent(t *testing.T) {
	r := &recorder{}
	ctx := source.WithDeletions(context.Background(), r.record)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() { errs <- source.MarkDeleted(ctx, i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(r.keys) != 50 {
		t.Errorf("recorded %d keys, want 50", len(r.keys))
	}
}
