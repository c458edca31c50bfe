package main

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// duckDSNOptions keep DuckDB from downloading extensions; json is built
// into the driver.
const duckDSNOptions = "autoinstall_known_extensions=false&autoload_known_extensions=false"

// duckBaseline is the outcome of loading the items with DuckDB's own
// read_json and SQL unnest.
type duckBaseline struct {
	elapsed time.Duration
	// read is the part of elapsed that read_json into the temporary
	// table took.
	read time.Duration
	// cpu is the CPU time of this process, which runs DuckDB, during the
	// transaction.
	cpu  time.Duration
	plan *unnestPlan
	rows map[string]int64
}

// runDuckBaseline loads the JSON lines file items into a new DuckDB file
// at dbPath, in one transaction: read_json into a temporary table, then
// one CREATE TABLE AS per table of the unnest plan. The time covers the
// transaction from BEGIN to COMMIT. The statements are written to
// dbPath with the extension .sql, to rerun or profile them.
func runDuckBaseline(ctx context.Context, dbPath, items string, root *shape) (*duckBaseline, error) {
	plan, err := planUnnest(root, "candidates", "raw")
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", dbPath+"?"+duckDSNOptions)
	if err != nil {
		return nil, fmt.Errorf("open DuckDB file %s: %w", dbPath, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to DuckDB file %s: %w", dbPath, err)
	}
	defer conn.Close()

	stmts := []string{
		"BEGIN",
		fmt.Sprintf("CREATE TEMP TABLE raw AS SELECT * FROM read_json(%s, format = 'newline_delimited', columns = %s)",
			quoteString(items), readJSONColumns(root)),
	}
	for _, t := range plan.tables {
		stmts = append(stmts, "CREATE TABLE "+quoteIdent(t.name)+" AS "+t.query)
	}
	stmts = append(stmts, "DROP TABLE raw", "COMMIT")
	script := strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".sql"
	if err := os.WriteFile(script, []byte(strings.Join(stmts, ";\n")+";\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write DuckDB statements: %w", err)
	}
	b := &duckBaseline{plan: plan, rows: map[string]int64{}}
	started, cpu := time.Now(), selfCPU()
	for i, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("DuckDB baseline: %w\nstatement: %s", err, q)
		}
		if i == 1 {
			b.read = time.Since(started)
		}
	}
	b.elapsed, b.cpu = time.Since(started), selfCPU()-cpu
	for _, t := range plan.tables {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", t.name, err)
		}
		b.rows[t.name] = n
	}
	return b, nil
}

// tableInfo is one table's columns, with their DuckDB types, and rows.
type tableInfo struct {
	columns map[string]string
	rows    int64
}

// readTables returns the tables of a DuckDB schema whose name is root or
// starts with root + "__", opening the file read-only.
func readTables(ctx context.Context, dbPath, schemaName, root string) (map[string]*tableInfo, error) {
	db, err := sql.Open("duckdb", dbPath+"?access_mode=read_only&"+duckDSNOptions)
	if err != nil {
		return nil, fmt.Errorf("open DuckDB file %s: %w", dbPath, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = ? AND (table_name = ? OR starts_with(table_name, ?))`, schemaName, root, root+"__")
	if err != nil {
		return nil, fmt.Errorf("list columns in %s: %w", dbPath, err)
	}
	defer rows.Close()
	tables := map[string]*tableInfo{}
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			return nil, fmt.Errorf("list columns in %s: %w", dbPath, err)
		}
		if tables[table] == nil {
			tables[table] = &tableInfo{columns: map[string]string{}}
		}
		tables[table].columns[col] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list columns in %s: %w", dbPath, err)
	}
	for name, t := range tables {
		q := "SELECT count(*) FROM " + quoteIdent(schemaName) + "." + quoteIdent(name)
		if err := db.QueryRowContext(ctx, q).Scan(&t.rows); err != nil {
			return nil, fmt.Errorf("count rows of %s in %s: %w", name, dbPath, err)
		}
	}
	return tables, nil
}

// tableDiff compares the tables restload made with those of the SQL
// baseline: one line per difference in tables, rows, columns and types.
// System columns (prefix _rl_) are left out, since the two paths
// identify rows differently.
func tableDiff(restload, baseline map[string]*tableInfo) []string {
	var out []string
	names := slices.Sorted(maps.Keys(restload))
	for _, name := range slices.Sorted(maps.Keys(baseline)) {
		if restload[name] == nil {
			names = append(names, name)
		}
	}
	for _, name := range names {
		r, b := restload[name], baseline[name]
		switch {
		case b == nil:
			out = append(out, fmt.Sprintf("`%s`: only restload makes it (%d rows)", name, r.rows))
			continue
		case r == nil:
			out = append(out, fmt.Sprintf("`%s`: only the SQL path makes it (%d rows)", name, b.rows))
			continue
		}
		if r.rows != b.rows {
			out = append(out, fmt.Sprintf("`%s`: %d rows in restload, %d in SQL", name, r.rows, b.rows))
		}
		var onlyR, onlyB, types []string
		for _, col := range slices.Sorted(maps.Keys(r.columns)) {
			bt, ok := b.columns[col]
			switch {
			case strings.HasPrefix(col, "_rl_"):
			case !ok:
				onlyR = append(onlyR, fmt.Sprintf("%s %s", col, r.columns[col]))
			case bt != r.columns[col]:
				types = append(types, fmt.Sprintf("%s (%s in restload, %s in SQL)", col, r.columns[col], bt))
			}
		}
		for _, col := range slices.Sorted(maps.Keys(b.columns)) {
			if _, ok := r.columns[col]; !ok && !strings.HasPrefix(col, "_rl_") {
				onlyB = append(onlyB, fmt.Sprintf("%s %s", col, b.columns[col]))
			}
		}
		if len(onlyR) > 0 {
			out = append(out, fmt.Sprintf("`%s`: columns only in restload: %s", name, strings.Join(onlyR, ", ")))
		}
		if len(onlyB) > 0 {
			out = append(out, fmt.Sprintf("`%s`: columns only in SQL: %s", name, strings.Join(onlyB, ", ")))
		}
		if len(types) > 0 {
			out = append(out, fmt.Sprintf("`%s`: types differ: %s", name, strings.Join(types, ", ")))
		}
	}
	return out
}
