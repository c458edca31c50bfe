package duckdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Load applies p in one transaction: it migrates the dataset to p.Schema,
// stages and writes every job by its root table's write disposition,
// stores p.State and a new schema version, and records p.LoadID in
// _rl_loads. On any error nothing of p remains.
func (c *Client) Load(ctx context.Context, p *destination.Package) error {
	if err := checkPackage(p); err != nil {
		return err
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()

	conn, err := c.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("load package %s: connect: %w", p.LoadID, err)
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("load package %s: begin transaction: %w", p.LoadID, err)
	}
	l := &loader{conn: conn, p: p, stages: make(map[string]*stage)}
	err = l.run(ctx)
	if err == nil && c.beforeCommit != nil {
		c.beforeCommit()
	}
	if err == nil {
		if _, err = conn.ExecContext(ctx, "COMMIT"); err != nil {
			err = fmt.Errorf("commit: %w", err)
		}
	}
	if err != nil {
		rollback(ctx, conn)
		return fmt.Errorf("load package %s into dataset %s: %w", p.LoadID, p.Dataset, err)
	}
	return nil
}

// checkPackage rejects a package that lacks what Load needs.
func checkPackage(p *destination.Package) error {
	switch {
	case p == nil:
		return errors.New("load package: package is nil")
	case p.LoadID == "":
		return errors.New("load package: load id is empty")
	case p.Dataset == "":
		return fmt.Errorf("load package %s: dataset is empty", p.LoadID)
	case p.Schema == nil:
		return fmt.Errorf("load package %s: schema is nil", p.LoadID)
	case p.State != nil && p.PipelineName == "":
		return fmt.Errorf("load package %s: state is set but pipeline name is empty", p.LoadID)
	case p.State != nil && !json.Valid(p.State):
		return fmt.Errorf("load package %s: state is not valid JSON", p.LoadID)
	}
	return nil
}

// rollback ends the failed transaction on conn. When even that fails, the
// connection is closed instead of going back to the pool, and DuckDB
// drops the transaction with it.
func rollback(ctx context.Context, conn *sql.Conn) {
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// loader is the work of one Load inside its transaction.
type loader struct {
	conn   *sql.Conn
	p      *destination.Package
	stages map[string]*stage // by table name
	temps  []string          // temporary tables to drop before commit
}

func (l *loader) run(ctx context.Context) error {
	if err := l.checkNotLoaded(ctx); err != nil {
		return err
	}
	for _, t := range l.p.Drop {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+qualified(l.p.Dataset, t)); err != nil {
			return fmt.Errorf("drop table %s: %w", t, err)
		}
	}
	if err := migrate(ctx, l.conn, l.p.Dataset, l.p.Schema); err != nil {
		return err
	}
	if err := l.stageJobs(ctx); err != nil {
		return err
	}
	roots, err := l.rootTables()
	if err != nil {
		return err
	}
	for _, root := range roots {
		if err := l.write(ctx, root); err != nil {
			return err
		}
	}
	if err := l.markDeletedKeys(ctx); err != nil {
		return err
	}
	if err := l.storeState(ctx); err != nil {
		return err
	}
	if err := l.storeSchema(ctx); err != nil {
		return err
	}
	for _, name := range l.temps {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS temp.main."+ident(name)); err != nil {
			return err
		}
	}
	return l.recordLoad(ctx)
}

// checkNotLoaded fails when the load id is already recorded, so that a
// package is never applied twice.
func (l *loader) checkNotLoaded(ctx context.Context) error {
	var n int64
	const q = `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = ? AND table_name = ?`
	if err := l.conn.QueryRowContext(ctx, q, l.p.Dataset, schema.TableLoads).Scan(&n); err != nil {
		return fmt.Errorf("look up table %s: %w", schema.TableLoads, err)
	}
	if n == 0 {
		return nil
	}
	q2 := fmt.Sprintf("SELECT count(*) FROM %s WHERE load_id = ?", qualified(l.p.Dataset, schema.TableLoads))
	if err := l.conn.QueryRowContext(ctx, q2, l.p.LoadID).Scan(&n); err != nil {
		return fmt.Errorf("look up load in %s: %w", schema.TableLoads, err)
	}
	if n > 0 {
		return errors.New("the package is already loaded, so it is not applied again (HasLoad reports this before Load)")
	}
	return nil
}

// stageJobs creates a staging table per table with jobs and appends every
// job file to it, in job order.
func (l *loader) stageJobs(ctx context.Context) error {
	for _, job := range l.p.Jobs {
		s, err := l.stageFor(ctx, job.Table)
		if err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		err = l.conn.Raw(func(dc any) error {
			_, err := s.appendFile(ctx, dc.(driver.Conn), job.Path)
			return err
		})
		if err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		s.files = append(s.files, job.Path)
	}
	return nil
}

// stageFor returns the staging table of the named table, creating it on
// first use.
func (l *loader) stageFor(ctx context.Context, table string) (*stage, error) {
	if s, ok := l.stages[table]; ok {
		return s, nil
	}
	t := l.p.Schema.Table(table)
	if t == nil {
		return nil, errors.New("the table is not in the package schema")
	}
	s := newStage(t, l.tempName())
	q, err := s.createSQL()
	if err != nil {
		return nil, err
	}
	if err := l.exec(ctx, q); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	l.stages[table] = s
	return s, nil
}

// tempName returns a new name for a temporary table of this load.
func (l *loader) tempName() string {
	name := fmt.Sprintf("_rl_stage_%d", len(l.temps))
	l.temps = append(l.temps, name)
	return name
}

// rootTables returns the root tables to write: those that p.Tables lists,
// then the roots of job tables that it does not list, in schema order.
// A listed name may also be the resource of a root table whose name was
// shortened. A listed table that the schema lacks is skipped, since it
// has no rows.
func (l *loader) rootTables() ([]*schema.Table, error) {
	var roots []*schema.Table
	seen := make(map[string]bool)
	for _, name := range l.p.Tables {
		t := l.p.Schema.Table(name)
		if t == nil {
			// The normalizer shortens long names; the table keeps the
			// resource's own name.
			t = rootOfResource(l.p.Schema, name)
		}
		if t == nil {
			continue // a contract kept the table from being created
		}
		if !t.IsRoot() {
			return nil, fmt.Errorf("package table %s is not a root table of the package schema", name)
		}
		if !seen[t.Name] {
			seen[t.Name] = true
			roots = append(roots, t)
		}
	}
	for _, t := range l.p.Schema.Tables {
		if _, ok := l.stages[t.Name]; !ok {
			continue
		}
		root := l.p.Schema.Root(t.Name)
		if root == nil {
			return nil, fmt.Errorf("table %s has no root table in the package schema", t.Name)
		}
		if !seen[root.Name] {
			seen[root.Name] = true
			roots = append(roots, root)
		}
	}
	return roots, nil
}

// rootOfResource returns the root table of s that the named resource
// fills, or nil.
func rootOfResource(s *schema.Schema, resource string) *schema.Table {
	for _, t := range s.Tables {
		if t.IsRoot() && t.Resource == resource {
			return t
		}
	}
	return nil
}

// storeState inserts p.State as the next state version of the pipeline.
func (l *loader) storeState(ctx context.Context) error {
	if l.p.State == nil {
		return nil
	}
	table := qualified(l.p.Dataset, schema.TableState)
	var version int64
	q := fmt.Sprintf("SELECT coalesce(max(version), 0) + 1 FROM %s WHERE pipeline_name = ?", table)
	if err := l.conn.QueryRowContext(ctx, q, l.p.PipelineName).Scan(&version); err != nil {
		return fmt.Errorf("read state version from %s: %w", schema.TableState, err)
	}
	created := l.p.CreatedAt.UTC()
	if l.p.CreatedAt.IsZero() {
		created = now()
	}
	q = fmt.Sprintf(`INSERT INTO %s (version, pipeline_name, state, created_at, version_hash, %s)
		VALUES (?, ?, ?, ?, ?, ?)`, table, ident(schema.ColumnLoadID))
	err := l.exec(ctx, q, version, l.p.PipelineName, string(l.p.State), created, contentHash(l.p.State), l.p.LoadID)
	if err != nil {
		return fmt.Errorf("insert state into %s: %w", schema.TableState, err)
	}
	return nil
}

// storeSchema inserts p.Schema into _rl_version, as JSON and as YAML,
// unless a schema with the same name and hash is stored.
func (l *loader) storeSchema(ctx context.Context) error {
	s := l.p.Schema
	table := qualified(l.p.Dataset, schema.TableVersion)
	hash := s.Hash()
	var n int64
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE schema_name = ? AND version_hash = ?", table)
	if err := l.conn.QueryRowContext(ctx, q, s.Name, hash).Scan(&n); err != nil {
		return fmt.Errorf("look up schema version in %s: %w", schema.TableVersion, err)
	}
	if n > 0 {
		return nil
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode schema %s: %w", s.Name, err)
	}
	text, err := s.YAML()
	if err != nil {
		return err
	}
	q = fmt.Sprintf(`INSERT INTO %s (version, schema_name, version_hash, schema, schema_yaml, inserted_at)
		VALUES (?, ?, ?, ?, ?, ?)`, table)
	if err := l.exec(ctx, q, int64(s.Version), s.Name, hash, string(doc), string(text), now()); err != nil {
		return fmt.Errorf("insert schema into %s: %w", schema.TableVersion, err)
	}
	return nil
}

// recordLoad inserts the row that marks the package as loaded.
func (l *loader) recordLoad(ctx context.Context) error {
	q := fmt.Sprintf(`INSERT INTO %s (load_id, schema_name, status, inserted_at, schema_version_hash)
		VALUES (?, ?, 0, ?, ?)`, qualified(l.p.Dataset, schema.TableLoads))
	if err := l.exec(ctx, q, l.p.LoadID, l.p.Schema.Name, now(), l.p.Schema.Hash()); err != nil {
		return fmt.Errorf("insert load into %s: %w", schema.TableLoads, err)
	}
	return nil
}

func (l *loader) exec(ctx context.Context, q string, args ...any) error {
	_, err := l.conn.ExecContext(ctx, q, args...)
	return err
}

// contentHash returns the base64url SHA-256 of b, the form of
// schema.Schema.Hash.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// files returns the job files staged for the tables, for messages.
func (l *loader) files(tables []*schema.Table) string {
	var paths []string
	for _, t := range tables {
		if s, ok := l.stages[t.Name]; ok {
			paths = append(paths, s.files...)
		}
	}
	if len(paths) == 0 {
		return "no job files"
	}
	return strings.Join(paths, ", ")
}
