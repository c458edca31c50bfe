package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// systemTables contains the column definitions of the tables that every
// dataset has next to its data tables. State and schema documents are
// json, not jsonb, so that they read back with the exact text written.
var systemTables = []struct{ name, columns string }{
	{schema.TableLoads, `load_id text PRIMARY KEY,
		schema_name text,
		status bigint NOT NULL,
		inserted_at timestamptz NOT NULL,
		schema_version_hash text`},
	{schema.TableState, `version bigint NOT NULL,
		pipeline_name text NOT NULL,
		state json NOT NULL,
		created_at timestamptz NOT NULL,
		version_hash text,
		` + sqlload.Ident(schema.ColumnLoadID) + ` text NOT NULL`},
	{schema.TableVersion, `version bigint NOT NULL,
		schema_name text NOT NULL,
		version_hash text NOT NULL,
		schema json NOT NULL,
		inserted_at timestamptz NOT NULL,
		schema_yaml text`},
}

// migrate creates the dataset schema, the system tables and the tables of
// s that are missing, and adds the columns of s that existing tables lack.
// Tables are created in schema order, which puts parents first. Columns
// are never dropped or retyped. Only missing objects are created, so a
// user with privileges on an existing dataset needs none on the database.
func (l *loader) migrate(ctx context.Context) error {
	dataset, s := l.Package.Dataset, l.Package.Schema
	var exists bool
	const q = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`
	if err := l.tx.QueryRow(ctx, q, dataset).Scan(&exists); err != nil {
		return fmt.Errorf("look up schema %s: %w", dataset, err)
	}
	if !exists {
		if err := l.exec(ctx, "CREATE SCHEMA "+sqlload.Ident(dataset)); err != nil {
			return l.c.createSchemaError(dataset, err)
		}
	}
	existing, err := existingColumns(ctx, l.tx, dataset)
	if err != nil {
		return err
	}
	for _, t := range systemTables {
		if _, ok := existing[t.name]; ok {
			continue
		}
		q := fmt.Sprintf("CREATE TABLE %s (%s)", sqlload.Qualified(dataset, t.name), t.columns)
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	for _, t := range s.Tables {
		cols, ok := existing[t.Name]
		var err error
		if !ok {
			err = l.createTable(ctx, t)
		} else {
			err = l.addColumns(ctx, t, cols)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// existingColumns returns the column names of every table in the
// dataset, by table name. PostgreSQL compares quoted names by exact
// bytes, so no case folding applies.
func existingColumns(ctx context.Context, tx pgx.Tx, dataset string) (map[string]map[string]bool, error) {
	const q = `SELECT c.relname::text, a.attname::text
		FROM pg_catalog.pg_attribute a
		JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`
	rows, err := tx.Query(ctx, q, dataset)
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
		if out[table] == nil {
			out[table] = make(map[string]bool)
		}
		out[table][column] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list columns of dataset %s: %w", dataset, err)
	}
	return out, nil
}

// createTable creates t with all its columns. Columns that are not
// nullable get NOT NULL. No primary key constraint is declared, because
// history tables keep several rows per key and merge keeps keys unique
// itself. Instead, the columns that merge and history look rows up by
// get an index: the primary key of a root table, and _rl_root_id of a
// child table whose root is merged or versioned.
func (l *loader) createTable(ctx context.Context, t *schema.Table) error {
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
	name := sqlload.Qualified(l.Package.Dataset, t.Name)
	if err := l.exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", name, strings.Join(defs, ", "))); err != nil {
		return fmt.Errorf("create table %s: %w", t.Name, err)
	}
	// NOTE: the index is made only with the table, so a table whose
	// disposition later turns into merge or history has none.
	if keys := lookupColumns(l.Package.Schema, t); len(keys) > 0 {
		// PostgreSQL names the index after the table and columns,
		// shortened to fit.
		if err := l.exec(ctx, fmt.Sprintf("CREATE INDEX ON %s (%s)", name, sqlload.ColumnList("", keys))); err != nil {
			return fmt.Errorf("create index on table %s: %w", t.Name, err)
		}
	}
	return nil
}

// lookupColumns returns the columns of t by which merge and history find
// stored rows, or nil when t's root is appended or replaced.
func lookupColumns(s *schema.Schema, t *schema.Table) []string {
	root := s.Root(t.Name)
	if root == nil || (root.WriteDisposition != schema.Merge && root.WriteDisposition != schema.History) {
		return nil
	}
	if t.IsRoot() {
		if pk := t.PrimaryKey(); len(pk) > 0 {
			return pk
		}
		return sqlload.MergeKey(t)
	}
	if t.Column(schema.ColumnRootID) != nil {
		return []string{schema.ColumnRootID}
	}
	return nil
}

// addColumns adds the columns of t that are not in have. Added columns
// are nullable even when the schema marks them not nullable, because the
// rows already stored have no value for them.
func (l *loader) addColumns(ctx context.Context, t *schema.Table, have map[string]bool) error {
	for _, c := range t.Columns {
		if have[c.Name] {
			continue
		}
		typ, err := sqlType(c.Type)
		if err != nil {
			return fmt.Errorf("add column %s to table %s: %w", c.Name, t.Name, err)
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", sqlload.Qualified(l.Package.Dataset, t.Name), sqlload.Ident(c.Name), typ)
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("add column %s to table %s: %w", c.Name, t.Name, err)
		}
	}
	return nil
}

// checkIdentifiers rejects a package whose dataset, table or column
// names PostgreSQL would cut or cannot store.
func checkIdentifiers(dataset string, s *schema.Schema, drop []string) error {
	if err := checkIdentifier("dataset", dataset); err != nil {
		return err
	}
	for _, t := range s.Tables {
		if err := checkIdentifier("table", t.Name); err != nil {
			return err
		}
		for _, c := range t.Columns {
			if err := checkIdentifier("column", c.Name); err != nil {
				return fmt.Errorf("table %s: %w", t.Name, err)
			}
		}
	}
	for _, name := range drop {
		if err := checkIdentifier("table", name); err != nil {
			return fmt.Errorf("drop: %w", err)
		}
	}
	return nil
}
