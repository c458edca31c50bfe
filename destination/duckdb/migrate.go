package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// systemTables contains the column definitions of the tables that every
// dataset has next to its data tables.
var systemTables = []struct{ name, columns string }{
	{schema.TableLoads, `load_id VARCHAR PRIMARY KEY,
		schema_name VARCHAR,
		status BIGINT NOT NULL,
		inserted_at TIMESTAMPTZ NOT NULL,
		schema_version_hash VARCHAR`},
	{schema.TableState, `version BIGINT NOT NULL,
		pipeline_name VARCHAR NOT NULL,
		state JSON NOT NULL,
		created_at TIMESTAMPTZ NOT NULL,
		version_hash VARCHAR,
		` + sqlload.Ident(schema.ColumnLoadID) + ` VARCHAR NOT NULL`},
	{schema.TableVersion, `version BIGINT NOT NULL,
		schema_name VARCHAR NOT NULL,
		version_hash VARCHAR NOT NULL,
		schema JSON NOT NULL,
		inserted_at TIMESTAMPTZ NOT NULL,
		schema_yaml VARCHAR`},
}

// addedSystemColumns are columns of system tables that datasets created
// by earlier versions lack, by table.
var addedSystemColumns = []struct{ table, name, typ string }{
	{schema.TableVersion, "schema_yaml", "VARCHAR"},
}

// migrate creates the dataset schema, the system tables and the tables of
// s that are missing, and adds the columns of s that existing tables lack.
// Tables are created in schema order, which puts parents first. Columns
// are never dropped or retyped.
func migrate(ctx context.Context, conn *sql.Conn, dataset string, s *schema.Schema) error {
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+sqlload.Ident(dataset)); err != nil {
		return fmt.Errorf("create schema %s: %w", dataset, err)
	}
	for _, t := range systemTables {
		q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", sqlload.Qualified(dataset, t.name), t.columns)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	existing, err := existingColumns(ctx, conn, dataset)
	if err != nil {
		return err
	}
	for _, c := range addedSystemColumns {
		if existing[strings.ToLower(c.table)][c.name] {
			continue
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", sqlload.Qualified(dataset, c.table), sqlload.Ident(c.name), c.typ)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("add column %s to table %s: %w", c.name, c.table, err)
		}
	}
	for _, t := range s.Tables {
		cols, ok := existing[strings.ToLower(t.Name)]
		var err error
		if !ok {
			err = createTable(ctx, conn, dataset, t)
		} else {
			err = addColumns(ctx, conn, dataset, t, cols)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// existingColumns returns the lower-cased column names of every table in
// the dataset, by lower-cased table name. DuckDB matches identifiers
// without regard to case, even quoted ones.
func existingColumns(ctx context.Context, conn *sql.Conn, dataset string) (map[string]map[string]bool, error) {
	const q = `SELECT table_name, column_name FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = ?`
	rows, err := conn.QueryContext(ctx, q, dataset)
	if err != nil {
		return nil, fmt.Errorf("list columns of dataset %s: %w", dataset, err)
	}
	defer rows.Close()
	out := make(map[string]map[string]bool)
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, fmt.Errorf("list columns of dataset %s: %w", dataset, err)
		}
		table = strings.ToLower(table)
		if out[table] == nil {
			out[table] = make(map[string]bool)
		}
		out[table][strings.ToLower(column)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list columns of dataset %s: %w", dataset, err)
	}
	return out, nil
}

// createTable creates t with all its columns. Columns that are not
// nullable get NOT NULL. No primary key constraint is declared: merge
// keeps keys unique itself.
func createTable(ctx context.Context, conn *sql.Conn, dataset string, t *schema.Table) error {
	if len(t.Columns) == 0 {
		return fmt.Errorf("create table %s: the package schema gives it no columns", t.Name)
	}
	defs := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		typ, err := sqlType(c.Type)
		if err != nil {
			return fmt.Errorf("create table %s: column %s: %w", t.Name, c.Name, err)
		}
		defs[i] = sqlload.Ident(c.Name) + " " + typ
		if !c.Nullable {
			defs[i] += " NOT NULL"
		}
	}
	q := fmt.Sprintf("CREATE TABLE %s (%s)", sqlload.Qualified(dataset, t.Name), strings.Join(defs, ", "))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create table %s: %w", t.Name, err)
	}
	return nil
}

// addColumns adds the columns of t that are not in have. Added columns
// are nullable even when the schema marks them not nullable, because the
// rows already stored have no value for them.
func addColumns(ctx context.Context, conn *sql.Conn, dataset string, t *schema.Table, have map[string]bool) error {
	for _, c := range t.Columns {
		if have[strings.ToLower(c.Name)] {
			continue
		}
		typ, err := sqlType(c.Type)
		if err != nil {
			return fmt.Errorf("add column %s to table %s: %w", c.Name, t.Name, err)
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", sqlload.Qualified(dataset, t.Name), sqlload.Ident(c.Name), typ)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("add column %s to table %s: %w", c.Name, t.Name, err)
		}
	}
	return nil
}
