package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/restload/restload/dataset"
	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// Defaults for Config fields left empty.
const (
	DefaultDataDirName = ".restload"
)

// Config configures a pipeline. Name, Dataset and Destination are required.
type Config struct {
	// Name names the pipeline; it names the working folder and the state
	// stored in the destination.
	Name string
	// Dataset is the schema inside the destination that receives tables.
	Dataset string
	// DataDir holds the working folders of all pipelines, under
	// "pipelines/<Name>". Empty means $RESTLOAD_DATA_DIR, else ~/.restload.
	DataDir string
	// Destination receives the load packages. The pipeline does not close it.
	Destination destination.Destination
	// DestinationName names the destination kind in summaries, e.g. "duckdb".
	DestinationName string
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
	// Progress receives extract and load events; nil discards them.
	Progress Progress
	// PIIHashKey keys the hash of columns whose hint sets PII mode hash.
	// The same key gives the same hashes across runs, so hashed values
	// still join; without a key such a column fails the normalize step.
	PIIHashKey []byte
	// NormalizeWorkers bounds how many resources are normalized at the
	// same time. Zero means one per CPU (GOMAXPROCS); 1 normalizes one
	// resource after another.
	NormalizeWorkers int
	// FullRefresh makes every run extract each resource from scratch, as
	// on a first run, ignoring its stored state (sync tokens, cursors)
	// but keeping its tables. Resources that then list every object mark
	// the stored rows they no longer return as deleted.
	FullRefresh bool
}

// Pipeline moves data from sources into one dataset of one destination.
type Pipeline struct {
	cfg    Config
	dir    string
	logger *slog.Logger
	// current is the schema as last committed to the destination, or as
	// restored from it.
	current *schema.Schema
	// state is the state as last committed to the destination.
	state *State
	// stateLoadID is the load that committed state; empty when the
	// destination holds none.
	stateLoadID string
	// trace records the current run.
	trace *Trace
}

// maxNameLength keeps "<name>.duckdb" and the working folder well within
// file name limits.
const maxNameLength = 100

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// New checks cfg and returns a pipeline. It does not touch the disk or the
// destination yet.
func New(cfg Config) (*Pipeline, error) {
	if err := ValidateName(cfg.Name); err != nil {
		return nil, err
	}
	if err := ValidateDataset(cfg.Dataset); err != nil {
		return nil, err
	}
	if cfg.Destination == nil {
		return nil, errors.New("missing destination")
	}
	dataDir := cfg.DataDir
	if dataDir == "" {
		dataDir = DataDir()
	}
	if cfg.Progress == nil {
		cfg.Progress = noProgress{}
	}
	cfg.Progress = &lockedProgress{p: cfg.Progress}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{
		cfg:    cfg,
		dir:    WorkDir(dataDir, cfg.Name),
		logger: logger.With("pipeline", cfg.Name),
		trace:  &Trace{Pipeline: cfg.Name},
	}, nil
}

// ValidateName checks a pipeline name. Names become folder and file names,
// so only letters, digits, '_', '.' and '-' are allowed, and the first
// character may not be '.' or '-'.
func ValidateName(name string) error {
	if len(name) > maxNameLength {
		return fmt.Errorf("invalid pipeline name: %d characters, at most %d are allowed", len(name), maxNameLength)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("invalid pipeline name %q: use letters, digits, '_', '.' and '-', starting with a letter, digit or '_'", name)
	}
	return nil
}

// ValidateDataset checks a dataset name: not empty, and not a schema
// that databases reserve for their own catalog.
func ValidateDataset(name string) error {
	switch strings.ToLower(name) {
	case "":
		return errors.New("missing dataset name: pass one such as ashby_data")
	case "information_schema", "pg_catalog", "temp", "system":
		return fmt.Errorf("invalid dataset name %q: the database reserves it; choose another, such as ashby_data", name)
	}
	return nil
}

// DataDir returns the default folder for pipeline working folders:
// $RESTLOAD_DATA_DIR when set, else ~/.restload.
func DataDir() string {
	if d := os.Getenv("RESTLOAD_DATA_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return DefaultDataDirName
	}
	return filepath.Join(home, DefaultDataDirName)
}

// WorkDir returns the pipeline's working folder.
func (p *Pipeline) WorkDir() string { return p.dir }

func (p *Pipeline) packagesDir() string { return filepath.Join(p.dir, "packages") }

// LoadInfo reports what a run did.
type LoadInfo struct {
	Pipeline        string
	Dataset         string
	DestinationName string
	Location        string
	StartedAt       time.Time
	// LoadDuration is the time spent in the load step.
	LoadDuration time.Duration
	Packages     []PackageInfo
	// Failed lists the resources that failed to extract in this run.
	Failed []FailedResource
}

// PackageInfo reports one load package.
type PackageInfo struct {
	LoadID     string
	Status     string
	FailedJobs int
	// Rows counts rows per table.
	Rows map[string]int64
}

// ExtractError reports the resources whose extract failed. The other
// resources of the run were loaded.
type ExtractError struct {
	Failed []FailedResource
	// Loaded counts the resources that were extracted and loaded.
	Loaded int
}

func (e *ExtractError) Error() string {
	var b strings.Builder
	if e.Loaded == 0 {
		fmt.Fprintf(&b, "all %d resource(s) failed, nothing was loaded:", len(e.Failed))
	} else {
		fmt.Fprintf(&b, "%d resource(s) failed and kept their state, the other %d were loaded:", len(e.Failed), e.Loaded)
	}
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "\n  %s: %s", f.Name, f.Error)
	}
	return b.String()
}

// Run finishes the packages an earlier run left behind, then extracts the
// source, normalizes and loads what it read. When some resources fail, the
// others still load, and Run returns the LoadInfo with an *ExtractError.
func (p *Pipeline) Run(ctx context.Context, src source.Source) (*LoadInfo, error) {
	info := &LoadInfo{
		Pipeline:        p.cfg.Name,
		Dataset:         p.cfg.Dataset,
		DestinationName: p.cfg.DestinationName,
		Location:        p.cfg.Destination.Location(),
		StartedAt:       time.Now(),
	}
	if err := os.MkdirAll(p.packagesDir(), 0o700); err != nil {
		return info, fmt.Errorf("create working folder: %w", err)
	}
	unlock, err := lockDir(p.dir)
	if err != nil {
		return info, err
	}
	defer unlock()

	if err := p.writeRecord(src.Name()); err != nil {
		return info, err
	}
	p.trace = &Trace{Pipeline: p.cfg.Name, StartedAt: info.StartedAt.UTC()}
	err = p.run(ctx, src, info)
	p.trace.FinishedAt = time.Now().UTC()
	p.trace.Packages = info.Packages
	if err != nil {
		p.trace.Error = err.Error()
	}
	if serr := p.trace.save(p.dir); serr != nil && err == nil {
		err = serr
	}
	return info, err
}

func (p *Pipeline) run(ctx context.Context, src source.Source, info *LoadInfo) error {
	if err := p.restore(ctx, src.Name()); err != nil {
		return err
	}
	if err := p.finishPending(ctx, info); err != nil {
		return err
	}
	var dir string
	var m *Manifest
	err := p.trace.step("extract", "", func() (err error) {
		dir, m, err = p.extract(ctx, src)
		return err
	})
	if err != nil {
		return err
	}
	info.Failed = m.Failed
	if len(m.Resources) == 0 && len(m.Failed) > 0 {
		// Nothing succeeded, so the package would only record an empty load.
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove empty package %s: %w", m.LoadID, err)
		}
		return &ExtractError{Failed: m.Failed}
	}
	if err := p.trace.step("normalize", m.LoadID, func() error { return p.normalize(dir, m) }); err != nil {
		return err
	}
	if err := p.trace.step("load", m.LoadID, func() error { return p.load(ctx, dir, m, info) }); err != nil {
		return err
	}
	if len(m.Failed) > 0 {
		return &ExtractError{Failed: m.Failed, Loaded: len(m.Resources)}
	}
	return nil
}

// restore reads the committed state and schema from the destination. The
// destination is the source of truth: a local copy that it lacks belongs
// to a dataset that was dropped, and starting from it would skip data.
func (p *Pipeline) restore(ctx context.Context, sourceName string) error {
	dest := p.cfg.Destination
	stored, err := dest.State(ctx, p.cfg.Dataset, p.cfg.Name)
	if err != nil {
		return fmt.Errorf("read pipeline state from %s: %w", dest.Location(), err)
	}
	p.state = &State{PipelineName: p.cfg.Name, DatasetName: p.cfg.Dataset}
	p.stateLoadID = ""
	if stored != nil {
		p.stateLoadID = stored.LoadID
		if p.state, err = decodeState(stored.State); err != nil {
			return err
		}
		p.logger.Info("restored state from destination", "load_id", stored.LoadID, "version", stored.Version)
	}
	sch, err := dest.Schema(ctx, p.cfg.Dataset, sourceName)
	if err != nil {
		return fmt.Errorf("read schema %s from %s: %w", sourceName, dest.Location(), err)
	}
	if sch == nil {
		sch = schema.New(sourceName)
	}
	p.current = sch
	return p.saveLocal()
}

// saveLocal writes the committed state and schema into the working folder
// for inspection. Runs never read them back.
func (p *Pipeline) saveLocal() error {
	b, err := jsonIndent(p.state)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(p.dir, "state.json"), b); err != nil {
		return err
	}
	b, err = jsonIndent(p.current)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(p.dir, "schemas"), 0o700); err != nil {
		return fmt.Errorf("create schemas folder: %w", err)
	}
	return writeFileAtomic(filepath.Join(p.dir, "schemas", p.current.Name+".schema.json"), b)
}

// finishPending normalizes and loads the packages an interrupted run left
// behind, oldest first, and removes extracts that never completed.
func (p *Pipeline) finishPending(ctx context.Context, info *LoadInfo) error {
	ids, err := listPackages(p.packagesDir())
	if err != nil {
		return err
	}
	for _, id := range ids {
		dir := filepath.Join(p.packagesDir(), id)
		m, err := readManifest(dir)
		if errors.Is(err, os.ErrNotExist) {
			p.logger.Info("removing unfinished extract", "load_id", id)
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("remove unfinished package %s: %w", id, err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if m.Status != StatusLoaded {
			stale, err := p.stale(ctx, m)
			if err != nil {
				return err
			}
			if stale != "" {
				p.logger.Warn("discarding a pending package that no longer fits the destination; its data is extracted again",
					"load_id", id, "reason", stale)
				if err := os.RemoveAll(dir); err != nil {
					return fmt.Errorf("remove stale package %s: %w", id, err)
				}
				continue
			}
		}
		switch m.Status {
		case StatusLoaded:
			continue
		case StatusExtracted:
			p.logger.Info("resuming package", "load_id", id, "status", m.Status)
			if err := p.trace.step("normalize", id, func() error { return p.normalize(dir, m) }); err != nil {
				return err
			}
		case StatusNormalized:
			p.logger.Info("resuming package", "load_id", id, "status", m.Status)
		default:
			return fmt.Errorf("package %s has unknown status %q: remove %s to discard it", id, m.Status, dir)
		}
		if err := p.trace.step("load", id, func() error { return p.load(ctx, dir, m, info) }); err != nil {
			return err
		}
	}
	return nil
}

// stale returns why a pending package must not be loaded, or "" when it
// may. A package extracted on top of a state that the destination no
// longer contains (its file was deleted, or the dataset changed) carries
// sync tokens for data the destination lacks. Loading it would lose that
// data for good, while discarding it only costs a new extract.
func (p *Pipeline) stale(ctx context.Context, m *Manifest) (string, error) {
	done, err := p.cfg.Destination.HasLoad(ctx, p.cfg.Dataset, m.LoadID)
	if err != nil {
		return "", fmt.Errorf("check package %s in %s: %w", m.LoadID, p.cfg.Destination.Location(), err)
	}
	switch {
	case done:
		return "", nil
	case m.Dataset != p.cfg.Dataset:
		return fmt.Sprintf("it was extracted for dataset %q, not %q", m.Dataset, p.cfg.Dataset), nil
	case m.BaseLoadID != p.stateLoadID:
		return fmt.Sprintf("it continues from load %q, but the destination's newest state is from load %q", m.BaseLoadID, p.stateLoadID), nil
	}
	return "", nil
}

// lockDir takes an exclusive lock on the working folder, so two runs of
// one pipeline never interleave their packages. The lock dies with the
// process, so a killed run leaves nothing to clean up.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock working folder %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("working folder %s is in use by another run of this pipeline: wait for it to end", dir)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Dataset returns the pipeline's dataset for reading loaded data back, as
// rows or Arrow records. DuckDB and PostgreSQL are read directly; files
// and Iceberg tables through an in-memory DuckDB, which the dataset's
// Close releases.
func (p *Pipeline) Dataset(ctx context.Context) (*dataset.Dataset, error) {
	sch := p.current
	if sch == nil {
		// Before a run, the schema comes from the destination.
		stored, err := p.cfg.Destination.State(ctx, p.cfg.Dataset, p.cfg.Name)
		if err != nil {
			return nil, fmt.Errorf("read pipeline state from %s: %w", p.cfg.Destination.Location(), err)
		}
		if stored != nil {
			if st, err := decodeState(stored.State); err == nil {
				for name := range st.Sources {
					if sch, err = p.cfg.Destination.Schema(ctx, p.cfg.Dataset, name); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	ds, err := dataset.Open(ctx, p.cfg.Destination, p.cfg.Dataset, sch)
	if err != nil {
		return nil, fmt.Errorf("open dataset %s of %s: %w", p.cfg.Dataset, p.cfg.Destination.Location(), err)
	}
	return ds, nil
}
