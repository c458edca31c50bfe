package webhook

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

type runningServer struct {
	url  string
	stop func() error
}

func startServer(t *testing.T, cfg ServerConfig) runningServer {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	return runningServer{url: "http://" + ln.Addr().String(), stop: stop}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func postURL(t *testing.T, url string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sign(testSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServerHealthAndReady(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	rec.failing = 1 << 30
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 1, BatchWait: time.Hour,
		MinBackoff: time.Hour, DrainTimeout: 50 * time.Millisecond}
	rs := startServer(t, ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool}, Batcher: b})

	if status, _ := get(t, rs.url+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz = %d, want 200", status)
	}
	if status, text := get(t, rs.url+"/readyz"); status != http.StatusOK {
		t.Errorf("readyz before a load = %d %q, want 200", status, text)
	}
	if status := postURL(t, rs.url+DefaultPath, eventBody("f1")); status != http.StatusOK {
		t.Fatalf("post = %d, want 200", status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.LastError() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	status, text := get(t, rs.url+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(text, "last load failed") {
		t.Errorf("readyz with a failing load = %d %q, want 503 naming the load", status, text)
	}
}

func TestServerReadySpoolGone(t *testing.T) {
	dir := t.TempDir()
	spool := openTestSpool(t, dir)
	b := &Batcher{Spool: spool, Load: newRecorder().load, BatchWait: time.Hour, DrainTimeout: 50 * time.Millisecond}
	rs := startServer(t, ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool}, Batcher: b})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	status, text := get(t, rs.url+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(text, "spool not writable") {
		t.Errorf("readyz without a spool folder = %d %q, want 503 naming the spool", status, text)
	}
	if status, _ := get(t, rs.url+"/healthz"); status != http.StatusOK {
		t.Errorf("healthz = %d, want 200", status)
	}
}

func TestServerShutdownDrains(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	rec := newRecorder()
	b := &Batcher{Spool: spool, Load: rec.load, BatchSize: 100, BatchWait: time.Hour}
	rs := startServer(t, ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool}, Batcher: b})
	for _, id := range []string{"s1", "s2", "s3"} {
		if status := postURL(t, rs.url+DefaultPath, eventBody(id)); status != http.StatusOK {
			t.Fatalf("post %s = %d, want 200", id, status)
		}
	}
	if err := rs.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	batches, _ := rec.snapshot()
	if len(batches) != 1 || strings.Join(batches[0], ",") != "s1,s2,s3" {
		t.Errorf("batches = %v, want [[s1 s2 s3]]", batches)
	}
	if _, err := http.Get(rs.url + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestNewServerChecks(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	other := openTestSpool(t, t.TempDir())
	load := newRecorder().load
	tests := []struct {
		name string
		cfg  ServerConfig
	}{
		{"NoBatcher", ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool}}},
		{"OtherSpool", ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool},
			Batcher: &Batcher{Spool: other, Load: load}}},
		{"NoSecret", ServerConfig{Webhook: Config{Spool: spool},
			Batcher: &Batcher{Spool: spool, Load: load}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewServer(tt.cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}
