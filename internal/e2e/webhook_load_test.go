package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/webhookload"
)

// TestWebhookLoad sends 2,000 signed emulator events, 5% of them repeated
// and 2% of unknown actions, to the real server at a constant rate, and
// checks that every request got 200 and that every event is loaded once.
// It logs the achieved rate and p99 latency but asserts no timing: the
// benchmark "restload-bench webhook" measures those.
func TestWebhookLoad(t *testing.T) {
	const (
		events = 2000
		rate   = 400 // events per second, so sending takes about 5 s
	)
	deliveries, err := webhookload.Generate(t.Context(), webhookload.Config{
		Events: events, Seed: 11, Duplicates: 0.05, Unknown: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	srv := startWebhookServer(t, e, "127.0.0.1:0", "--batch-wait", "200ms")

	res, err := webhookload.Send(t.Context(), webhookload.SendConfig{
		URL: srv.url, Secret: webhookSecret, Rate: rate, Concurrency: 16, MaxDuration: 2 * time.Minute,
	}, deliveries)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests at %.0f/s (target %d/s): p50 %s, p99 %s, max %s",
		res.Sent, res.Rate(), rate, res.Percentile(50), res.Percentile(99), res.Percentile(100))
	if res.Failed > 0 {
		t.Errorf("%d of %d requests failed: %s", res.Failed, res.Sent, strings.Join(res.Errors, "\n"))
	}
	if res.Unsent > 0 {
		t.Errorf("%d events not sent within 2 minutes", res.Unsent)
	}
	distinct := webhookload.Distinct(deliveries)
	if res.Stored != distinct {
		t.Errorf("server responded \"stored\" %d times for %d distinct events", res.Stored, distinct)
	}
	if res.Duplicates != events-distinct {
		t.Errorf("server responded \"duplicate\" %d times for %d repeated deliveries", res.Duplicates, events-distinct)
	}

	// Waiting for the spool to empty keeps the server's drain timeout out
	// of the test on a slow machine.
	waitSpoolEmpty(t, filepath.Join(e.dataDir, "webhook-spools", pipelineName))
	srv.stopCleanly()

	want, err := webhookload.Expect(res.Accepted())
	if err != nil {
		t.Fatal(err)
	}
	c, err := duckdb.OpenReadOnly(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := webhookload.Verify(t.Context(), c.DB(), datasetName, want)
	if err != nil {
		t.Errorf("loaded rows do not match the accepted events:\n%v", err)
	}
	t.Logf("%d rows verified in %d tables", rows, len(want))
	if len(want) < 8 {
		t.Errorf("the events fill %d tables; want at least 8 so that the check covers objects, deletes and merges", len(want))
	}
}

// waitSpoolEmpty waits up to 3 minutes for the spool folder to hold no
// event files.
func waitSpoolEmpty(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read spool: %v", err)
		}
		pending := 0
		for _, en := range entries {
			if strings.HasSuffix(en.Name(), ".event") {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still in the spool after 3 minutes", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
