package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/restload/restload/source/rest"
)

func newLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE",
		Short: "Check a YAML source definition and report every problem with its line",
		Long: `Lint checks a YAML source definition without running it. Each problem is
printed with the file, line, column and key path, and lint exits with 1
when there is any. Hook names are checked only when a program that
registers the hooks runs the definition.`,
		Example: "  restload lint github.yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{fmt.Errorf("lint takes one definition file, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			problems, err := rest.LintFile(args[0])
			if err != nil {
				return &usageError{err}
			}
			for _, p := range problems {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", args[0], p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s)", args[0], len(problems))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: no problems\n", args[0])
			return nil
		},
	}
}
