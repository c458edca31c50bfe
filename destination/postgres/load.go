package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/internal/sqlload"
	"github.com/restload/restload/schema"
)

// Load applies p in one transaction: it migrates the dataset to p.Schema,
// stages and writes every job by its root table's write disposition,
// stores p.State and a new schema version, and records p.LoadID in
// _rl_loads. On any error, and when the process dies before the commit,
// nothing of p remains.
func (c *Client) Load(ctx context.Context, p *destination.Package) error {
	if err := sqlload.CheckPackage(p); err != nil {
		return err
	}
	if err := checkIdentifiers(p.Dataset, p.Schema, p.Drop); err != nil {
		return fmt.Errorf("load package %s into dataset %s: %w", p.LoadID, p.Dataset, err)
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()

	conn, err := c.db.Conn(ctx)
	if err != nil {
		return c.explain(fmt.Errorf("load package %s: connect: %w", p.LoadID, err))
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		return c.loadOn(ctx, dc.(*stdlib.Conn).Conn(), p)
	})
	if err != nil {
		return c.explainLoad(fmt.Errorf("load package %s into dataset %s: %w", p.LoadID, p.Dataset, err), p.Dataset)
	}
	return nil
}

// loadOn runs the transaction of Load on pc.
func (c *Client) loadOn(ctx context.Context, pc *pgx.Conn, p *destination.Package) error {
	tx, err := pc.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	l := newLoader(c, tx, p)
	err = l.run(ctx)
	if err == nil && c.beforeCommit != nil {
		c.beforeCommit()
	}
	if err == nil {
		if err = tx.Commit(ctx); err != nil {
			err = fmt.Errorf("commit: %w", err)
		}
	}
	if err != nil {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			// Closing the connection ends the transaction on the server,
			// and the pool discards a closed connection.
			_ = pc.Close(context.WithoutCancel(ctx))
		}
		return err
	}
	return nil
}

// loader is the work of one Load inside its transaction. The shared
// Writer runs the statements that move staged rows into the dataset.
type loader struct {
	*sqlload.Writer
	c      *Client
	tx     pgx.Tx
	stages map[string]*stage // by table name
}

func newLoader(c *Client, tx pgx.Tx, p *destination.Package) *loader {
	w := &sqlload.Writer{
		Tx:      pgxTx{tx},
		Dialect: dialect{},
		Package: p,
		Stages:  make(map[string]*sqlload.Stage),
	}
	return &loader{Writer: w, c: c, tx: tx, stages: make(map[string]*stage)}
}

func (l *loader) run(ctx context.Context) error {
	p := l.Package
	// Literals in the statements below rely on standard strings.
	if err := l.exec(ctx, "SET LOCAL standard_conforming_strings = on"); err != nil {
		return err
	}
	if err := l.lockDataset(ctx); err != nil {
		return err
	}
	if err := l.CheckNotLoaded(ctx); err != nil {
		return err
	}
	for _, t := range p.Drop {
		if err := l.exec(ctx, "DROP TABLE IF EXISTS "+sqlload.Qualified(p.Dataset, t)); err != nil {
			return fmt.Errorf("drop table %s: %w", t, err)
		}
	}
	if err := l.migrate(ctx); err != nil {
		return err
	}
	if err := l.WriteAll(ctx, l.stageKeys, l.stageJobs); err != nil {
		return err
	}
	return l.RecordLoad(ctx)
}

// lockDataset takes a transaction-scoped advisory lock for the dataset,
// so that loads into one dataset from several processes run one after
// the other and CheckNotLoaded finds every committed load.
func (l *loader) lockDataset(ctx context.Context) error {
	sum := sha256.Sum256([]byte("restload load " + l.Package.Dataset))
	key := int64(binary.BigEndian.Uint64(sum[:8]))
	if err := l.exec(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		return fmt.Errorf("lock dataset %s: %w", l.Package.Dataset, err)
	}
	return nil
}

// stageJobs creates a staging table per table of the jobs and copies
// every job file into it, in order.
func (l *loader) stageJobs(ctx context.Context, jobs []destination.Job) error {
	var staged []*stage
	for _, job := range jobs {
		_, existed := l.stages[job.Table]
		s, err := l.stageFor(ctx, job.Table)
		if err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		if !existed {
			staged = append(staged, s)
		}
		if _, err := s.copyFile(ctx, l.tx, job.Path); err != nil {
			return fmt.Errorf("load table %s from %s: %w", job.Table, job.Path, err)
		}
		s.Files = append(s.Files, job.Path)
	}
	// Statistics let the planner choose joins that suit the row counts.
	for _, s := range staged {
		if err := l.exec(ctx, "ANALYZE "+s.Ref); err != nil {
			return fmt.Errorf("analyze staged rows of table %s: %w", s.Table.Name, err)
		}
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
	if err := l.exec(ctx, q); err != nil {
		return nil, fmt.Errorf("create staging table: %w", err)
	}
	return s, nil
}

func (l *loader) exec(ctx context.Context, q string, args ...any) error {
	_, err := l.tx.Exec(ctx, q, args...)
	return err
}

// pgxTx runs the shared statements in the load's transaction.
type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.Exec(ctx, query, args...)
	return err
}

func (t pgxTx) QueryRow(ctx context.Context, query string, args ...any) sqlload.Row {
	return t.tx.QueryRow(ctx, query, args...)
}
