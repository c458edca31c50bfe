package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/config"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/pipeline"
	"github.com/restload/restload/schema"
)

// pipelineOps lists the operations of "pipeline NAME OP".
var pipelineOps = []string{"info", "trace", "load-package", "failed-jobs", "schema", "drop", "sync"}

func newPipelineCommand(g *globalFlags) *cobra.Command {
	var resources []string
	var dataset, kind string
	cmd := &cobra.Command{
		Use:   "pipeline (list | NAME OPERATION [ARGS])",
		Short: "Inspect pipelines and their working folders",
		Long: `Pipeline inspects the pipelines whose working folders are under
$RESTLOAD_DATA_DIR/pipelines (default ~/.restload/pipelines).

  restload pipeline list                     names of all pipelines
  restload pipeline NAME info                working folder, destination, dataset, state, last loads
  restload pipeline NAME trace               the last run's steps, timings, pages, items, rows and errors
  restload pipeline NAME load-package [ID]   one load package (default the newest)
  restload pipeline NAME failed-jobs         resources that failed in any kept package
  restload pipeline NAME schema              the current schema as YAML: tables, columns, types, hints
  restload pipeline NAME drop --resources R  drop R's tables and state, so the next run reloads R in full
  restload pipeline NAME sync                rebuild the working folder from the destination's state and schema

drop and sync open the pipeline's destination: the one its working folder
records, else --destination (<NAME>.duckdb in the current folder, or the
PostgreSQL database of destination.postgres.credentials).`,
		Example: "  restload pipeline list\n  restload pipeline ashby_pipeline info",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if args[0] == "list" {
				return listPipelines(out)
			}
			if len(args) < 2 {
				return &usageError{fmt.Errorf("missing operation after pipeline name %q: use one of %s", args[0], strings.Join(pipelineOps, ", "))}
			}
			dir := pipeline.WorkDir("", args[0])
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && args[1] != "sync" {
				msg := fmt.Sprintf("pipeline %q not found: no working folder %s; \"restload pipeline list\" shows the pipelines", args[0], dir)
				if names, err := pipeline.List(""); err == nil {
					if c := config.Closest(args[0], names); c != "" {
						msg += fmt.Sprintf(" (did you mean %s?)", c)
					}
				}
				return &usageError{errors.New(msg)}
			}
			switch op := args[1]; op {
			case "info":
				return pipelineInfo(out, dir, args[0])
			case "trace":
				return pipelineTrace(out, dir)
			case "load-package":
				id := ""
				if len(args) > 2 {
					id = args[2]
				}
				return loadPackage(out, dir, id)
			case "failed-jobs":
				return failedJobs(out, dir)
			case "schema":
				return printSchemas(out, dir)
			case "drop":
				return dropResources(cmd, g, args[0], dataset, resources)
			case "sync":
				return syncPipeline(cmd, g, args[0], dataset, kind)
			default:
				msg := fmt.Sprintf("unknown pipeline operation %q: use one of %s", op, strings.Join(pipelineOps, ", "))
				if s := config.Closest(op, pipelineOps); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				return &usageError{errors.New(msg)}
			}
		},
	}
	cmd.Flags().StringSliceVar(&resources, "resources", nil, "with drop: comma-separated resources whose tables and state to drop")
	cmd.Flags().StringVar(&dataset, "dataset", "", "with drop and sync: dataset to use when the working folder records none (default: the one dataset holding the pipeline's state, else <source>_data)")
	cmd.Flags().StringVar(&kind, "destination", "duckdb", "with sync: destination to restore from when the working folder records none: duckdb (<NAME>.duckdb here), postgres, filesystem or iceberg (their destination.* settings)")
	return cmd
}

// openPipeline opens the destination of the named pipeline and returns
// the pipeline with its source name. The destination is the one the
// working folder records; without a record (sync into an empty folder)
// it is kind: <NAME>.duckdb in the current folder, or the configured
// PostgreSQL database.
func openPipeline(cmd *cobra.Command, g *globalFlags, name, dataset, kind string) (*pipeline.Pipeline, string, func(), error) {
	conf, err := loadConfig(cmd, g)
	if err != nil {
		return nil, "", nil, err
	}
	dir := pipeline.WorkDir("", name)
	source := strings.TrimSuffix(name, "_pipeline")
	var dest destination.Destination
	if rec, err := pipeline.ReadRecord(dir); err == nil {
		source, kind = rec.Source, rec.DestinationName
		if dataset == "" {
			dataset = rec.Dataset
		}
		if dest, err = reopenDestination(cmd.Context(), name, rec, conf); err != nil {
			return nil, "", nil, err
		}
	} else {
		if err := checkDestination(kind); err != nil {
			return nil, "", nil, err
		}
		if kind == "duckdb" {
			if _, err := os.Stat(name + ".duckdb"); err != nil {
				return nil, "", nil, &usageError{fmt.Errorf("database of pipeline %q not found at %s: run from the folder that holds it", name, name+".duckdb")}
			}
		}
		if dest, err = openDestination(cmd.Context(), kind, name, conf); err != nil {
			return nil, "", nil, err
		}
		if dataset == "" {
			dataset = findDataset(cmd.Context(), dest, name)
		}
	}
	if dataset == "" {
		dataset = source + "_data"
	}
	p, err := pipeline.New(pipeline.Config{Name: name, Dataset: dataset, Destination: dest, DestinationName: kind})
	if err != nil {
		dest.Close()
		return nil, "", nil, &usageError{err}
	}
	return p, source, func() { dest.Close() }, nil
}

func dropResources(cmd *cobra.Command, g *globalFlags, name, dataset string, resources []string) error {
	if len(resources) == 0 {
		return &usageError{errors.New("drop needs --resources, such as --resources candidates,applications")}
	}
	p, source, done, err := openPipeline(cmd, g, name, dataset, "duckdb")
	if err != nil {
		return err
	}
	defer done()
	dropped, err := p.Drop(cmd.Context(), source, resources)
	var unknown *pipeline.UnknownResourcesError
	if errors.As(err, &unknown) {
		msg := err.Error()
		if c := config.Closest(unknown.Unknown[0], unknown.Known); c != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", c)
		}
		return &usageError{errors.New(msg)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Dropped %d table(s) and the state of %s: %s\nThe next run loads them in full.\n",
		len(dropped), strings.Join(resources, ", "), strings.Join(dropped, ", "))
	return nil
}

func syncPipeline(cmd *cobra.Command, g *globalFlags, name, dataset, kind string) error {
	p, _, done, err := openPipeline(cmd, g, name, dataset, kind)
	if err != nil {
		return err
	}
	defer done()
	if err := p.Sync(cmd.Context()); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Restored the working folder %s from the destination\n", p.WorkDir())
	return nil
}

func listPipelines(out io.Writer) error {
	names, err := pipeline.List("")
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintf(out, "No pipelines found in %s\n", pipeline.WorkDir("", ""))
		return nil
	}
	for _, n := range names {
		fmt.Fprintln(out, n)
	}
	return nil
}

func pipelineInfo(out io.Writer, dir, name string) error {
	fmt.Fprintf(out, "Pipeline %s\n", name)
	fmt.Fprintf(out, "Working folder: %s\n", dir)
	if rec, err := pipeline.ReadRecord(dir); err == nil {
		fmt.Fprintf(out, "Destination: %s at %s\n", rec.DestinationName, rec.Location)
		fmt.Fprintf(out, "Dataset: %s\n", rec.Dataset)
	}
	if st, err := pipeline.ReadState(dir); err == nil {
		fmt.Fprintln(out, "State:")
		srcs := make([]string, 0, len(st.Sources))
		for s := range st.Sources {
			srcs = append(srcs, s)
		}
		sort.Strings(srcs)
		for _, s := range srcs {
			res := st.Sources[s].Resources
			names := make([]string, 0, len(res))
			for r := range res {
				names = append(names, r)
			}
			sort.Strings(names)
			for _, r := range names {
				var compact bytes.Buffer
				if json.Compact(&compact, res[r]) != nil {
					compact.Write(res[r])
				}
				fmt.Fprintf(out, "  %s.%s: %s\n", s, r, compact.String())
			}
		}
	}
	pkgs, err := pipeline.Packages(dir)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		fmt.Fprintln(out, "No load packages")
		return nil
	}
	fmt.Fprintln(out, "Load packages, newest first:")
	for i, m := range pkgs {
		if i == 10 {
			fmt.Fprintf(out, "  ... and %d older\n", len(pkgs)-i)
			break
		}
		fmt.Fprintf(out, "  %s %s, %d rows in %d tables, %d failed resources\n",
			m.LoadID, strings.ToUpper(m.Status), sum(m.Rows()), len(m.Rows()), len(m.Failed))
	}
	return nil
}

func pipelineTrace(out io.Writer, dir string) error {
	tr, err := pipeline.ReadTrace(dir)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(out, "No trace: the pipeline has not run yet")
		return nil
	}
	if err != nil {
		return err
	}
	status := "COMPLETED"
	if tr.Error != "" {
		status = "FAILED"
	}
	fmt.Fprintf(out, "Run started at %s and %s in %s with %d steps.\n",
		tr.StartedAt.Format(time.RFC3339), status, seconds(tr.FinishedAt.Sub(tr.StartedAt)), len(tr.Steps))
	for _, s := range tr.Steps {
		st := "COMPLETED"
		if s.Error != "" {
			st = "FAILED"
		}
		fmt.Fprintf(out, "Step %s %s in %s.", s.Name, st, seconds(s.Duration))
		if s.LoadID != "" {
			fmt.Fprintf(out, " Package %s.", s.LoadID)
		}
		fmt.Fprintln(out)
		if s.Error != "" {
			fmt.Fprintf(out, "  Failed due to: %s\n", s.Error)
		}
	}
	if len(tr.Resources) > 0 {
		fmt.Fprintln(out, "Resources extracted:")
		for _, r := range tr.Resources {
			fmt.Fprintf(out, "- %s: %d page(s), %d item(s) in %s", r.Name, r.Pages, r.Items, seconds(r.Duration))
			if r.Error != "" {
				fmt.Fprintf(out, ", FAILED: %s", r.Error)
			}
			fmt.Fprintln(out)
		}
	}
	rows := map[string]int64{}
	for _, p := range tr.Packages {
		for t, n := range p.Rows {
			rows[t] += n
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(out, "Rows loaded:")
		for _, t := range sortedKeys(rows) {
			fmt.Fprintf(out, "- %s: %d row(s)\n", t, rows[t])
		}
	}
	if tr.Error != "" {
		fmt.Fprintf(out, "Run failed due to: %s\n", tr.Error)
	}
	return nil
}

func loadPackage(out io.Writer, dir, id string) error {
	pkgs, err := pipeline.Packages(dir)
	if err != nil {
		return err
	}
	var m *pipeline.Manifest
	for _, p := range pkgs {
		if id == "" || p.LoadID == id {
			m = p
			break
		}
	}
	if m == nil {
		if id == "" {
			fmt.Fprintln(out, "No load packages")
			return nil
		}
		return &usageError{fmt.Errorf("load package %q not found: \"restload pipeline NAME info\" lists the packages", id)}
	}
	fmt.Fprintf(out, "Load package %s is %s\n", m.LoadID, strings.ToUpper(m.Status))
	fmt.Fprintf(out, "Source: %s\nCreated at: %s\n", m.Source, m.CreatedAt.Format(time.RFC3339))
	if !m.LoadedAt.IsZero() {
		fmt.Fprintf(out, "Loaded at: %s\n", m.LoadedAt.Format(time.RFC3339))
	}
	fmt.Fprintln(out, "Resources:")
	for _, r := range m.Resources {
		fmt.Fprintf(out, "- %s: %d item(s) on %d page(s) into table %s (%s)\n", r.Name, r.Items, r.Pages, r.Hints.Table, r.Hints.WriteDisposition)
	}
	for _, f := range m.Failed {
		fmt.Fprintf(out, "- %s: FAILED: %s\n", f.Name, f.Error)
	}
	rows := m.Rows()
	if len(rows) > 0 {
		fmt.Fprintln(out, "Jobs (rows per table):")
		for _, t := range sortedKeys(rows) {
			fmt.Fprintf(out, "- %s: %d row(s)\n", t, rows[t])
		}
	}
	return nil
}

func failedJobs(out io.Writer, dir string) error {
	pkgs, err := pipeline.Packages(dir)
	if err != nil {
		return err
	}
	n := 0
	for _, m := range pkgs {
		for _, f := range m.Failed {
			fmt.Fprintf(out, "Package %s: resource %s failed: %s\n", m.LoadID, f.Name, f.Error)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(out, "No failed jobs")
	}
	return nil
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// seconds formats a duration as dlt's traces do.
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f seconds", d.Seconds()) }

// printSchemas prints the committed schemas of the pipeline as YAML.
func printSchemas(out io.Writer, dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "schemas", "*.schema.json"))
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fmt.Fprintln(out, "No schema: the pipeline has not loaded anything yet")
		return nil
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var sch schema.Schema
		if err := json.Unmarshal(b, &sch); err != nil {
			return fmt.Errorf("decode %s: %w", path, err)
		}
		y, err := sch.YAML()
		if err != nil {
			return fmt.Errorf("encode schema %s: %w", sch.Name, err)
		}
		out.Write(y)
	}
	return nil
}
