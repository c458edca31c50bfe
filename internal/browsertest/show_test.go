package browsertest

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// binary is the restload binary, built once by TestMain.
var binary string

// chromiumPath is the browser that the tests start.
var chromiumPath string

func TestMain(m *testing.M) {
	chromiumPath = os.Getenv("CHROMIUM_PATH")
	if chromiumPath == "" {
		chromiumPath = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		// A missing browser fails the run: these tests are part of the
		// suite and must not pass by skipping.
		fmt.Fprintf(os.Stderr, "FAIL: Chromium not found at %s: run scripts/test, which installs Debian's chromium package, or set CHROMIUM_PATH\n", chromiumPath)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "restload-browsertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "restload")
	build := exec.Command("go", "build", "-o", binary, "github.com/restload/restload/cmd/restload")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build restload:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// artifactDir returns the folder for screenshots and downloads:
// $RESTLOAD_TEST_ARTIFACTS/<test> when set, else a temporary folder.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("RESTLOAD_TEST_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots and downloads go to %s", dir)
	return dir
}

// loadDemo runs "restload run ashby --demo" in dir, with its pipelines
// under dir/data.
func loadDemo(t *testing.T, dir string) []string {
	t.Helper()
	env := append(os.Environ(), "RESTLOAD_DATA_DIR="+filepath.Join(dir, "data"))
	run := exec.Command(binary, "run", "ashby", "--demo", "--demo-candidates", "80")
	run.Dir, run.Env = dir, env
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("restload run ashby --demo: %v\n%s", err, out)
	}
	return env
}

// startShow starts "restload show PIPELINE" and returns its URL. The
// process is stopped when the test ends.
func startShow(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"show"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start restload show: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("restload show exited with %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("restload show did not stop within 10s of SIGINT")
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "Serving restload show at "); ok {
				found <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case u := <-found:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("restload show serves at %s, want an address on 127.0.0.1", u)
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatalf("restload show printed no URL within 30s\n%s", stderr.String())
		return ""
	}
}

// newBrowser starts headless Chromium with a fresh profile and without
// the background requests that Chromium makes on its own.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// requestLog records the URL of every request that the page makes.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) add(ev any) {
	if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
		l.mu.Lock()
		l.urls = append(l.urls, e.Request.URL)
		l.mu.Unlock()
	}
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...)
}

// visit opens url, checks that the main content contains every wanted
// text and saves a full-page screenshot as name.png.
func visit(t *testing.T, ctx context.Context, dir, url, name string, want ...string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read the text of %s: %v", url, err)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page %s lacks %q", name, w)
		}
	}
	screenshot(t, ctx, dir, name)
	return text
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShowPages(t *testing.T) {
	dir := t.TempDir()
	artifacts := artifactDir(t)
	env := loadDemo(t, dir)
	base := startShow(t, dir, env, "ashby_pipeline")
	ctx := newBrowser(t)

	var requests requestLog
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, requests.add); err != nil {
		t.Fatal(err)
	}

	p := base + "p/ashby_pipeline/"
	visit(t, ctx, artifacts, base, "01-overview", "Destination", "duckdb", "ashby_data", "Schema version", "Recent loads", "loaded", "Rows per table", "applications")
	sheets, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.styleSheets.length"))
	if err != nil || sheets != 1 {
		t.Errorf("overview has %d style sheets (%v), want the embedded one", sheets, err)
	}
	visit(t, ctx, artifacts, p+"tables", "02-tables", "applications__custom_fields", "_rl_loads", "candidates")
	visit(t, ctx, artifacts, p+"tables/applications?sort=status&desc=1", "03-table", "current_interview_stage__title", "rows", "Page 1 of", "status ▼", "Child tables:")
	visit(t, ctx, artifacts, p+"schema", "04-schema", "Schema ashby", "applications", "candidates")
	visit(t, ctx, artifacts, p+"loads", "05-loads", "Rows per load", "loaded")
	visit(t, ctx, artifacts, p+"funnel", "06-funnel", "applications", "Hired", "New Lead")

	// Follow a child link of the first application to its custom fields.
	if err := chromedp.Do(ctx, chromedp.Navigate(p+"tables/applications"), chromedp.Click(chromedp.CSS("a.child"))); err != nil {
		t.Fatalf("follow a child link: %v", err)
	}
	child := visit(t, ctx, artifacts, waitLocation(t, ctx, "eq._rl_parent_id="), "07-child-rows", "rows match the filters", "_rl_parent_id is")
	if strings.Contains(child, "0 rows match") {
		t.Error("the child link led to no rows")
	}

	// Filter through the form in the table header.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p+"tables/applications"),
		chromedp.SetValue(chromedp.CSS(`input[name="f.status"]`), "hired"),
		chromedp.Click(chromedp.CSS(`p > button[form="filters"]`)),
	); err != nil {
		t.Fatalf("filter applications: %v", err)
	}
	visit(t, ctx, artifacts, waitLocation(t, ctx, "f.status=hired"), "08-filtered", "status contains “hired”")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("table.data tbody tr"), r => r.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Error("the filter status contains hired shows no rows")
	}
	for _, r := range rows {
		if !strings.Contains(r, "Hired") {
			t.Errorf("the filter status contains hired shows a row without Hired: %.200s", r)
		}
	}

	// Run a query in the console.
	query := "SELECT status, count(*) AS n FROM ashby_data.applications GROUP BY status ORDER BY status"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p+"query"),
		chromedp.SetValue(chromedp.ID("sql"), query),
		chromedp.Click(chromedp.CSS("form.console button")),
		chromedp.WaitVisible(chromedp.CSS("table.results")),
	); err != nil {
		t.Fatalf("run a query: %v", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("table.results")))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"status", "n", "Active", "Archived", "Hired", "Lead"} {
		if !strings.Contains(result, w) {
			t.Errorf("query result lacks %q:\n%s", w, result)
		}
	}
	screenshot(t, ctx, artifacts, "09-query")
	downloadCSV(t, ctx, artifacts)

	// A rejected statement and a failing query show a message.
	visit(t, ctx, artifacts, p+"query?sql=DELETE+FROM+ashby_data.applications", "10-rejected", "only queries are allowed")
	visit(t, ctx, artifacts, p+"query?sql=SELECT+*+FROM+ashby_data.nope", "11-failed", "the query failed")
	visit(t, ctx, artifacts, base+"p/no_such_pipeline/", "12-missing-pipeline", "pipeline not found")

	for _, u := range requests.list() {
		if !strings.HasPrefix(u, base) && u != "about:blank" {
			t.Errorf("the page requested %s, outside the server", u)
		}
	}
}

// downloadCSV clicks the console's download link and checks the file.
func downloadCSV(t *testing.T, ctx context.Context, dir string) {
	t.Helper()
	downloads := filepath.Join(dir, "downloads")
	if err := os.MkdirAll(downloads, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true),
	})
	if err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	done := make(chan string, 1)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("a.download"))); err != nil {
		t.Fatalf("click Download CSV: %v", err)
	}
	var guid string
	select {
	case guid = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the CSV download did not complete within 30s")
	}
	b, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatalf("read the downloaded CSV: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "query.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("parse the downloaded CSV: %v\n%s", err, b)
	}
	if len(records) != 5 {
		t.Fatalf("CSV has %d records, want a header and 4 statuses:\n%s", len(records), b)
	}
	if got := strings.Join(records[0], ","); got != "status,n" {
		t.Errorf("CSV header %q, want status,n", got)
	}
	var statuses []string
	for _, r := range records[1:] {
		statuses = append(statuses, r[0])
	}
	if got := strings.Join(statuses, ","); got != "Active,Archived,Hired,Lead" {
		t.Errorf("CSV statuses %s, want Active,Archived,Hired,Lead", got)
	}
}

// waitLocation waits until the page's URL contains part, and returns
// the URL.
func waitLocation(t *testing.T, ctx context.Context, part string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(u, part) {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page is at %s after 15s, want a URL containing %s", u, part)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// TestShowConsoleConfined checks, over plain HTTP, that the console of
// the real binary cannot read files outside the destination and that a
// query computes only the rows the page shows.
func TestShowConsoleConfined(t *testing.T) {
	dir := t.TempDir()
	env := loadDemo(t, dir)
	base := startShow(t, dir, env, "ashby_pipeline")
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("do-not-show-this"), 0o600); err != nil {
		t.Fatal(err)
	}
	get := func(sql string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + "p/ashby_pipeline/query?sql=" + url.QueryEscape(sql))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for _, q := range []string{
		"SELECT content FROM read_text('" + secret + "')",
		"SELECT * FROM read_csv('" + secret + "')",
	} {
		code, body := get(q)
		if code == http.StatusOK || strings.Contains(body, "do-not-show-this") {
			t.Errorf("%s: status %d, want it refused without the file's content", q, code)
		}
	}
	// A query of 10^14 rows shows its first page: computing all rows
	// would run into the query timeout and fail.
	code, body := get("SELECT a.range * b.range AS n FROM range(10000000) a, range(10000000) b")
	if code != http.StatusOK || !strings.Contains(body, "<td") {
		t.Errorf("large query: status %d, want its first page", code)
	}
}
