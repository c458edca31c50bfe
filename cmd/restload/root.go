package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/restload/restload/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globalFlags are the flags every command takes.
type globalFlags struct {
	logLevel   string
	logFormat  string
	cpuProfile string
	// stopProfile ends the CPU profile that --cpu-profile started; nil
	// when none runs.
	stopProfile func() error
}

func newRootCommand() (*cobra.Command, *globalFlags) {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "restload",
		Short:         "Load data from REST APIs such as Ashby into DuckDB",
		Long:          "restload loads data from REST APIs, Ashby first of all, into databases and files,\nincrementally and exactly once.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level on standard error: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the command to this file, for go tool pprof")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return g.startProfile() }
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCommand(g), newAshbyCommand(g), newPipelineCommand(g), newQueryCommand(g), newLintCommand(), newVersionCommand())
	root.AddCommand(newInitCommand())
	root.AddCommand(newShowCommand(g))
	root.AddCommand(newWebhookCommand(g))
	return root, g
}

// startProfile starts the CPU profile that --cpu-profile requests.
func (g *globalFlags) startProfile() error {
	if g.cpuProfile == "" {
		return nil
	}
	f, err := os.OpenFile(g.cpuProfile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return &usageError{fmt.Errorf("create CPU profile (--cpu-profile): %w", err)}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("start CPU profile: %w", err)
	}
	g.stopProfile = func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("write CPU profile %s: %w", g.cpuProfile, err)
		}
		return nil
	}
	return nil
}

// logger builds the logger the flags ask for, writing to w.
func (g *globalFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, &usageError{fmt.Errorf("invalid log level %q (--log-level or runtime.log_level): use debug, info, warn or error", g.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch strings.ToLower(g.logFormat) {
	case "text":
		logger = slog.New(slog.NewTextHandler(w, opts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(w, opts))
	}
	if logger != nil {
		return logger, nil
	}
	return nil, &usageError{fmt.Errorf("invalid log format %q (--log-format or runtime.log_format): use text or json", g.logFormat)}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print restload's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "restload", version)
		},
	}
}

// flagError turns a flag parsing error into a usage error that names the
// closest valid flag of the command, as a hint for a typo.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return &usageError{err}
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if s := config.Closest(name, names); s != "" {
		return &usageError{fmt.Errorf("%s (did you mean --%s?)", msg, s)}
	}
	return &usageError{fmt.Errorf("%s; \"restload %s --help\" lists the flags", msg, cmd.Name())}
}
