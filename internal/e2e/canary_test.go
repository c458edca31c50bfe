package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// canaryCmd returns the restload binary set up to run in e's folder
// against url with key, with env added to its environment.
func canaryCmd(t *testing.T, e *env, url, key string, env []string, args ...string) *exec.Cmd {
	cmd := e.command(t.Context(), url, key, args...)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runCaptured runs cmd and returns its combined output and exit code.
func runCaptured(t *testing.T, cmd *exec.Cmd) ([]byte, int) {
	t.Helper()
	var out watchWriter
	cmd.Stdout, cmd.Stderr = &out, &out
	err := runWithin(cmd, 3*time.Minute)
	return out.bytes(), exitCode(t, cmd, err)
}

// runWithin runs cmd and kills it after limit.
func runWithin(cmd *exec.Cmd, limit time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	timer := time.AfterFunc(limit, func() { cmd.Process.Kill() })
	defer timer.Stop()
	return cmd.Wait()
}

// exitCode returns the exit code of a finished command, failing the test
// when it did not run.
func exitCode(t *testing.T, cmd *exec.Cmd, err error) int {
	t.Helper()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("restload %s: %v", strings.Join(cmd.Args[1:], " "), err)
	}
	return 0
}

// watchWriter collects a process's output and closes a channel once the
// output holds a given text.
type watchWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	pattern string
	seen    chan struct{}
}

// watch returns a channel that is closed once the output holds pattern.
func (w *watchWriter) watch(pattern string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pattern, w.seen = pattern, make(chan struct{})
	w.match(0)
	return w.seen
}

// match closes w.seen when the output from byte from on holds the
// pattern. The caller holds the lock.
func (w *watchWriter) match(from int) {
	if w.pattern != "" && bytes.Contains(w.buf.Bytes()[from:], []byte(w.pattern)) {
		close(w.seen)
		w.pattern = ""
	}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Only the new bytes and the end of the old ones can complete a match.
	from := max(w.buf.Len()-len(w.pattern), 0)
	w.buf.Write(p)
	w.match(from)
	return len(p), nil
}

func (w *watchWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// runPausedAtLoad runs cmd, which must log at level info or below, and
// stops it with SIGSTOP as soon as it logs that it loads a package, while
// the package's extracted and normalized files are on disk. It calls
// inspect, resumes the process and returns its output and exit code.
// paused reports whether the pause happened before the process exited.
func runPausedAtLoad(t *testing.T, cmd *exec.Cmd, inspect func()) (out []byte, code int, paused bool) {
	t.Helper()
	var w watchWriter
	loading := w.watch("loading package")
	cmd.Stdout, cmd.Stderr = &w, &w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start restload: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case <-loading:
		if serr := cmd.Process.Signal(syscall.SIGSTOP); serr == nil {
			paused = true
			inspect()
			cmd.Process.Signal(syscall.SIGCONT)
		}
		err = waitDone(cmd, done)
	case err = <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("restload %s logged no load within 3 minutes:\n%s", strings.Join(cmd.Args[1:], " "), w.bytes())
	}
	return w.bytes(), exitCode(t, cmd, err), paused
}

// waitDone waits for a started command's exit, killing it after 3
// minutes.
func waitDone(cmd *exec.Cmd, done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		return <-done
	}
}

// canaryServer is a restload process that serves until it is stopped.
type canaryServer struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *watchWriter
	done chan error
	// url is the address that the process printed at start.
	url string
}

// startCanaryServer starts cmd and waits until it prints banner followed
// by its URL.
func startCanaryServer(t *testing.T, cmd *exec.Cmd, banner string) *canaryServer {
	t.Helper()
	s := &canaryServer{t: t, cmd: cmd, out: &watchWriter{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start restload: %v", err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(time.Minute)
	for {
		_, rest, ok := strings.Cut(string(s.out.bytes()), banner)
		line, _, complete := strings.Cut(rest, "\n")
		if fields := strings.Fields(line); ok && complete && len(fields) > 0 {
			s.url = fields[0]
			return s
		}
		select {
		case err := <-s.done:
			s.done = nil
			t.Fatalf("restload %s exited at start: %v\n%s", strings.Join(cmd.Args[1:], " "), err, s.out.bytes())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("restload %s printed no %q within a minute:\n%s", strings.Join(cmd.Args[1:], " "), banner, s.out.bytes())
		}
	}
}

// stop ends the process with SIGTERM, waits for it and returns its whole
// output. Calling it again returns the same output.
func (s *canaryServer) stop() []byte {
	if s.done != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		if err := waitDone(s.cmd, s.done); err != nil {
			s.t.Errorf("restload %s exit: %v\n%s", strings.Join(s.cmd.Args[1:], " "), err, s.out.bytes())
		}
		s.done = nil
	}
	return s.out.bytes()
}

// postForged sends webhook requests that must all be rejected with 401:
// signed with another secret, unsigned, and carrying the secret itself
// where the signature belongs, as a misconfigured sender might. It
// searches each response.
func postForged(t *testing.T, ls *leakSearch, hookURL, secret string) {
	t.Helper()
	body := []byte(`{"webhookActionId":"forged-1","action":"jobCreate","data":{"job":{"id":"forged-job"}}}`)
	signatures := map[string]string{
		"other secret":         ashbysim.Sign("another-secret", body),
		"no signature":         "",
		"secret as signature":  secret,
		"secret in sha256 tag": "sha256=" + secret,
	}
	for name, sig := range signatures {
		req, err := http.NewRequest(http.MethodPost, hookURL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("Ashby-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("send forged request (%s): %v", name, err)
		}
		var text bytes.Buffer
		text.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("forged request (%s): status %d, want 401", name, resp.StatusCode)
		}
		ls.output("webhook response to a forged request ("+name+")", text.Bytes())
	}
}

// TestAshbySecretsNeverLeak gives the Ashby source a unique API key, PII
// hash key and webhook secret. It runs successful, failing and paused
// loads at debug level, the webhook receiver with signed and forged
// requests, the pipeline commands and the web UI. Then it searches every
// output, every file of the folder and every value of the DuckDB file for
// the three secrets.
func TestAshbySecretsNeverLeak(t *testing.T) {
	apiKey := newSecret("API key", canaryValue("canary-api-", ""))
	hashKey := newSecret("PII hash key", canaryValue("canary-pii-", ""))
	hookSecret := newSecret("webhook secret", canaryValue("canary-hook-", ""))
	ls := newLeakSearch(t, apiKey, hashKey, hookSecret)
	sim := ashbysim.New(ashbysim.Config{Seed: 17, Candidates: 40, APIKeys: map[string][]string{apiKey.value: nil},
		Webhooks: ashbysim.WebhookConfig{RetryBase: 5 * time.Millisecond}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	e := newEnv(t)
	env := []string{"NORMALIZE__PII_HASH_KEY=" + hashKey.value, "SOURCES__ASHBY__WEBHOOK_SECRET=" + hookSecret.value}
	run := func(command, key string, args ...string) ([]byte, int) {
		t.Helper()
		out, code := runCaptured(t, canaryCmd(t, e, url, key, env, args...))
		ls.output(command, out)
		return out, code
	}

	out, code := run("first run", apiKey.value,
		"run", "ashby", "--pii", "hash", "--progress", "none", "--log-level", "debug", "--log-format", "json")
	if code != 0 {
		t.Fatalf("first run: exit code %d:\n%s", code, out)
	}
	if !bytes.Contains(out, []byte(`"level":"DEBUG"`)) || !bytes.Contains(out, []byte("candidate.list")) {
		t.Errorf("the debug run logged no requests, so searching its output proves little:\n%.2000s", out)
	}

	// The second run meets an error body and a server error, and pauses
	// while it loads, so that the files of its package are searched.
	sim.Apply(ashbysim.Changes{NewCandidates: 2, UpdatedCandidates: 3, UpdatedApplications: 2, NewOffers: 1})
	addFault(t, sim, ashbysim.Fault{Endpoint: "offer.list", Kind: ashbysim.FaultErrorCode, Code: "boom"})
	addFault(t, sim, ashbysim.Fault{Endpoint: "job.list", Kind: ashbysim.FaultServerError, Times: 1})
	packageFiles := 0
	cmd := canaryCmd(t, e, url, apiKey.value, env, "run", "ashby", "--pii", "hash", "--progress", "none", "--log-level", "debug")
	out, _, paused := runPausedAtLoad(t, cmd, func() {
		packageFiles = countPackageFiles(t, e)
		ls.folder(e.dataDir)
	})
	ls.output("second run, with faults", out)
	if !paused || packageFiles == 0 {
		t.Errorf("the second run was paused %v with %d package files; the search of extract and normalized files proves little",
			paused, packageFiles)
	}
	sim.ClearFaults()
	// A wrong key makes the API return 403, and no message may show the
	// key that was sent, which holds the right one.
	if out, code := run("run with a wrong API key", apiKey.value+"x", "run", "ashby", "--progress", "none", "--log-level", "debug"); code == 0 {
		t.Errorf("run with a wrong API key: exit code 0:\n%s", out)
	}

	runWebhooks(t, e, ls, sim, url, apiKey.value, env, hookSecret.value)

	for _, args := range pipelineCommands(pipelineName) {
		run(strings.Join(args, " "), apiKey.value, append(args, "--log-level", "debug")...)
	}
	run("query of the state table", apiKey.value, "query", pipelineName, "SELECT * FROM ashby_data._rl_pipeline_state", "--log-level", "debug")
	searchShow(t, ls, canaryCmd(t, e, url, apiKey.value, env, "show", pipelineName, "--port", "0", "--log-level", "debug"),
		pipelineName, "candidates", "webhook_events", "_rl_pipeline_state", "_rl_loads")

	ls.folder(e.dir)
	db, closeDB := e.openDB(t)
	defer closeDB()
	ls.database("DuckDB", db, `SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'`)
	if n := count(t, db, `SELECT count(*) FROM ashby_data.webhook_events`); n == 0 {
		t.Error("no webhook events were loaded, so the webhook secret was never used")
	}
	if n := count(t, db, `SELECT count(*) FROM ashby_data.candidates__email_addresses WHERE length(value) = 64`); n == 0 {
		t.Error("no email address was hashed, so the PII hash key was never used")
	}
	if ls.files < 10 || ls.tables < 50 || ls.values < 1000 {
		t.Errorf("the search covered too little: %s", ls.summary())
	}
	t.Log("searched " + ls.summary())
}

// runWebhooks serves webhooks twice, with JSON and with text logs, while
// the emulator delivers signed events and forged requests arrive, and
// searches the receiver's output and responses.
func runWebhooks(t *testing.T, e *env, ls *leakSearch, sim *ashbysim.Server, url, key string, env []string, secret string) {
	t.Helper()
	serve := func(addr, format string) *canaryServer {
		return startCanaryServer(t, canaryCmd(t, e, url, key, env, "webhook", "serve", "ashby", "--addr", addr,
			"--batch-wait", "200ms", "--pii", "hash", "--log-level", "debug", "--log-format", format), "Serving Ashby webhooks at ")
	}
	srv := serve("127.0.0.1:0", "json")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := sim.AddWebhook(ctx, ashbysim.Webhook{URL: srv.url, Secret: secret}); err != nil {
		t.Fatalf("add webhook (the ping must succeed): %v\n%s", err, srv.out.bytes())
	}
	sim.Apply(ashbysim.Changes{UpdatedApplications: 2, UpdatedJobs: 1, NewOffers: 1})
	waitDelivered(t, sim)
	postForged(t, ls, srv.url, secret)
	out := srv.stop()
	ls.output("webhook serve with JSON logs", out)
	for _, want := range []string{`"result":"stored"`, `"result":"rejected"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("webhook serve logged no %s line:\n%.3000s", want, out)
		}
	}

	// The second receiver listens where the webhook points.
	addr := strings.TrimPrefix(strings.TrimSuffix(srv.url, "/webhooks/ashby"), "http://")
	srv = serve(addr, "text")
	postForged(t, ls, srv.url, secret)
	sim.Apply(ashbysim.Changes{UpdatedJobs: 1, UpdatedApplications: 1})
	waitDelivered(t, sim)
	out = srv.stop()
	ls.output("webhook serve with text logs", out)
	if !bytes.Contains(out, []byte("result=stored")) {
		t.Errorf("webhook serve logged no stored event:\n%.3000s", out)
	}
}

// pipelineCommands returns the read-only pipeline commands for name.
func pipelineCommands(name string) [][]string {
	var cmds [][]string
	cmds = append(cmds, []string{"pipeline", "list"})
	for _, op := range []string{"info", "trace", "load-package", "failed-jobs", "schema"} {
		cmds = append(cmds, []string{"pipeline", name, op})
	}
	return cmds
}

// searchShow serves the web UI with cmd and searches its pages for the
// pipeline and tables, and its output.
func searchShow(t *testing.T, ls *leakSearch, cmd *exec.Cmd, name string, tables ...string) {
	t.Helper()
	srv := startCanaryServer(t, cmd, "Serving restload show at ")
	paths := []string{"/", "/p/" + name + "/", "/p/" + name + "/tables", "/p/" + name + "/schema", "/p/" + name + "/loads"}
	for _, tab := range tables {
		paths = append(paths, "/p/"+name+"/tables/"+tab)
	}
	for path, body := range fetchPages(t, srv.url, paths...) {
		ls.output("show page "+path, body)
	}
	ls.output("show", srv.stop())
}

// countPackageFiles counts the files of packages that are not loaded yet.
func countPackageFiles(t *testing.T, e *env) int {
	t.Helper()
	n := 0
	root := filepath.Join(e.dataDir, "pipelines")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(path, "/extracted/") || strings.Contains(path, "/normalized/")) {
			n++
		}
		return nil
	})
	return n
}
