package iceberg

import (
	"context"
	"fmt"
	"strings"

	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/restload/restload/schema"
)

// Views opens the warehouse of cfg and returns the statements of
// (*Client).Views.
func Views(ctx context.Context, cfg Config, dataset string) ([]string, error) {
	c, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Views(ctx, dataset)
}

// Views returns DuckDB statements that create a schema named after the
// dataset and, in it, one view per Iceberg table over the Parquet data
// files of the table's newest committed snapshot. That is the newest
// snapshot whose load id _rl_loads records, so a load that stopped
// before its commit point stays invisible. The views use read_parquet only,
// so DuckDB needs no iceberg extension. Columns that a data file lacks
// read as NULL. Run the statements in order on any DuckDB connection.
func (c *Client) Views(ctx context.Context, dataset string) ([]string, error) {
	committed, err := c.committedLoads(ctx, dataset)
	if err != nil {
		return nil, err
	}
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + quoteIdent(dataset)}
	for id, err := range c.cat.ListTables(ctx, table.Identifier{dataset}) {
		if err != nil {
			return nil, fmt.Errorf("list tables of dataset %s: %w", dataset, err)
		}
		name := id[len(id)-1]
		tbl, err := c.cat.LoadTable(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("load table %s of dataset %s: %w", name, dataset, err)
		}
		q, err := viewQuery(ctx, tbl, committedSnapshot(tbl, name, committed))
		if err != nil {
			return nil, fmt.Errorf("view of table %s in dataset %s: %w", name, dataset, err)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS %s",
			quoteIdent(dataset), quoteIdent(name), q))
	}
	return stmts, nil
}

// committedSnapshot returns the id of the newest snapshot of tbl that
// belongs to a committed load, or 0 when there is none. _rl_loads
// itself is read at its current snapshot.
func committedSnapshot(tbl *table.Table, name string, committed map[string]bool) int64 {
	s := tbl.CurrentSnapshot()
	for s != nil {
		id := ""
		if s.Summary != nil {
			id = s.Summary.Properties[PropLoadID]
		}
		if name == schema.TableLoads || id == "" || committed[id] {
			return s.SnapshotID
		}
		if s.ParentSnapshotID == nil {
			return 0
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return 0
}

// viewQuery returns the SELECT of a table's view at a snapshot. An
// empty select of typed NULLs, combined BY NAME, gives the view every
// column of the current schema even when no data file has it.
func viewQuery(ctx context.Context, tbl *table.Table, snapshotID int64) (string, error) {
	fields := tbl.Schema().Fields()
	names := make([]string, len(fields))
	empty := make([]string, len(fields))
	for i, f := range fields {
		typ, err := duckType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		names[i] = quoteIdent(f.Name)
		empty[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", typ, names[i])
	}
	q := "SELECT " + strings.Join(empty, ", ") + " WHERE false"
	files, err := dataFiles(ctx, tbl, snapshotID)
	if err != nil {
		return "", err
	}
	if len(files) > 0 {
		list := make([]string, len(files))
		for i, f := range files {
			list[i] = quoteString(f)
		}
		q += " UNION ALL BY NAME SELECT * FROM read_parquet([" + strings.Join(list, ", ") + "], union_by_name = true)"
	}
	return "SELECT " + strings.Join(names, ", ") + " FROM (" + q + ")", nil
}

// dataFiles returns the local paths of the data files of a snapshot. It
// fails when a file has delete files, which read_parquet would ignore;
// tables that this package creates never get any.
func dataFiles(ctx context.Context, tbl *table.Table, snapshotID int64) ([]string, error) {
	if snapshotID == 0 {
		return nil, nil
	}
	tasks, err := tbl.Scan(table.WithSnapshotID(snapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list data files: %w", err)
	}
	paths := make([]string, 0, len(tasks))
	for _, t := range tasks {
		if len(t.DeleteFiles) > 0 || len(t.EqualityDeleteFiles) > 0 {
			return nil, fmt.Errorf("data file %s has delete files, which the view cannot apply; rewrite the table without delete files", t.File.FilePath())
		}
		path := t.File.FilePath()
		local := strings.TrimPrefix(path, "file://")
		if !strings.HasPrefix(local, "/") {
			return nil, fmt.Errorf("data file %s is not a local file; views read local warehouses only", path)
		}
		paths = append(paths, local)
	}
	return paths, nil
}

// duckType returns the DuckDB type that read_parquet gives an Iceberg
// type.
func duckType(t ice.Type) (string, error) {
	switch t := t.(type) {
	case ice.StringType:
		return "VARCHAR", nil
	case ice.Int32Type:
		return "INTEGER", nil
	case ice.Int64Type:
		return "BIGINT", nil
	case ice.Float32Type:
		return "FLOAT", nil
	case ice.Float64Type:
		return "DOUBLE", nil
	case ice.DecimalType:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision(), t.Scale()), nil
	case ice.BooleanType:
		return "BOOLEAN", nil
	case ice.TimestampTzType:
		return "TIMESTAMPTZ", nil
	case ice.TimestampType:
		return "TIMESTAMP", nil
	case ice.DateType:
		return "DATE", nil
	case ice.BinaryType:
		return "BLOB", nil
	}
	return "", fmt.Errorf("iceberg type %s has no DuckDB view type", t)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ReadViews returns the views of the dataset for dataset.Open. Iceberg
// tables carry their own schema, so s is not needed.
func (c *Client) ReadViews(ctx context.Context, dataset string, _ *schema.Schema) ([]string, error) {
	return c.Views(ctx, dataset)
}
