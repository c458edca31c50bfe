package iceberg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	ice "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

var _ destination.Destination = (*Client)(nil)

// The catalogs that Config.Catalog names.
const (
	// CatalogSQL keeps the catalog in a SQLite file, CatalogFile, inside
	// the warehouse. It is the default.
	CatalogSQL = "sql"
	// CatalogFilesystem keeps the catalog as versioned metadata files in
	// the table folders, with no database.
	CatalogFilesystem = "filesystem"
)

// CatalogFile is the name of the SQLite file of the SQL catalog inside
// the warehouse folder.
const CatalogFile = "catalog.sqlite"

// catalogName is the name under which the SQL catalog stores its rows.
const catalogName = "restload"

// Config contains the settings that Open uses.
type Config struct {
	// Warehouse is the folder that holds the tables, as a local path or
	// a file:// URL. The caller chooses it; the command line uses
	// <pipeline>_iceberg next to the DuckDB file. Open creates it.
	Warehouse string
	// Catalog is CatalogSQL (the default when empty) or
	// CatalogFilesystem.
	Catalog string
}

// Client is an Iceberg warehouse used as a destination, one namespace
// per dataset. Its methods are safe for concurrent use, and loads run
// one at a time per Client.
type Client struct {
	cat  catalog.Catalog
	db   *sql.DB // the SQLite handle of the SQL catalog, or nil
	dir  string  // absolute warehouse folder
	kind string

	// loadMu serializes Load within the process.
	loadMu sync.Mutex

	// afterCommit, when set, runs after each table commit of a load with
	// the table's name. Tests use it to stop a load between commits.
	afterCommit func(table string) error
}

// Open opens the warehouse that cfg names, creating its folder and, for
// the SQL catalog, the catalog database.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	dir, err := warehouseDir(cfg.Warehouse)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create iceberg warehouse %s: %w", dir, err)
	}
	c := &Client{dir: dir, kind: cfg.Catalog}
	switch cfg.Catalog {
	case CatalogSQL, "":
		c.kind = CatalogSQL
		err = c.openSQL(ctx)
	case CatalogFilesystem:
		c.cat, err = hadoop.NewCatalog(catalogName, "file://"+dir, ice.Properties{})
	default:
		return nil, fmt.Errorf("iceberg catalog %q is unknown; set the catalog to %q or %q", cfg.Catalog, CatalogSQL, CatalogFilesystem)
	}
	if err != nil {
		return nil, fmt.Errorf("open iceberg %s catalog in %s: %w", c.kind, dir, err)
	}
	return c, nil
}

// openSQL opens the SQLite catalog database of the warehouse.
func (c *Client) openSQL(ctx context.Context) error {
	path := filepath.Join(c.dir, CatalogFile)
	// A busy timeout lets a second process wait for the file lock
	// rather than fail at once.
	db, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return err
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, ice.Properties{
		"warehouse": "file://" + c.dir,
	})
	if err != nil {
		db.Close()
		return err
	}
	c.cat, c.db = cat, db
	return nil
}

// warehouseDir returns the absolute folder of a warehouse path or
// file:// URL.
func warehouseDir(w string) (string, error) {
	if w == "" {
		return "", errors.New("iceberg warehouse is empty; set it to a folder such as ./pipeline_iceberg or a file:// URL")
	}
	if strings.Contains(w, "://") {
		u, err := url.Parse(w)
		if err != nil {
			return "", fmt.Errorf("parse iceberg warehouse %s: %w", w, err)
		}
		if u.Scheme != "file" {
			return "", fmt.Errorf("iceberg warehouse %s: scheme %s is not supported; use a local path or a file:// URL", w, u.Scheme)
		}
		w = u.Path
	}
	return filepath.Abs(w)
}

// Location returns the warehouse as a file URL with the catalog kind,
// such as iceberg+sql:///abs/warehouse.
func (c *Client) Location() string { return "iceberg+" + c.kind + "://" + c.dir }

// Warehouse returns the absolute folder of the warehouse.
func (c *Client) Warehouse() string { return c.dir }

// Catalog returns the Iceberg catalog, for readers that use iceberg-go.
func (c *Client) Catalog() catalog.Catalog { return c.cat }

// Close closes the catalog. A Load in progress finishes first.
func (c *Client) Close() error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	var errs []error
	if cl, ok := c.cat.(catalog.Closer); ok {
		errs = append(errs, cl.Close())
	}
	if c.db != nil {
		errs = append(errs, c.db.Close())
	}
	return errors.Join(errs...)
}

// ident returns the identifier of a table in a dataset.
func ident(dataset, tableName string) table.Identifier {
	return table.Identifier{dataset, tableName}
}

// loadTable returns the table, or nil when the dataset lacks it.
func (c *Client) loadTable(ctx context.Context, dataset, name string) (*table.Table, error) {
	ok, err := c.cat.CheckTableExists(ctx, ident(dataset, name))
	if err != nil {
		if errors.Is(err, catalog.ErrNoSuchNamespace) {
			return nil, nil
		}
		return nil, fmt.Errorf("look up table %s in dataset %s: %w", name, dataset, err)
	}
	if !ok {
		return nil, nil
	}
	tbl, err := c.cat.LoadTable(ctx, ident(dataset, name))
	if err != nil {
		return nil, fmt.Errorf("load table %s of dataset %s: %w", name, dataset, err)
	}
	return tbl, nil
}

// currentRows returns the rows of the table at its current snapshot,
// or nil when the dataset lacks the table.
func (c *Client) currentRows(ctx context.Context, dataset, name string) ([]row, error) {
	tbl, err := c.loadTable(ctx, dataset, name)
	if err != nil || tbl == nil {
		return nil, err
	}
	snap := tbl.CurrentSnapshot()
	if snap == nil {
		return nil, nil
	}
	rows, err := readRows(ctx, tbl, snap.SnapshotID)
	if err != nil {
		return nil, fmt.Errorf("read table %s of dataset %s: %w", name, dataset, err)
	}
	return rows, nil
}

// committedLoads returns the load ids recorded in _rl_loads, the
// packages whose commit point was reached.
func (c *Client) committedLoads(ctx context.Context, dataset string) (map[string]bool, error) {
	rows, err := c.currentRows(ctx, dataset, schema.TableLoads)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(rows))
	for _, r := range rows {
		if id, ok := r["load_id"].(string); ok {
			ids[id] = true
		}
	}
	return ids, nil
}

// HasLoad reports whether the package loadID reached its commit point
// in dataset: whether _rl_loads records it.
func (c *Client) HasLoad(ctx context.Context, dataset, loadID string) (bool, error) {
	ids, err := c.committedLoads(ctx, dataset)
	if err != nil {
		return false, err
	}
	return ids[loadID], nil
}

// committedRows returns the rows of a system table whose _rl_load_id is
// recorded in _rl_loads, so that rows of a package whose load stopped
// before its commit point are ignored.
func (c *Client) committedRows(ctx context.Context, dataset, name string) ([]row, error) {
	ids, err := c.committedLoads(ctx, dataset)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	rows, err := c.currentRows(ctx, dataset, name)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rows, func(r row) bool {
		id, _ := r[schema.ColumnLoadID].(string)
		return !ids[id]
	}), nil
}

// State returns the committed pipeline state with the highest version
// stored for pipelineName in dataset, or nil when there is none.
func (c *Client) State(ctx context.Context, dataset, pipelineName string) (*destination.StoredState, error) {
	rows, err := c.committedRows(ctx, dataset, schema.TableState)
	if err != nil {
		return nil, fmt.Errorf("read state of pipeline %s: %w", pipelineName, err)
	}
	var best row
	for _, r := range rows {
		if r["pipeline_name"] != pipelineName {
			continue
		}
		if best == nil || r["version"].(int64) > best["version"].(int64) {
			best = r
		}
	}
	if best == nil {
		return nil, nil
	}
	s := &destination.StoredState{Version: best["version"].(int64)}
	s.LoadID, _ = best[schema.ColumnLoadID].(string)
	text, _ := best["state"].(string)
	s.State = json.RawMessage(text)
	if ts, ok := best["created_at"].(arrow.Timestamp); ok {
		s.CreatedAt = ts.ToTime(arrow.Microsecond).UTC()
	}
	return s, nil
}

// Schema returns the committed schema stored most recently in dataset
// under name, or nil when there is none.
func (c *Client) Schema(ctx context.Context, dataset, name string) (*schema.Schema, error) {
	rows, err := c.committedRows(ctx, dataset, schema.TableVersion)
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", name, err)
	}
	var best row
	for _, r := range rows {
		if r["schema_name"] != name {
			continue
		}
		if best == nil || newerVersion(r, best) {
			best = r
		}
	}
	if best == nil {
		return nil, nil
	}
	text, _ := best["schema"].(string)
	var s schema.Schema
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, fmt.Errorf("decode schema %s stored in dataset %s: %w", name, dataset, err)
	}
	return &s, nil
}

// newerVersion orders _rl_version rows by insertion time, then version.
func newerVersion(a, b row) bool {
	ta, _ := a["inserted_at"].(arrow.Timestamp)
	tb, _ := b["inserted_at"].(arrow.Timestamp)
	if ta != tb {
		return ta > tb
	}
	va, _ := a["version"].(int64)
	vb, _ := b["version"].(int64)
	return va > vb
}

var _ destination.CapabilityReporter = (*Client)(nil)

// Capabilities reports that Iceberg commits table by table, with the
// _rl_loads row as the commit point, and merges by rewriting data files.
func (c *Client) Capabilities() destination.Capabilities {
	return destination.Capabilities{MergeInPlace: true}
}

// DataDir returns the warehouse folder, for readers that confine file
// access to it.
func (c *Client) DataDir() string { return c.dir }
