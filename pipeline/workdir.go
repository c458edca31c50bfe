package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// RecordFile names the file in the working folder that records where the
// pipeline loads to.
const RecordFile = "pipeline.json"

// Record is the pipeline's description in its working folder: source,
// dataset and destination, so that the inspection commands find the
// destination without flags.
type Record struct {
	Pipeline        string    `json:"pipeline"`
	Source          string    `json:"source"`
	Dataset         string    `json:"dataset"`
	DestinationName string    `json:"destination"`
	Location        string    `json:"location"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// writeRecord stores the pipeline's record in its working folder.
func (p *Pipeline) writeRecord(source string) error {
	b, err := jsonIndent(Record{
		Pipeline: p.cfg.Name, Source: source, Dataset: p.cfg.Dataset, DestinationName: p.cfg.DestinationName,
		Location: p.cfg.Destination.Location(), UpdatedAt: time.Now().UTC(),
	})
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(p.dir, RecordFile), b)
}

// ReadRecord reads the record of the pipeline whose working folder is dir.
func ReadRecord(dir string) (*Record, error) {
	b, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(dir, RecordFile), err)
	}
	return &r, nil
}

// WorkDir returns the working folder of the named pipeline under dataDir
// (empty means DataDir()).
func WorkDir(dataDir, name string) string {
	if dataDir == "" {
		dataDir = DataDir()
	}
	return filepath.Join(dataDir, "pipelines", name)
}

// List returns the names of the pipelines with a working folder under
// dataDir (empty means DataDir()), sorted.
func List(dataDir string) ([]string, error) {
	names, err := subfolders(WorkDir(dataDir, ""))
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	return names, nil
}

// Packages returns the manifests of the pipeline's packages, loaded and
// pending, newest first.
func Packages(dir string) ([]*Manifest, error) {
	var out []*Manifest
	for _, sub := range []string{"packages", "loaded"} {
		root := filepath.Join(dir, sub)
		ids, err := listPackages(root)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			m, err := readManifest(filepath.Join(root, id))
			if errors.Is(err, os.ErrNotExist) {
				continue // an extract that never finished
			}
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := loadIDMicros(out[i].LoadID)
		b, _ := loadIDMicros(out[j].LoadID)
		return a > b
	})
	return out, nil
}

// ReadState reads the local copy of the committed state.
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, err
	}
	return decodeState(b)
}
