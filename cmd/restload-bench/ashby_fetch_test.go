package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

func TestSkimPage(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		items  int
		more   bool
		cursor string
	}{
		{"last page", `{"success":true,"results":[{"id":"a"},{"id":"b"}],"moreDataAvailable":false}`, 2, false, ""},
		{"cursor", `{"success":true,"results":[{"id":"a"}],"moreDataAvailable":true,"nextCursor":"abc"}`, 1, true, "abc"},
		{"envelope first", `{"nextCursor":"x\u002fy\\\"","moreDataAvailable":true,"success":true,"results":[1]}`, 1, true, `x/y\"`},
		{"empty results", `{"success":true,"results":[],"moreDataAvailable":false}`, 0, false, ""},
		{"spaces", " {\n \"success\" : true ,\n \"results\" : [ 1 , \"]\" , [2,[3]] , {\"a\":\"}\"} ] }\n", 4, false, ""},
		{"brackets in strings", `{"success":true,"results":[{"s":"[{\"]"},{"t":"}}"}]}`, 2, false, ""},
		{"scalars", `{"success":true,"results":[true,null,-1.5e3,"x"]}`, 4, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := skimPage([]byte(tt.body))
			if err != nil {
				t.Fatalf("skimPage: %v", err)
			}
			if p.items != tt.items {
				t.Errorf("items = %d, want %d", p.items, tt.items)
			}
			if p.more != tt.more {
				t.Errorf("more = %v, want %v", p.more, tt.more)
			}
			if p.cursor != tt.cursor {
				t.Errorf("cursor = %q, want %q", p.cursor, tt.cursor)
			}
		})
	}
}

func TestSkimPageErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not an object", `[1,2]`, "not a JSON object"},
		{"success false", `{"success":false,"errors":["x"]}`, "success is not true"},
		{"success missing", `{"results":[]}`, "success is not true"},
		{"truncated results", `{"success":true,"results":[{"id":"a"},`, "unexpected EOF"},
		{"truncated string", `{"success":true,"results":["abc`, "unexpected EOF"},
		{"missing colon", `{"success" true}`, "expected ':'"},
		{"bad separator", `{"success":true,"results":[1 2]}`, "expected ',' or ']'"},
		{"results not an array", `{"success":true,"results":{}}`, "expected an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := skimPage([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("skimPage(%s) = %v, want an error containing %q", tt.body, err, tt.want)
			}
		})
	}
}

// TestListerEmulator lists candidates from the emulator both ways and
// checks that they see the same pages and the emulator's objects.
func TestListerEmulator(t *testing.T) {
	const key = "test-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 3, Candidates: 250, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	want, err := sim.Objects("candidate.list", nil)
	if err != nil {
		t.Fatal(err)
	}

	l := &ashbyLister{base: url, key: key, client: &http.Client{}}
	ctx := context.Background()
	plain, err := l.discardAll(ctx)
	if err != nil {
		t.Fatalf("discardAll: %v", err)
	}
	path := filepath.Join(t.TempDir(), "items.jsonl")
	sh := &shape{}
	written, err := l.writeAll(ctx, path, sh)
	if err != nil {
		t.Fatalf("writeAll: %v", err)
	}

	if plain.items != int64(len(want)) {
		t.Errorf("discardAll counted %d items, the emulator lists %d", plain.items, len(want))
	}
	if wantPages := int64(len(want)+candidatePageLimit-1) / candidatePageLimit; plain.pages != wantPages {
		t.Errorf("discardAll fetched %d pages, want %d", plain.pages, wantPages)
	}
	if written.pages != plain.pages || written.items != plain.items || written.bytes != plain.bytes {
		t.Errorf("writeAll saw %+v, discardAll %+v", written, plain)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != len(want) {
		t.Fatalf("items file has %d lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		var compact bytes.Buffer
		if err := json.Compact(&compact, want[i]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(line, compact.Bytes()) {
			t.Fatalf("line %d = %.100s, want %.100s", i+1, line, compact.Bytes())
		}
	}
	if sh.fields["emailAddresses"] == nil || sh.fields["emailAddresses"].kinds&kindArray == 0 {
		t.Errorf("shape lacks the emailAddresses array: %+v", sh.fields["emailAddresses"])
	}
}

func TestListerWrongKey(t *testing.T) {
	sim := ashbysim.New(ashbysim.Config{Seed: 3, Candidates: 10, APIKeys: map[string][]string{"right": nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	l := &ashbyLister{base: url, key: "wrong", client: &http.Client{}}
	if _, err := l.discardAll(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("discardAll with a wrong key = %v, want HTTP 403", err)
	}
}
