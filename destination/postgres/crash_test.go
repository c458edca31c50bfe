package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/conformance"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/schema"
)

// crashEnv names the folder of a crash test. When it is set,
// TestCrashHelper runs a load that stops before COMMIT.
const crashEnv = "RESTLOAD_POSTGRES_CRASH_DIR"

// TestCrashHelper is the child process of TestCrashBeforeCommit: it loads
// the package in the folder and blocks before COMMIT until it is killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestCrashBeforeCommit")
	}
	var p destination.Package
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "package.json"))), &p); err != nil {
		t.Fatal(err)
	}
	c, err := postgres.Open(context.Background(), postgres.Config{Credentials: readFile(t, filepath.Join(dir, "url"))})
	if err != nil {
		t.Fatal(err)
	}
	postgres.SetBeforeCommit(c, func() {
		writeFile(t, filepath.Join(dir, "ready"), "")
		time.Sleep(time.Hour)
	})
	err = c.Load(context.Background(), &p)
	t.Fatalf("Load returned %v; the process should have been killed before", err)
}

// TestCrashBeforeCommit kills (SIGKILL) a process whose load has run
// every statement but the COMMIT, then loads the same package again:
// the first attempt leaves nothing, and the rerun stores every object
// once.
func TestCrashBeforeCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 150k rows in a child process")
	}
	dir := t.TempDir()
	_, u := server.CreateDB(t)
	c := openURL(t, u)
	first := conformance.TreePackage(t, "1", schema.Merge, conformance.NewCandidate("id1", "Ann", "a@x:t1"))
	first.State = json.RawMessage(`{"token":"one"}`)
	mustLoad(t, c, first)
	before := contents(t, c.DB())

	const n = 50_000
	var cands []conformance.Candidate
	for i := range n {
		cands = append(cands, conformance.NewCandidate(fmt.Sprintf("id%d", i), "Name", "e@x:t"))
	}
	second := conformance.TreePackage(t, "2", schema.Merge, cands...)
	second.State = json.RawMessage(`{"token":"two"}`)
	doc, err := json.Marshal(second)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "package.json"), string(doc))
	writeFile(t, filepath.Join(dir, "url"), u)

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := os.Create(filepath.Join(dir, "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := waitForFile(filepath.Join(dir, "ready"), exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%v; child output:\n%s", err, readFile(t, out.Name()))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited

	ctx := context.Background()
	if ok, err := c.HasLoad(ctx, conformance.Dataset, "2"); err != nil || ok {
		t.Errorf("HasLoad(2) = %v, %v after a kill before commit; want false", ok, err)
	}
	if got := contents(t, c.DB()); !reflect.DeepEqual(got, before) {
		t.Errorf("rows after kill = %d lines (first %q), want %q", len(got), got[:min(len(got), 3)], before)
	}
	st, err := c.State(ctx, conformance.Dataset, "ashby_pipeline")
	if err != nil || st == nil || string(st.State) != `{"token":"one"}` {
		t.Errorf("State after kill = %+v, %v; want the first state", st, err)
	}

	// The rerun waits for the server to end the killed session, whose
	// advisory lock it needs, and then loads the package in full.
	mustLoad(t, c, second)
	if got, want := treeCounts(t, c.DB()), [3]int64{n, n, n}; got != want {
		t.Errorf("counts after the rerun = %v, want %v", got, want)
	}
	dups := queryStrings(t, c.DB(), "SELECT id FROM "+qualified(conformance.Dataset, "candidates")+" GROUP BY id HAVING count(*) > 1")
	if len(dups) > 0 {
		t.Errorf("objects stored more than once: %v", dups[:min(len(dups), 5)])
	}
	st, err = c.State(ctx, conformance.Dataset, "ashby_pipeline")
	if err != nil || st == nil || string(st.State) != `{"token":"two"}` {
		t.Errorf("State after the rerun = %+v, %v; want the second state", st, err)
	}
}

// waitForFile waits until path exists. It fails when the child process
// exits first or when two minutes pass.
func waitForFile(path string, exited <-chan struct{}) error {
	deadline := time.After(2 * time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("child exited before the commit point")
		case <-deadline:
			return errors.New("child did not reach the commit point in 2 minutes")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
