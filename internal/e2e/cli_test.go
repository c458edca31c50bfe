package e2e

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/source/ashby"
)

// cleanEnv returns the environment without any restload settings.
func cleanEnv(e *env) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOURCES__") && !strings.HasPrefix(kv, "RUNTIME__") {
			out = append(out, kv)
		}
	}
	// HOME points into the test folder so that no ~/.restload of the
	// machine takes part.
	return append(out, "RESTLOAD_DATA_DIR="+e.dataDir, "HOME="+e.dir)
}

func runBinary(t *testing.T, e *env, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = e.dir
	cmd.Env = cleanEnv(e)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("run restload %v: %v", args, err)
	}
	return string(out), 0
}

func TestDemoRun(t *testing.T) {
	e := newEnv(t)
	out, code := runBinary(t, e, "run", "ashby", "--demo", "--demo-candidates", "120")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	for _, want := range []string{
		"Pipeline ashby_pipeline load step completed in ",
		"1 load package(s) were loaded to destination duckdb and into dataset ashby_data",
		"The duckdb destination used duckdb:///",
		"is LOADED and contains no failed jobs",
		"- candidates: 120 row(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	sim := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 120})
	db, closeDB := e.openDB(t)
	var names []string
	for _, ri := range ashby.Resources() {
		names = append(names, ri.Name)
	}
	checkCounts(t, db, sim, names...)
	if n := count(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name NOT LIKE '%\_\_%' ESCAPE '\' AND table_name NOT LIKE '\_rl\_%' ESCAPE '\'`, datasetName); n < 40 {
		t.Errorf("%d resource tables, want 40 or more", n)
	}
	if n := count(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE '%\_\_%' ESCAPE '\'`, datasetName); n < 10 {
		t.Errorf("%d child tables, want the lists of every resource as child tables", n)
	}
	closeDB()

	// A second demo run finds nothing new: the emulator's organisation is
	// the same, and the stored sync tokens are sent.
	out, code = runBinary(t, e, "run", "ashby", "--demo", "--demo-candidates", "120")
	if code != 0 {
		t.Fatalf("second run: exit code %d:\n%s", code, out)
	}
	if strings.Contains(out, "- candidates:") {
		t.Errorf("second run loaded candidates again:\n%s", out)
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		config string // .restload/config.toml, if set
		want   []string
	}{
		{"no key", []string{"run", "ashby"}, "", []string{"SOURCES__ASHBY__API_KEY", "--demo"}},
		{"unknown destination", []string{"run", "ashby", "--demo", "--destination", "snowflake"}, "", []string{`"snowflake"`, "duckdb, postgres, filesystem or iceberg"}},
		{"unknown source", []string{"run", "greenhouse"}, "", []string{`"greenhouse"`, "ashby"}},
		{"unknown flag", []string{"run", "ashby", "--dmeo"}, "", []string{"--dmeo", "did you mean --demo?"}},
		{"negative concurrency", []string{"run", "ashby", "--demo"}, "[sources.ashby]\nconcurrency = -2\n", []string{"sources.ashby.concurrency is -2", "leave it unset for 3"}},
		{"negative normalize workers", []string{"run", "ashby", "--demo"}, "[normalize]\nworkers = -1\n", []string{"normalize.workers is -1", "0 for one per CPU"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.config != "" {
				if err := os.MkdirAll(filepath.Join(e.dir, ".restload"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(e.dir, ".restload", "config.toml"), []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, code := runBinary(t, e, tc.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2:\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if _, err := os.Stat(e.dbPath); err == nil {
				t.Error("a database file was created")
			}
		})
	}
}

// TestEmulateCommand runs the emulator as its own process, loads from it
// with the API key it was given, and stops it with an interrupt.
func TestEmulateCommand(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const key = "emulate-key"
	emu := exec.CommandContext(ctx, binary, "ashby", "emulate", "--addr", "127.0.0.1:0", "--api-key", key, "--seed", "4", "--candidates", "40")
	stdout, err := emu.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the emulator's URL: %v", err)
	}
	url = strings.TrimSpace(url)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("emulator printed %q, want its loopback URL", url)
	}

	out, err := e.command(ctx, url, key, "run", "ashby").CombinedOutput()
	if err != nil {
		t.Fatalf("run against the emulator: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "- candidates: 40 row(s)") {
		t.Errorf("summary lacks the 40 candidates:\n%s", out)
	}
	wrong := e.command(ctx, url, "wrong-key", "run", "ashby", "--pipeline", "other")
	out, err = wrong.CombinedOutput()
	if wrong.ProcessState.ExitCode() != 1 {
		t.Errorf("run with a wrong key: exit code %d, want 1: %v", wrong.ProcessState.ExitCode(), err)
	}
	for _, want := range []string{"missing_endpoint_permission", "nothing was loaded"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("run with a wrong key: output lacks %q:\n%s", want, out)
		}
	}

	if err := emu.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := emu.Wait(); err != nil {
		t.Errorf("emulator did not stop cleanly on interrupt: %v", err)
	}
}

func TestRunReadsSecretsFile(t *testing.T) {
	const key = "file-key"
	_, url := startSim(t, 2, 30, key)
	e := newEnv(t)
	dir := filepath.Join(e.dir, ".restload")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets.toml"), []byte("[sources.ashby]\napi_key = \""+key+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[sources.ashby]\nbase_url = \""+url+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runBinary(t, e, "run", "ashby")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	if !strings.Contains(out, "- candidates: 30 row(s)") {
		t.Errorf("summary lacks the candidates:\n%s", out)
	}
}
