// Command restload-bench measures restload on this machine: how fast it
// extracts, normalizes and loads an emulated Ashby organisation next to
// the plain baselines that bound it, how much memory a whole run takes,
// and how many webhook events per second its server accepts. It prints
// Markdown tables ready for docs/benchmarks.md.
//
// Usage:
//
//	restload-bench ashby [flags]     extraction, normalize and load, peak memory
//	restload-bench webhook [flags]   webhook server rate and latency
//
// Run "restload-bench COMMAND -h" for the flags of a command. Everything
// it starts (emulator, restload, webhook server) listens on 127.0.0.1
// and writes under a temporary folder that it removes at the end.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// command is one benchmark of restload-bench.
type command struct {
	summary string
	run     func(args []string) error
}

// commands maps command names to benchmarks; each benchmark's file adds
// itself in an init function.
var commands = map[string]command{}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	c, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "restload-bench: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := c.run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "restload-bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("usage: restload-bench COMMAND [flags]\n\ncommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprint(os.Stderr, b.String())
}
