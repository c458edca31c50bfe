package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// Load applies p in one transaction: it migrates the dataset to p.Schema,
// stages and writes every job by its root table's write disposition,
// stores p.State and a new schema version, and records p.LoadID in
// _rl_loads. On any error nothing of p remains.
func (c *Client) Load(ctx context.Context, p *destination.Package) error {
	if err := sqlload.CheckPackage(p); err != nil {
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
	l := newLoader(conn, p)
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
		return c.resourceHint(fmt.Errorf("load package %s into dataset %s: %w", p.LoadID, p.Dataset, err))
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

// loader is the work of one Load inside its transaction. The shared
// Writer runs the statements that move staged rows into the dataset.
type loader struct {
	*sqlload.Writer
	conn   *sql.Conn
	stages map[string]*stage // by table name
}

func newLoader(conn *sql.Conn, p *destination.Package) *loader {
	w := &sqlload.Writer{
		Tx:      connTx{conn},
		Dialect: dialect{},
		Package: p,
		Stages:  make(map[string]*sqlload.Stage),
	}
	return &loader{Writer: w, conn: conn, stages: make(map[string]*stage)}
}

func (l *loader) run(ctx context.Context) error {
	p := l.Package
	if err := l.CheckNotLoaded(ctx); err != nil {
		return err
	}
	for _, t := range p.Drop {
		if err := l.Tx.Exec(ctx, "DROP TABLE IF EXISTS "+sqlload.Qualified(p.Dataset, t)); err != nil {
			return fmt.Errorf("drop table %s: %w", t, err)
		}
	}
	if err := migrate(ctx, l.conn, p.Dataset, p.Schema); err != nil {
		return err
	}
	if err := l.WriteAll(ctx, l.stageKeys, l.stageJobs); err != nil {
		return err
	}
	// DuckDB keeps temporary tables until the connection closes, and the
	// connection goes back to the pool.
	for _, name := range l.Temps {
		if err := l.Tx.Exec(ctx, "DROP TABLE IF EXISTS "+tempRef(name)); err != nil {
			return err
		}
	}
	return l.RecordLoad(ctx)
}

// stageJobs creates a staging table per table of the jobs and appends
// every job file to it, in order.
func (l *loader) stageJobs(ctx context.Context, jobs []destination.Job) error {
	for _, job := range jobs {
		s, err := l.stageFor(ctx, job.Table)
		if err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		if err := l.appendFile(ctx, s, job.Path); err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		s.Files = append(s.Files, job.Path)
	}
	return nil
}

// stageFor returns the staging table of the named table, creating it on
// first use.
func (l *loader) stageFor(ctx context.Context, table string) (*stage, error) {
	if s, ok := l.stages[table]; ok {
		return s, nil
	}
	t := l.Package.Schema.Table(table)
	if t == nil {
		return nil, errors.New("the table is not in the package schema")
	}
	s, err := l.createStage(ctx, t)
	if err != nil {
		return nil, err
	}
	l.stages[table] = s
	l.Stages[table] = &s.Stage
	return s, nil
}

// createStage creates an empty staging table for the rows of t.
func (l *loader) createStage(ctx context.Context, t *schema.Table) (*stage, error) {
	s := newStage(t, l.TempName())
	q, err := s.createSQL()
	if err != nil {
		return nil, err
	}
	if err := l.Tx.Exec(ctx, q); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	return s, nil
}

// appendFile appends the rows of the job file at path to s through the
// driver connection of the load's transaction.
func (l *loader) appendFile(ctx context.Context, s *stage, path string) error {
	return l.conn.Raw(func(dc any) error {
		_, err := s.appendFile(ctx, dc.(driver.Conn), path)
		return err
	})
}

// connTx runs the shared statements on the connection that holds the
// load's transaction.
type connTx struct{ conn *sql.Conn }

func (t connTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.conn.ExecContext(ctx, query, args...)
	return err
}

func (t connTx) QueryRow(ctx context.Context, query string, args ...any) sqlload.Row {
	return t.conn.QueryRowContext(ctx, query, args...)
}
