package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/restload/restload/source/rest/openapi"
)

// sourceNamePattern is the form of a source name: it is also a section
// of secrets.toml and part of environment variable names.
var sourceNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkOpenAPIArgs validates the NAME that init --openapi takes.
func checkOpenAPIArgs(args []string) error {
	if len(args) != 1 {
		return &usageError{fmt.Errorf("init --openapi takes one source name, got %d argument(s): try \"restload init --openapi api.yaml myapi\"", len(args))}
	}
	if !sourceNamePattern.MatchString(args[0]) {
		return &usageError{fmt.Errorf("invalid source name %q: use lowercase letters, digits and underscores, starting with a letter", args[0])}
	}
	return nil
}

// runInitOpenAPI writes NAME.yaml, generated from the --openapi
// document, into --dir.
func runInitOpenAPI(cmd *cobra.Command, f *initFlags, name string) error {
	def, err := openapi.GenerateFile(f.openapi, openapi.Options{Name: name})
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return fmt.Errorf("resolve --dir %s: %w", f.dir, err)
	}
	file := name + ".yaml"
	path := filepath.Join(dir, file)
	if _, err := os.Lstat(path); err == nil && !f.force {
		return &usageError{fmt.Errorf("%s already exists: pass --force to overwrite, or choose another folder with --dir", path)}
	}
	if err := writeStarter(dir, []starterFile{{path: file, content: def.YAML, mode: 0o644}}); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Wrote %s: %d resource(s) from %s.\n", path, len(def.Config.Resources), f.openapi)
	writes, reads := 0, 0
	for _, s := range def.Skipped {
		if s.Write {
			writes++
		} else {
			reads++
		}
	}
	fmt.Fprintf(w, "Left out %d write operation(s) and %d other read(s); the file lists them at its end.\n", writes, reads)
	fmt.Fprintln(w, "\nNext steps:")
	steps := []string{"check the values marked \"guessed:\" in " + file}
	if len(def.Secrets) > 0 {
		steps = append(steps, fmt.Sprintf("put %s under [sources.%s] in .restload/secrets.toml", strings.Join(def.Secrets, " and "), name))
	}
	steps = append(steps, "restload lint "+file, "restload run --source "+file)
	for i, s := range steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	return nil
}
