package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
)

// deletedKeys writes the keys that one resource's Extract reports with
// source.MarkDeleted to a file beside the resource's items file, one JSON
// array of key values per line. The file is created with the first key,
// and it is synced before the manifest names it, so a package that
// reached StatusExtracted keeps its deletes through a crash.
type deletedKeys struct {
	resource string
	hints    schema.Hints
	columns  []string // the primary key columns, in key value order
	dir, rel string   // package folder, and the file relative to it
	f        *os.File
	w        *bufio.Writer
	n        int64
}

func newDeletedKeys(dir string, r source.Resource) *deletedKeys {
	h := r.Hints()
	return &deletedKeys{
		resource: r.Name(), hints: h, columns: h.PrimaryKeyColumns(), dir: dir,
		// Items files end in .jsonl, so no resource name makes an items
		// file with this name.
		rel: filepath.Join(extractDir, r.Name()+".deleted"),
	}
}

// record appends one key. It fails when the resource cannot mark rows
// deleted or the key has the wrong number of values, so that Extract
// fails and nothing of the resource is loaded.
func (d *deletedKeys) record(key []json.RawMessage) error {
	switch {
	case !d.hints.SoftDelete || d.hints.Disposition() != schema.Merge:
		return fmt.Errorf("resource %s reported a deleted object, but its hints lack soft delete, "+
			"so its table has no %s column: set SoftDelete with write disposition merge", d.resource, schema.ColumnDeletedAt)
	case len(key) != len(d.columns):
		return fmt.Errorf("resource %s reported a deleted key with %d values, but its primary key has %d column(s) (%s)",
			d.resource, len(key), len(d.columns), strings.Join(d.columns, ", "))
	}
	for path, c := range d.hints.Columns {
		if name, _ := schema.HintColumn(path); c.PII != "" && slices.Contains(d.columns, name) {
			return fmt.Errorf("resource %s reported a deleted key, but its primary key column %s has PII mode %s, "+
				"so stored keys cannot match it: remove the PII hint from the primary key", d.resource, name, c.PII)
		}
	}
	if d.f == nil {
		path := filepath.Join(d.dir, d.rel)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		d.f, d.w = f, bufio.NewWriter(f)
	}
	b, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("encode deleted key of resource %s: %w", d.resource, err)
	}
	if _, err := d.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", d.f.Name(), err)
	}
	d.n++
	return nil
}

// finish flushes, syncs and closes the file and sets res.Deleted and
// res.DeletedFile. A resource that reported no key gets no file.
func (d *deletedKeys) finish(res *ExtractedResource) error {
	if d.f == nil {
		return nil
	}
	err := d.w.Flush()
	if err == nil {
		err = d.f.Sync()
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	d.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(d.dir, d.rel), err)
	}
	res.Deleted, res.DeletedFile = d.n, d.rel
	return nil
}

// discard removes the file of an extract that failed.
func (d *deletedKeys) discard() {
	if d.f != nil {
		d.f.Close()
		d.f = nil
	}
	if d.n > 0 {
		os.Remove(filepath.Join(d.dir, d.rel))
	}
}

// deleteJobs converts the deleted keys of the package's resources into
// the key files of destination.Package.Deletes, one per resource, in the
// package's normalized folder: objects with the primary key columns of
// the resource's root table. A resource whose root table or primary key
// column the schema lacks is skipped, because the destination then holds
// no row with a key: every row has a value in each primary key column.
func (p *Pipeline) deleteJobs(dir string, m *Manifest, s *schema.Schema) ([]destination.Job, error) {
	maxLen := destination.CapabilitiesOf(p.cfg.Destination).MaxIdentifierLength
	var jobs []destination.Job
	for i, res := range m.Resources {
		if res.DeletedFile == "" {
			continue
		}
		root := rootOf(s, res.Hints.Table)
		if root == nil {
			continue
		}
		columns, err := keyColumns(root, res.Hints, maxLen)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", res.Name, err)
		}
		if columns == nil {
			continue
		}
		src := filepath.Join(dir, res.DeletedFile)
		dst := filepath.Join(dir, normalizedDir, schema.SystemPrefix+"deleted."+strconv.Itoa(i)+".jsonl")
		skipped, err := writeKeyObjects(src, dst, columns)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", res.Name, err)
		}
		if skipped > 0 {
			p.logger.Warn("deleted keys skipped: their values do not fit the primary key column types, so no row has them",
				"resource", res.Name, "table", root.Name, "skipped", skipped)
		}
		jobs = append(jobs, destination.Job{Table: root.Name, Path: dst})
	}
	return jobs, nil
}

// keyColumns returns the columns of root that hold the resource's
// primary key, in the order of the key values, or nil when root lacks
// one of them.
func keyColumns(root *schema.Table, h schema.Hints, maxIdentifierLength int) ([]*schema.Column, error) {
	var cols []*schema.Column
	for _, name := range h.PrimaryKeyColumns() {
		c := root.Column(name)
		if c == nil {
			c = root.Column(schema.ShortenIdentifier(name, maxIdentifierLength))
		}
		switch {
		case c == nil:
			return nil, nil
		case !c.PrimaryKey:
			return nil, fmt.Errorf("column %s of table %s is not part of the table's primary key (%s)",
				c.Name, root.Name, strings.Join(root.PrimaryKey(), ", "))
		case c.PII != "":
			return nil, fmt.Errorf("primary key column %s of table %s has PII mode %s, so its stored values cannot match deleted keys; "+
				"remove the PII hint from the primary key", c.Name, root.Name, c.PII)
		}
		cols = append(cols, c)
	}
	if len(cols) != len(root.PrimaryKey()) {
		return nil, fmt.Errorf("table %s has primary key %s, but the resource's hints name %s",
			root.Name, strings.Join(root.PrimaryKey(), ", "), strings.Join(h.PrimaryKeyColumns(), ", "))
	}
	return cols, nil
}

// writeKeyObjects rewrites the key arrays of src as JSON objects of
// columns in dst, encoded as in job files, and syncs dst. It leaves out
// the keys with a value that does not fit its column's type and returns
// their number.
func writeKeyObjects(src, dst string, columns []*schema.Column) (int, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer out.Close()

	w := bufio.NewWriter(out)
	dec := json.NewDecoder(bufio.NewReader(in))
	skipped := 0
	for n := 1; ; n++ {
		var key []json.RawMessage
		err := dec.Decode(&key)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read key %d of %s: %w", n, src, err)
		}
		line, ok, err := keyObject(key, columns)
		if err != nil {
			return 0, fmt.Errorf("key %d of %s: %w", n, src, err)
		}
		if !ok {
			skipped++
			continue
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return 0, err
		}
	}

	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := out.Sync(); err != nil {
		return 0, err
	}
	return skipped, out.Close()
}

// keyObject returns one key as a JSON object of its columns. It returns
// false when a value does not fit its column, because the normalizer
// rejects an item whose primary key value does not fit, so no row has
// such a key. A number or bool for a text column becomes its JSON text,
// as a text column with a data type hint stores it. The destination
// checks the values further, such as the range of a bigint.
func keyObject(key []json.RawMessage, columns []*schema.Column) ([]byte, bool, error) {
	if len(key) != len(columns) {
		return nil, false, fmt.Errorf("%d values for %d primary key column(s)", len(key), len(columns))
	}
	obj := make(map[string]json.RawMessage, len(key))
	for i, c := range columns {
		v := bytes.TrimSpace(key[i])
		if len(v) == 0 {
			return nil, false, fmt.Errorf("value %d is empty", i+1)
		}
		str := v[0] == '"'
		number := v[0] == '-' || (v[0] >= '0' && v[0] <= '9')
		switch c.Type {
		case schema.Text:
			if !str {
				b, err := json.Marshal(string(v))
				if err != nil {
					return nil, false, err
				}
				v = b
			}
		case schema.BigInt, schema.Double, schema.Decimal:
			if !number {
				return nil, false, nil
			}
		case schema.Bool:
			if string(v) != "true" && string(v) != "false" {
				return nil, false, nil
			}
		case schema.Timestamp, schema.Date, schema.Binary:
			if !str {
				return nil, false, nil
			}
		}
		obj[c.Name] = v
	}
	b, err := json.Marshal(obj)
	return b, err == nil, err
}
