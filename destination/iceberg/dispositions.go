package iceberg

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	ice "github.com/apache/iceberg-go"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/schema"
)

// rootTables returns the root tables to write: those that p.Tables
// lists (by table or resource name), then the roots of tables with
// rows, in schema order, then the tables of p.Deletes. A listed table
// that the schema lacks is skipped, since a contract kept it from being
// created.
func rootTables(p *destination.Package, staged map[string][]row) ([]*schema.Table, error) {
	var roots []*schema.Table
	seen := map[string]bool{}
	add := func(t *schema.Table) {
		if !seen[t.Name] {
			seen[t.Name] = true
			roots = append(roots, t)
		}
	}
	for _, name := range p.Tables {
		t := p.Schema.Table(name)
		if t == nil {
			for _, r := range p.Schema.Tables {
				if r.IsRoot() && r.Resource == name {
					t = r
					break
				}
			}
		}
		if t == nil {
			continue
		}
		if !t.IsRoot() {
			return nil, fmt.Errorf("package table %s is not a root table of the package schema", name)
		}
		add(t)
	}
	for _, t := range p.Schema.Tables {
		if _, ok := staged[t.Name]; !ok {
			continue
		}
		root := p.Schema.Root(t.Name)
		if root == nil {
			return nil, fmt.Errorf("table %s has no root table in the package schema", t.Name)
		}
		add(root)
	}
	for _, job := range p.Deletes {
		root, err := destination.DeleteTarget(p.Schema, job)
		if err != nil {
			return nil, err
		}
		add(root)
	}
	return roots, nil
}

// plan works out the writes of root's table tree by its write
// disposition. It reads stored rows from the snapshots before this
// package, so that a repeated attempt plans the same writes.
func (l *loader) plan(ctx context.Context, root *schema.Table) error {
	tree := append([]*schema.Table{root}, l.p.Schema.Descendants(root.Name)...)
	switch root.WriteDisposition {
	case schema.Append, "":
		l.planAppend(tree)
		return nil
	case schema.Replace:
		for _, t := range tree {
			l.writes[t.Name] = &tableWrite{filter: ice.AlwaysTrue{}, rows: l.rootRows(t)}
		}
		return nil
	case schema.Merge:
		if len(root.PrimaryKey()) == 0 && len(mergeKey(root)) == 0 && !root.SoftDelete {
			// Without keys no stored row matches a new one, so merge
			// appends.
			l.planAppend(tree)
			return nil
		}
		return l.planMerge(ctx, tree)
	case schema.History:
		return l.planHistory(ctx, tree)
	}
	return fmt.Errorf("write disposition %q is unknown; use append, replace, merge or history", root.WriteDisposition)
}

func (l *loader) planAppend(tree []*schema.Table) {
	for _, t := range tree {
		if rows := l.rootRows(t); len(rows) > 0 {
			l.writes[t.Name] = &tableWrite{rows: rows}
		}
	}
}

// rootRows returns the staged rows of t, with the package's load id set
// on the rows of a root table.
func (l *loader) rootRows(t *schema.Table) []row {
	rows := l.staged[t.Name]
	if t.IsRoot() && t.Column(schema.ColumnLoadID) != nil {
		for _, r := range rows {
			r[schema.ColumnLoadID] = l.p.LoadID
		}
	}
	return rows
}

// keyed is the input of a merge or history plan of one table tree.
type keyed struct {
	root     *schema.Table
	children []*schema.Table
	pk, mk   []string
	// latest are the staged root rows to apply: per primary key the row
	// that the dedup order puts first, or every staged row without a
	// primary key.
	latest []row
	// stored are the root rows before this package.
	stored []row
}

// prepareKeyed checks the tree and reads the stored root rows. latest
// is empty when the root table has no staged rows.
func (l *loader) prepareKeyed(ctx context.Context, tree []*schema.Table) (*keyed, error) {
	root := tree[0]
	k := &keyed{root: root, children: tree[1:], pk: root.PrimaryKey(), mk: mergeKey(root)}
	staged := l.rootRows(root)
	if len(staged) == 0 {
		for _, t := range k.children {
			if len(l.staged[t.Name]) > 0 {
				return nil, fmt.Errorf("table %s has rows but its root table has none, so no row of it can be kept", t.Name)
			}
		}
	}
	if len(staged) > 0 && root.Column(schema.ColumnID) == nil {
		return nil, fmt.Errorf("table %s has no %s column, which merge needs to find child rows", root.Name, schema.ColumnID)
	}
	for _, t := range k.children {
		if t.Column(schema.ColumnRootID) == nil {
			return nil, fmt.Errorf("child table %s has no %s column, which merge needs to replace child rows", t.Name, schema.ColumnRootID)
		}
	}
	if len(k.pk) > 0 {
		var missing int
		for _, r := range staged {
			for _, c := range k.pk {
				if r[c] == nil {
					missing++
					break
				}
			}
		}
		if missing > 0 {
			return nil, fmt.Errorf("%d rows of table %s have no value in primary key column(s) %s",
				missing, root.Name, strings.Join(k.pk, ", "))
		}
	}
	k.latest = keepLatest(root, k.pk, staged)
	tbl := l.tables[root.Name]
	base, _ := baseSnapshot(tbl, l.p.LoadID)
	var err error
	if k.stored, err = readRows(ctx, tbl, base); err != nil {
		return nil, fmt.Errorf("read stored rows of table %s: %w", root.Name, err)
	}
	return k, nil
}

// keepLatest keeps, per primary key, the row with the highest (dedup
// sort desc) or lowest (asc) value of the dedup sort column, NULLs last,
// and among equal values the one with the highest _rl_seq. Without a
// primary key it keeps every row.
func keepLatest(t *schema.Table, pk []string, rows []row) []row {
	if len(pk) == 0 {
		return rows
	}
	type order struct {
		col  string
		desc bool
	}
	var orders []order
	for _, c := range t.Columns {
		if c.DedupSort != "" {
			// A later dedup column ranks before an earlier one.
			orders = append([]order{{c.Name, c.DedupSort == schema.Desc}}, orders...)
		}
	}
	better := func(a, b row) bool {
		for _, o := range orders {
			va, vb := a[o.col], b[o.col]
			switch {
			case va == nil && vb == nil:
				continue
			case vb == nil:
				return true
			case va == nil:
				return false
			}
			n := compareValues(va, vb)
			if o.desc {
				n = -n
			}
			if n != 0 {
				return n < 0
			}
		}
		sa, _ := a[destination.SeqField].(int64)
		sb, _ := b[destination.SeqField].(int64)
		return sa > sb
	}
	best := map[string]int{}
	var out []row
	for _, r := range rows {
		key := keyOf(r, pk)
		i, ok := best[key]
		switch {
		case !ok:
			best[key] = len(out)
			out = append(out, r)
		case better(r, out[i]):
			out[i] = r
		}
	}
	return out
}

// planMerge plans a merge by the root table's merge strategy and, for a
// table with soft delete, the marking of objects that a complete package
// lacks or that p.Deletes names.
func (l *loader) planMerge(ctx context.Context, tree []*schema.Table) error {
	k, err := l.prepareKeyed(ctx, tree)
	if err != nil {
		return err
	}
	root := k.root
	// removed holds the _rl_id of stored root rows that the package
	// replaces; children are the _rl_id of stored objects whose child
	// rows it replaces.
	removed, children := map[string]bool{}, map[string]bool{}
	pkKeys, mkKeys := keySet(k.latest, k.pk), keySet(k.latest, k.mk)
	stored := map[string]string{} // smallest stored _rl_id by primary key
	for _, r := range k.stored {
		id, _ := r[schema.ColumnID].(string)
		byPK := len(k.pk) > 0 && pkKeys[keyOf(r, k.pk)]
		byMK := len(k.mk) > 0 && mkKeys[keyOf(r, k.mk)]
		if byPK || byMK {
			children[id] = true
		}
		if byPK || (byMK && root.MergeStrategy != schema.Upsert) {
			removed[id] = true
		}
		if byPK {
			key := keyOf(r, k.pk)
			if old, ok := stored[key]; !ok || id < old {
				stored[key] = id
			}
		}
	}
	upsert := root.MergeStrategy == schema.Upsert
	relink := map[string]string{} // staged root _rl_id to stored _rl_id
	var added []row
	kept := map[string]bool{}
	for _, r := range k.latest {
		if hardDeleted(root, r) {
			continue
		}
		id, _ := r[schema.ColumnID].(string)
		kept[id] = true
		if old, ok := stored[keyOf(r, k.pk)]; upsert && ok && len(k.pk) > 0 {
			relink[id] = old
			r = cloneRow(r)
			r[schema.ColumnID] = old
		}
		added = append(added, r)
	}
	at := micros(l.createdAt())
	keys := l.deleted[root.Name]
	var rootWrite *tableWrite
	if root.SoftDelete && l.complete(root) {
		rootWrite = markAbsent(k, removed, added, l.rootRows(root), at)
	} else {
		// Stored rows that a deleted key marks are rewritten as well.
		for _, r := range k.stored {
			id, _ := r[schema.ColumnID].(string)
			if !removed[id] && r[schema.ColumnDeletedAt] == nil && keys[keyOf(r, k.pk)] {
				removed[id] = true
				added = append(added, r)
			}
		}
		rootWrite = &tableWrite{filter: idFilter(schema.ColumnID, removed), rows: added}
	}
	// Deletes apply after the package's rows, so they mark its rows too.
	markKeys(rootWrite.rows, keys, k.pk, at)
	l.writes[root.Name] = rootWrite
	for _, t := range k.children {
		var rows []row
		for _, r := range l.staged[t.Name] {
			rootID, _ := r[schema.ColumnRootID].(string)
			if !kept[rootID] {
				continue
			}
			if old, ok := relink[rootID]; ok {
				r = cloneRow(r)
				if r[schema.ColumnParentID] == rootID {
					r[schema.ColumnParentID] = old
				}
				r[schema.ColumnRootID] = old
			}
			rows = append(rows, r)
		}
		l.writes[t.Name] = &tableWrite{filter: idFilter(schema.ColumnRootID, children), rows: rows}
	}
	return nil
}

// markAbsent returns the root write of a soft delete table in a package
// that lists the resource in full: the whole table is rewritten, with
// _rl_deleted_at set to at on the live rows whose primary key no staged
// row has.
func markAbsent(k *keyed, removed map[string]bool, added, staged []row, at arrow.Timestamp) *tableWrite {
	present := keySet(staged, k.pk)
	var rows []row
	for _, r := range k.stored {
		if id, _ := r[schema.ColumnID].(string); removed[id] {
			continue
		}
		if r[schema.ColumnDeletedAt] == nil && !present[keyOf(r, k.pk)] {
			r = cloneRow(r)
			r[schema.ColumnDeletedAt] = at
		}
		rows = append(rows, r)
	}
	return &tableWrite{filter: ice.AlwaysTrue{}, rows: append(rows, added...)}
}

// complete reports whether the package lists every object of root's
// resource.
func (l *loader) complete(root *schema.Table) bool {
	return slices.ContainsFunc(l.p.Complete, func(name string) bool {
		return name == root.Name || name == root.Resource
	})
}

func (l *loader) createdAt() time.Time {
	if l.p.CreatedAt.IsZero() {
		return time.Now()
	}
	return l.p.CreatedAt
}

// planHistory plans a history load (slowly changing dimension type 2)
// with the rules of the SQL destinations: per primary key the latest
// staged row closes the current row (_rl_valid_to set to the package's
// creation time) when its _rl_row_hash differs or it is a hard delete,
// and is inserted unless it is a hard delete or unchanged. With
// RetireAbsent the current rows whose key the package lacks are closed
// too, limited by a merge key when there is one. The root table is
// rewritten in full; child rows of new versions are appended.
func (l *loader) planHistory(ctx context.Context, tree []*schema.Table) error {
	root := tree[0]
	for _, c := range []string{schema.ColumnValidFrom, schema.ColumnValidTo, schema.ColumnRowHash} {
		if root.Column(c) == nil {
			return fmt.Errorf("table %s has no %s column, which write disposition history needs", root.Name, c)
		}
	}
	k, err := l.prepareKeyed(ctx, tree)
	if err != nil {
		return err
	}
	at := micros(l.createdAt())
	latest := map[string]row{}
	for _, r := range k.latest {
		latest[keyOf(r, k.pk)] = r
	}
	mkKeys := keySet(k.latest, k.mk)
	current := map[string]bool{} // keys with a current row after closing
	var rows []row
	changed := false
	for _, r := range k.stored {
		if r[schema.ColumnValidTo] == nil {
			key := keyOf(r, k.pk)
			n, inPackage := latest[key]
			closeRow := false
			if inPackage {
				closeRow = r[schema.ColumnRowHash] != n[schema.ColumnRowHash] || hardDeleted(root, n)
			} else if root.RetireAbsent {
				closeRow = len(k.mk) == 0 || mkKeys[keyOf(r, k.mk)]
			}
			if closeRow {
				r = cloneRow(r)
				r[schema.ColumnValidTo] = at
				changed = true
			} else {
				current[key] = true
			}
		}
		rows = append(rows, r)
	}
	kept := map[string]bool{}
	for _, r := range k.latest {
		if hardDeleted(root, r) || current[keyOf(r, k.pk)] {
			continue
		}
		r[schema.ColumnValidFrom] = at
		delete(r, schema.ColumnValidTo)
		id, _ := r[schema.ColumnID].(string)
		kept[id] = true
		rows = append(rows, r)
		changed = true
	}
	if changed {
		l.writes[root.Name] = &tableWrite{filter: ice.AlwaysTrue{}, rows: rows}
	}
	for _, t := range k.children {
		var add []row
		for _, r := range l.staged[t.Name] {
			if id, _ := r[schema.ColumnRootID].(string); kept[id] {
				add = append(add, r)
			}
		}
		if len(add) > 0 {
			l.writes[t.Name] = &tableWrite{rows: add}
		}
	}
	return nil
}

// idFilter returns the filter that matches rows whose column holds one
// of ids, or nil when ids is empty.
func idFilter(column string, ids map[string]bool) ice.BooleanExpression {
	if len(ids) == 0 {
		return nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	return ice.IsIn(ice.Reference(column), list...)
}

// mergeKey returns the merge key columns of t.
func mergeKey(t *schema.Table) []string {
	return t.ColumnsWhere(func(c *schema.Column) bool { return c.MergeKey })
}

// hardDeleted reports whether r marks its object deleted: the hard
// delete column is true, for a bool column, or not NULL otherwise.
func hardDeleted(t *schema.Table, r row) bool {
	for _, c := range t.Columns {
		if !c.HardDelete {
			continue
		}
		if c.Type == schema.Bool {
			return r[c.Name] == true
		}
		return r[c.Name] != nil
	}
	return false
}

// keyOf returns the values of the columns of r as one comparable string.
func keyOf(r row, cols []string) string {
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, "%T:%v\x00", r[c], r[c])
	}
	return b.String()
}

// keySet returns the keys of rows over cols, or nil without columns.
func keySet(rows []row, cols []string) map[string]bool {
	if len(cols) == 0 {
		return nil
	}
	set := make(map[string]bool, len(rows))
	for _, r := range rows {
		set[keyOf(r, cols)] = true
	}
	return set
}

func cloneRow(r row) row {
	c := make(row, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

// compareValues orders two non-NULL values of one column type.
func compareValues(a, b any) int {
	switch a := a.(type) {
	case string:
		return cmp.Compare(a, b.(string))
	case int64:
		return cmp.Compare(a, b.(int64))
	case float64:
		return cmp.Compare(a, b.(float64))
	case decimal128.Num:
		return a.Cmp(b.(decimal128.Num))
	case bool:
		return cmp.Compare(boolInt(a), boolInt(b.(bool)))
	case arrow.Timestamp:
		return cmp.Compare(a, b.(arrow.Timestamp))
	case arrow.Date32:
		return cmp.Compare(a, b.(arrow.Date32))
	case []byte:
		return bytes.Compare(a, b.([]byte))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// contentHash returns the base64url SHA-256 of b, the form of
// schema.Schema.Hash.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
