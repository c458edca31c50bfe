package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/pipeline"
)

// TestMeasureAshby runs every measurement on a small organisation with
// a freshly built restload and checks that the paths agree.
func TestMeasureAshby(t *testing.T) {
	if testing.Short() {
		t.Skip("builds restload and runs it twice; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "restload")
	if err := buildRestloadBinary(ctx, bin); err != nil {
		t.Fatal(err)
	}
	f := &ashbyBenchFlags{candidates: 150, seed: 2, compare: true, wholeRun: true, wholeRuns: []int{150, 40}, wholeMemoryLimit: "300MB", cpuProfile: filepath.Join(dir, "profiles")}
	if err := os.Mkdir(f.cpuProfile, 0o755); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := measureAshby(ctx, logger, f, bin, dir)
	if err != nil {
		t.Fatalf("measureAshby: %v", err)
	}
	if len(rep.problems) > 0 {
		t.Errorf("problems: %v", rep.problems)
	}
	if rep.plain.items != 150 || rep.plain.pages != 2 {
		t.Errorf("plain loop fetched %d items in %d pages, want 150 in 2", rep.plain.items, rep.plain.pages)
	}
	if rep.extract.Pages != rep.plain.pages {
		t.Errorf("restload extracted %d pages, the plain loop fetched %d", rep.extract.Pages, rep.plain.pages)
	}
	if len(rep.restloadTables) < 8 {
		t.Errorf("restload made %d candidate tables, want the root and its child tables", len(rep.restloadTables))
	}
	for name, tab := range rep.restloadTables {
		n, ok := rep.baseline.rows[name]
		if !ok {
			t.Errorf("the SQL path makes no table %s", name)
			continue
		}
		if n != tab.rows {
			t.Errorf("%s: %d rows in SQL, %d in restload", name, n, tab.rows)
		}
	}
	if len(rep.wholes) != 2 {
		t.Fatalf("%d whole runs, want 2", len(rep.wholes))
	}
	peaks := []int64{rep.candidates.peakRSS, rep.emulatorRSS}
	for i, w := range rep.wholes {
		if want := f.wholeRuns[i]; w.candidates != want {
			t.Errorf("whole run %d: %d candidates, want %d", i, w.candidates, want)
		}
		if len(w.run.trace.Resources) < 40 {
			t.Fatalf("whole run at %d candidates traced too few resources: %+v", w.candidates, w.run)
		}
		if _, err := os.Stat(w.run.dir); !os.IsNotExist(err) {
			t.Errorf("the folder of the whole run at %d candidates was kept (%v)", w.candidates, err)
		}
		peaks = append(peaks, w.run.peakRSS, w.emulatorRSS)
	}
	if got := rep.largestWhole().candidates; got != 150 {
		t.Errorf("largest whole run has %d candidates, want 150", got)
	}
	for _, p := range peaks {
		if p < 1e6 {
			t.Errorf("peak RSS %d bytes, want a measured size", p)
		}
	}
	md := rep.markdown()
	for _, want := range []string{`memory_limit = "300MB"`, "restload run ashby at 150 candidates, all", "restload run ashby at 40 candidates, all", "MB at 150 candidates"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	for _, name := range []string{"candidates.pprof", "whole-150.pprof", "whole-40.pprof"} {
		if st, err := os.Stat(filepath.Join(f.cpuProfile, name)); err != nil || st.Size() == 0 {
			t.Errorf("CPU profile %s: %v", name, err)
		}
	}

	t.Run("failed run", func(t *testing.T) {
		emu, err := startAshbyEmulator(ctx, bin, t.TempDir(), "right-key", 20, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer emu.kill()
		r, err := runRestload(ctx, bin, t.TempDir(), emu.url, "wrong-key", runLimits{})
		if err == nil || !strings.Contains(err.Error(), "failed after") {
			t.Fatalf("run with a wrong key = %v, want a failure", err)
		}
		if r == nil || r.err == nil || r.peakRSS < 1e6 {
			t.Fatalf("failed run = %+v, want its peak RSS and error", r)
		}
	})
	t.Run("disk limit", func(t *testing.T) {
		emu, err := startAshbyEmulator(ctx, bin, t.TempDir(), "key", 20, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer emu.kill()
		// No file system has this much free space, so the watch kills
		// the run at its first check.
		r, err := runRestload(ctx, bin, t.TempDir(), emu.url, "key", runLimits{minFreeDisk: 1 << 62})
		if !errors.Is(err, errDiskLimit) {
			t.Fatalf("run below the free disk limit = %v, want errDiskLimit", err)
		}
		if r == nil || r.trace != nil {
			t.Fatalf("killed run = %+v, want a run without trace", r)
		}
	})
	t.Run("RSS limit", func(t *testing.T) {
		emu, err := startAshbyEmulator(ctx, bin, t.TempDir(), "key", 20, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer emu.kill()
		r, err := runRestload(ctx, bin, t.TempDir(), emu.url, "key", runLimits{rss: 1})
		if !errors.Is(err, errRSSLimit) {
			t.Fatalf("run over the RSS limit = %v, want errRSSLimit", err)
		}
		if r == nil || r.trace != nil {
			t.Fatalf("killed run = %+v, want a run without trace", r)
		}
	})

	md = rep.markdown()
	for _, want := range []string{
		"## Ashby: extraction, normalize and load, memory",
		"### Extraction of candidate.list", "### Normalize and load into DuckDB", "### Peak memory", "### Targets",
		"| plain loop: net/http", "| DuckDB: read_json + SQL unnest", "| emulator serving that run |",
		"| candidates__email_addresses |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestReadRSS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	status := "Name:\trestload\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t8\n"
	if err := os.WriteFile(path, []byte(status), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := readRSS(path)
	if err != nil {
		t.Fatal(err)
	}
	if n != 123456<<10 {
		t.Errorf("readRSS = %d, want %d", n, 123456<<10)
	}
	if err := os.WriteFile(path, []byte("Name:\tx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readRSS(path); err == nil {
		t.Error("readRSS of a status without VmRSS succeeded")
	}
}

func TestRSSSamplerLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		kill  bool
	}{
		{"no limit", 0, false},
		{"under limit", 1 << 40, false},
		{"over limit", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sleep", "0.5")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			s := startRSSSampler(cmd.Process.Pid, 10*time.Millisecond, tt.limit, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			samples := s.stop()
			if s.exceeded != tt.kill {
				t.Errorf("exceeded = %v, want %v", s.exceeded, tt.kill)
			}
			if killed := err != nil; killed != tt.kill {
				t.Errorf("sleep ended with %v, want killed %v", err, tt.kill)
			}
			if len(samples) == 0 || samples[0].bytes <= 0 {
				t.Errorf("samples = %v, want RSS readings", samples)
			}
		})
	}
}

func TestStepPeak(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &restloadRun{samples: []rssSample{
		{at: at, bytes: 10, cpu: 0},
		{at: at.Add(time.Second), bytes: 50, cpu: 400 * time.Millisecond},
		{at: at.Add(2 * time.Second), bytes: 30, cpu: 900 * time.Millisecond},
		{at: at.Add(3 * time.Second), bytes: 90, cpu: 1500 * time.Millisecond},
	}}
	r.trace = &pipeline.Trace{Steps: []pipeline.StepTrace{
		{Name: "extract", StartedAt: at, Duration: 1500 * time.Millisecond},
		{Name: "load", StartedAt: at.Add(2 * time.Second), Duration: time.Second},
	}}
	if got := r.stepPeak("extract"); got != 50 {
		t.Errorf("extract peak = %d, want 50", got)
	}
	if got := r.stepPeak("load"); got != 90 {
		t.Errorf("load peak = %d, want 90", got)
	}
	if got := r.stepPeak("normalize"); got != 0 {
		t.Errorf("normalize peak = %d, want 0 without a step", got)
	}
	// The extract step ends at 1.5 s, between samples: the sample at 1 s
	// counts.
	if got := r.stepCPU("extract"); got != 400*time.Millisecond {
		t.Errorf("extract CPU = %s, want 400ms", got)
	}
	if got := r.stepCPU("load"); got != 600*time.Millisecond {
		t.Errorf("load CPU = %s, want 600ms", got)
	}
}

func TestProcessCPU(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var cpu time.Duration
	deadline := time.Now().Add(5 * time.Second)
	for cpu < 50*time.Millisecond && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		var err error
		if cpu, err = processCPU(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	if cpu < 50*time.Millisecond {
		t.Errorf("processCPU of a busy shell = %s after 5 s, want at least 50ms", cpu)
	}
	if _, err := processCPU(1 << 30); err == nil {
		t.Error("processCPU of a missing process succeeded")
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}, {100000, "100,000"},
	}
	for _, tt := range tests {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestAshbyFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // part of the error; empty for success
	}{
		{"defaults", nil, ""},
		{"memory only", []string{"--compare=false", "--candidates", "1000000"}, ""},
		{"zero candidates", []string{"--candidates", "0"}, "invalid --candidates 0"},
		{"whole runs", []string{"--whole-runs", "100000, 1000000"}, ""},
		{"bad whole runs", []string{"--whole-runs", "100000,1e6"}, `"1e6" is not a number of candidates`},
		{"zero whole run", []string{"--whole-runs", "0"}, `"0" is not a number of candidates`},
		{"nothing to measure", []string{"--compare=false", "--whole-run=false"}, "leave nothing to measure"},
		{"negative limit", []string{"--rss-limit", "-1"}, "invalid --rss-limit -1"},
		{"negative disk", []string{"--min-free-disk", "-5"}, "invalid --min-free-disk -5"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
		{"help", []string{"-h"}, "help requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseAshbyBenchFlags(tt.args, io.Discard)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("parse %q: %v", tt.args, err)
				}
				if f.candidates < 1 || f.seed != 1 || f.rssLimitMB != 8000 {
					t.Errorf("flags = %+v, want the defaults besides %q", f, tt.args)
				}
				if len(f.wholeRuns) == 0 || (tt.name != "whole runs" && !slices.Equal(f.wholeRuns, []int{f.candidates})) {
					t.Errorf("whole runs %v, want --candidates %d unless set", f.wholeRuns, f.candidates)
				}
				if tt.name == "whole runs" && !slices.Equal(f.wholeRuns, []int{100000, 1000000}) {
					t.Errorf("whole runs %v, want [100000 1000000]", f.wholeRuns)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse %q = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
	f, err := parseAshbyBenchFlags([]string{"--restload", "bin/restload", "--cpu-profile", "prof"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(f.restload) || !filepath.IsAbs(f.cpuProfile) {
		t.Errorf("paths stay relative: --restload %s, --cpu-profile %s", f.restload, f.cpuProfile)
	}
}

func TestFolderSize(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{
		"db.duckdb":                     300,
		"data/pkg/1/extracted/a.jsonl":  100,
		"data/pkg/1/extracted/b.jsonl":  50,
		"data/pkg/1/normalized/a.jsonl": 70,
		"db.duckdb.tmp/spill.tmp":       500,
	}
	for name, size := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	total, parts := folderSize(dir)
	if total != 1020 {
		t.Errorf("total = %d, want 1020", total)
	}
	want := map[string]int64{"db.duckdb": 300, "extracted": 150, "normalized": 70, "db.duckdb.tmp": 500}
	if len(parts) != len(want) {
		t.Errorf("parts = %v, want %v", parts, want)
	}
	for name, n := range want {
		if parts[name] != n {
			t.Errorf("part %s = %d, want %d", name, parts[name], n)
		}
	}

	w := startDiskWatch(dir, time.Hour, 0, func() { t.Error("watch without a limit killed") })
	if low := w.stop(); low {
		t.Error("watch without a limit reported low space")
	}
	if w.peak != 1020 {
		t.Errorf("peak = %d, want 1020", w.peak)
	}
	if got, want := w.largest(), "db.duckdb.tmp 0 MB, db.duckdb 0 MB, extracted 0 MB, normalized 0 MB"; got != want {
		t.Errorf("largest = %q, want %q", got, want)
	}
}

// TestPeakRSSIsTheChildsOwn starts a small child after this process has
// grown, and checks that the child's peak is measured apart from the
// parent's, which ru_maxrss of a child started with vfork includes.
func TestPeakRSSIsTheChildsOwn(t *testing.T) {
	grown := make([]byte, 300<<20)
	for i := range grown {
		grown[i] = 1
	}
	cmd := exec.Command("sleep", "0.5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := startRSSSampler(cmd.Process.Pid, 20*time.Millisecond, 0, nil)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	s.stop()
	s.stop()
	runtime.KeepAlive(grown)
	got := peakRSS(s.peak, cmd.ProcessState)
	t.Logf("sampled peak %d MB, ru_maxrss %d MB", got>>20, maxRSS(cmd.ProcessState)>>20)
	if got <= 0 || got > 100<<20 {
		t.Errorf("peak RSS of sleep = %d MB, want its own few MB (ru_maxrss says %d MB)", got>>20, maxRSS(cmd.ProcessState)>>20)
	}
}
