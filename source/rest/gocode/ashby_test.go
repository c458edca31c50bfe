package gocode_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restload/restload/source/ashby"
	"github.com/restload/restload/source/rest/gocode"
)

// TestAshbyRoundTrip compiles the printed Ashby definition, as it is now,
// into a program that compares it with ashby.Definition.
func TestAshbyRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with the go command")
	}
	lit, err := gocode.Format(ashby.Definition(ashby.DefaultBaseURL))
	if err != nil {
		t.Fatal(err)
	}
	var imports strings.Builder
	for _, path := range append(lit.Imports, "github.com/restload/restload/source/ashby") {
		fmt.Fprintf(&imports, "\t%q\n", path)
	}
	program := `package main

import (
	"fmt"
	"os"
	"reflect"

` + imports.String() + `)

func main() {
	printed := ` + string(lit.Expr) + `
	if !reflect.DeepEqual(printed, ashby.Definition(ashby.DefaultBaseURL)) {
		fmt.Println("printed definition differs from ashby.Definition")
		os.Exit(1)
	}
	fmt.Println("equal")
}
`
	dir := t.TempDir()
	repo := repoRoot(t)
	goMod := "module roundtrip\n\ngo 1.26.0\n\nrequire github.com/restload/restload v0.0.0\n\n" +
		"replace github.com/restload/restload => " + repo + "\n"
	writeFile(t, filepath.Join(dir, "go.mod"), goMod)
	writeFile(t, filepath.Join(dir, "main.go"), program)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))

	goCommand(t, dir, "mod", "tidy")
	out := goCommand(t, dir, "run", ".")
	if strings.TrimSpace(out) != "equal" {
		t.Errorf("program output %q, want equal", out)
	}
}

// goCommand runs the go command in dir with the module proxy off, so
// that nothing is downloaded: the modules come from the module cache.
func goCommand(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// repoRoot returns the folder of the restload module that this test
// belongs to.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/restload/restload\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of github.com/restload/restload above the test's folder")
		}
		dir = parent
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
