package pipeline

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/normalize"
	"github.com/restload/restload/schema"
)

// normalize turns the package's items into table files and stores the
// grown schema in the package.
//
// Resources are grouped by root table, and the groups are normalized in
// parallel, each by its own Normalizer on its own copy of the schema and
// into its own folder. The copies are then merged. A group only adds to
// its own tables, so the merge gives the schema and files that one
// Normalizer over all resources in order would give. When two groups
// changed the same table (say, a child table name that two resources
// both produce), one Normalizer normalizes the package again.
func (p *Pipeline) normalize(dir string, m *Manifest) error {
	out := filepath.Join(dir, normalizedDir)
	if err := resetDir(out); err != nil {
		return err
	}
	groups := groupByTable(m.Resources)
	workers := p.cfg.NormalizeWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(groups))

	var res *normalized
	if workers > 1 {
		var err error
		res, err = p.normalizeParallel(dir, m, out, groups, workers)
		if errors.Is(err, errSharedTable) {
			p.logger.Debug("normalizing the package again in one pass", "load_id", m.LoadID, "reason", err)
			if err := resetDir(out); err != nil {
				return err
			}
			res = nil
		} else if err != nil {
			return p.normalizeFailed(dir, m, err)
		}
	}
	if res == nil {
		var err error
		if res, err = p.normalizeGroup(dir, m.LoadID, out, p.current.Clone(), m.Resources); err != nil {
			return p.normalizeFailed(dir, m, err)
		}
	}

	for _, c := range res.report.Collisions {
		p.logger.Warn("name collision", "detail", c.String())
	}
	for _, s := range res.report.Shortened {
		p.logger.Warn("identifier shortened", "detail", s.String())
	}
	for _, d := range res.report.Discarded {
		p.logger.Warn("data discarded by contract", "detail", d.String())
	}
	// The Normalizers synced the files; the folder entries are synced
	// below.
	for i := range res.files {
		rel, err := filepath.Rel(dir, res.files[i].Path)
		if err != nil {
			return fmt.Errorf("normalize package %s: %w", m.LoadID, err)
		}
		res.files[i].Path = rel
	}
	for _, d := range res.dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	b, err := jsonIndent(res.schema)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, schemaFile), b); err != nil {
		return err
	}
	m.Files = res.files
	m.Status = StatusNormalized
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	// The manifest now points at the normalized files, so the raw items
	// are of no further use. They contain personal data and, on a large
	// first run, most of the package's disk space. Deleted keys stay,
	// because the load step reads them.
	for _, r := range m.Resources {
		if err := os.Remove(filepath.Join(dir, r.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove extracted items of package %s: %w", m.LoadID, err)
		}
	}
	return nil
}

// normalized is the output of normalizing a package or a group of its
// resources.
type normalized struct {
	schema *schema.Schema
	files  []normalize.File // parents before children
	report normalize.Report
	dirs   []string // folders that hold the files
}

// resourceError is the failure to normalize one resource.
type resourceError struct {
	resource string
	err      error
}

func (e *resourceError) Error() string { return e.err.Error() }
func (e *resourceError) Unwrap() error { return e.err }

// normalizeFailed turns the error of a normalize into the one that the
// run reports.
func (p *Pipeline) normalizeFailed(dir string, m *Manifest, err error) error {
	var re *resourceError
	if errors.As(err, &re) {
		return p.normalizeError(dir, m, re.resource, re.err)
	}
	return fmt.Errorf("normalize package %s: %w", m.LoadID, err)
}

// normalizeGroup normalizes resources, in order, by one Normalizer that
// grows sch and writes into out.
func (p *Pipeline) normalizeGroup(dir, loadID, out string, sch *schema.Schema, resources []ExtractedResource) (*normalized, error) {
	n := normalize.New(sch, loadID, out)
	n.HashKey = p.cfg.PIIHashKey
	n.MaxIdentifierLength = destination.CapabilitiesOf(p.cfg.Destination).MaxIdentifierLength
	n.Compress = true
	for _, res := range resources {
		if err := normalizeFile(n, dir, res); err != nil {
			n.Close()
			return nil, &resourceError{resource: res.Name, err: err}
		}
	}
	files, err := n.Close()
	if err != nil {
		return nil, err
	}
	return &normalized{schema: sch, files: files, report: n.Report(), dirs: []string{out}}, nil
}

// errSharedTable reports that two groups of resources changed the same
// table, so their schemas cannot be merged.
var errSharedTable = errors.New("two groups of resources changed the same table")

// normalizeParallel normalizes each group into its own subfolder of out,
// at most workers groups at a time, and merges the results in group
// order. The largest groups start first, so that one large resource does
// not start last and run alone.
func (p *Pipeline) normalizeParallel(dir string, m *Manifest, out string, groups [][]ExtractedResource, workers int) (*normalized, error) {
	order := make([]int, len(groups))
	sizes := make([]int64, len(groups))
	for i, g := range groups {
		order[i] = i
		for _, r := range g {
			if fi, err := os.Stat(filepath.Join(dir, r.File)); err == nil {
				sizes[i] += fi.Size()
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })

	results := make([]*normalized, len(groups))
	errs := make([]error, len(groups))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				sub := filepath.Join(out, strconv.Itoa(i))
				if err := os.Mkdir(sub, 0o700); err != nil {
					errs[i] = fmt.Errorf("create %s: %w", sub, err)
					continue
				}
				results[i], errs[i] = p.normalizeGroup(dir, m.LoadID, sub, p.current.Clone(), groups[i])
			}
		})
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	// The first error in resource order is reported, as a single pass
	// would have met it first.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	merged, err := mergeSchemas(p.current, results)
	if err != nil {
		return nil, err
	}
	res := &normalized{schema: merged, dirs: []string{out}}
	for _, r := range results {
		res.files = append(res.files, r.files...)
		res.report.Collisions = append(res.report.Collisions, r.report.Collisions...)
		res.report.Shortened = append(res.report.Shortened, r.report.Shortened...)
		res.report.Discarded = append(res.report.Discarded, r.report.Discarded...)
		res.dirs = append(res.dirs, r.dirs...)
	}
	return res, nil
}

// mergeSchemas returns base with the tables that each part added or
// changed. Tables keep base's order, and new ones follow in part order,
// each part's in the order it created them, so parents stay before their
// children. It returns errSharedTable when two parts changed one table.
func mergeSchemas(base *schema.Schema, parts []*normalized) (*schema.Schema, error) {
	out := base.Clone()
	changed := make(map[string]bool)
	for _, part := range parts {
		for _, t := range part.schema.Tables {
			old := base.Table(t.Name)
			if old != nil {
				same, err := sameTable(old, t)
				if err != nil {
					return nil, err
				}
				if same {
					continue
				}
			}
			if changed[t.Name] {
				return nil, fmt.Errorf("%w: %s", errSharedTable, t.Name)
			}
			changed[t.Name] = true
			if j := slices.IndexFunc(out.Tables, func(o *schema.Table) bool { return o.Name == t.Name }); j >= 0 {
				out.Tables[j] = t
			} else {
				out.Tables = append(out.Tables, t)
			}
		}
	}
	if len(changed) > 0 {
		out.Version = base.Version + 1
	}
	return out, nil
}

// sameTable reports whether a and b describe the same table.
func sameTable(a, b *schema.Table) (bool, error) {
	x, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encode table %s: %w", a.Name, err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("encode table %s: %w", b.Name, err)
	}
	return bytes.Equal(x, y), nil
}

// groupByTable groups resources by the root table that their hints name,
// in the order of each table's first resource.
func groupByTable(resources []ExtractedResource) [][]ExtractedResource {
	var groups [][]ExtractedResource
	index := make(map[string]int)
	for _, r := range resources {
		i, ok := index[r.Hints.Table]
		if !ok {
			i = len(groups)
			index[r.Hints.Table] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// resetDir empties dir, creating it when missing. Files of a normalize
// that was interrupted are incomplete, so a normalize starts over.
func resetDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

func normalizeFile(n *normalize.Normalizer, dir string, res ExtractedResource) error {
	f, err := os.Open(filepath.Join(dir, res.File))
	if err != nil {
		return err
	}
	defer f.Close()
	return n.Normalize(res.Hints, bufio.NewReaderSize(f, 1<<20))
}
