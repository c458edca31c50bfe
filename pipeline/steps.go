package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// extract runs every resource of src into a new package. A resource that
// fails has its items removed and keeps its old state; cancellation aborts
// the whole package.
func (p *Pipeline) extract(ctx context.Context, src source.Source) (string, *Manifest, error) {
	existing, err := listPackages(p.packagesDir())
	if err != nil {
		return "", nil, err
	}
	loadID := newLoadID(time.Now(), existing)
	dir := filepath.Join(p.packagesDir(), loadID)
	if err := os.MkdirAll(filepath.Join(dir, extractDir), 0o700); err != nil {
		return "", nil, fmt.Errorf("create package %s: %w", loadID, err)
	}
	m := &Manifest{LoadID: loadID, CreatedAt: time.Now().UTC(), Source: src.Name(),
		Dataset: p.cfg.Dataset, BaseLoadID: p.stateLoadID}
	next := p.state.clone()
	next.PipelineName, next.DatasetName = p.cfg.Name, p.cfg.Dataset

	if pr, ok := src.(source.Preparer); ok {
		if err := pr.Prepare(ctx); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("prepare source %s: %w", src.Name(), err)
		}
	}
	resources := src.Resources()
	results := make([]extractResult, len(resources))
	limit := 1
	if c, ok := src.(Concurrent); ok {
		limit = max(1, c.Concurrency())
	}
	// Resources start in their order, at most limit at a time. Each writes
	// its own file, and the results are read back in order below, so the
	// package is the same whatever the timing.
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, r := range resources {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			started := time.Now()
			res, state, err := p.extractResource(ctx, dir, src.Name(), r)
			results[i] = extractResult{res: res, state: state, err: err, elapsed: time.Since(started)}
		}()
	}
	wg.Wait()

	for i, r := range resources {
		res, state, err := results[i].res, results[i].state, results[i].err
		rt := ResourceTrace{Name: r.Name(), Duration: results[i].elapsed}
		if res != nil {
			rt.Pages, rt.Items = res.Pages, res.Items
		}
		if err != nil {
			rt.Error = err.Error()
		}
		p.trace.Resources = append(p.trace.Resources, rt)
		if ctx.Err() != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("extract %s: %w", r.Name(), ctx.Err())
		}
		if err != nil {
			// The run's error reports it; this line places it among the others.
			p.logger.Info("extract failed", "resource", r.Name(), "error", err)
			m.Failed = append(m.Failed, FailedResource{Name: r.Name(), Error: err.Error()})
			continue
		}
		m.Resources = append(m.Resources, *res)
		next.setResource(src.Name(), r.Name(), state)
	}
	if m.State, err = json.Marshal(next); err != nil {
		return "", nil, fmt.Errorf("encode state of package %s: %w", loadID, err)
	}
	if err := syncDir(filepath.Join(dir, extractDir)); err != nil {
		return "", nil, err
	}
	m.Status = StatusExtracted
	if err := writeManifest(dir, m); err != nil {
		return "", nil, err
	}
	return dir, m, nil
}

// Concurrent is implemented by sources whose resources may be extracted
// at the same time; Concurrency bounds how many run at once.
type Concurrent interface {
	Concurrency() int
}

// extractResult is the outcome of extracting one resource.
type extractResult struct {
	res     *ExtractedResource
	state   json.RawMessage
	err     error
	elapsed time.Duration
}

// extractResource writes one resource's items as JSON lines and returns
// the state that its extract reported.
func (p *Pipeline) extractResource(ctx context.Context, dir, srcName string, r source.Resource) (*ExtractedResource, json.RawMessage, error) {
	rel := filepath.Join(extractDir, r.Name()+".jsonl")
	path := filepath.Join(dir, rel)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("create %s: %w", path, err)
	}
	res := &ExtractedResource{Name: r.Name(), Hints: r.Hints(), File: rel}
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	logger := p.logger.With("resource", r.Name())
	started := time.Now()
	progress := p.cfg.Progress
	progress.ResourceStarted(r.Name())
	emit := func(items []json.RawMessage) error {
		res.Pages++
		for _, it := range items {
			// Items may span lines as the API sent them; one line per item
			// keeps the file splittable and the normalizer simple.
			line = append(line[:0], it...)
			v := jsontext.Value(line)
			if err := v.Compact(); err != nil {
				return fmt.Errorf("item %d of page %d is not valid JSON: %w", res.Items+1, res.Pages, err)
			}
			line = append(v, '\n')
			if _, err := w.Write(line); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			res.Items++
		}
		logger.Debug("page extracted", "page", res.Pages, "items", res.Items)
		progress.PageExtracted(r.Name(), res.Pages, res.Items)
		return nil
	}
	stored := p.state.Resource(srcName, r.Name())
	if p.cfg.FullRefresh {
		stored = nil
	}
	ectx, complete := source.WithCompletion(ctx)
	deleted := newDeletedKeys(dir, r)
	ectx = source.WithDeletions(ectx, deleted.record)
	state, err := r.Extract(ectx, stored, emit)
	res.Complete = err == nil && complete()
	if err == nil {
		err = deleted.finish(res)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	progress.ResourceDone(r.Name(), res.Pages, res.Items, err)
	if err != nil {
		os.Remove(path)
		deleted.discard()
		return nil, nil, err
	}
	logger.Info("extracted", "items", res.Items, "pages", res.Pages, "duration", time.Since(started).Round(time.Millisecond))
	return res, state, nil
}

// normalizeError explains a failed normalize. A broken contract or a
// missing hash key fails the same way on every retry, so the package is
// removed: its state was never committed, and the next run extracts the
// same data again under the hints and contract it then has.
func (p *Pipeline) normalizeError(dir string, m *Manifest, resource string, err error) error {
	var ce *schema.ContractError
	switch {
	case errors.As(err, &ce):
		if rerr := os.RemoveAll(dir); rerr != nil {
			return fmt.Errorf("%w (and removing package %s failed: %v)", err, m.LoadID, rerr)
		}
		return fmt.Errorf("%w; nothing of package %s was loaded and the state was not advanced: change the contract or the data, then run again", err, m.LoadID)
	case errors.Is(err, normalize.ErrNoHashKey):
		if rerr := os.RemoveAll(dir); rerr != nil {
			return fmt.Errorf("%w (and removing package %s failed: %v)", err, m.LoadID, rerr)
		}
		return fmt.Errorf("%w: set normalize.pii_hash_key in .restload/secrets.toml or NORMALIZE__PII_HASH_KEY", err)
	}
	return fmt.Errorf("package %s of resource %s: %w", m.LoadID, resource, err)
}

// load hands a normalized package to the destination, unless an earlier
// process already committed it, then records it as loaded locally.
func (p *Pipeline) load(ctx context.Context, dir string, m *Manifest, info *LoadInfo) error {
	b, err := os.ReadFile(filepath.Join(dir, schemaFile))
	if err != nil {
		return fmt.Errorf("read schema of package %s: %w", m.LoadID, err)
	}
	var pkg destination.Package
	if err := json.Unmarshal(b, &pkg.Schema); err != nil {
		return fmt.Errorf("decode schema of package %s: %w", m.LoadID, err)
	}
	pkg.LoadID = m.LoadID
	pkg.PipelineName = p.cfg.Name
	pkg.Dataset = p.cfg.Dataset
	pkg.State = m.State
	pkg.CreatedAt = m.CreatedAt
	for _, res := range m.Resources {
		pkg.Tables = append(pkg.Tables, res.Hints.Table)
		if res.Complete {
			pkg.Complete = append(pkg.Complete, res.Hints.Table)
		}
	}
	for _, f := range m.Files {
		pkg.Jobs = append(pkg.Jobs, destination.Job{Table: f.Table, Path: filepath.Join(dir, f.Path)})
	}
	if pkg.Deletes, err = p.deleteJobs(dir, m, pkg.Schema); err != nil {
		return fmt.Errorf("convert deleted keys of package %s: %w", m.LoadID, err)
	}

	started := time.Now()
	dest := p.cfg.Destination
	done, err := dest.HasLoad(ctx, p.cfg.Dataset, m.LoadID)
	if err != nil {
		return fmt.Errorf("check package %s in %s: %w", m.LoadID, dest.Location(), err)
	}
	if done {
		p.logger.Info("package was already committed", "load_id", m.LoadID)
	} else {
		p.logger.Info("loading package", "load_id", m.LoadID, "jobs", len(pkg.Jobs))
		p.cfg.Progress.LoadStarted(m.LoadID, m.Rows())
		err := dest.Load(ctx, &pkg)
		p.cfg.Progress.LoadDone(m.LoadID, time.Since(started), err)
		if err != nil {
			return fmt.Errorf("load package %s into %s: %w", m.LoadID, dest.Location(), err)
		}
	}
	info.LoadDuration += time.Since(started)

	state, err := decodeState(m.State)
	if err != nil {
		return err
	}
	p.state, p.current, p.stateLoadID = state, pkg.Schema, m.LoadID
	m.Status = StatusLoaded
	m.LoadedAt = time.Now().UTC()
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	// The raw and normalized files hold personal data; once committed they
	// are of no further use, so only the manifest and schema stay.
	for _, sub := range []string{extractDir, normalizedDir} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("remove loaded files of package %s: %w", m.LoadID, err)
		}
	}
	info.Packages = append(info.Packages, PackageInfo{LoadID: m.LoadID, Status: m.Status, Rows: m.Rows()})
	if err := p.saveLocal(); err != nil {
		return err
	}
	loaded := filepath.Join(p.dir, "loaded")
	if err := os.MkdirAll(loaded, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", loaded, err)
	}
	if err := os.Rename(dir, filepath.Join(loaded, m.LoadID)); err != nil {
		return fmt.Errorf("move package %s to %s: %w", m.LoadID, loaded, err)
	}
	return nil
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}
