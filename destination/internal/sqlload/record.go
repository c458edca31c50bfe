package sqlload

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// CheckPackage rejects a package that lacks what a load needs.
func CheckPackage(p *destination.Package) error {
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

// CheckNotLoaded fails when _rl_loads records the package's load id, so
// that a package is never applied twice.
func (w *Writer) CheckNotLoaded(ctx context.Context) error {
	p := w.Package
	var ok bool
	if err := w.Tx.QueryRow(ctx, w.Dialect.TableExists(), p.Dataset, schema.TableLoads).Scan(&ok); err != nil {
		return fmt.Errorf("look up table %s: %w", schema.TableLoads, err)
	}
	if !ok {
		return nil
	}
	var n int64
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE load_id = %s",
		Qualified(p.Dataset, schema.TableLoads), w.Dialect.Param(1))
	if err := w.Tx.QueryRow(ctx, q, p.LoadID).Scan(&n); err != nil {
		return fmt.Errorf("look up load in %s: %w", schema.TableLoads, err)
	}
	if n > 0 {
		return errors.New("the package is already loaded, so it is not applied again (HasLoad reports this before Load)")
	}
	return nil
}

// RootTables returns the root tables to write: those that the package's
// Tables lists, then the roots of tables with jobs that it does not list, in
// schema order. A listed name may also be the resource of a root table
// whose name was shortened. A listed table that the schema lacks is
// skipped, since it has no rows.
func (w *Writer) RootTables() ([]*schema.Table, error) {
	s := w.Package.Schema
	var roots []*schema.Table
	seen := make(map[string]bool)
	for _, name := range w.Package.Tables {
		t := s.Table(name)
		if t == nil {
			// The normalizer shortens long names; the table keeps the
			// resource's own name.
			t = rootOfResource(s, name)
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
	withJobs := make(map[string]bool)
	for _, job := range w.Package.Jobs {
		if s.Table(job.Table) == nil {
			return nil, fmt.Errorf("load table %s from %s: the table is not in the package schema", job.Table, job.Path)
		}
		withJobs[job.Table] = true
	}
	for _, t := range s.Tables {
		if !withJobs[t.Name] {
			continue
		}
		root := s.Root(t.Name)
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

// StoreState inserts the package's State as the next state version of
// its pipeline. It does nothing when the package has no state.
func (w *Writer) StoreState(ctx context.Context) error {
	p := w.Package
	if p.State == nil {
		return nil
	}
	table := Qualified(p.Dataset, schema.TableState)
	d := w.Dialect
	var version int64
	q := fmt.Sprintf("SELECT coalesce(max(version), 0) + 1 FROM %s WHERE pipeline_name = %s", table, d.Param(1))
	if err := w.Tx.QueryRow(ctx, q, p.PipelineName).Scan(&version); err != nil {
		return fmt.Errorf("read state version from %s: %w", schema.TableState, err)
	}
	created := p.CreatedAt.UTC()
	if p.CreatedAt.IsZero() {
		created = now()
	}
	q = fmt.Sprintf(`INSERT INTO %s (version, pipeline_name, state, created_at, version_hash, %s)
		VALUES (%s, %s, %s, %s, %s, %s)`, table, Ident(schema.ColumnLoadID),
		d.Param(1), d.Param(2), d.JSONParam(3), d.Param(4), d.Param(5), d.Param(6))
	err := w.Tx.Exec(ctx, q, version, p.PipelineName, string(p.State), created, contentHash(p.State), p.LoadID)
	if err != nil {
		return fmt.Errorf("insert state into %s: %w", schema.TableState, err)
	}
	return nil
}

// StoreSchema inserts the package's schema into _rl_version, as JSON and
// as YAML, unless a schema with the same name and hash is stored.
func (w *Writer) StoreSchema(ctx context.Context) error {
	s := w.Package.Schema
	table := Qualified(w.Package.Dataset, schema.TableVersion)
	d := w.Dialect
	hash := s.Hash()
	var n int64
	q := fmt.Sprintf("SELECT count(*) FROM %s WHERE schema_name = %s AND version_hash = %s",
		table, d.Param(1), d.Param(2))
	if err := w.Tx.QueryRow(ctx, q, s.Name, hash).Scan(&n); err != nil {
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
		VALUES (%s, %s, %s, %s, %s, %s)`, table,
		d.Param(1), d.Param(2), d.Param(3), d.JSONParam(4), d.Param(5), d.Param(6))
	if err := w.Tx.Exec(ctx, q, int64(s.Version), s.Name, hash, string(doc), string(text), now()); err != nil {
		return fmt.Errorf("insert schema into %s: %w", schema.TableVersion, err)
	}
	return nil
}

// RecordLoad inserts the _rl_loads row that marks the package as loaded.
func (w *Writer) RecordLoad(ctx context.Context) error {
	p, d := w.Package, w.Dialect
	q := fmt.Sprintf(`INSERT INTO %s (load_id, schema_name, status, inserted_at, schema_version_hash)
		VALUES (%s, %s, 0, %s, %s)`, Qualified(p.Dataset, schema.TableLoads),
		d.Param(1), d.Param(2), d.Param(3), d.Param(4))
	if err := w.Tx.Exec(ctx, q, p.LoadID, p.Schema.Name, now(), p.Schema.Hash()); err != nil {
		return fmt.Errorf("insert load into %s: %w", schema.TableLoads, err)
	}
	return nil
}

// contentHash returns the base64url SHA-256 of b, the form of
// schema.Schema.Hash.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
