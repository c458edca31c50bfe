package webhookload

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

func TestGenerateMix(t *testing.T) {
	const events = 2000
	ds, err := Generate(t.Context(), Config{Events: events, Seed: 3, Duplicates: 0.1, Unknown: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != events {
		t.Fatalf("got %d deliveries, want %d", len(ds), events)
	}
	if n := Distinct(ds); n != 1800 {
		t.Errorf("Distinct = %d, want 1800 (10%% copies)", n)
	}

	first := map[string]int{}
	actions := map[string]int{}
	copies, near, far := 0, 0, 0
	for i, d := range ds {
		var env envelope
		if err := json.Unmarshal(d.Body, &env); err != nil {
			t.Fatalf("delivery %d: invalid payload: %v", i, err)
		}
		if env.ID != d.ID || env.Action != d.Action {
			t.Errorf("delivery %d: payload names %s/%s, Delivery %s/%s", i, env.ID, env.Action, d.ID, d.Action)
		}
		if env.Data == nil {
			t.Errorf("delivery %d (%s): data is not an object", i, d.Action)
		}
		j, seen := first[d.ID]
		if !d.Copy {
			if seen {
				t.Errorf("delivery %d repeats %s but is not marked Copy", i, d.ID)
			}
			first[d.ID] = i
			actions[d.Action]++
			continue
		}
		copies++
		if !seen {
			t.Errorf("copy %d of %s comes before its original", i, d.ID)
			continue
		}
		if !bytes.Equal(d.Body, ds[j].Body) {
			t.Errorf("copy %d of %s has another body than its original", i, d.ID)
		}
		if i-j <= maxNearGap+1 {
			near++
		} else {
			far++
		}
	}
	if copies != 200 {
		t.Errorf("got %d copies, want 200", copies)
	}
	if near == 0 || far == 0 {
		t.Errorf("copies: %d near their original and %d far; want some of each", near, far)
	}
	unknown := 0
	for _, a := range unknownActions() {
		unknown += actions[a]
	}
	if unknown != 100 {
		t.Errorf("got %d events of unknown actions, want 100", unknown)
	}
	for _, a := range []string{"applicationUpdate", "candidateStageChange", "applicationSubmit", "jobUpdate",
		"offerCreate", "offerUpdate", "candidateDelete", "offerDelete", "candidateMerge"} {
		if actions[a] == 0 {
			t.Errorf("no %s event; got %v", a, actions)
		}
	}
}

func TestGenerateRepeatable(t *testing.T) {
	cfg := Config{Events: 300, Seed: 9, Duplicates: 0.05, Unknown: 0.02}
	a, err := Generate(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	same := slices.EqualFunc(a, b, func(x, y Delivery) bool {
		return x.ID == y.ID && x.Copy == y.Copy && bytes.Equal(x.Body, y.Body)
	})
	if !same {
		t.Error("two runs with the same seed generated different deliveries")
	}
}

func TestGenerateInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no events", Config{}},
		{"negative duplicates", Config{Events: 10, Duplicates: -0.1}},
		{"negative unknown", Config{Events: 10, Unknown: -0.1}},
		{"fractions sum to one", Config{Events: 10, Duplicates: 0.5, Unknown: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Generate(t.Context(), tt.cfg); err == nil {
				t.Errorf("Generate(%+v) returned no error", tt.cfg)
			}
		})
	}
}
