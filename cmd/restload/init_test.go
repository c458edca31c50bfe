package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/config"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/source/rest"
	"github.com/restload/restload/source/rest/gocode"
)

var updateInit = flag.Bool("update-init", false, "rewrite the golden files under testdata/init")

// execute runs restload with args and returns its standard output.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root, _ := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// initProject runs init SOURCE duckdb into a new folder named myproject
// and returns the folder.
func initProject(t *testing.T, source string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "myproject")
	if _, err := execute(t, "init", source, "duckdb", "--dir", dir); err != nil {
		t.Fatalf("init %s duckdb: %v", source, err)
	}
	return dir
}

// projectText returns every file under dir as one text, each file after
// a line "-- PATH (MODE) --", in path order.
func projectText(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(&b, "-- %s (%04o) --\n%s", filepath.ToSlash(rel), info.Mode().Perm(), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// currentDefinition returns the Ashby definition as ashby_pipeline.go
// holds it: printed by gocode and indented by one tab inside the
// function that returns it.
func currentDefinition(t *testing.T) string {
	t.Helper()
	lit, err := gocode.Format(ashby.Definition(ashby.DefaultBaseURL))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(lit.Expr), "\n", "\n\t")
}

// TestInitGolden compares the written files and the printed next steps
// with testdata/init. The version, the temporary folder and the Ashby
// definition, which changes with the ashby package, are masked.
func TestInitGolden(t *testing.T) {
	for _, source := range []string{"ashby", "rest"} {
		t.Run(source, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "myproject")
			stdout, err := execute(t, "init", source, "duckdb", "--dir", dir)
			if err != nil {
				t.Fatal(err)
			}
			got := projectText(t, dir) + "-- stdout --\n" + stdout
			if source == "ashby" {
				def := currentDefinition(t)
				if !strings.Contains(got, "return "+def+"\n") {
					t.Fatal("ashby_pipeline.go does not return the current ashby.Definition")
				}
				got = strings.Replace(got, "return "+def+"\n", "return DEFINITION\n", 1)
			}
			version, _ := moduleVersion()
			got = strings.ReplaceAll(got, dir, "$DIR")
			got = strings.ReplaceAll(got, version, "VERSION")

			golden := filepath.Join("testdata", "init", source+"_duckdb.golden")
			if *updateInit {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestInitGolden -update-init to create it)", err)
			}
			if got != string(want) {
				t.Errorf("written project differs from %s (rerun with -update-init and review the diff):\n%s", golden, got)
			}
		})
	}
}

func TestInitSecretsMode(t *testing.T) {
	dir := initProject(t, "ashby")
	secrets := filepath.Join(dir, ".restload", "secrets.toml")
	info, err := os.Stat(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("secrets.toml has mode %04o, want 0600", mode)
	}

	// Overwriting restores the mode of a file that was made readable.
	if err := os.Chmod(secrets, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, "init", "ashby", "duckdb", "--dir", dir, "--force"); err != nil {
		t.Fatal(err)
	}
	info, err = os.Stat(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("secrets.toml has mode %04o after --force, want 0600", mode)
	}
}

func TestInitRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	program := filepath.Join(dir, "ashby_pipeline.go")
	if err := os.WriteFile(program, []byte("package main // mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := execute(t, "init", "ashby", "duckdb", "--dir", dir)
	if err == nil {
		t.Fatal("init overwrote an existing file without --force")
	}
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Errorf("error %v is not a usage error", err)
	}
	for _, want := range []string{"ashby_pipeline.go", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	data, err := os.ReadFile(program)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "package main // mine\n" {
		t.Errorf("ashby_pipeline.go was changed:\n%s", data)
	}
	// Nothing is written when any file exists.
	if _, err := os.Stat(filepath.Join(dir, ".restload")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".restload was created although init refused: %v", err)
	}

	if _, err := execute(t, "init", "ashby", "duckdb", "--dir", dir, "--force"); err != nil {
		t.Fatalf("init --force: %v", err)
	}
	data, err = os.ReadFile(program)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "func ashbyDefinition()") {
		t.Errorf("init --force did not overwrite ashby_pipeline.go:\n%s", data)
	}
}

func TestInitArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "misspelt source", args: []string{"ashbi", "duckdb"},
			want: `unknown source "ashbi" (did you mean ashby?); valid sources: ashby, rest`},
		{name: "unknown source", args: []string{"salesforce", "duckdb"},
			want: `unknown source "salesforce"; valid sources: ashby, rest`},
		{name: "misspelt destination", args: []string{"ashby", "duckbd"},
			want: `unknown destination "duckbd" (did you mean duckdb?); valid destinations: duckdb, postgres, filesystem, iceberg`},
		{name: "unknown destination", args: []string{"ashby", "snowflake"},
			want: `unknown destination "snowflake"; valid destinations: duckdb, postgres, filesystem, iceberg`},
		{name: "misspelt iceberg", args: []string{"rest", "iceburg"},
			want: `unknown destination "iceburg" (did you mean iceberg?); valid destinations: duckdb, postgres, filesystem, iceberg`},
		{name: "no destination", args: []string{"ashby"},
			want: "init takes a source and a destination, got 1 argument(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := execute(t, append(append([]string{"init"}, tt.args...), "--dir", dir)...)
			if err == nil {
				t.Fatal("init accepted the arguments")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("error %v is not a usage error", err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) > 0 {
				t.Errorf("init wrote %d file(s) although it rejected the arguments", len(entries))
			}
		})
	}
}

func TestInitMisspeltFlag(t *testing.T) {
	_, err := execute(t, "init", "ashby", "duckdb", "--forse")
	if err == nil || !strings.Contains(err.Error(), "did you mean --force?") {
		t.Errorf("error %v does not suggest --force", err)
	}
}

func TestInitHelp(t *testing.T) {
	out, err := execute(t, "init", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"init SOURCE DESTINATION", "--dir string", "folder to write the project into",
		"--force", "overwrite files that already exist", "mode 0600"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

// TestInitConfigKeys loads the written TOML files as restload does and
// checks that they name every key restload reads.
func TestInitConfigKeys(t *testing.T) {
	dir := initProject(t, "ashby")
	var text string
	for _, name := range []string{"config.toml", "secrets.toml"} {
		data, err := os.ReadFile(filepath.Join(dir, ".restload", name))
		if err != nil {
			t.Fatal(err)
		}
		text += string(data)
	}
	for _, key := range knownKeys() {
		name := key[strings.LastIndexByte(key, '.')+1:]
		if !strings.Contains(text, name+" = ") {
			t.Errorf("the configuration files do not mention %s", key)
		}
	}
	conf, err := config.Load(config.Options{ProjectDir: dir, HomeDir: "-",
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := conf.CheckKeys(knownKeys(), "sources."); err != nil {
		t.Error(err)
	}
	if len(conf.Warnings) > 0 {
		t.Errorf("warnings: %q", conf.Warnings)
	}
	var settings ashbySettings
	if err := conf.Decode("sources.ashby", &settings); err != nil {
		t.Fatal(err)
	}
	if settings.APIKey.Reveal() != "" || settings.BaseURL != "" {
		t.Errorf("settings = %+v, want an empty key placeholder and the default base URL", settings)
	}
}

func TestInitRestDefinitionLints(t *testing.T) {
	dir := initProject(t, "rest")
	problems, err := rest.LintFile(filepath.Join(dir, restDefinitionFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", restDefinitionFile, p)
	}
	if _, err := execute(t, "lint", filepath.Join(dir, restDefinitionFile)); err != nil {
		t.Errorf("restload lint: %v", err)
	}
}

func TestGoMod(t *testing.T) {
	release := goMod("loader", "v1.4.0", false)
	if want := "module loader\n\ngo " + starterGoVersion + "\n\nrequire " + modulePath + " v1.4.0\n"; release != want {
		t.Errorf("go.mod of a release build:\n%s\nwant:\n%s", release, want)
	}
	dev := goMod("loader", devModuleVersion, true)
	for _, want := range []string{"go mod edit -replace " + modulePath + "=", "require " + modulePath + " " + devModuleVersion} {
		if !strings.Contains(dev, want) {
			t.Errorf("go.mod of a development build lacks %q:\n%s", want, dev)
		}
	}
}

func TestIsRelease(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"v1.2.0", true},
		{"v0.3.1-rc.1", true},
		{"dev", false},
		{"(devel)", false},
		{"", false},
		{"v0.0.0-20261204101500-abcdefabcdef", false},
		{"v1.2.1-0.20261204101500-abcdefabcdef", false},
		{"v1.2.0+dirty", false},
	}
	for _, tt := range tests {
		if got := isRelease(tt.version); got != tt.want {
			t.Errorf("isRelease(%q) = %v, want %v", tt.version, got, tt.want)
		}
	}
}

func TestModuleName(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/home/ana/ashby-loader", "ashby-loader"},
		{"/home/ana/My Project", "My-Project"},
		{"/home/ana/.hidden", "hidden"},
		{"/home/ana/données", "donn-es"},
		{"/", "pipeline"},
	}
	for _, tt := range tests {
		if got := moduleName(tt.dir); got != tt.want {
			t.Errorf("moduleName(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

// prepareModule makes the starter project in dir build against this
// checkout, as the comment in a development build's go.mod describes,
// from the module cache only: nothing is downloaded.
func prepareModule(t *testing.T, dir string) []string {
	t.Helper()
	repo := repoRoot(t)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	env := starterEnv(t)
	runGo(t, dir, env, "mod", "edit", "-replace", modulePath+"="+repo)
	// go mod tidy would also want the modules that only the tests of
	// dependencies import, which a build never downloads; -mod=mod lets
	// the build add the requirements it needs from the module cache.
	return env
}

// starterEnv returns the environment for the go command and the starter
// program: a fresh home and data folder, no restload settings from the
// test's environment, the shared build and module caches, and no
// network.
func starterEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	paths := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(paths) != 3 {
		t.Fatalf("go env printed %q", out)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.Contains(name, "__") || name == "HOME" || name == "RESTLOAD_DATA_DIR" || strings.HasPrefix(name, "GO") {
			continue
		}
		env = append(env, kv)
	}
	tmp := t.TempDir()
	return append(env,
		"HOME="+filepath.Join(tmp, "home"),
		"RESTLOAD_DATA_DIR="+filepath.Join(tmp, "data"),
		"GOCACHE="+paths[0], "GOMODCACHE="+paths[1], "GOPATH="+paths[2],
		"GOPROXY=off", "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off", "GOTOOLCHAIN=local",
	)
}

func runGo(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// repoRoot returns the folder of the restload checkout that this test
// runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module "+modulePath+"\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the test's folder", modulePath)
		}
		dir = parent
	}
}

// replaceLine replaces the line old of the file at path with new.
func replaceLine(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\n"+old+"\n")) {
		t.Fatalf("%s has no line %q", path, old)
	}
	data = bytes.Replace(data, []byte("\n"+old+"\n"), []byte("\n"+new+"\n"), 1)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// countRows returns the number of rows of table in the DuckDB file.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only&autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count rows of %s in %s: %v", table, path, err)
	}
	return n
}

// TestInitAshbyRuns builds the Ashby starter project against this
// checkout and runs it against the emulator.
func TestInitAshbyRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the starter program, linking DuckDB")
	}
	dir := initProject(t, "ashby")
	env := prepareModule(t, dir)

	const key = "starter-test-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 3, Candidates: 40, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	want, err := sim.Count("candidate.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	replaceLine(t, filepath.Join(dir, ".restload", "secrets.toml"), `api_key = ""`, fmt.Sprintf("api_key = %q", key))
	replaceLine(t, filepath.Join(dir, ".restload", "config.toml"),
		fmt.Sprintf("# base_url = %q", ashby.DefaultBaseURL), fmt.Sprintf("base_url = %q", url))

	out := runGo(t, dir, env, "run", "ashby_pipeline.go")
	if !strings.Contains(out, fmt.Sprintf("- candidates: %d row(s)", want)) {
		t.Errorf("load summary lacks %d candidates:\n%s", want, out)
	}
	if got := countRows(t, filepath.Join(dir, "ashby_pipeline.duckdb"), "ashby_data.candidates"); got != want {
		t.Errorf("ashby_data.candidates has %d rows, want the emulator's %d", got, want)
	}

	// Without the key the program fails and names where to put it.
	replaceLine(t, filepath.Join(dir, ".restload", "secrets.toml"), fmt.Sprintf("api_key = %q", key), `api_key = ""`)
	cmd := exec.Command("go", "run", "ashby_pipeline.go")
	cmd.Dir = dir
	cmd.Env = env
	failed, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("program without a key: %v, want a non-zero exit\n%s", err, failed)
	}
	if !strings.Contains(string(failed), "missing Ashby API key") || !strings.Contains(string(failed), "secrets.toml") {
		t.Errorf("program without a key printed:\n%s", failed)
	}
}

// TestInitRestRuns runs the rest starter against a loopback server that
// responds like GitHub's issues API, with the definition's base URL
// pointed at it.
func TestInitRestRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the starter program, linking DuckDB")
	}
	const token = "starter-test-token"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/repos/o/r/issues":
			if r.URL.Query().Get("page") == "2" {
				fmt.Fprint(w, `[{"id":3,"number":3,"title":"third","updated_at":"2024-03-01T00:00:00Z","user":{"login":"carol"}}]`)
				return
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/repos/o/r/issues?page=2>; rel="next"`, srv.URL))
			fmt.Fprint(w, `[{"id":1,"number":1,"title":"first","updated_at":"2024-02-01T00:00:00Z","user":{"login":"ana"}},`+
				`{"id":2,"number":2,"title":"second","updated_at":"2024-02-02T00:00:00Z","user":{"login":"bo"}}]`)
		case "/repos/o/r/issues/1/comments":
			fmt.Fprint(w, `[{"id":10,"body":"yes"},{"id":11,"body":"no"}]`)
		case "/repos/o/r/issues/2/comments", "/repos/o/r/issues/3/comments":
			fmt.Fprint(w, `[]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	dir := initProject(t, "rest")
	env := prepareModule(t, dir)
	replaceLine(t, filepath.Join(dir, restDefinitionFile), "  base_url: https://api.github.com/repos/OWNER/REPO/",
		"  base_url: "+srv.URL+"/repos/o/r/")
	replaceLine(t, filepath.Join(dir, ".restload", "secrets.toml"), `access_token = ""`, fmt.Sprintf("access_token = %q", token))

	out := runGo(t, dir, env, "run", "rest_pipeline.go")
	for _, want := range []string{"- issues: 3 row(s)", "- issue_comments: 2 row(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("load summary lacks %q:\n%s", want, out)
		}
	}
	db := filepath.Join(dir, "github_pipeline.duckdb")
	if got := countRows(t, db, "github_data.issues"); got != 3 {
		t.Errorf("github_data.issues has %d rows, want 3", got)
	}
	if got := countRows(t, db, "github_data.issue_comments"); got != 2 {
		t.Errorf("github_data.issue_comments has %d rows, want 2", got)
	}
	if strings.Contains(out, token) {
		t.Error("the program printed the token")
	}
}

// TestInitEveryDestination writes the Ashby starter for each destination
// other than DuckDB and runs it against the emulator: the load summary
// names the destination and every candidate.
func TestInitEveryDestination(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the starter program for three destinations")
	}
	const key = "starter-test-key"
	sim := ashbysim.New(ashbysim.Config{Seed: 4, Candidates: 30, APIKeys: map[string][]string{key: nil}})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	want, err := sim.Count("candidate.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"postgres", "filesystem", "iceberg"} {
		t.Run(dest, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "myproject")
			if _, err := execute(t, "init", "ashby", dest, "--dir", dir); err != nil {
				t.Fatalf("init ashby %s: %v", dest, err)
			}
			env := prepareModule(t, dir)
			replaceLine(t, filepath.Join(dir, ".restload", "secrets.toml"), `api_key = ""`, fmt.Sprintf("api_key = %q", key))
			replaceLine(t, filepath.Join(dir, ".restload", "config.toml"),
				fmt.Sprintf("# base_url = %q", ashby.DefaultBaseURL), fmt.Sprintf("base_url = %q", url))
			if dest == "postgres" {
				_, creds := pgtest.Start(t).CreateDB(t)
				env = append(env, "DESTINATION__POSTGRES__CREDENTIALS="+creds)
			}
			out := runGo(t, dir, env, "run", "ashby_pipeline.go")
			for _, w := range []string{"destination " + dest, fmt.Sprintf("- candidates: %d row(s)", want)} {
				if !strings.Contains(out, w) {
					t.Errorf("load summary lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
