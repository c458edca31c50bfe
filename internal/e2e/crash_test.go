package e2e

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashResources are the large resources whose package the kill tests
// interrupt.
var crashResources = []string{"jobs", "candidates", "applications", "offers", "interview_schedules"}

// TestKillDuringLoad kills restload with SIGKILL while it loads a package,
// at a random moment after the load began, then runs it again: every
// object must be present exactly once.
func TestKillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large organisation")
	}
	const key = "test-key-kill"
	sim, url := startSim(t, 13, 3000, key)
	for trial := range 3 {
		e := newEnv(t)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := e.command(ctx, url, key, "run", "ashby", "--resources", strings.Join(crashResources, ","), "--log-level", "info")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if !waitForLine(stderr, "loading package") {
			t.Fatalf("trial %d: restload ended before loading: %v", trial, cmd.Wait())
		}
		time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, stderr)
		cmd.Wait()
		cancel()

		ctx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
		out, err := e.command(ctx, url, key, "run", "ashby", "--resources", strings.Join(crashResources, ",")).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("trial %d: run after the kill: %v\n%s", trial, err, out)
		}
		db, closeDB := e.openDB(t)
		checkCounts(t, db, sim, crashResources...)
		closeDB()
	}
}

// waitForLine reads r until a line contains s; it reports false at EOF.
func waitForLine(r io.Reader, s string) bool {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return true
		}
	}
	return false
}
