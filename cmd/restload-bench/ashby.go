package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	commands["ashby"] = command{
		summary: "extraction, normalize and load of an emulated Ashby organisation next to plain baselines, and peak memory",
		run:     runAshbyBench,
	}
}

// ashbyBenchFlags are the flags of "restload-bench ashby".
type ashbyBenchFlags struct {
	candidates int
	seed       int64
	restload   string
	out        string
	keep       bool
	compare    bool
	wholeRun   bool
	// wholeRuns lists the organisation sizes of the whole runs; it
	// defaults to candidates.
	wholeRuns  []int
	cpuProfile string
	rssLimitMB int64
	minFreeMB  int64
	// wholeMemoryLimit is destination.duckdb.memory_limit of the whole
	// runs; empty keeps restload's default.
	wholeMemoryLimit string
}

// limits returns the limits of a restload run that the flags set.
func (f *ashbyBenchFlags) limits() runLimits {
	return runLimits{rss: f.rssLimitMB * 1e6, minFreeDisk: f.minFreeMB * 1e6}
}

func parseAshbyBenchFlags(args []string, stderr io.Writer) (*ashbyBenchFlags, error) {
	f := &ashbyBenchFlags{}
	fs := flag.NewFlagSet("restload-bench ashby", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.candidates, "candidates", 100_000, "candidates in the emulated organisation; the other objects scale with it")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the emulated organisation")
	fs.StringVar(&f.restload, "restload", "", "restload binary to measure (default: build the module in the current folder into the temporary folder)")
	fs.StringVar(&f.out, "out", "", "write the Markdown report to this file instead of standard output")
	fs.BoolVar(&f.keep, "keep", false, "keep the temporary folder (binary, items file, DuckDB files, logs) and print its path")
	fs.BoolVar(&f.compare, "compare", true, "measure candidate.list against the plain baselines (a to d)")
	fs.BoolVar(&f.wholeRun, "whole-run", true, "run every resource in a fresh folder for peak memory (e)")
	fs.Func("whole-runs", "candidates of each whole run (e), comma-separated, such as 100000,1000000; default: --candidates", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a number of candidates: use whole numbers of 1 or more, separated by commas", part)
			}
			f.wholeRuns = append(f.wholeRuns, n)
		}
		return nil
	})
	fs.StringVar(&f.cpuProfile, "cpu-profile", "", "folder for Go CPU profiles of the restload runs (candidates.pprof, whole-N.pprof); needs a restload with --cpu-profile")
	fs.StringVar(&f.wholeMemoryLimit, "whole-run-memory-limit", "", `DuckDB memory limit of the whole runs, such as "1GB" (destination.duckdb.memory_limit); default: restload's`)
	fs.Int64Var(&f.rssLimitMB, "rss-limit", 8000, "kill a restload run whose resident set size passes this many MB (10^6 bytes) and report it; 0 for no limit")
	fs.Int64Var(&f.minFreeMB, "min-free-disk", 5000, "kill a restload run once the temporary folder's file system has less than this many MB free, and report it; 0 for no limit")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: restload-bench ashby [flags]

Ashby measures restload against an emulated Ashby organisation, each
number next to a plain baseline, and prints a Markdown section:

  a. a plain net/http loop that posts candidate.list page by page and
     discards the bodies
  b. restload's extract of the same pages (run ashby --resources candidates)
  c. restload's normalize and load of those candidates into DuckDB
  d. DuckDB's read_json of the same items plus SQL unnest into the same
     child tables, in a new DuckDB file
  e. peak resident memory of a whole run (every resource) and of the
     emulator that serves it

The emulator and restload run as their own processes on 127.0.0.1.
Rates are wall-clock, so run it on an otherwise idle machine.

examples:
  restload-bench ashby                              100,000 candidates, a to e
  restload-bench ashby --candidates 1000000 --compare=false
                                                    peak memory only
  restload-bench ashby --whole-runs 100000,1000000  a to d at 100,000, then e
                                                    at both sizes

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: restload-bench ashby takes only flags", fs.Arg(0))
	}
	if f.candidates < 1 {
		return nil, fmt.Errorf("invalid --candidates %d: use 1 or more", f.candidates)
	}
	if len(f.wholeRuns) == 0 {
		f.wholeRuns = []int{f.candidates}
	}
	// The benchmark starts processes in other folders, so paths that it
	// hands them must not be relative.
	for _, p := range []*string{&f.restload, &f.cpuProfile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("resolve path %s: %w", *p, err)
		}
		*p = abs
	}
	if !f.compare && !f.wholeRun {
		return nil, errors.New("--compare=false and --whole-run=false leave nothing to measure: drop one of them")
	}
	if f.rssLimitMB < 0 {
		return nil, fmt.Errorf("invalid --rss-limit %d: use a size in MB, or 0 for no limit", f.rssLimitMB)
	}
	if f.minFreeMB < 0 {
		return nil, fmt.Errorf("invalid --min-free-disk %d: use a size in MB, or 0 for no limit", f.minFreeMB)
	}
	return f, nil
}

func runAshbyBench(args []string) error {
	f, err := parseAshbyBenchFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	dir, bin, cleanup, err := workFolder(ctx, logger, "restload-bench-ashby-", f.keep, f.restload)
	defer cleanup()
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		if err := os.MkdirAll(f.cpuProfile, 0o755); err != nil {
			return fmt.Errorf("create --cpu-profile folder: %w", err)
		}
	}
	rep, err := measureAshby(ctx, logger, f, bin, dir)
	if err != nil {
		return err
	}
	out := os.Stdout
	if f.out != "" {
		if out, err = os.Create(f.out); err != nil {
			return fmt.Errorf("create --out file: %w", err)
		}
		defer out.Close()
	}
	if _, err := io.WriteString(out, rep.markdown()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if f.out != "" {
		if err := out.Close(); err != nil {
			return fmt.Errorf("write report %s: %w", f.out, err)
		}
	}
	return errors.Join(rep.problems...)
}

// measureAshby runs the measurements that the flags select, in order,
// and returns the report.
func measureAshby(ctx context.Context, logger *slog.Logger, f *ashbyBenchFlags, bin, dir string) (*ashbyReport, error) {
	rep := &ashbyReport{
		flags: f, command: commandLine(), date: time.Now().UTC(),
		machine: machineDescription(), build: describeBuild(ctx, bin, f.restload == ""),
	}
	key := make([]byte, 16)
	rand.Read(key)
	apiKey := "bench_" + hex.EncodeToString(key)
	if f.compare {
		if err := measureCandidates(ctx, logger, rep, bin, dir, apiKey); err != nil {
			return nil, err
		}
	}
	if f.wholeRun {
		for _, n := range f.wholeRuns {
			if err := measureWholeRun(ctx, logger, rep, bin, dir, apiKey, n); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// measureCandidates measures the candidate.list paths against one
// emulator: the plain loop, restload's run of the candidates resource
// and the DuckDB baseline on the same items. Every path counts its
// items. A path that saw a different number from the plain loop is
// recorded as a problem, because its rate would not compare.
func measureCandidates(ctx context.Context, logger *slog.Logger, rep *ashbyReport, bin, dir, apiKey string) error {
	f := rep.flags
	emu, err := startAshbyEmulator(ctx, bin, dir, apiKey, f.candidates, f.seed)
	if err != nil {
		return err
	}
	defer emu.kill()
	lister := &ashbyLister{base: emu.url, key: apiKey, client: &http.Client{}}

	logger.Info("plain fetch loop", "url", emu.url)
	rep.plainLoad = loadAverage()
	if rep.plain, err = lister.discardAll(ctx); err != nil {
		return fmt.Errorf("plain fetch loop: %w", err)
	}

	logger.Info("restload run ashby --resources candidates")
	rep.candidatesLoad = loadAverage()
	args := []string{"--resources", "candidates", "--destination", "duckdb"}
	if f.cpuProfile != "" {
		args = append(args, "--cpu-profile", filepath.Join(f.cpuProfile, "candidates.pprof"))
	}
	if rep.candidates, err = runRestload(ctx, bin, filepath.Join(dir, "candidates"), emu.url, apiKey, f.limits(), args...); err != nil {
		// The comparison needs the whole run and its trace.
		return err
	}
	if rep.extract, err = rep.candidates.resource("candidates"); err != nil {
		return err
	}

	logger.Info("writing the items for DuckDB")
	items := filepath.Join(dir, "candidates.jsonl")
	sh := &shape{}
	if rep.written, err = lister.writeAll(ctx, items, sh); err != nil {
		return fmt.Errorf("write the items for DuckDB: %w", err)
	}
	if rep.emulatorRSS, err = emu.stop(); err != nil {
		return err
	}

	logger.Info("DuckDB read_json and unnest", "items", items)
	rep.baselineLoad = loadAverage()
	baseDB := filepath.Join(dir, "baseline.duckdb")
	if rep.baseline, err = runDuckBaseline(ctx, baseDB, items, sh); err != nil {
		return err
	}
	restloadTables, err := readTables(ctx, filepath.Join(rep.candidates.dir, "ashby_pipeline.duckdb"), "ashby_data", "candidates")
	if err != nil {
		return err
	}
	baseTables, err := readTables(ctx, baseDB, "main", "candidates")
	if err != nil {
		return err
	}
	rep.restloadTables, rep.diff = restloadTables, tableDiff(restloadTables, baseTables)
	if !f.keep {
		// At a million candidates the file takes about 3 GB.
		if err := os.Remove(items); err != nil {
			return fmt.Errorf("remove items file: %w", err)
		}
	}
	rep.checkCounts()
	return nil
}

// measureWholeRun runs every resource of an organisation of n candidates
// against a new emulator in a new folder and records the peak memory of
// both processes. Without --keep the folder is removed afterwards, since
// a large run leaves gigabytes behind.
func measureWholeRun(ctx context.Context, logger *slog.Logger, rep *ashbyReport, bin, dir, apiKey string, n int) error {
	f := rep.flags
	emu, err := startAshbyEmulator(ctx, bin, dir, apiKey, n, f.seed)
	if err != nil {
		return err
	}
	defer emu.kill()
	logger.Info("restload run ashby, every resource", "candidates", n)
	w := &wholeRun{candidates: n, load: loadAverage()}
	args := []string{"--destination", "duckdb"}
	if f.cpuProfile != "" {
		args = append(args, "--cpu-profile", filepath.Join(f.cpuProfile, fmt.Sprintf("whole-%d.pprof", n)))
	}
	runDir := filepath.Join(dir, fmt.Sprintf("whole-%d", n))
	limits := f.limits()
	limits.memoryLimit = f.wholeMemoryLimit
	w.run, err = runRestload(ctx, bin, runDir, emu.url, apiKey, limits, args...)
	if w.run == nil {
		return err
	}
	rep.wholes = append(rep.wholes, w)
	if err != nil {
		// The report shows how far the run got; the benchmark still fails.
		rep.problems = append(rep.problems, fmt.Errorf("whole run at %d candidates: %w", n, err))
	}
	if w.emulatorRSS, err = emu.stop(); err != nil {
		return err
	}
	if !f.keep {
		if err := os.RemoveAll(runDir); err != nil {
			return fmt.Errorf("remove the folder of the whole run: %w", err)
		}
	}
	return nil
}
