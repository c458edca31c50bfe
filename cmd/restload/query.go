package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/restload/restload/dataset"
	"github.com/restload/restload/pipeline"
)

func newQueryCommand(g *globalFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "query PIPELINE SQL",
		Short: "Run a SQL query on a pipeline's destination and print the rows",
		Long: `Query runs SQL on the destination of the named pipeline and prints the
rows. DuckDB and PostgreSQL run it themselves; files and Iceberg tables are
read by an in-memory DuckDB through a view per table.
Tables live in the pipeline's dataset, so name them with it:
  restload query ashby_pipeline "SELECT count(*) FROM ashby_data.candidates"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &usageError{fmt.Errorf("query takes a pipeline name and one SQL string, got %d arguments: quote the SQL", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "csv", "json":
			default:
				return &usageError{fmt.Errorf("invalid --format %q: use table, csv or json", format)}
			}
			dir := pipeline.WorkDir("", args[0])
			rec, err := pipeline.ReadRecord(dir)
			if errors.Is(err, fs.ErrNotExist) {
				return &usageError{fmt.Errorf("pipeline %q not found in %s: run it first, or check the name with \"restload pipeline list\"", args[0], dir)}
			}
			if err != nil {
				return err
			}
			conf, err := loadConfig(cmd, g)
			if err != nil {
				return err
			}
			dest, err := reopenDestination(cmd.Context(), args[0], rec, conf)
			if err != nil {
				return err
			}
			defer dest.Close()
			ds, err := openDataset(cmd.Context(), dest, rec.Dataset, rec.Source)
			if err != nil {
				return err
			}
			defer ds.Close()
			rows, err := ds.Query(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			return printRows(cmd.OutOrStdout(), rows, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	return cmd
}

// printRows writes all rows in the given format.
func printRows(out io.Writer, rows *sql.Rows, format string) error {
	cols, records, err := dataset.ScanAll(rows)
	if err != nil {
		return fmt.Errorf("query failed: %w", err)
	}
	switch format {
	case "json":
		objs := make([]map[string]any, len(records))
		for i, r := range records {
			objs[i] = map[string]any{}
			for j, c := range cols {
				objs[i][c] = jsonValue(r[j])
			}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(objs)
	case "csv":
		w := csv.NewWriter(out)
		w.Write(cols)
		for _, r := range records {
			line := make([]string, len(r))
			for j, v := range r {
				if v != nil {
					line[j] = text(v)
				}
			}
			w.Write(line)
		}
		w.Flush()
		return w.Error()
	default:
		w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, strings.Join(cols, "\t"))
		for _, r := range records {
			line := make([]string, len(r))
			for j, v := range r {
				line[j] = "NULL"
				if v != nil {
					line[j] = strings.NewReplacer("\t", " ", "\n", " ").Replace(text(v))
				}
			}
			fmt.Fprintln(w, strings.Join(line, "\t"))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(out, "(%d row(s))\n", len(records))
		return nil
	}
}

// text formats a database value for table and CSV output.
func text(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// jsonValue converts a database value for JSON output.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	case float64:
		// JSON has no NaN or infinities; they print as the strings
		// "NaN", "+Inf" and "-Inf".
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Sprint(x)
		}
	}
	return v
}
