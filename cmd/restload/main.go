// Command restload loads data from REST APIs, Ashby first of all, into
// databases and files. Run "restload --help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed; nothing of the failed step was committed
	exitUsage   = 2 // unknown command or flag, or invalid flag value
	exitPartial = 3 // some resources failed; the others were loaded
	// exitInterrupted follows the shell's convention for SIGINT.
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	root, g := newRootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if g.stopProfile != nil {
		if perr := g.stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "Interrupted: nothing of the unfinished step was committed; run the same command again to resume.")
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	var ue *usageError
	var pe *partialError
	switch {
	case errors.As(err, &ue), strings.HasPrefix(err.Error(), "unknown command"):
		return exitUsage
	case errors.As(err, &pe):
		return exitPartial
	default:
		return exitFailure
	}
}

// usageError marks an error in how the command was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// partialError marks a run that loaded some resources and failed others.
type partialError struct{ err error }

func (e *partialError) Error() string { return e.err.Error() }
func (e *partialError) Unwrap() error { return e.err }
