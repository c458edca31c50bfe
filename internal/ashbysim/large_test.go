package ashbysim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// TestLargeListing pages through 200,000 candidates (50,000 under the race
// detector) and checks that the heap stays far below what holding them
// would take, about 2.8 KB each.
func TestLargeListing(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 200,000 candidates")
	}
	candidates := 200_000
	if raceEnabled {
		candidates = 50_000
	}
	const heapLimit = 64 << 20
	s, url := startServer(t, ashbysim.Config{Seed: 61, Candidates: candidates, RequestLogLimit: -1})
	s.Apply(ashbysim.Changes{UpdatedCandidates: 1000, NewCandidates: 10})

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64

	start := time.Now()
	body := map[string]any{}
	var count, pages, bytesIn int
	var lastCreated string
	for {
		raw := postRaw(t, url, "candidate.list", body)
		pages++
		bytesIn += len(raw)
		// Decoding 550 MB of JSON would dominate the test, so it scans
		// for the few members it needs; other tests decode every field.
		// Only the candidate object itself has a createdAt member.
		for rest := raw; ; {
			at := bytes.Index(rest, []byte(`"createdAt":"`))
			if at < 0 {
				break
			}
			rest = rest[at+len(`"createdAt":"`):]
			created := string(rest[:len("2024-01-05T09:15:00.123Z")])
			// Creation times grow strictly with the listing order, so a
			// repeated or reordered candidate would show here.
			if created <= lastCreated {
				t.Fatalf("candidate %d created at %s, not after %s", count, created, lastCreated)
			}
			lastCreated = created
			count++
		}
		if pages%200 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		at := bytes.LastIndex(raw, []byte(`"nextCursor":"`))
		if at < 0 {
			if !bytes.Contains(raw, []byte(`"moreDataAvailable":false`)) {
				t.Fatalf("page %d has neither a cursor nor moreDataAvailable false", pages)
			}
			break
		}
		cursor := raw[at+len(`"nextCursor":"`):]
		body["cursor"] = string(cursor[:bytes.IndexByte(cursor, '"')])
	}
	elapsed := time.Since(start)
	if count != candidates+10 {
		t.Errorf("listed %d candidates, want %d", count, candidates+10)
	}
	if grown := peak - min(peak, base); grown > heapLimit {
		t.Errorf("heap grew by %d MB while listing, limit %d MB", grown>>20, heapLimit>>20)
	}
	t.Logf("%d candidates in %d pages, %d MB, in %v (%.0f candidates/s over HTTP); heap %d MB at start, %d MB at peak",
		count, pages, bytesIn>>20, elapsed.Round(time.Millisecond), float64(count)/elapsed.Seconds(), base>>20, peak>>20)
}

// postRaw sends a request and returns the body of a 200 response.
func postRaw(t *testing.T, url, endpoint string, body any) []byte {
	t.Helper()
	payload, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/"+endpoint, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testKey, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d, %v", endpoint, resp.StatusCode, err)
	}
	return raw
}
