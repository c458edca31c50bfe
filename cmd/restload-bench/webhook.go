package main

import (
	"bufio"
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
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/internal/webhookload"
	"github.com/restload/restload/webhook"
)

func init() {
	commands["webhook"] = command{
		summary: "webhook server: events/s and latency of signed Ashby events, then a check that none was lost",
		run:     runWebhookBench,
	}
}

// Names the benchmark gives the server's pipeline and dataset. The DuckDB
// file is <pipeline>.duckdb in the server's working folder.
const (
	webhookBenchPipeline = "webhook_bench"
	webhookBenchDataset  = "ashby_data"
)

// webhookBenchFlags are the flags of "restload-bench webhook".
type webhookBenchFlags struct {
	events      int
	rate        float64
	concurrency int
	duration    time.Duration
	batchSize   int
	batchWait   time.Duration
	destination string
	restload    string
	seed        int64
	duplicates  float64
	unknown     float64
	cpuProfile  string
	keep        bool
}

func parseWebhookBenchFlags(args []string) (*webhookBenchFlags, error) {
	f := &webhookBenchFlags{}
	fs := flag.NewFlagSet("restload-bench webhook", flag.ContinueOnError)
	fs.IntVar(&f.events, "events", 20_000, "number of requests to send, duplicate deliveries included")
	fs.Float64Var(&f.rate, "rate", 500, "arrival rate in events per second, constant (open loop); 0 sends as fast as --concurrency allows")
	fs.IntVar(&f.concurrency, "concurrency", webhookload.DefaultConcurrency, "maximum number of requests in flight")
	fs.DurationVar(&f.duration, "duration", 10*time.Minute, "stop sending after this time; the run then fails")
	fs.IntVar(&f.batchSize, "batch-size", webhook.DefaultBatchSize, "the server's --batch-size: maximum number of events per load")
	fs.DurationVar(&f.batchWait, "batch-wait", webhook.DefaultBatchWait, "the server's --batch-wait: how long the first event of a batch waits for more")
	fs.StringVar(&f.destination, "destination", "duckdb", "the server's --destination; only duckdb, whose file the check reads")
	fs.StringVar(&f.restload, "restload", "", "path of the restload binary; empty builds it with \"go build\", which must run inside the restload module")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the emulated organisation that the events come from")
	fs.Float64Var(&f.duplicates, "duplicates", 0.05, "fraction of requests that repeat an earlier event's webhookActionId, as Ashby's retries do")
	fs.Float64Var(&f.unknown, "unknown", 0.02, "fraction of requests with actions that the loader keeps in webhook_events only")
	fs.StringVar(&f.cpuProfile, "server-cpu-profile", "", "file for a Go CPU profile of the server, for go tool pprof")
	fs.BoolVar(&f.keep, "keep", false, "keep the temporary folder (DuckDB file, spool, server log) and print its path")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q: webhook takes flags only", fs.Arg(0))
	case f.events < 1:
		return nil, fmt.Errorf("invalid --events %d: use 1 or more", f.events)
	case f.rate < 0:
		return nil, fmt.Errorf("invalid --rate %g: use 0 or more events per second", f.rate)
	case f.concurrency < 1:
		return nil, fmt.Errorf("invalid --concurrency %d: use 1 or more", f.concurrency)
	case f.duration <= 0:
		return nil, fmt.Errorf("invalid --duration %s: use a positive duration such as 10m", f.duration)
	case f.batchSize < 1:
		return nil, fmt.Errorf("invalid --batch-size %d: use 1 or more events", f.batchSize)
	case f.batchWait <= 0:
		return nil, fmt.Errorf("invalid --batch-wait %s: use a positive duration such as 5s", f.batchWait)
	case f.destination != "duckdb":
		return nil, fmt.Errorf("invalid --destination %q: only duckdb is supported, because the check reads the DuckDB file", f.destination)
	}
	if f.cpuProfile != "" {
		abs, err := filepath.Abs(f.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("resolve --server-cpu-profile %s: %w", f.cpuProfile, err)
		}
		f.cpuProfile = abs
	}
	return f, nil
}

// webhookBenchRun is the measurements and problems of one run.
type webhookBenchRun struct {
	flags      *webhookBenchFlags
	result     *webhookload.Result
	distinct   int
	peak       int // maximum number of event files in the spool while sending
	pending    int // event files in the spool at SIGTERM
	drain      time.Duration
	rows       int
	tables     int
	loadBefore string
	loadAfter  string
	problems   []error
}

func runWebhookBench(args []string) error {
	f, err := parseWebhookBenchFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return benchWebhook(ctx, f, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil)))
}

// benchWebhook runs the benchmark that f describes, writes its report to
// out and returns the problems it found.
func benchWebhook(ctx context.Context, f *webhookBenchFlags, out io.Writer, logger *slog.Logger) error {
	dir, bin, cleanup, err := workFolder(ctx, logger, "restload-bench-webhook-", f.keep, f.restload)
	defer cleanup()
	if err != nil {
		return err
	}

	deliveries, err := webhookload.Generate(ctx, webhookload.Config{
		Events: f.events, Seed: f.seed, Duplicates: f.duplicates, Unknown: f.unknown})
	if err != nil {
		return err
	}
	run := &webhookBenchRun{flags: f, distinct: webhookload.Distinct(deliveries)}
	logger.Info("generated events", "requests", len(deliveries), "distinct", run.distinct)

	srv, err := startWebhookServer(ctx, bin, dir, f)
	if err != nil {
		return err
	}
	defer srv.kill()
	logger.Info("server ready", "url", srv.url)

	spool := filepath.Join(dir, "data", "webhook-spools", webhookBenchPipeline)
	logger.Info("sending", "rate", f.rate, "concurrency", f.concurrency)
	if err := run.send(ctx, srv, deliveries, spool); err != nil {
		return err
	}
	logger.Info("stopping the server", "pending", run.pending)
	run.stop(ctx, logger, srv, bin, dir, spool)
	run.verify(ctx, filepath.Join(dir, webhookBenchPipeline+".duckdb"))
	run.check()
	if _, err := io.WriteString(out, run.report()); err != nil {
		run.problems = append(run.problems, fmt.Errorf("write report: %w", err))
	}
	return errors.Join(run.problems...)
}

// send posts the deliveries to srv and samples the spool's backlog
// meanwhile.
func (r *webhookBenchRun) send(ctx context.Context, srv *webhookServer, deliveries []webhookload.Delivery, spool string) error {
	f := r.flags
	sampleCtx, stopSampling := context.WithCancel(ctx)
	peak := make(chan int, 1)
	go func() {
		most := 0
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			most = max(most, countSpooledEvents(spool))
			select {
			case <-sampleCtx.Done():
				peak <- most
				return
			case <-tick.C:
			}
		}
	}()

	r.loadBefore = loadAverage()
	res, err := webhookload.Send(ctx, webhookload.SendConfig{
		URL: srv.url, Secret: srv.secret, Rate: f.rate, Concurrency: f.concurrency, MaxDuration: f.duration,
	}, deliveries)
	r.loadAfter = loadAverage()
	r.pending = countSpooledEvents(spool)
	stopSampling()
	r.peak = max(<-peak, r.pending)
	r.result = res
	return err
}

// stop stops the server, which drains its spool. When events remain in
// the spool, it starts the server once more to load them, so that the
// check tells late events from lost ones, and records the problem.
func (r *webhookBenchRun) stop(ctx context.Context, logger *slog.Logger, srv *webhookServer, bin, dir, spool string) {
	start := time.Now()
	if err := srv.stop(); err != nil {
		r.problems = append(r.problems, err)
	}
	r.drain = time.Since(start)
	left := countSpooledEvents(spool)
	if left == 0 {
		return
	}
	r.problems = append(r.problems, fmt.Errorf("the server exited with %d events still in its spool: "+
		"loading did not keep up with the rate; a second start loaded them before the check", left))
	logger.Warn("starting the server again to load what its spool holds", "pending", left)
	if err := restartToDrain(ctx, bin, dir, spool, r.flags); err != nil {
		r.problems = append(r.problems, err)
	}
}

// restartToDrain starts the server again, which loads the events left
// in its spool, waits for the spool to empty and stops the server.
func restartToDrain(ctx context.Context, bin, dir, spool string, f *webhookBenchFlags) error {
	g := *f
	g.cpuProfile = "" // keep the profile of the measured run
	srv, err := startWebhookServer(ctx, bin, dir, &g)
	if err != nil {
		return err
	}
	defer srv.kill()
	deadline := time.Now().Add(10 * time.Minute)
	for countSpooledEvents(spool) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	return srv.stop()
}

// verify reads the DuckDB file, after the server exited, and records
// every missing, repeated or unexpected row as a problem.
func (r *webhookBenchRun) verify(ctx context.Context, path string) {
	want, err := webhookload.Expect(r.result.Accepted())
	if err != nil {
		r.problems = append(r.problems, err)
		return
	}
	c, err := duckdb.OpenReadOnly(path)
	if err != nil {
		r.problems = append(r.problems, fmt.Errorf("open the loaded database: %w", err))
		return
	}
	defer c.Close()
	r.tables = len(want)
	r.rows, err = webhookload.Verify(ctx, c.DB(), webhookBenchDataset, want)
	if err != nil {
		r.problems = append(r.problems, fmt.Errorf("events lost or loaded twice: %w", err))
	}
}

// check records failed and unsent requests as problems.
func (r *webhookBenchRun) check() {
	res := r.result
	if res.Failed > 0 {
		r.problems = append(r.problems, fmt.Errorf("%d of %d requests failed, first: %s",
			res.Failed, res.Sent, strings.Join(res.Errors, "; ")))
	}
	if res.Unsent > 0 {
		r.problems = append(r.problems, fmt.Errorf("%d of %d events not sent within --duration %s",
			res.Unsent, len(res.Deliveries), r.flags.duration))
	}
	distinctSent := webhookload.Distinct(res.Deliveries[:res.Sent])
	if res.Failed == 0 && res.Stored != distinctSent {
		r.problems = append(r.problems, fmt.Errorf("the server responded \"stored\" %d times for %d distinct events",
			res.Stored, distinctSent))
	}
}

// report returns the Markdown record of the run.
func (r *webhookBenchRun) report() string {
	res, f := r.result, r.flags
	var b strings.Builder
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms" }
	target := "as fast as " + strconv.Itoa(f.concurrency) + " connections allow"
	if f.rate > 0 {
		target = strconv.FormatFloat(f.rate, 'f', -1, 64) + " events/s"
	}
	loaded := max(res.Stored-r.pending, 0)
	rows := [][2]string{
		{"events sent", fmt.Sprintf("%d of %d", res.Sent, len(res.Deliveries))},
		{"distinct events", strconv.Itoa(webhookload.Distinct(res.Deliveries[:res.Sent]))},
		{"duplicate deliveries", fmt.Sprintf("%d (%d responded \"duplicate\")", res.Sent-webhookload.Distinct(res.Deliveries[:res.Sent]), res.Duplicates)},
		{"target rate", target},
		{"achieved rate", strconv.FormatFloat(res.Rate(), 'f', 1, 64) + " events/s"},
		{"latency p50", ms(res.Percentile(50))},
		{"latency p95", ms(res.Percentile(95))},
		{"latency p99", ms(res.Percentile(99))},
		{"latency max", ms(res.Percentile(100))},
		{"errors", strconv.Itoa(res.Failed)},
		{"events loaded while sending", fmt.Sprintf("%d (%.1f events/s)", loaded, float64(loaded)/res.Elapsed.Seconds())},
		{"spool backlog, max while sending", strconv.Itoa(r.peak)},
		{"spool backlog at SIGTERM", strconv.Itoa(r.pending)},
		{"time to drain (SIGTERM to exit)", strconv.FormatFloat(r.drain.Seconds(), 'f', 2, 64) + " s"},
		{"rows verified", fmt.Sprintf("%d in %d tables", r.rows, r.tables)},
	}
	b.WriteString("| measure | value |\n| --- | --- |\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], row[1])
	}
	verdict := "nothing lost, no request failed"
	if len(r.problems) > 0 {
		verdict = fmt.Sprintf("FAILED: %d problems, listed on standard error", len(r.problems))
	}
	fmt.Fprintf(&b, "\nResult: %s.\n\n", verdict)
	fmt.Fprintf(&b, "- Machine: %s; load average %s before sending, %s after\n", machineDescription(), r.loadBefore, r.loadAfter)
	fmt.Fprintf(&b, "- Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- Date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Command: `%s`\n", commandLine())
	fmt.Fprintf(&b, "- Server: `restload webhook serve ashby --destination %s --batch-size %d --batch-wait %s`, log level info, events from the Ashby emulator (seed %d), %.0f%% duplicate deliveries, %.0f%% unknown actions\n",
		f.destination, f.batchSize, f.batchWait, f.seed, 100*f.duplicates, 100*f.unknown)
	return b.String()
}

// webhookServer is a running "restload webhook serve ashby" process.
type webhookServer struct {
	cmd    *exec.Cmd
	url    string
	secret string
	log    string        // path of the server's standard error
	exited chan struct{} // closed when the process has exited
	err    error         // exit error, set before exited closes
}

// startWebhookServer starts the server in dir on a free loopback port
// with a random secret and waits until /readyz responds 200.
func startWebhookServer(ctx context.Context, bin, dir string, f *webhookBenchFlags) (*webhookServer, error) {
	key := make([]byte, 32)
	rand.Read(key)
	s := &webhookServer{secret: hex.EncodeToString(key), exited: make(chan struct{}), log: filepath.Join(dir, "server.log")}
	args := []string{"webhook", "serve", "ashby", "--addr", "127.0.0.1:0", "--pipeline", webhookBenchPipeline,
		"--dataset", webhookBenchDataset, "--destination", f.destination,
		"--batch-size", strconv.Itoa(f.batchSize), "--batch-wait", f.batchWait.String()}
	if f.cpuProfile != "" {
		args = append(args, "--cpu-profile", f.cpuProfile)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Env = append(os.Environ(),
		"HOME="+dir,
		"RESTLOAD_DATA_DIR="+filepath.Join(dir, "data"),
		"SOURCES__ASHBY__WEBHOOK_SECRET="+s.secret)
	logFile, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	s.cmd.Stderr = logFile
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start webhook server: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start webhook server %s: %w", bin, err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()

	select {
	case line := <-first:
		rest, ok := strings.CutPrefix(line, "Serving Ashby webhooks at ")
		if !ok {
			s.kill()
			return nil, fmt.Errorf("start webhook server: unexpected first line %q; see %s", line, s.log)
		}
		s.url, _, _ = strings.Cut(rest, " ")
	case <-s.exited:
		return nil, fmt.Errorf("webhook server exited at start (%v): %s", s.err, s.tail())
	case <-time.After(time.Minute):
		s.kill()
		return nil, fmt.Errorf("webhook server printed no address within a minute: %s", s.tail())
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
	if err := s.waitReady(ctx); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// waitReady polls /readyz until it responds 200, for at most a minute.
func (s *webhookServer) waitReady(ctx context.Context) error {
	base, _, _ := strings.Cut(strings.TrimPrefix(s.url, "http://"), "/")
	ready := "http://" + base + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ready, nil)
		if err != nil {
			return fmt.Errorf("check %s: %w", ready, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webhook server not ready at %s within a minute, last response %s: %s", ready, last, s.tail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for the server to drain its spool and
// exit. It returns an error unless the server exited with status 0.
func (s *webhookServer) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop webhook server: %w", err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			return fmt.Errorf("webhook server exit after SIGTERM: %w: %s", s.err, s.tail())
		}
		return nil
	case <-time.After(5 * time.Minute):
		s.kill()
		return fmt.Errorf("webhook server still running 5 minutes after SIGTERM; killed it: %s", s.tail())
	}
}

// kill ends the server with SIGKILL if it still runs, and waits for it.
func (s *webhookServer) kill() {
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// tail returns the end of the server's log.
func (s *webhookServer) tail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return "no server log: " + err.Error()
	}
	const max = 2000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return "server log ends with:\n" + string(data)
}

// countSpooledEvents returns the number of event files in a spool folder.
func countSpooledEvents(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".event") {
			n++
		}
	}
	return n
}
