package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of command output")

// masks replace what changes between runs (times, load ids, durations,
// temporary paths, sync tokens) so command output can be compared with a
// golden file.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<time>"},
	{regexp.MustCompile(`\d{10}\.\d{6}`), "<load id>"},
	{regexp.MustCompile(`\d+\.\d\d seconds`), "<seconds>"},
	{regexp.MustCompile(`"sync_token":"[^"]*"`), `"sync_token":"<token>"`},
	{regexp.MustCompile(`time=\S+`), "time=<time>"},
	{regexp.MustCompile(`duration=\S+`), "duration=<duration>"},
}

func maskOutput(out, dir string) string {
	out = strings.ReplaceAll(out, dir, "<dir>")
	for _, m := range masks {
		out = m.re.ReplaceAllString(out, m.with)
	}
	return out
}

// TestPipelineCommands checks the output of every pipeline command on a
// loaded demo pipeline against golden files.
func TestPipelineCommands(t *testing.T) {
	e := newEnv(t)
	out, code := runBinary(t, e, "run", "ashby", "--demo", "--demo-candidates", "50")
	if code != 0 {
		t.Fatalf("demo run: exit code %d:\n%s", code, out)
	}
	checkGolden(t, "run", maskOutput(out, e.dir))
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"run_again", []string{"run", "ashby", "--demo", "--demo-candidates", "50"}, 0},
		{"list", []string{"pipeline", "list"}, 0},
		{"info", []string{"pipeline", pipelineName, "info"}, 0},
		{"trace", []string{"pipeline", pipelineName, "trace"}, 0},
		{"load_package", []string{"pipeline", pipelineName, "load-package"}, 0},
		{"failed_jobs", []string{"pipeline", pipelineName, "failed-jobs"}, 0},
		{"schema", []string{"pipeline", pipelineName, "schema"}, 0},
		{"unknown_operation", []string{"pipeline", pipelineName, "infp"}, 2},
		{"unknown_pipeline", []string{"pipeline", "nope", "info"}, 2},
		{"version", []string{"version"}, 0},
		{"query_table", []string{"query", pipelineName, "SELECT count(*) AS candidates, min(created_at) AS first FROM ashby_data.candidates"}, 0},
		{"query_csv", []string{"query", pipelineName, "SELECT title, status FROM ashby_data.jobs ORDER BY id", "--format", "csv"}, 0},
		{"query_json", []string{"query", pipelineName, "SELECT id, created_at FROM ashby_data.candidates ORDER BY id LIMIT 2", "--format", "json"}, 0},
		{"query_invalid_sql", []string{"query", pipelineName, "SELEC 1"}, 1},
		{"query_unknown_format", []string{"query", pipelineName, "SELECT 1", "--format", "xml"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runBinary(t, e, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.code, out)
			}
			checkGolden(t, tc.name, maskOutput(out, e.dir))
		})
	}
}

// checkGolden compares got with testdata/commands/<name>.golden, which
// -update rewrites.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "commands", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestDropAndSync drops a resource and reloads it, then rebuilds an empty
// working folder from the database and runs incrementally from it.
func TestDropAndSync(t *testing.T) {
	e := newEnv(t)
	demo := []string{"run", "ashby", "--demo", "--demo-candidates", "60"}
	if out, code := runBinary(t, e, demo...); code != 0 {
		t.Fatalf("demo run: exit code %d:\n%s", code, out)
	}
	out, code := runBinary(t, e, "pipeline", pipelineName, "drop", "--resources", "candidates")
	if code != 0 || !strings.Contains(out, "candidates__email_addresses") {
		t.Fatalf("drop: exit code %d:\n%s", code, out)
	}
	out, code = runBinary(t, e, demo...)
	if code != 0 || !strings.Contains(out, "- candidates: 60 row(s)") {
		t.Errorf("run after the drop: exit code %d, want the 60 candidates reloaded:\n%s", code, out)
	}
	if strings.Contains(out, "- applications:") {
		t.Errorf("run after the drop reloaded applications too:\n%s", out)
	}

	if err := os.RemoveAll(e.dataDir); err != nil {
		t.Fatal(err)
	}
	out, code = runBinary(t, e, "pipeline", pipelineName, "sync")
	if code != 0 || !strings.Contains(out, "Restored the working folder") {
		t.Fatalf("sync: exit code %d:\n%s", code, out)
	}
	out, code = runBinary(t, e, "pipeline", pipelineName, "info")
	if code != 0 || !strings.Contains(out, `ashby.candidates: {"sync_token":`) {
		t.Errorf("info after sync: exit code %d, want the restored tokens:\n%s", code, out)
	}
	out, code = runBinary(t, e, demo...)
	if code != 0 || strings.Contains(out, "- candidates:") {
		t.Errorf("run after sync: exit code %d, want nothing new loaded:\n%s", code, out)
	}
}

// TestCommandEdgeCases covers inputs that a user got wrong or that are
// rare: sync of a pipeline whose name does not give its dataset, a
// misspelt resource to drop, a misspelt pipeline, and NaN in JSON.
func TestCommandEdgeCases(t *testing.T) {
	e := newEnv(t)
	if out, code := runBinary(t, e, "run", "ashby", "--demo", "--demo-candidates", "20", "--pipeline", "r1"); code != 0 {
		t.Fatalf("demo run: exit code %d:\n%s", code, out)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"drop misspelt", []string{"pipeline", "r1", "drop", "--resources", "candidats"}, 2, []string{"candidats", "did you mean candidates?"}},
		{"misspelt pipeline", []string{"pipeline", "r2", "info"}, 2, []string{`"r2" not found`, "did you mean r1?"}},
		{"nan as json", []string{"query", "r1", "SELECT 'nan'::DOUBLE AS x, 'inf'::DOUBLE AS y", "--format", "json"}, 0, []string{`"x": "NaN"`, `"y": "+Inf"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runBinary(t, e, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	// Without its working folder, sync finds the dataset that holds the
	// pipeline's state (ashby_data, which the name r1 does not give).
	if err := os.RemoveAll(filepath.Join(e.dataDir, "pipelines", "r1")); err != nil {
		t.Fatal(err)
	}
	if out, code := runBinary(t, e, "pipeline", "r1", "sync"); code != 0 || !strings.Contains(out, "Restored the working folder") {
		t.Fatalf("sync: exit code %d:\n%s", code, out)
	}
	if out, code := runBinary(t, e, "pipeline", "r1", "info"); code != 0 || !strings.Contains(out, "Dataset: ashby_data") {
		t.Errorf("info after sync: exit code %d:\n%s", code, out)
	}
}
