package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/restload/restload/pipeline"
)

// ashbyEmulator is a "restload ashby emulate" process.
type ashbyEmulator struct {
	cmd    *exec.Cmd
	url    string
	log    string        // path of the emulator's standard error
	exited chan struct{} // closed when the process has exited
	err    error         // exit error, set before exited closes
	rss    *rssSampler   // samples the peak resident set size
}

// startAshbyEmulator starts the emulator of an organisation of n
// candidates on a free loopback port and waits until it prints its URL.
func startAshbyEmulator(ctx context.Context, bin, dir, key string, n int, seed int64) (*ashbyEmulator, error) {
	e := &ashbyEmulator{exited: make(chan struct{}), log: filepath.Join(dir, "emulator.log")}
	e.cmd = exec.Command(bin, "ashby", "emulate", "--addr", "127.0.0.1:0", "--api-key", key,
		"--seed", strconv.FormatInt(seed, 10), "--candidates", strconv.Itoa(n))
	e.cmd.Dir = dir
	e.cmd.Env = cleanEnv()

	logFile, err := os.Create(e.log)
	if err != nil {
		return nil, fmt.Errorf("create emulator log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	e.cmd.Stderr = logFile
	stdout, err := e.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator %s: %w", bin, err)
	}
	e.rss = startRSSSampler(e.cmd.Process.Pid, 100*time.Millisecond, 0, nil)

	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
		e.err = e.cmd.Wait()
		close(e.exited)
	}()

	select {
	case line := <-first:
		e.url = strings.TrimSpace(line)
		if !strings.HasPrefix(e.url, "http://127.0.0.1:") {
			e.kill()
			return nil, fmt.Errorf("start emulator: first line %q is not a loopback URL; see %s", line, e.log)
		}
		return e, nil
	case <-e.exited:
		return nil, fmt.Errorf("emulator exited at start (%v): %s", e.err, logTail(e.log))
	case <-time.After(time.Minute):
		e.kill()
		return nil, fmt.Errorf("emulator printed no URL within a minute: %s", logTail(e.log))
	case <-ctx.Done():
		e.kill()
		return nil, ctx.Err()
	}
}

// stop interrupts the emulator, waits for it and returns its peak
// resident set size in bytes.
func (e *ashbyEmulator) stop() (int64, error) {
	if err := e.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, fmt.Errorf("stop emulator: %w", err)
	}
	select {
	case <-e.exited:
	case <-time.After(time.Minute):
		e.kill()
		return 0, fmt.Errorf("emulator still running a minute after SIGINT; killed it: %s", logTail(e.log))
	}
	e.rss.stop()
	if e.err != nil {
		return 0, fmt.Errorf("emulator exit after SIGINT: %w: %s", e.err, logTail(e.log))
	}
	return peakRSS(e.rss.peak, e.cmd.ProcessState), nil
}

// kill ends the emulator with SIGKILL if it still runs, and waits for it.
func (e *ashbyEmulator) kill() {
	select {
	case <-e.exited:
	default:
		e.cmd.Process.Kill()
		<-e.exited
	}
	e.rss.stop()
}

// Errors of a restload run that the benchmark killed to protect the
// machine.
var (
	errRSSLimit  = errors.New("resident set size passed the limit")
	errDiskLimit = errors.New("free disk space fell below the limit")
)

// runLimits bound what a restload run may take of a shared machine; zero
// means no limit.
type runLimits struct {
	rss         int64 // resident set size in bytes
	minFreeDisk int64 // free bytes on the run folder's file system
	// memoryLimit is destination.duckdb.memory_limit of the run; empty
	// keeps restload's default.
	memoryLimit string
}

// restloadRun is one "restload run" process as measured.
type restloadRun struct {
	// trace is nil when the run was killed at the RSS limit or wrote
	// no trace.
	trace *pipeline.Trace
	// err is the run's failure, or nil.
	err  error
	wall time.Duration
	// peakRSS is the peak resident set size in bytes, from the
	// process's rusage.
	peakRSS int64
	// samples are the resident set sizes and CPU times read from /proc
	// while it ran.
	samples []rssSample
	// cpu is the user and system CPU time of the whole process.
	cpu time.Duration
	// peakDisk is the largest size of the run folder seen, read every
	// second.
	peakDisk int64
	dir      string // working folder: the DuckDB file and the data folder
}

// rssSample is one reading of a process's resident set size and of the
// CPU time it has used so far.
type rssSample struct {
	at    time.Time
	bytes int64
	cpu   time.Duration
}

// runRestload runs "restload run ashby" with args in a new folder dir
// against the emulator at url, and reads its trace after it exits. The
// environment holds only the variables that the run needs besides the
// caller's non-restload ones, so a configuration of the caller cannot
// change what is measured.
//
// A run that passes a limit is killed, so that it cannot exhaust a
// shared machine's memory or disk. It returns the run without a trace and
// an error wrapping errRSSLimit or errDiskLimit. A run that fails returns
// what was measured up to the failure, with the trace when restload wrote
// one, and the error.
func runRestload(ctx context.Context, bin, dir, url, key string, limits runLimits, args ...string) (*restloadRun, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	r := &restloadRun{dir: dir}
	dataDir := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, bin, append([]string{"run", "ashby", "--progress", "none"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(),
		"HOME="+dir,
		"RESTLOAD_DATA_DIR="+dataDir,
		"SOURCES__ASHBY__API_KEY="+key,
		"SOURCES__ASHBY__BASE_URL="+url)
	if limits.memoryLimit != "" {
		cmd.Env = append(cmd.Env, "DESTINATION__DUCKDB__MEMORY_LIMIT="+limits.memoryLimit)
	}
	logPath := filepath.Join(dir, "restload.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create restload log: %w", err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	kill := func() { cmd.Process.Kill() }
	sampler := startRSSSampler(cmd.Process.Pid, 100*time.Millisecond, limits.rss, kill)
	disk := startDiskWatch(dir, time.Second, limits.minFreeDisk, kill)
	waitErr := cmd.Wait()
	r.wall = time.Since(started)
	r.samples = sampler.stop()
	lowDisk := disk.stop()
	r.peakDisk = disk.peak
	if ps := cmd.ProcessState; ps != nil {
		r.peakRSS = peakRSS(sampler.peak, ps)
		r.cpu = ps.UserTime() + ps.SystemTime()
	}
	name := "restload " + strings.Join(cmd.Args[1:], " ")
	switch {
	case sampler.exceeded:
		r.err = fmt.Errorf("%s killed after %.0f s at %.0f MB: %w (--rss-limit %.0f MB)",
			name, r.wall.Seconds(), mb(r.peakRSS), errRSSLimit, mb(limits.rss))
		return r, r.err
	case lowDisk:
		r.err = fmt.Errorf("%s killed after %.0f s: %w (--min-free-disk %.0f MB); the run folder held %.0f MB: %s",
			name, r.wall.Seconds(), errDiskLimit, mb(limits.minFreeDisk), mb(r.peakDisk), disk.largest())
		return r, r.err
	}
	trace, traceErr := pipeline.ReadTrace(pipeline.WorkDir(dataDir, "ashby_pipeline"))
	if traceErr == nil {
		r.trace = trace
	}
	switch {
	case waitErr != nil:
		r.err = fmt.Errorf("%s failed after %.0f s: %w: %s", name, r.wall.Seconds(), waitErr, logTail(logPath))
	case traceErr != nil:
		r.err = traceErr
	case trace.Error != "":
		r.err = fmt.Errorf("%s recorded an error in its trace: %s", name, trace.Error)
	}
	return r, r.err
}

// step returns the total duration of the trace's steps of a name.
func (r *restloadRun) step(name string) time.Duration {
	if r.trace == nil {
		return 0
	}
	var d time.Duration
	for _, s := range r.trace.Steps {
		if s.Name == name {
			d += s.Duration
		}
	}
	return d
}

// resource returns the trace of one resource's extract.
func (r *restloadRun) resource(name string) (pipeline.ResourceTrace, error) {
	for _, rt := range r.trace.Resources {
		if rt.Name == name {
			return rt, nil
		}
	}
	return pipeline.ResourceTrace{}, fmt.Errorf("trace of the restload run lists no resource %q", name)
}

// stepPeak returns the highest sampled resident set size while steps of
// the name ran, or 0 when no sample fell inside one.
func (r *restloadRun) stepPeak(name string) int64 {
	if r.trace == nil {
		return 0
	}
	var peak int64
	for _, s := range r.trace.Steps {
		if s.Name != name {
			continue
		}
		end := s.StartedAt.Add(s.Duration)
		for _, x := range r.samples {
			if !x.at.Before(s.StartedAt) && !x.at.After(end) {
				peak = max(peak, x.bytes)
			}
		}
	}
	return peak
}

// stepCPU returns the CPU time that the process used while steps of the
// name ran. It reads the samples nearest before each step's start and
// end, so its resolution is the sampling interval.
func (r *restloadRun) stepCPU(name string) time.Duration {
	if r.trace == nil {
		return 0
	}
	var total time.Duration
	for _, s := range r.trace.Steps {
		if s.Name == name {
			total += r.cpuAt(s.StartedAt.Add(s.Duration)) - r.cpuAt(s.StartedAt)
		}
	}
	return total
}

// cpuAt returns the CPU time of the last sample at or before t.
func (r *restloadRun) cpuAt(t time.Time) time.Duration {
	var cpu time.Duration
	for _, x := range r.samples {
		if x.at.After(t) {
			break
		}
		cpu = x.cpu
	}
	return cpu
}

// totals returns the items that all resources extracted and the rows
// that all packages loaded.
func (r *restloadRun) totals() (items, rows int64) {
	if r.trace == nil {
		return 0, 0
	}
	for _, rt := range r.trace.Resources {
		items += rt.Items
	}
	for _, p := range r.trace.Packages {
		for _, n := range p.Rows {
			rows += n
		}
	}
	return items, rows
}

// rssSampler reads a process's resident set size from /proc at an
// interval until stopped, and calls kill once a sample passes the limit.
type rssSampler struct {
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	samples []rssSample
	// peak is the largest VmHWM read, the process's own peak resident
	// set size since it started; read it after stop.
	peak int64
	// exceeded records that a sample passed the limit; read it after
	// stop.
	exceeded bool
}

func startRSSSampler(pid int, every time.Duration, limit int64, kill func()) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	path := fmt.Sprintf("/proc/%d/status", pid)
	s.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if hwm, err := readStatusKB(path, "VmHWM"); err == nil {
				s.peak = max(s.peak, hwm)
			}
			if n, err := readRSS(path); err == nil {
				cpu, _ := processCPU(pid)
				s.samples = append(s.samples, rssSample{at: time.Now(), bytes: n, cpu: cpu})
				if limit > 0 && n > limit && !s.exceeded {
					s.exceeded = true
					kill()
				}
			}
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// stop ends the sampling and returns the samples.
// It may be called more than once.
func (s *rssSampler) stop() []rssSample {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
	return s.samples
}

// diskWatch measures a run folder at an interval until stopped: the
// peak of its size, and the free space of its file system, calling kill
// once that falls below the limit.
type diskWatch struct {
	dir  string
	done chan struct{}
	wg   sync.WaitGroup
	low  bool
	// peak is the largest size of the folder seen, and parts its
	// breakdown at that moment.
	peak  int64
	parts map[string]int64
}

func startDiskWatch(dir string, every time.Duration, minFree int64, kill func()) *diskWatch {
	w := &diskWatch{dir: dir, done: make(chan struct{})}
	w.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if size, parts := folderSize(dir); size > w.peak {
				w.peak, w.parts = size, parts
			}
			if free, err := freeDisk(dir); err == nil && minFree > 0 && free < minFree {
				w.low = true
				kill()
				return
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	})
	return w
}

// stop ends the watch and reports whether free space fell below the
// limit.
func (w *diskWatch) stop() bool {
	close(w.done)
	w.wg.Wait()
	return w.low
}

// largest describes the biggest parts of the folder at its peak size.
func (w *diskWatch) largest() string {
	names := slices.SortedFunc(maps.Keys(w.parts), func(a, b string) int { return cmp.Compare(w.parts[b], w.parts[a]) })
	var out []string
	for _, name := range names[:min(len(names), 4)] {
		out = append(out, fmt.Sprintf("%s %.0f MB", name, mb(w.parts[name])))
	}
	return strings.Join(out, ", ")
}

// freeDisk returns the bytes that an unprivileged user may still write
// on the file system of dir.
func freeDisk(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("check free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// folderSize returns the bytes of the files under dir, and the same per
// part: the folder that holds a file ("extracted", "normalized",
// "ashby_pipeline.duckdb.tmp") or the name of a file directly in dir.
func folderSize(dir string) (int64, map[string]int64) {
	var total int64
	parts := map[string]int64{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // files come and go while restload runs
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		part := filepath.Base(filepath.Dir(path))
		if filepath.Dir(path) == dir {
			part = d.Name()
		}
		total += info.Size()
		parts[part] += info.Size()
		return nil
	})
	return total, parts
}

// readRSS returns the VmRSS line of a /proc/PID/status file in bytes.
func readRSS(path string) (int64, error) { return readStatusKB(path, "VmRSS") }

// readStatusKB returns the named line of a /proc/PID/status file, whose
// value is in kB, in bytes.
func readStatusKB(path, name string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		fields := strings.Fields(string(rest))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected %s line %q in %s", name, line, path)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s in %s: %w", name, path, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line in %s", name, path)
}

// clockTicks is the unit of the CPU times in /proc/PID/stat, USER_HZ,
// which is 100 on Linux for every architecture that Go supports.
const clockTicks = 100

// processCPU returns the user and system CPU time that a running process
// has used, from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name in field 2 may contain spaces, so fields are
	// counted from the parenthesis that ends it.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected format of %s", path)
	}
	fields := strings.Fields(string(data[i+1:]))
	// utime and stime are fields 14 and 15 of the line, 12 and 13 after
	// the command name.
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected format of %s", path)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse CPU time in %s: %w", path, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// selfCPU returns the user and system CPU time that this process has
// used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the peak resident set size of an exited process in
// bytes: the largest VmHWM sampled, or ru_maxrss without samples.
//
// ru_maxrss of a child is not its own peak. Go starts children with
// vfork, and Linux carries the high-water mark of the memory that exec
// replaces into ru_maxrss, here the benchmark's own, which the DuckDB
// baseline raises to several hundred MB. VmHWM counts only the child's
// memory after exec. Sampling can miss growth within its last interval.
func peakRSS(sampled int64, ps *os.ProcessState) int64 {
	if sampled > 0 {
		return sampled
	}
	return maxRSS(ps)
}

// maxRSS returns ru_maxrss of an exited process in bytes; Linux reports
// it in kilobytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

// cleanEnv returns the environment without restload's own settings
// (SOURCES__, DESTINATION__, NORMALIZE__, RESTLOAD_ and the like), so
// that only the values the benchmark sets reach its processes.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RESTLOAD_") || strings.Contains(name, "__") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// logTail returns the end of a log file.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "no log: " + err.Error()
	}
	const size = 2000
	if len(data) > size {
		data = data[len(data)-size:]
	}
	return "log " + path + " ends with:\n" + string(data)
}
