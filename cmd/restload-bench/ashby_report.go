package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/restload/restload/pipeline"
)

// Targets that the report checks.
const (
	maxExtractOverhead = 0.20 // restload's extract at most 20% slower than the plain loop
	maxPeakRSS         = 300e6
)

// ashbyReport holds the measurements of one "restload-bench ashby" run.
type ashbyReport struct {
	flags   *ashbyBenchFlags
	command string
	date    time.Time
	machine string
	build   string

	plain          fetchStats
	plainLoad      string
	candidates     *restloadRun
	candidatesLoad string
	extract        pipeline.ResourceTrace
	written        fetchStats
	emulatorRSS    int64

	baseline       *duckBaseline
	baselineLoad   string
	restloadTables map[string]*tableInfo
	diff           []string

	wholes []*wholeRun

	problems []error
}

// describeBuild names the Go version and commit that built the restload
// binary. The commit comes from the VCS stamp of go build, which
// GOFLAGS=-buildvcs=false leaves out, else from git in the current
// folder when the benchmark built the binary there.
func describeBuild(ctx context.Context, bin string, builtHere bool) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev, modified := settings["vcs.revision"], settings["vcs.modified"] == "true"
	if rev == "" && builtHere {
		rev, modified = gitCommit(ctx)
	}
	if rev == "" {
		return "unknown commit, built with " + info.GoVersion
	}
	desc := "commit " + rev[:min(len(rev), 12)]
	if modified {
		desc += " with uncommitted changes"
	}
	return desc + ", built with " + info.GoVersion
}

// gitCommit returns the commit checked out in the current folder and
// whether tracked files differ from it, or "" without git. The status
// runs without optional locks, so it never rewrites the index.
func gitCommit(ctx context.Context) (string, bool) {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	status, err := exec.CommandContext(ctx, "git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(bytes.TrimSpace(status)) > 0
}

// checkCounts records a problem for every path that saw a different
// number of candidates from the plain loop.
func (r *ashbyReport) checkCounts() {
	want := r.plain.items
	counts := []struct {
		path string
		n    int64
	}{
		{"restload extract", r.extract.Items},
		{"items file for DuckDB", r.written.items},
		{"restload's candidates table", r.restloadTables["candidates"].rowsOrZero()},
		{"DuckDB baseline's candidates table", r.baseline.rows["candidates"]},
	}
	for _, c := range counts {
		if c.n != want {
			r.problems = append(r.problems, fmt.Errorf("%s has %d candidates, the plain loop fetched %d", c.path, c.n, want))
		}
	}
}

func (t *tableInfo) rowsOrZero() int64 {
	if t == nil {
		return 0
	}
	return t.rows
}

// markdown renders the report as one section of docs/benchmarks.md.
func (r *ashbyReport) markdown() string {
	var b strings.Builder
	b.WriteString("## Ashby: extraction, normalize and load, memory\n\n")
	fmt.Fprintf(&b, "Measured with `%s`.\n\n", r.command)
	b.WriteString("| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| date | %s |\n", r.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "| machine | %s |\n", r.machine)
	fmt.Fprintf(&b, "| restload | %s |\n", r.build)
	fmt.Fprintf(&b, "| restload-bench | built with %s |\n", runtime.Version())
	fmt.Fprintf(&b, "| organisation | emulator, seed %d, %s candidates, candidate.list pages of %d |\n\n",
		r.flags.seed, thousands(int64(r.flags.candidates)), candidatePageLimit)
	b.WriteString("Rates are per second of wall time; MB is 10^6 bytes. The load column is the " +
		"1-minute load average (as uptime prints it) when the measurement started; " +
		"it includes the benchmark's own earlier steps.\n\n")
	if r.candidates != nil {
		r.writeExtraction(&b)
		r.writeNormalizeLoad(&b)
	}
	r.writeMemory(&b)
	r.writeTargets(&b)
	if len(r.problems) > 0 {
		b.WriteString("### Problems\n\n")
		for _, p := range r.problems {
			// Errors may quote log lines, which a code block keeps apart.
			fmt.Fprintf(&b, "```\n%s\n```\n\n", strings.TrimSpace(p.Error()))
		}
	}
	return b.String()
}

func (r *ashbyReport) writeExtraction(b *strings.Builder) {
	b.WriteString("### Extraction of candidate.list\n\n")
	b.WriteString("| path | pages | items | MB | seconds | pages/s | items/s | MB/s | CPU s | load |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	row := func(name string, pages, items, bytes int64, d, cpu time.Duration, load string) {
		s := d.Seconds()
		fmt.Fprintf(b, "| %s | %s | %s | %.1f | %.2f | %s | %s | %.1f | %.2f | %s |\n", name,
			thousands(pages), thousands(items), float64(bytes)/1e6, s,
			rate(float64(pages), d), rate(float64(items), d), float64(bytes)/1e6/s, cpu.Seconds(), load)
	}
	row("plain loop: net/http, each body read and discarded", r.plain.pages, r.plain.items, r.plain.bytes,
		r.plain.elapsed, r.plain.cpu, r.plainLoad)
	// The pages are the same, so the plain loop's byte count is restload's.
	row("restload: extract of resource candidates (trace)", r.extract.Pages, r.extract.Items, r.plain.bytes,
		r.extract.Duration, r.candidates.stepCPU("extract"), r.candidatesLoad)
	fmt.Fprintf(b, "\nrestload's extract takes %s the plain loop's time (%+.0f%%). "+
		"The whole extract step, with the API key check and the sync of the items file, took %.2f s. "+
		"CPU s is the client's user and system CPU time: restload-bench's during the plain loop, "+
		"the restload process's during its extract step (sampled every 100 ms); the emulator's is not counted.\n\n",
		ratio(r.extract.Duration, r.plain.elapsed), r.overhead()*100, r.candidates.step("extract").Seconds())
}

func (r *ashbyReport) writeNormalizeLoad(b *strings.Builder) {
	items := r.extract.Items
	var rows int64
	for _, t := range r.restloadTables {
		rows += t.rows
	}
	var baseRows int64
	for _, n := range r.baseline.rows {
		baseRows += n
	}
	norm, load := r.candidates.step("normalize"), r.candidates.step("load")
	b.WriteString("### Normalize and load into DuckDB\n\n")
	fmt.Fprintf(b, "The same %s candidates, into a root table and %d child tables.\n\n",
		thousands(items), len(r.restloadTables)-1)
	normCPU, loadCPU := r.candidates.stepCPU("normalize"), r.candidates.stepCPU("load")
	b.WriteString("| path | items | rows | seconds | items/s | CPU s | load |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	row := func(name string, rows int64, d, cpu time.Duration, load string) {
		fmt.Fprintf(b, "| %s | %s | %s | %.2f | %s | %.2f | %s |\n", name, thousands(items), thousands(rows),
			d.Seconds(), rate(float64(items), d), cpu.Seconds(), load)
	}
	row("restload: normalize step (trace)", rows, norm, normCPU, r.candidatesLoad)
	row("restload: load step (trace)", rows, load, loadCPU, r.candidatesLoad)
	row("restload: normalize + load", rows, norm+load, normCPU+loadCPU, r.candidatesLoad)
	row("DuckDB: read_json + SQL unnest, one transaction", baseRows, r.baseline.elapsed, r.baseline.cpu, r.baselineLoad)
	fmt.Fprintf(b, "\nrestload's normalize + load runs at %s the DuckDB path's rate. "+
		"Of the DuckDB path, read_json into the temporary table took %.2f s and the tables %.2f s. "+
		"CPU s counts every thread: the restload process's during its steps, "+
		"restload-bench's (which runs DuckDB) during the transaction.\n\n",
		ratio(r.baseline.elapsed, norm+load), r.baseline.read.Seconds(), (r.baseline.elapsed - r.baseline.read).Seconds())

	b.WriteString("| table | restload rows | SQL rows |\n| --- | ---: | ---: |\n")
	names := slices.Sorted(maps.Keys(r.restloadTables))
	for _, t := range r.baseline.plan.tables {
		if r.restloadTables[t.name] == nil {
			names = append(names, t.name)
		}
	}
	for _, name := range names {
		rl, sq := "-", "-"
		if t := r.restloadTables[name]; t != nil {
			rl = thousands(t.rows)
		}
		if n, ok := r.baseline.rows[name]; ok {
			sq = thousands(n)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, rl, sq)
	}
	b.WriteString("\nThe SQL path reads the items with read_json, with column types taken from a walk " +
		"over the items, so DuckDB does not sample them. It keeps them in a temporary table and creates " +
		"each table with CREATE TABLE AS, flattening objects into `__` columns and unnesting each array " +
		"into a child table. It links child rows by the root item's id and their list indexes where " +
		"restload writes row ids. It keeps a value whose type varies as one JSON column where restload " +
		"adds a column per type. What differs, system columns (`_rl_*`) left out:\n\n")
	if len(r.diff) == 0 {
		b.WriteString("- nothing\n")
	}
	for _, d := range r.diff {
		fmt.Fprintf(b, "- %s\n", d)
	}
	b.WriteString("\n")
}

func (r *ashbyReport) writeMemory(b *strings.Builder) {
	b.WriteString("### Peak memory\n\n")
	b.WriteString("Peak resident set size is the largest VmHWM of each process in /proc/PID/status, read every 100 ms. " +
		"ru_maxrss would count the benchmark's own memory, which the children inherit through vfork. " +
		"The per-step peaks are the largest VmRSS read during each step. " +
		"Disk MB is the largest size of the run's folder (load packages, DuckDB file and its temporary files), " +
		"read every second. CPU s is the process's user and system CPU time over the whole run.\n\n")
	if r.flags.wholeMemoryLimit != "" {
		fmt.Fprintf(b, "The whole runs ran with destination.duckdb.memory_limit = %q; the run of the candidates resource with restload's default.\n\n", r.flags.wholeMemoryLimit)
	}
	b.WriteString("| process | peak RSS MB | extract | normalize | load | disk MB | seconds | CPU s | load avg |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	run := func(name string, x *restloadRun, load string) {
		fmt.Fprintf(b, "| %s | %.0f | %s | %s | %s | %.0f | %.1f | %.1f | %s |\n", name, mb(x.peakRSS),
			sampledMB(x.stepPeak("extract")), sampledMB(x.stepPeak("normalize")), sampledMB(x.stepPeak("load")),
			mb(x.peakDisk), x.wall.Seconds(), x.cpu.Seconds(), load)
	}
	for _, w := range r.wholes {
		name := "restload run ashby at " + thousands(int64(w.candidates)) + " candidates"
		switch x := w.run; {
		case errors.Is(x.err, errRSSLimit):
			name += fmt.Sprintf(", all resources: killed at --rss-limit %d MB, no trace", r.flags.rssLimitMB)
		case errors.Is(x.err, errDiskLimit):
			name += fmt.Sprintf(", all resources: killed below --min-free-disk %d MB", r.flags.minFreeMB)
		case x.err != nil:
			name += ", all resources: failed, see Problems"
		default:
			items, rows := x.totals()
			name += fmt.Sprintf(", all %d resources: %s items, %s rows", len(x.trace.Resources), thousands(items), thousands(rows))
		}
		run(name, w.run, w.load)
		fmt.Fprintf(b, "| emulator serving that run | %.0f | | | | | | | |\n", mb(w.emulatorRSS))
	}
	if r.candidates != nil {
		run("restload run ashby --resources candidates", r.candidates, r.candidatesLoad)
		fmt.Fprintf(b, "| emulator serving the plain loop, that run and the items file | %.0f | | | | | | | |\n",
			mb(r.emulatorRSS))
	}
	b.WriteString("\n")
}

func (r *ashbyReport) writeTargets(b *strings.Builder) {
	b.WriteString("### Targets\n\n| target | measured | met |\n| --- | --- | --- |\n")
	if r.candidates != nil {
		norm := r.candidates.step("normalize") + r.candidates.step("load")
		items := float64(r.extract.Items)
		fmt.Fprintf(b, "| normalize + load into DuckDB at least as fast as read_json + unnest | %s vs %s items/s | %s |\n",
			rate(items, norm), rate(items, r.baseline.elapsed), yesNo(norm <= r.baseline.elapsed))
		fmt.Fprintf(b, "| extraction within 20%% of the plain fetch loop | %+.0f%% | %s |\n",
			r.overhead()*100, yesNo(r.overhead() <= maxExtractOverhead))
	}
	if w := r.largestWhole(); w != nil {
		met := yesNo(w.run.peakRSS < maxPeakRSS && w.run.err == nil)
		if w.run.err != nil {
			met += " (the run failed)"
		}
		fmt.Fprintf(b, "| peak RSS of a whole run under 300 MB (the target is set at 1,000,000 candidates) | %.0f MB at %s candidates | %s |\n",
			mb(w.run.peakRSS), thousands(int64(w.candidates)), met)
	}
	b.WriteString("\n")
}

// wholeRun is a run of every resource, measured for its peak memory.
type wholeRun struct {
	candidates  int
	run         *restloadRun
	load        string // load average at the start
	emulatorRSS int64
}

// largestWhole returns the whole run of the largest organisation, which
// the memory target is about, or nil.
func (r *ashbyReport) largestWhole() *wholeRun {
	var largest *wholeRun
	for _, w := range r.wholes {
		if largest == nil || w.candidates > largest.candidates {
			largest = w
		}
	}
	return largest
}

// overhead returns how much longer restload's extract took than the
// plain loop, as a fraction of the plain loop's time.
func (r *ashbyReport) overhead() float64 {
	return r.extract.Duration.Seconds()/r.plain.elapsed.Seconds() - 1
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func mb(bytes int64) float64 { return float64(bytes) / 1e6 }

// sampledMB formats a sampled size in MB, or "-" when no sample fell in
// the step.
func sampledMB(bytes int64) string {
	if bytes == 0 {
		return "-"
	}
	return strconv.FormatFloat(mb(bytes), 'f', 0, 64)
}

// rate formats n per second of d with thousands separators.
func rate(n float64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return thousands(int64(n/d.Seconds() + 0.5))
}

// ratio formats a/b as a factor such as "1.35×".
func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return strconv.FormatFloat(a.Seconds()/b.Seconds(), 'f', 2, 64) + "×"
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
