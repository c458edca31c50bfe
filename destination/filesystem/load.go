package filesystem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Load writes the package's data files, its state and schema files, and
// then its load record, which commits it. On an error before the record
// is written, the files written so far stay on disk without a record:
// readers ignore them and the next Load deletes them.
func (c *Client) Load(ctx context.Context, p *destination.Package) error {
	if err := checkPackage(p); err != nil {
		return err
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if err := c.load(ctx, p); err != nil {
		return fmt.Errorf("load package %s into dataset %s at %s: %w", p.LoadID, p.Dataset, c.Location(), err)
	}
	return nil
}

// checkPackage rejects a package that lacks what Load needs.
func checkPackage(p *destination.Package) error {
	switch {
	case p == nil:
		return errors.New("load package: package is nil")
	case p.Schema == nil:
		return fmt.Errorf("load package %s: schema is nil", p.LoadID)
	case p.State != nil && p.PipelineName == "":
		return fmt.Errorf("load package %s: state is set but pipeline name is empty", p.LoadID)
	case p.State != nil && !json.Valid(p.State):
		return fmt.Errorf("load package %s: state is not valid JSON", p.LoadID)
	}
	if err := checkName("load id", p.LoadID); err != nil {
		return fmt.Errorf("load package: %w", err)
	}
	if err := checkName("dataset", p.Dataset); err != nil {
		return fmt.Errorf("load package %s: %w", p.LoadID, err)
	}
	for _, t := range p.Schema.Tables {
		if err := checkName("table", t.Name); err != nil {
			return fmt.Errorf("load package %s: %w", p.LoadID, err)
		}
		if strings.HasPrefix(t.Name, schema.SystemPrefix) {
			return fmt.Errorf("load package %s: table %s starts with %s, which this destination keeps for its own folders; rename the table", p.LoadID, t.Name, schema.SystemPrefix)
		}
	}
	if err := checkDeletes(p); err != nil {
		return fmt.Errorf("load package %s: %w", p.LoadID, err)
	}
	return nil
}

func (c *Client) load(ctx context.Context, p *destination.Package) error {
	dir := filepath.Join(c.root, p.Dataset)
	records, err := readRecords(dir)
	if err != nil {
		return err
	}

	if slices.ContainsFunc(records, func(r *record) bool { return r.LoadID == p.LoadID }) {
		return errors.New("the package is already loaded, so it is not applied again (HasLoad reports this before Load)")
	}
	if err := removeUncommitted(dir, records); err != nil {
		return err
	}
	created := p.CreatedAt.UTC()
	if p.CreatedAt.IsZero() {
		created = time.Now().UTC()
	}
	created = created.Truncate(time.Microsecond)
	rec := &record{
		LoadID: p.LoadID, SchemaName: p.Schema.Name, SchemaHash: p.Schema.Hash(),
		PipelineName: p.PipelineName, HasState: p.State != nil, CreatedAt: created,
		Format: c.format, Dropped: p.Drop,
	}
	rec.Covered, rec.Replaced, rec.Complete, err = rootLists(p)
	if err != nil {
		return err
	}

	if err := c.writeJobs(ctx, dir, p, created, rec); err != nil {
		return err
	}
	if err := c.writeDeletes(ctx, dir, p, rec); err != nil {
		return err
	}
	if err := writeSchema(dir, p.Schema); err != nil {
		return err
	}
	if p.State != nil {
		if err := writeState(dir, p, rec, records); err != nil {
			return err
		}
	}
	if c.beforeRecord != nil {
		if err := c.beforeRecord(); err != nil {
			return err
		}
	}

	rec.InsertedAt = time.Now().UTC()
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(dir, dirLoads, p.LoadID+".json"), b); err != nil {
		return fmt.Errorf("write load record: %w", err)
	}
	return nil
}

// rootLists returns the root tables that the package covers, those of
// them with write disposition replace and the root tables that it lists
// in full, by table name. Package lists may name a table or the resource
// of a root table.
func rootLists(p *destination.Package) (covered, replaced, complete []string, err error) {
	names := slices.Clone(p.Tables)
	for _, j := range p.Jobs {
		if r := p.Schema.Root(j.Table); r != nil {
			names = append(names, r.Name)
		}
	}
	for _, name := range names {
		t := rootTable(p.Schema, name)
		if t == nil {
			continue // a contract kept the table from being created
		}
		if !t.IsRoot() {
			return nil, nil, nil, fmt.Errorf("package table %s is not a root table of the package schema", name)
		}
		if !slices.Contains(covered, t.Name) {
			covered = append(covered, t.Name)
		}
		if t.WriteDisposition == schema.Replace && !slices.Contains(replaced, t.Name) {
			replaced = append(replaced, t.Name)
		}
	}
	for _, name := range p.Complete {
		if t := rootTable(p.Schema, name); t != nil && t.IsRoot() && !slices.Contains(complete, t.Name) {
			complete = append(complete, t.Name)
		}
	}
	return covered, replaced, complete, nil
}

// rootTable returns the table with the given name, or else the root table
// of the resource with that name, or nil.
func rootTable(s *schema.Schema, name string) *schema.Table {
	if t := s.Table(name); t != nil {
		return t
	}
	for _, t := range s.Tables {
		if t.IsRoot() && t.Resource == name {
			return t
		}
	}
	return nil
}

// writeJobs writes one data file per job.
func (c *Client) writeJobs(ctx context.Context, dir string, p *destination.Package, created time.Time, rec *record) error {
	dirs := make(map[string]bool)
	for i, job := range p.Jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := p.Schema.Table(job.Table)
		if t == nil {
			return fmt.Errorf("job %s: table %s is not in the package schema", job.Path, job.Table)
		}
		rel := path.Join(t.Name, fmt.Sprintf("%s.%d.%s", p.LoadID, i, c.format))
		f, err := c.writeJob(filepath.Join(dir, filepath.FromSlash(rel)), job.Path, t, p, created)
		if err != nil {
			return fmt.Errorf("write table %s from %s: %w", t.Name, job.Path, err)
		}
		f.Path = rel
		rec.Files = append(rec.Files, f)
		dirs[filepath.Join(dir, t.Name)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("sync folder %s: %w", d, err)
		}
	}
	return nil
}

// writeJob converts one job file into a synced data file at dst.
func (c *Client) writeJob(dst, src string, t *schema.Table, p *destination.Package, created time.Time) (dataFile, error) {
	cols := fileColumns(t)
	fixed := map[string]any{}
	if t.IsRoot() {
		fixed[schema.ColumnLoadID] = p.LoadID
		if t.WriteDisposition == schema.History {
			fixed[schema.ColumnValidFrom] = created
			fixed[schema.ColumnValidTo] = nil
		}
	}
	df := dataFile{Table: t.Name, Format: c.format}
	for _, col := range cols {
		df.Columns = append(df.Columns, col.name)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return df, err
	}

	f, err := os.Create(dst)
	if err != nil {
		return df, err
	}
	defer f.Close()
	w := newRowWriter(c.format, f, cols)

	hd, hdIndex, markIndex := hardDeleteColumn(t), -1, -1
	for i, col := range cols {
		if hd != nil && col.name == hd.Name {
			hdIndex = i
		}
		if col.name == hardDeleteField {
			markIndex = i
		}
	}
	err = readJob(src, cols, fixed, func(row []any) error {
		df.Rows++
		if markIndex >= 0 {
			row[markIndex] = hdIndex >= 0 && isHardDelete(hd, row[hdIndex])
		}
		return w.write(row)
	})
	if err != nil {
		return df, err
	}
	if err := w.close(); err != nil {
		return df, err
	}
	if err := f.Sync(); err != nil {
		return df, err
	}
	return df, f.Close()
}

// writeSchema stores the schema under its hash, unless it is stored.
func writeSchema(dir string, s *schema.Schema) error {
	dst := filepath.Join(dir, dirVersion, s.Hash()+".json")
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode schema %s: %w", s.Name, err)
	}
	if err := writeFileSync(dst, b); err != nil {
		return fmt.Errorf("write schema %s: %w", s.Name, err)
	}
	return nil
}

// writeState stores the package's state, byte for byte, and sets the
// state version in the record: one more than the pipeline's previous
// one.
func writeState(dir string, p *destination.Package, rec *record, records []*record) error {
	rec.StateVersion = 1
	for _, r := range slices.Backward(records) {
		if r.PipelineName == p.PipelineName && r.HasState {
			rec.StateVersion = r.StateVersion + 1
			break
		}
	}
	if err := writeFileSync(filepath.Join(dir, dirState, p.LoadID+".json"), p.State); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// removeUncommitted deletes the data and state files whose load has no
// record, and temporary files: what a load that stopped before its record
// left behind. Other files in the dataset folder are left alone.
func removeUncommitted(dir string, records []*record) error {
	committed := make(map[string]bool, len(records))
	for _, r := range records {
		committed[r.LoadID] = true
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list dataset folder %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		files, err := os.ReadDir(sub)
		if err != nil {
			return fmt.Errorf("list folder %s: %w", sub, err)
		}
		for _, f := range files {
			if f.IsDir() || !uncommitted(e.Name(), f.Name(), committed) {
				continue
			}
			if err := os.Remove(filepath.Join(sub, f.Name())); err != nil {
				return fmt.Errorf("remove file %s of an unfinished load: %w", f.Name(), err)
			}
		}
	}
	return nil
}

// uncommitted reports whether the file name in the dataset subfolder
// folder is a temporary file or belongs to a load without a record.
func uncommitted(folder, name string, committed map[string]bool) bool {
	if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
		return true
	}
	switch folder {
	case dirLoads, dirVersion:
		return false
	case dirState:
		return strings.HasSuffix(name, ".json") && !committed[fileLoadID(name, false)]
	}
	switch Format(strings.TrimPrefix(filepath.Ext(name), ".")) {
	case Parquet, JSONL, CSV:
		return !committed[fileLoadID(name, true)]
	}
	return false
}
