package filesystem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// record is the content of a load record, _rl_loads/<load_id>.json.
type record struct {
	LoadID       string `json:"load_id"`
	SchemaName   string `json:"schema_name"`
	SchemaHash   string `json:"schema_version_hash"`
	PipelineName string `json:"pipeline_name,omitempty"`
	HasState     bool   `json:"has_state"`
	// StateVersion numbers the states of the pipeline from 1.
	StateVersion int64     `json:"state_version,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	InsertedAt   time.Time `json:"inserted_at"`
	Format       Format    `json:"format"`
	// Replaced lists the root tables whose earlier files this load
	// replaced.
	Replaced []string `json:"replaced,omitempty"`
	// Dropped lists the tables that this load dropped.
	Dropped []string `json:"dropped,omitempty"`
	// Covered lists the root tables that the package covers: those it
	// lists and those it has rows of.
	Covered []string `json:"covered,omitempty"`
	// Complete lists the root tables that the package listed in full.
	Complete []string   `json:"complete,omitempty"`
	Files    []dataFile `json:"files"`
	// Deleted lists the key files of the load in the folder _rl_deleted:
	// the keys of the rows that the load marked deleted, per root table.
	Deleted []dataFile `json:"deleted,omitempty"`
}

// dataFile is one data file of a load.
type dataFile struct {
	Table string `json:"table"`
	// Path is relative to the dataset folder, with forward slashes.
	Path    string   `json:"path"`
	Format  Format   `json:"format"`
	Columns []string `json:"columns"`
	Rows    int64    `json:"rows"`
}

// readRecords returns the load records of the dataset folder dir, sorted
// by load id, which sorts them in load order. A dataset without a loads
// folder has none.
func readRecords(dir string) ([]*record, error) {
	entries, err := os.ReadDir(filepath.Join(dir, dirLoads))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list load records in %s: %w", dir, err)
	}
	var out []*record
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		var r record
		if err := readJSON(filepath.Join(dir, dirLoads, name), &r); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	slices.SortFunc(out, func(a, b *record) int { return strings.Compare(a.LoadID, b.LoadID) })
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// writeFileSync writes b to path through a temporary file in the same
// folder, syncs it, renames it into place and syncs the folder, so that
// path holds either nothing or all of b after a crash.
func writeFileSync(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes the entries of a folder durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// fileLoadID returns the load id in the name of a data or state file,
// <load_id>.<file_id>.<ext> or <load_id>.json. Load ids may contain dots.
func fileLoadID(name string, data bool) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if !data {
		return base
	}
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return ""
	}
	return base[:i]
}
