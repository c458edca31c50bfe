package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// Drop removes the tables of the named resources of source sourceName,
// child tables included, together with the resources' state, in one
// destination transaction. The next run then loads those resources in
// full. Pending packages are discarded first, since they may hold items
// of the dropped resources extracted on the old state.
func (p *Pipeline) Drop(ctx context.Context, sourceName string, resources []string) (dropped []string, err error) {
	if len(resources) == 0 {
		return nil, fmt.Errorf("no resources to drop: name them, such as --resources candidates")
	}
	if err := os.MkdirAll(p.packagesDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create working folder: %w", err)
	}
	unlock, err := lockDir(p.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := p.restore(ctx, sourceName); err != nil {
		return nil, err
	}

	sch := p.current.Clone()
	state := p.state.clone()
	var unknown []string
	for _, res := range resources {
		root := rootOf(sch, res)
		if root == nil && state.Resource(sourceName, res) == nil {
			unknown = append(unknown, res)
			continue
		}
		if root != nil {
			tables := append([]*schema.Table{root}, sch.Descendants(root.Name)...)
			for i := len(tables) - 1; i >= 0; i-- {
				dropped = append(dropped, tables[i].Name)
			}
		}
		state.setResource(sourceName, res, nil)
	}
	if len(unknown) > 0 {
		var known []string
		for _, t := range sch.Tables {
			if t.Parent == "" {
				known = append(known, t.Resource)
			}
		}
		return nil, &UnknownResourcesError{Pipeline: p.cfg.Name, Unknown: unknown, Known: known}
	}
	sch.Tables = slices.DeleteFunc(sch.Tables, func(t *schema.Table) bool { return slices.Contains(dropped, t.Name) })
	sch.Version++

	if err := p.discardPending(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	existing, err := listPackages(p.packagesDir())
	if err != nil {
		return nil, err
	}
	pkg := &destination.Package{
		LoadID: newLoadID(time.Now(), existing), PipelineName: p.cfg.Name, Dataset: p.cfg.Dataset,
		Schema: sch, State: b, CreatedAt: time.Now().UTC(), Drop: dropped,
	}
	if err := p.cfg.Destination.Load(ctx, pkg); err != nil {
		return nil, fmt.Errorf("drop %s in %s: %w", strings.Join(resources, ", "), p.cfg.Destination.Location(), err)
	}
	p.state, p.current, p.stateLoadID = state, sch, pkg.LoadID
	return dropped, p.saveLocal()
}

// rootOf returns the root table that the named resource fills, or nil.
func rootOf(s *schema.Schema, resource string) *schema.Table {
	for _, t := range s.Tables {
		if t.Parent == "" && (t.Resource == resource || t.Name == resource) {
			return t
		}
	}
	return nil
}

// discardPending removes packages that were not loaded yet.
func (p *Pipeline) discardPending() error {
	ids, err := listPackages(p.packagesDir())
	if err != nil {
		return err
	}
	for _, id := range ids {
		dir := filepath.Join(p.packagesDir(), id)
		if m, err := readManifest(dir); err == nil && m.Status == StatusLoaded {
			continue
		}
		p.logger.Warn("discarding a pending package before the drop", "load_id", id)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove pending package %s: %w", id, err)
		}
	}
	return nil
}

// Sync rebuilds the working folder from the destination: it removes the
// local state, schemas, trace and pending packages, then restores the
// committed state and schema, as a fresh machine would see them. Pending
// packages are safe to lose, since their state was never committed.
func (p *Pipeline) Sync(ctx context.Context) error {
	// The state is read first, so that a sync that finds nothing leaves
	// no empty working folder behind.
	stored, err := p.cfg.Destination.State(ctx, p.cfg.Dataset, p.cfg.Name)
	if err != nil {
		return fmt.Errorf("read pipeline state from %s: %w", p.cfg.Destination.Location(), err)
	}
	if stored == nil {
		return fmt.Errorf("no state of pipeline %s in dataset %s at %s: check --dataset, or run the pipeline first",
			p.cfg.Name, p.cfg.Dataset, p.cfg.Destination.Location())
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return fmt.Errorf("create working folder: %w", err)
	}
	unlock, err := lockDir(p.dir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := decodeState(stored.State)
	if err != nil {
		return err
	}
	source := ""
	for name := range st.Sources {
		source = name // a pipeline's state holds the one source it runs
	}
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		return fmt.Errorf("read working folder: %w", err)
	}
	for _, e := range entries {
		if e.Name() == ".lock" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(p.dir, e.Name())); err != nil {
			return fmt.Errorf("clear working folder: %w", err)
		}
	}
	if err := p.restore(ctx, source); err != nil {
		return err
	}
	return p.writeRecord(source)
}

// UnknownResourcesError reports resources that Drop was asked for but
// the pipeline's schema does not know.
type UnknownResourcesError struct {
	Pipeline string
	Unknown  []string
	// Known lists the resources the schema holds.
	Known []string
}

func (e *UnknownResourcesError) Error() string {
	return fmt.Sprintf("unknown resource(s) %s in pipeline %s: choose from %s",
		strings.Join(e.Unknown, ", "), e.Pipeline, strings.Join(e.Known, ", "))
}
