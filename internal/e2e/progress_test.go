package e2e

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestProgressBarsOnTerminal runs the demo on a pseudo-terminal, as a
// person at a terminal would, and reads the bars it draws.
func TestProgressBarsOnTerminal(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := e.command(ctx, "", "", "run", "ashby", "--demo", "--demo-candidates", "8000")
	cmd.Env = cleanEnv(e)
	term, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 60, Cols: 160})
	if err != nil {
		t.Fatalf("start on a pseudo-terminal: %v", err)
	}
	defer term.Close()
	var screen bytes.Buffer
	// Reading ends with an error once the process exits and the terminal
	// closes.
	io.Copy(&screen, term)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, screen.String())
	}
	out := screen.String()
	for _, want := range []string{"extract candidates", "pages", "items/s", "load candidates ", "rows", "- candidates: 8000 row(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, tail(out, 3000))
		}
	}
	if strings.Contains(out, "extract progress") {
		t.Errorf("a terminal run printed log progress lines:\n%s", tail(out, 3000))
	}
}

// TestProgressLinesWithoutTerminal checks the periodic log lines that a
// run without a terminal prints.
func TestProgressLinesWithoutTerminal(t *testing.T) {
	e := newEnv(t)
	out, code := runBinary(t, e, "run", "ashby", "--demo", "--demo-candidates", "8000", "--progress-interval", "50ms")
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, tail(out, 3000))
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `msg="extract progress"`) && strings.Contains(l, "resource=") && strings.Contains(l, "items=") {
			lines++
		}
	}
	if lines < 2 {
		t.Errorf("%d progress lines, want periodic lines during the extract:\n%s", lines, tail(out, 3000))
	}
	if !strings.Contains(out, `msg="load committed"`) {
		t.Errorf("no load line:\n%s", tail(out, 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
