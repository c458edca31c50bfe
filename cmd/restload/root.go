package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/restload/restload/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globalFlags are the flags every command takes.
type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCommand() *cobra.Command {
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
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCommand(g), newAshbyCommand(g), newPipelineCommand(g), newQueryCommand(g), newLintCommand(), newVersionCommand())
	root.AddCommand(newInitCommand())
	root.AddCommand(newShowCommand(g))
	root.AddCommand(newWebhookCommand(g))
	return root
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
