package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childDirEnv names the working folder of a receiver process started by
// TestCrashAfterAck. TestCrashChild runs only when it is set.
const childDirEnv = "WEBHOOK_TEST_CHILD_DIR"

// TestCrashChild is the receiver process of TestCrashAfterAck. It serves
// on loopback, writes its address to "addr" and appends every loaded
// event id to "loaded" until it receives SIGTERM.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("runs only as a subprocess of TestCrashAfterAck")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	spool, err := OpenSpool(filepath.Join(dir, "spool"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	b := &Batcher{Spool: spool, Load: appendLoaded(filepath.Join(dir, "loaded")),
		BatchSize: 1000, BatchWait: time.Hour}
	srv, err := NewServer(ServerConfig{Webhook: Config{Secret: testSecret, Spool: spool}, Batcher: b})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := filepath.Join(dir, "addr")
	if err := os.WriteFile(addr+".tmp", []byte(ln.Addr().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(addr+".tmp", addr); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}

// appendLoaded returns a LoadFunc that appends event ids to path, one
// per line, and fsyncs the file.
func appendLoaded(path string) LoadFunc {
	return func(ctx context.Context, events []Event) error {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		for _, ev := range events {
			line, _ := json.Marshal(ev.ID)
			if _, err := fmt.Fprintf(f, "%s\n", line); err != nil {
				return err
			}
		}
		return f.Sync()
	}
}

// startChild starts TestCrashChild in a new process and returns it with
// its address once it listens.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start receiver process: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		addr, err := os.ReadFile(filepath.Join(dir, "addr"))
		if err == nil {
			return cmd, "http://" + string(addr)
		}
		if time.Now().After(deadline) {
			t.Fatal("receiver process did not listen within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readLoaded(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "loaded"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func TestCrashAfterAck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two receiver processes")
	}
	dir := t.TempDir()
	const id = "16161616-1616-4616-8616-00000000c0de"
	body := eventBody(id)

	cmd, url := startChild(t, dir)
	if status := postURL(t, url+DefaultPath, body); status != 200 {
		t.Fatalf("post = %d, want 200", status)
	}
	// BatchWait is an hour, so the event is only in the spool when the
	// process dies.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if loaded := readLoaded(t, dir); len(loaded) != 0 {
		t.Fatalf("loaded before the crash: %v; the test needs the event unloaded", loaded)
	}

	cmd, url = startChild(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for len(readLoaded(t, dir)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("event not loaded within 10s of the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Ashby retries an event when it missed the response.
	if status := postURL(t, url+DefaultPath, body); status != 200 {
		t.Errorf("retried post = %d, want 200", status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("receiver process after SIGTERM: %v", err)
	}
	want := fmt.Sprintf("%q", id)
	if loaded := readLoaded(t, dir); len(loaded) != 1 || loaded[0] != want {
		t.Errorf("loaded = %v, want [%s] once", loaded, want)
	}
}
