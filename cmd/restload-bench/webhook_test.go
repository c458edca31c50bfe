package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/webhook"
)

// TestBenchWebhook runs the whole benchmark on a few hundred events with
// a freshly built restload and checks its report.
func TestBenchWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds restload and runs its webhook server; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "restload")
	if err := buildRestloadBinary(ctx, bin); err != nil {
		t.Fatal(err)
	}
	f, err := parseWebhookBenchFlags([]string{"--restload", bin, "--events", "400", "--rate", "0",
		"--concurrency", "8", "--batch-size", "50", "--duplicates", "0.1"})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := benchWebhook(ctx, f, &out, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("benchWebhook: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{
		"| events sent | 400 of 400 |",
		"| distinct events | 360 |",
		"| duplicate deliveries | 40 (40 responded \"duplicate\") |",
		"| errors | 0 |",
		"Result: nothing lost, no request failed.",
		"--batch-size 50",
		"- Machine: ",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestWebhookFlagsDefaults(t *testing.T) {
	f, err := parseWebhookBenchFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.batchSize != webhook.DefaultBatchSize || f.batchWait != webhook.DefaultBatchWait {
		t.Errorf("batch size %d and wait %s, want the server's defaults %d and %s",
			f.batchSize, f.batchWait, webhook.DefaultBatchSize, webhook.DefaultBatchWait)
	}
	if f.events != 20_000 || f.destination != "duckdb" {
		t.Errorf("events %d, destination %q; want 20000 and duckdb", f.events, f.destination)
	}
}

func TestWebhookFlagsInvalid(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--events", "0"}, "invalid --events 0"},
		{[]string{"--rate", "-1"}, "invalid --rate -1"},
		{[]string{"--concurrency", "0"}, "invalid --concurrency 0"},
		{[]string{"--duration", "0s"}, "invalid --duration 0s"},
		{[]string{"--batch-size", "0"}, "invalid --batch-size 0"},
		{[]string{"--batch-wait", "0s"}, "invalid --batch-wait 0s"},
		{[]string{"--destination", "postgres"}, "only duckdb is supported"},
		{[]string{"extra"}, "unexpected argument \"extra\""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseWebhookBenchFlags(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestCountSpooledEvents(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.event", "b.event", "acked", ".tmp-c.event-1"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary file whose name ends in .event-N is not an event yet.
	if n := countSpooledEvents(dir); n != 2 {
		t.Errorf("countSpooledEvents = %d, want 2", n)
	}
	if n := countSpooledEvents(filepath.Join(dir, "missing")); n != 0 {
		t.Errorf("countSpooledEvents of a missing folder = %d, want 0", n)
	}
}
