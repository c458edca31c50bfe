package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

// Package states, in the order a package passes through them.
const (
	StatusExtracted  = "extracted"
	StatusNormalized = "normalized"
	StatusLoaded     = "loaded"
)

const (
	manifestFile  = "manifest.json"
	schemaFile    = "schema.json"
	extractDir    = "extracted"
	normalizedDir = "normalized"
)

// Manifest describes a load package. It is written last in each step, by
// an atomic rename, so a package folder without one is an extract that
// never finished and holds nothing that was acknowledged anywhere.
type Manifest struct {
	LoadID    string    `json:"load_id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`
	// Resources lists the resources whose items the package holds.
	Resources []ExtractedResource `json:"resources"`
	// Failed lists the resources whose extract failed; their items were
	// discarded and their state was not advanced.
	Failed []FailedResource `json:"failed,omitempty"`
	// State is the whole pipeline state that loading this package commits.
	State json.RawMessage `json:"state"`
	// Dataset is the dataset the package was extracted for.
	Dataset string `json:"dataset"`
	// BaseLoadID is the load whose committed state the extract started
	// from; empty when the destination held no state. A package applies
	// only on top of that same state: its sync tokens cover only what
	// changed since then.
	BaseLoadID string `json:"base_load_id,omitempty"`
	// Files lists the normalized files, set by the normalize step, with
	// paths relative to the package folder.
	Files []normalize.File `json:"files,omitempty"`
	// LoadedAt is set by the load step.
	LoadedAt time.Time `json:"loaded_at,omitzero"`
}

// ExtractedResource is one resource's share of a package.
type ExtractedResource struct {
	Name  string       `json:"name"`
	Hints schema.Hints `json:"hints"`
	// File is the raw items file, relative to the package folder.
	File  string `json:"file"`
	Items int64  `json:"items"`
	Pages int64  `json:"pages"`
	// Complete records that the extract listed every object of the
	// resource (source.MarkComplete), so that loading marks the stored
	// rows it lacks as deleted.
	Complete bool `json:"complete,omitempty"`
	// Deleted counts the keys that the extract reported deleted
	// (source.MarkDeleted), and DeletedFile is the file that holds them,
	// relative to the package folder: one JSON array of key values per
	// line. Loading marks the stored rows of those keys deleted.
	Deleted     int64  `json:"deleted,omitempty"`
	DeletedFile string `json:"deleted_file,omitempty"`
}

// FailedResource names a resource whose extract failed and why.
type FailedResource struct {
	Name  string `json:"name"`
	Error string `json:"error"`
}

// Rows returns the number of rows per table in the normalized files.
func (m *Manifest) Rows() map[string]int64 {
	rows := map[string]int64{}
	for _, f := range m.Files {
		rows[f.Table] += f.Rows
	}
	return rows
}

// newLoadID returns a load id from the current time, as seconds with
// microseconds, larger than every id in existing so that ids sort in load
// order even when the clock steps back.
func newLoadID(now time.Time, existing []string) string {
	micros := now.UnixMicro()
	for _, id := range existing {
		if m, ok := loadIDMicros(id); ok && m >= micros {
			micros = m + 1
		}
	}
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// loadIDMicros parses a load id of the form "<seconds>.<microseconds>".
func loadIDMicros(id string) (int64, bool) {
	sec, frac, ok := strings.Cut(id, ".")
	if !ok || len(frac) != 6 {
		return 0, false
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 {
		return 0, false
	}
	us, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || us < 0 {
		return 0, false
	}
	return s*1e6 + us, true
}

// subfolders returns the names of the folders in root, sorted; a root
// that does not exist has none.
func subfolders(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// readManifest reads the manifest of the package in dir. It returns
// os.ErrNotExist (wrapped) for a folder without one.
func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest of package %s: %w", filepath.Base(dir), err)
	}
	return &m, nil
}

// writeManifest replaces the manifest of the package in dir atomically.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest of package %s: %w", m.LoadID, err)
	}
	return writeFileAtomic(filepath.Join(dir, manifestFile), b)
}

// writeFileAtomic writes b to a temporary file, syncs it and renames it
// over path, then syncs the folder, so a crash leaves either the old file
// or the new one, never a mix.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// listPackages returns the package folders under root sorted by load id.
func listPackages(root string) ([]string, error) {
	names, err := subfolders(root)
	if err != nil {
		return nil, fmt.Errorf("list load packages: %w", err)
	}
	var ids []string
	for _, name := range names {
		if _, ok := loadIDMicros(name); ok {
			ids = append(ids, name)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, _ := loadIDMicros(ids[i])
		b, _ := loadIDMicros(ids[j])
		return a < b
	})
	return ids, nil
}
