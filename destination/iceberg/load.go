package iceberg

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// PropLoadID is the snapshot summary property that holds the load id of
// the package that wrote a snapshot.
const PropLoadID = "restload.load-id"

// System tables, in the same shape as in the SQL destinations. JSON
// documents are stored as strings.
var (
	loadsTable = &schema.Table{Name: schema.TableLoads, Columns: []*schema.Column{
		{Name: "load_id", Type: schema.Text}, {Name: "schema_name", Type: schema.Text},
		{Name: "status", Type: schema.BigInt}, {Name: "inserted_at", Type: schema.Timestamp},
		{Name: "schema_version_hash", Type: schema.Text},
	}}
	stateTable = &schema.Table{Name: schema.TableState, Columns: []*schema.Column{
		{Name: "version", Type: schema.BigInt}, {Name: "pipeline_name", Type: schema.Text},
		{Name: "state", Type: schema.Text}, {Name: "created_at", Type: schema.Timestamp},
		{Name: "version_hash", Type: schema.Text}, {Name: schema.ColumnLoadID, Type: schema.Text},
	}}
	versionTable = &schema.Table{Name: schema.TableVersion, Columns: []*schema.Column{
		{Name: "version", Type: schema.BigInt}, {Name: "schema_name", Type: schema.Text},
		{Name: "version_hash", Type: schema.Text}, {Name: "schema", Type: schema.Text},
		{Name: "inserted_at", Type: schema.Timestamp}, {Name: "schema_yaml", Type: schema.Text},
		{Name: schema.ColumnLoadID, Type: schema.Text},
	}}
)

// tableWrite is the change that a package makes to one table: the rows
// that filter matches are removed (copy-on-write) and rows are added.
// A nil filter only appends.
type tableWrite struct {
	filter ice.BooleanExpression
	rows   []row
}

// loader is the work of one Load.
type loader struct {
	c      *Client
	p      *destination.Package
	staged map[string][]row         // job rows by table name
	tables map[string]*table.Table  // opened tables by name
	writes map[string]*tableWrite   // planned writes by table name
	evolve map[string]*schemaChange // schema changes by table name
	// deleted holds the keys of p.Deletes (keyOf of the primary key) by
	// root table name.
	deleted map[string]map[string]bool
}

// Load applies p to its dataset in several Iceberg commits, because
// neither the SQL nor the filesystem catalog of iceberg-go commits
// several tables atomically. The order is: dropped tables, then every
// data table (one commit each, its snapshot tagged with the load id),
// then the state and schema rows, and last the row in _rl_loads, which
// is the commit point. Input errors are found before the first commit.
// A load that stops between commits is finished by loading p again: a
// table whose current snapshot carries p's load id is skipped, and the
// rest is computed from the snapshots before p.
func (c *Client) Load(ctx context.Context, p *destination.Package) error {
	if err := checkPackage(p); err != nil {
		return err
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	l := &loader{c: c, p: p, staged: map[string][]row{}, tables: map[string]*table.Table{},
		writes: map[string]*tableWrite{}, evolve: map[string]*schemaChange{}, deleted: map[string]map[string]bool{}}
	if err := l.run(ctx); err != nil {
		return fmt.Errorf("load package %s into iceberg dataset %s in %s: %w", p.LoadID, p.Dataset, c.dir, err)
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

func (l *loader) run(ctx context.Context) error {
	done, err := l.c.HasLoad(ctx, l.p.Dataset, l.p.LoadID)
	if err != nil {
		return err
	}
	if done {
		return errors.New("the package is already loaded, so it is not applied again (HasLoad reports this before Load)")
	}
	if err := l.readJobs(); err != nil {
		return err
	}
	if err := l.readDeletes(); err != nil {
		return err
	}
	if err := l.ensureNamespace(ctx); err != nil {
		return err
	}
	for _, name := range l.p.Drop {
		if err := l.drop(ctx, name); err != nil {
			return err
		}
	}
	if err := l.openTables(ctx); err != nil {
		return err
	}
	roots, err := rootTables(l.p, l.staged)
	if err != nil {
		return err
	}
	for _, root := range roots {
		if err := l.plan(ctx, root); err != nil {
			return fmt.Errorf("write %s table %s: %w", root.WriteDisposition, root.Name, err)
		}
	}
	// Every check has passed: from here on, the commits begin.
	for _, t := range l.p.Schema.Tables {
		if err := l.commit(ctx, t, l.writes[t.Name]); err != nil {
			return err
		}
	}
	if err := l.storeState(ctx); err != nil {
		return err
	}
	if err := l.storeSchema(ctx); err != nil {
		return err
	}
	return l.recordLoad(ctx)
}

// readJobs parses every job file into rows, checking each value
// against its column type, so that bad input fails before any commit.
func (l *loader) readJobs() error {
	for _, job := range l.p.Jobs {
		t := l.p.Schema.Table(job.Table)
		if t == nil {
			return fmt.Errorf("job file %s: table %s is not in the package schema", job.Path, job.Table)
		}
		rows, err := readJob(t, job.Path)
		if err != nil {
			return fmt.Errorf("read rows of table %s: %w", t.Name, err)
		}
		l.staged[t.Name] = append(l.staged[t.Name], rows...)
	}
	return nil
}

// readJob reads one job file.
func readJob(t *schema.Table, path string) ([]row, error) {
	f, err := destination.OpenJob(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var rows []row
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			rw, perr := parseRow(t, line)
			if perr != nil {
				return nil, fmt.Errorf("%s line %d: %w", path, n, perr)
			}
			rows = append(rows, rw)
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// parseRow converts one JSON line of a job file to a row.
func parseRow(t *schema.Table, line []byte) (row, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return nil, fmt.Errorf("invalid JSON object: %w", err)
	}
	r := make(row, len(fields))
	for k, raw := range fields {
		if k == destination.SeqField {
			seq, err := parseBigInt(raw)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", k, err)
			}
			r[k] = seq
			continue
		}
		c := t.Column(k)
		if c == nil {
			return nil, fmt.Errorf("field %s is not a column of table %s in the package schema; normalize the package again", k, t.Name)
		}
		v, err := parseValue(c.Type, raw)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", k, c.Type, err)
		}
		if v != nil {
			r[k] = v
		}
	}
	return r, nil
}

// ensureNamespace creates the dataset's namespace when it is missing.
func (l *loader) ensureNamespace(ctx context.Context) error {
	ns := table.Identifier{l.p.Dataset}
	ok, err := l.c.cat.CheckNamespaceExists(ctx, ns)
	if err != nil {
		return fmt.Errorf("look up namespace %s: %w", l.p.Dataset, err)
	}
	if ok {
		return nil
	}
	err = l.c.cat.CreateNamespace(ctx, ns, ice.Properties{})
	if err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return fmt.Errorf("create namespace %s: %w", l.p.Dataset, err)
	}
	return nil
}

// drop drops a table when it exists. Its files stay in the warehouse.
func (l *loader) drop(ctx context.Context, name string) error {
	id := ident(l.p.Dataset, name)
	ok, err := l.c.cat.CheckTableExists(ctx, id)
	if err != nil {
		return fmt.Errorf("look up table %s to drop: %w", name, err)
	}
	if !ok {
		return nil
	}
	if err := l.c.cat.DropTable(ctx, id); err != nil {
		return fmt.Errorf("drop table %s: %w", name, err)
	}
	return nil
}

// openTables opens or creates every table of the package schema and the
// system tables, and works out the schema change of each. A column
// whose type Iceberg cannot widen fails the load here.
func (l *loader) openTables(ctx context.Context) error {
	all := append([]*schema.Table{loadsTable, stateTable, versionTable}, l.p.Schema.Tables...)
	for _, t := range all {
		tbl, err := l.c.loadTable(ctx, l.p.Dataset, t.Name)
		if err != nil {
			return err
		}
		if tbl == nil {
			if tbl, err = l.create(ctx, t); err != nil {
				return err
			}
		}
		ch, err := schemaChanges(tbl.Schema(), t)
		if err != nil {
			return err
		}
		l.tables[t.Name] = tbl
		l.evolve[t.Name] = ch
	}
	return nil
}

// create creates a table. Deletes rewrite data files (copy-on-write)
// rather than write delete files, so that the data files of a snapshot
// hold exactly its rows and readers can use them with read_parquet.
func (l *loader) create(ctx context.Context, t *schema.Table) (*table.Table, error) {
	sc, err := icebergSchema(t)
	if err != nil {
		return nil, err
	}
	props := ice.Properties{
		table.WriteDeleteModeKey: table.WriteModeCopyOnWrite,
		"write.update.mode":      table.WriteModeCopyOnWrite,
		"write.merge.mode":       table.WriteModeCopyOnWrite,
	}
	tbl, err := l.c.cat.CreateTable(ctx, ident(l.p.Dataset, t.Name), sc, catalog.WithProperties(props))
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", t.Name, err)
	}
	return tbl, nil
}

// schemaChange lists the columns to add to an Iceberg table and those
// whose type to widen.
type schemaChange struct {
	add    []*schema.Column
	widen  map[string]ice.Type
	target *schema.Table
}

func (s *schemaChange) empty() bool { return len(s.add) == 0 && len(s.widen) == 0 }

// schemaChanges compares an Iceberg schema with a table of the package
// schema. Columns are added, int, float and decimal columns widened;
// any other type change fails, since Iceberg cannot make it.
func schemaChanges(have *ice.Schema, t *schema.Table) (*schemaChange, error) {
	ch := &schemaChange{widen: map[string]ice.Type{}, target: t}
	for _, c := range t.Columns {
		want, err := icebergType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s of table %s: %w", c.Name, t.Name, err)
		}
		f, ok := have.FindFieldByName(c.Name)
		switch {
		case !ok:
			ch.add = append(ch.add, c)
		case f.Type.Equals(want):
		case widens(f.Type, want):
			ch.widen[c.Name] = want
		default:
			return nil, fmt.Errorf("column %s of table %s has Iceberg type %s, which cannot change to %s; "+
				"drop the table or load into a new dataset", c.Name, t.Name, f.Type, want)
		}
	}
	return ch, nil
}

// baseSnapshot returns the snapshot that p's change of tbl starts from,
// and whether p's change is already committed: a table whose current
// snapshot carries p's load id was written by an earlier attempt to load
// p, so its change starts from the snapshot before.
func baseSnapshot(tbl *table.Table, loadID string) (id int64, done bool) {
	s := tbl.CurrentSnapshot()
	if s == nil {
		return 0, false
	}
	if s.Summary != nil && s.Summary.Properties[PropLoadID] == loadID {
		if s.ParentSnapshotID == nil {
			return 0, true
		}
		return *s.ParentSnapshotID, true
	}
	return s.SnapshotID, false
}

// commit applies the schema change and the planned write of one table
// in one Iceberg commit.
func (l *loader) commit(ctx context.Context, t *schema.Table, w *tableWrite) error {
	tbl := l.tables[t.Name]
	ch := l.evolve[t.Name]
	if _, done := baseSnapshot(tbl, l.p.LoadID); done {
		w = nil
	}
	if w == nil && ch.empty() {
		return nil
	}
	tx := tbl.NewTransaction()
	if !ch.empty() {
		us := tx.UpdateSchema(true, false)
		for _, c := range ch.add {
			typ, _ := icebergType(c.Type)
			us.AddColumn([]string{c.Name}, typ, "", false, nil)
		}
		for name, typ := range ch.widen {
			us.UpdateColumn([]string{name}, table.ColumnUpdate{FieldType: ice.Optional[ice.Type]{Valid: true, Val: typ}})
		}
		if err := us.Commit(); err != nil {
			return fmt.Errorf("evolve schema of table %s: %w", t.Name, err)
		}
	}
	if w != nil {
		if err := l.writeRows(ctx, tx, t, w); err != nil {
			return err
		}
	}
	next, err := tx.Commit(ctx)
	if err != nil {
		return fmt.Errorf("commit table %s: %w", t.Name, err)
	}
	l.tables[t.Name] = next
	l.evolve[t.Name] = &schemaChange{}
	if l.c.afterCommit != nil {
		return l.c.afterCommit(t.Name)
	}
	return nil
}

// writeRows stages w in tx as one snapshot tagged with the load id.
func (l *loader) writeRows(ctx context.Context, tx *table.Transaction, t *schema.Table, w *tableWrite) error {
	staged, err := tx.StagedTable()
	if err != nil {
		return fmt.Errorf("stage table %s: %w", t.Name, err)
	}
	sc, err := table.SchemaToArrowSchema(staged.Schema(), nil, true, false)
	if err != nil {
		return fmt.Errorf("arrow schema of table %s: %w", t.Name, err)
	}
	rec, err := buildRecord(sc, w.rows)
	if err != nil {
		return fmt.Errorf("build rows of table %s: %w", t.Name, err)
	}
	defer rec.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rdr.Release()
	props := ice.Properties{PropLoadID: l.p.LoadID}
	if w.filter == nil {
		err = tx.Append(ctx, rdr, props)
	} else {
		err = tx.Overwrite(ctx, rdr, props, table.WithOverwriteFilter(w.filter))
	}
	if err != nil {
		return fmt.Errorf("write rows of table %s: %w", t.Name, err)
	}
	return nil
}

// commitSystem appends rows to a system table unless an earlier attempt
// to load the package committed them.
func (l *loader) commitSystem(ctx context.Context, t *schema.Table, rows ...row) error {
	return l.commit(ctx, t, &tableWrite{rows: rows})
}

// storeState appends p.State as the next state version of the pipeline.
func (l *loader) storeState(ctx context.Context) error {
	if l.p.State == nil {
		return nil
	}
	rows, err := l.c.committedRows(ctx, l.p.Dataset, schema.TableState)
	if err != nil {
		return err
	}
	var version int64
	for _, r := range rows {
		if v, _ := r["version"].(int64); r["pipeline_name"] == l.p.PipelineName && v > version {
			version = v
		}
	}
	created := l.p.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return l.commitSystem(ctx, stateTable, row{
		"version": version + 1, "pipeline_name": l.p.PipelineName, "state": string(l.p.State),
		"created_at": micros(created), "version_hash": contentHash(l.p.State),
		schema.ColumnLoadID: l.p.LoadID,
	})
}

// storeSchema appends p.Schema to _rl_version, as JSON and YAML, unless
// a committed row holds a schema with the same name and hash.
func (l *loader) storeSchema(ctx context.Context) error {
	s := l.p.Schema
	hash := s.Hash()
	rows, err := l.c.committedRows(ctx, l.p.Dataset, schema.TableVersion)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r["schema_name"] == s.Name && r["version_hash"] == hash {
			return nil
		}
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode schema %s: %w", s.Name, err)
	}
	text, err := s.YAML()
	if err != nil {
		return err
	}
	return l.commitSystem(ctx, versionTable, row{
		"version": int64(s.Version), "schema_name": s.Name, "version_hash": hash,
		"schema": string(doc), "inserted_at": micros(time.Now()), "schema_yaml": string(text),
		schema.ColumnLoadID: l.p.LoadID,
	})
}

// recordLoad appends the row of p to _rl_loads: the commit point.
func (l *loader) recordLoad(ctx context.Context) error {
	return l.commitSystem(ctx, loadsTable, row{
		"load_id": l.p.LoadID, "schema_name": l.p.Schema.Name, "status": int64(0),
		"inserted_at": micros(time.Now()), "schema_version_hash": l.p.Schema.Hash(),
	})
}

// micros returns t as an Arrow timestamp in microseconds.
func micros(t time.Time) arrow.Timestamp {
	return arrow.Timestamp(t.UTC().Truncate(time.Microsecond).UnixMicro())
}
