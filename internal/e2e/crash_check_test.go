package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restload/restload/destination"
	"github.com/restload/restload/destination/duckdb"
	"github.com/restload/restload/destination/postgres"
	"github.com/restload/restload/internal/ashbysim"
	"github.com/restload/restload/internal/pgtest"
	"github.com/restload/restload/schema"
	"github.com/restload/restload/source/ashby"
)

// destStore is a destination opened for reading back what the runs loaded.
// The DuckDB and PostgreSQL clients both satisfy it.
type destStore interface {
	destination.Destination
	DB() *sql.DB
}

// destTarget is a destination that the crash and fault tests load into.
type destTarget struct {
	name string
	// args and env are added to every run of the binary.
	args []string
	env  []string
	// open opens the destination of an env; the caller closes it.
	open func(t *testing.T, e *env) destStore
}

// duckdbTarget loads into the env's DuckDB file.
func duckdbTarget() destTarget {
	return destTarget{name: "duckdb", open: func(t *testing.T, e *env) destStore {
		t.Helper()
		c, err := duckdb.Open(e.dbPath)
		if err != nil {
			t.Fatalf("open %s: %v", e.dbPath, err)
		}
		return c
	}}
}

// postgresTarget loads into a new database of srv.
func postgresTarget(t *testing.T, srv *pgtest.Server) destTarget {
	t.Helper()
	_, creds := srv.CreateDB(t)
	return destTarget{
		name: "postgres",
		args: []string{"--destination", "postgres"},
		env:  []string{"DESTINATION__POSTGRES__CREDENTIALS=" + creds},
		open: func(t *testing.T, e *env) destStore {
			t.Helper()
			c, err := postgres.Open(t.Context(), postgres.Config{Credentials: creds})
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			return c
		},
	}
}

// simObject is an emulator object that the dataset must hold as a live row.
type simObject struct {
	raw  string         // the JSON that the emulator serves
	item map[string]any // raw decoded, numbers as json.Number
	// fresh marks an object that appeared, changed or was deleted since
	// the previous check: every check compares all its columns.
	fresh bool
	// children counts the object's rows per child table. It is computed
	// at first use for the identifier limit of the destination checked,
	// so an objectSet serves one destination.
	children map[string]int
}

// objectSet holds, per resource, the objects that the dataset must hold
// as live rows, keyed by their primary key values.
type objectSet map[string]map[string]*simObject

// currentObjects returns the emulator's objects of the named root
// resources. An object whose JSON equals that of an object in prev
// reuses its decoding and is not fresh. prev may be nil.
func currentObjects(t *testing.T, sim *ashbysim.Server, resources []string, prev objectSet) objectSet {
	t.Helper()
	out := objectSet{}
	for _, ri := range ashby.Resources() {
		if !slices.Contains(resources, ri.Name) {
			continue
		}
		if ri.Parent != "" || ri.Selector != "results" {
			t.Fatalf("currentObjects reads root resources with plain results, not %s", ri.Name)
		}
		known := map[string]*simObject{}
		for _, o := range prev[ri.Name] {
			known[o.raw] = o
		}
		params := sim.ParamsForAll(ri.Endpoint)
		for k, v := range ri.Body {
			params[k] = v
		}
		raws, err := sim.Objects(ri.Endpoint, params)
		if err != nil {
			t.Fatalf("emulator objects of %s: %v", ri.Endpoint, err)
		}
		objs := map[string]*simObject{}
		for _, raw := range raws {
			o := known[string(raw)]
			if o != nil {
				o = &simObject{raw: o.raw, item: o.item, children: o.children}
			} else {
				o = &simObject{raw: string(raw), item: decodeItem(t, raw), fresh: true}
			}
			objs[itemKey(ri, o.item)] = o
		}
		out[ri.Name] = objs
	}
	return out
}

func itemKey(ri ashby.ResourceInfo, item map[string]any) string {
	parts := make([]string, len(ri.PrimaryKey))
	for i, f := range ri.PrimaryKey {
		parts[i] = fmt.Sprint(item[f])
	}
	return strings.Join(parts, "/")
}

func rowKey(ri ashby.ResourceInfo, row map[string]any) string {
	parts := make([]string, len(ri.PrimaryKey))
	for i, f := range ri.PrimaryKey {
		parts[i] = fmt.Sprint(row[schema.NormalizeIdentifier(f)])
	}
	return strings.Join(parts, "/")
}

// maxProblems caps the problems one check reports.
const maxProblems = 25

// datasetProblems compares the dataset in st with want and describes
// every difference. It reports live rows that are missing, duplicated or
// without an object, and root row columns that differ from the object's
// fields. Per object it compares the rows of each child table with the
// length of the list they come from, which catches lost and duplicated
// child rows, and it reports child rows whose root row does not exist.
//
// All columns are compared for fresh objects and for those whose key
// sample selects. The others are compared by updatedAt, which a stale
// version of the object would not match. A nil sample selects every
// object.
func datasetProblems(t *testing.T, st destStore, want objectSet, sample func(key string) bool) []string {
	t.Helper()
	sch, err := st.Schema(t.Context(), datasetName, "ashby")
	if err != nil {
		return []string{fmt.Sprintf("read stored schema: %v", err)}
	}
	if sch == nil {
		return []string{"no schema stored in the dataset"}
	}
	c := &datasetChecker{t: t, db: st.DB(), sch: sch, limit: destination.CapabilitiesOf(st).MaxIdentifierLength, sample: sample}
	var probs []string
	for _, ri := range ashby.Resources() {
		objs, ok := want[ri.Name]
		if !ok {
			continue
		}
		probs = append(probs, c.resource(ri, objs)...)
		if len(probs) >= maxProblems {
			return probs[:maxProblems]
		}
	}
	return probs
}

// datasetChecker holds what datasetProblems needs for each resource.
type datasetChecker struct {
	t      *testing.T
	db     *sql.DB
	sch    *schema.Schema
	limit  int // the destination's identifier limit
	sample func(key string) bool
}

func (c *datasetChecker) resource(ri ashby.ResourceInfo, objs map[string]*simObject) []string {
	c.t.Helper()
	table := c.sch.Table(ri.Name)
	if table == nil {
		if len(objs) > 0 {
			return []string{fmt.Sprintf("%s: table missing, the emulator has %d objects", ri.Name, len(objs))}
		}
		return nil
	}
	jsonCols := map[string]bool{}
	for _, col := range table.Columns {
		if col.Type == schema.JSON {
			jsonCols[col.Name] = true
		}
	}

	var probs []string
	live := map[string]map[string]any{}
	rootIDs := map[string]bool{}
	for _, row := range queryRows(c.t, c.db, fmt.Sprintf(`SELECT * FROM %q.%q`, datasetName, ri.Name)) {
		rootIDs[fmt.Sprint(row["_rl_id"])] = true
		if row["_rl_deleted_at"] != nil {
			continue
		}
		k := rowKey(ri, row)
		if _, dup := live[k]; dup {
			probs = append(probs, fmt.Sprintf("%s %s: more than one live row", ri.Name, k))
		}
		live[k] = row
	}

	for _, k := range sortedKeys(objs) {
		row, ok := live[k]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s %s: no live row for the object", ri.Name, k))
			continue
		}
		o, path := objs[k], ri.Name+" "+k
		updated, hasUpdated := o.item["updatedAt"]
		if o.fresh || !hasUpdated || c.sample == nil || c.sample(k) {
			wantCols := objectColumns(jsonCols, "", o.item, c.limit, map[string]any{})
			probs = append(probs, columnProblems(path, wantCols, rowColumns(table, row))...)
		} else if got := dbValue(table, "updated_at", row["updated_at"]); !sameScalar(updated, got) {
			probs = append(probs, fmt.Sprintf("%s.updated_at: want %v, got %v", path, updated, got))
		}
	}
	for _, k := range sortedKeys(live) {
		if _, ok := objs[k]; !ok {
			probs = append(probs, fmt.Sprintf("%s %s: live row without an object in the emulator", ri.Name, k))
		}
	}
	return append(probs, c.children(ri, objs, live, rootIDs)...)
}

// children counts the child rows of each live root row and compares the
// counts with the lists of the row's object.
func (c *datasetChecker) children(ri ashby.ResourceInfo, objs map[string]*simObject, live map[string]map[string]any,
	rootIDs map[string]bool) []string {
	c.t.Helper()
	tables := map[string]bool{} // child tables that some object needs
	for _, o := range objs {
		if o.children == nil {
			o.children = map[string]int{}
			childCounts(ri.Name, "", o.item, c.limit, o.children)
		}
		for name, n := range o.children {
			if n > 0 {
				tables[name] = true
			}
		}
	}
	var probs []string
	for _, child := range c.sch.Descendants(ri.Name) {
		delete(tables, child.Name)
		got := map[string]int{}
		q := fmt.Sprintf(`SELECT _rl_root_id, count(*) AS n FROM %q.%q GROUP BY _rl_root_id`, datasetName, child.Name)
		for _, row := range queryRows(c.t, c.db, q) {
			root := fmt.Sprint(row["_rl_root_id"])
			if !rootIDs[root] {
				probs = append(probs, fmt.Sprintf("%s: %v rows belong to root row %s, which does not exist",
					child.Name, row["n"], root))
			}
			got[root] = int(toInt64(row["n"]))
		}
		for _, k := range sortedKeys(objs) {
			row, ok := live[k]
			if !ok {
				continue
			}
			if g, w := got[fmt.Sprint(row["_rl_id"])], objs[k].children[child.Name]; g != w {
				probs = append(probs, fmt.Sprintf("%s of %s %s: %d rows, the object's list has %d",
					child.Name, ri.Name, k, g, w))
			}
		}
	}
	for _, name := range sortedKeys(tables) {
		probs = append(probs, fmt.Sprintf("%s: child table missing, the objects of %s have lists for it", name, ri.Name))
	}
	return probs
}

// childCounts adds to counts the rows that each list inside item gives
// its child table. The normalizer names a child table after its parent
// table and the field path inside the row, and shortens each name to the
// destination's limit, so a grandchild's name starts with the shortened
// name of its parent.
func childCounts(table, prefix string, item map[string]any, limit int, counts map[string]int) {
	for k, v := range item {
		field := schema.NormalizeIdentifier(k)
		if prefix != "" {
			field = prefix + "__" + field
		}
		switch x := v.(type) {
		case map[string]any:
			childCounts(table, field, x, limit, counts)
		case []any:
			name := schema.ShortenIdentifier(table+"__"+field, limit)
			counts[name] += len(x)
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					childCounts(name, "", m, limit, counts)
				}
			}
		}
	}
}

// objectColumns flattens an emulator object into the root table's
// columns: nested objects joined with "__", lists left to child tables
// unless jsonCols names them as json columns, and nulls dropped.
func objectColumns(jsonCols map[string]bool, prefix string, item map[string]any, limit int, out map[string]any) map[string]any {
	for k, v := range item {
		path := schema.NormalizeIdentifier(k)
		if prefix != "" {
			path = prefix + "__" + path
		}
		name := schema.ShortenIdentifier(path, limit)
		if jsonCols[name] {
			if cv := canonical(v); cv != nil {
				out[name] = cv
			}
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			objectColumns(jsonCols, path, x, limit, out)
		case []any, nil:
		default:
			out[name] = x
		}
	}
	return out
}

// rowColumns returns the non-null source columns of a row, variant
// columns under the name of the column they vary.
func rowColumns(table *schema.Table, row map[string]any) map[string]any {
	out := map[string]any{}
	for col, v := range row {
		if strings.HasPrefix(col, "_rl_") || v == nil {
			continue
		}
		out[variantSuffix.ReplaceAllString(col, "")] = dbValue(table, col, v)
	}
	return out
}

// columnProblems compares the flattened columns of an object with those
// of its row. It builds a message only for a difference, since it runs
// for every column of every row.
func columnProblems(path string, want, got map[string]any) []string {
	var probs []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("%s.%s: want %v, got nothing", path, name, w))
		case isComposite(w):
			probs = append(probs, diff(path+"."+name, w, g)...)
		case !sameScalar(w, g):
			probs = append(probs, fmt.Sprintf("%s.%s: want %v (%T), got %v (%T)", path, name, w, w, g, g))
		}
	}
	for name, g := range got {
		if _, ok := want[name]; !ok {
			probs = append(probs, fmt.Sprintf("%s.%s: want nothing, got %v", path, name, g))
		}
	}
	return probs
}

// sameScalar compares a JSON scalar with a database value. It decides the
// common cases itself and leaves the rest to scalarEqual, which parses
// numbers and timestamps.
func sameScalar(want, got any) bool {
	switch w := want.(type) {
	case string:
		switch g := got.(type) {
		case string:
			if g == w {
				return true
			}
		case time.Time:
			if g.UTC().Format(emulatorTime) == w {
				return true
			}
		}
	case json.Number:
		if g, ok := got.(int64); ok && strconv.FormatInt(g, 10) == string(w) {
			return true
		}
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	}
	return scalarEqual(want, got)
}

// emulatorTime is the layout of the emulator's timestamps.
const emulatorTime = "2006-01-02T15:04:05.000Z"

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// queryRows runs q and returns its rows as column maps.
func queryRows(t *testing.T, db *sql.DB, q string) []map[string]any {
	t.Helper()
	r := &reconstructor{t: t, db: db}
	return r.query(q)
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	var n int64
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// stateProblems checks the pipeline state after a run that completed.
// The state stored in the destination must equal the local copy in the
// working folder. Every incremental resource must hold the sync token
// that the emulator issues now, which proves that its last listing ran
// after the last change.
func stateProblems(t *testing.T, st destStore, e *env, sim *ashbysim.Server, resources []string) []string {
	t.Helper()
	stored, err := st.State(t.Context(), datasetName, pipelineName)
	if err != nil {
		return []string{fmt.Sprintf("read stored state: %v", err)}
	}
	if stored == nil {
		return []string{"no pipeline state stored in the destination"}
	}
	localPath := filepath.Join(e.dataDir, "pipelines", pipelineName, "state.json")
	localRaw, err := os.ReadFile(localPath)
	if err != nil {
		return []string{fmt.Sprintf("read local state: %v", err)}
	}
	var remote, local any
	if err := json.Unmarshal(stored.State, &remote); err != nil {
		return []string{fmt.Sprintf("decode stored state: %v", err)}
	}
	if err := json.Unmarshal(localRaw, &local); err != nil {
		return []string{fmt.Sprintf("decode %s: %v", localPath, err)}
	}

	var probs []string
	if !reflect.DeepEqual(remote, local) {
		probs = append(probs, fmt.Sprintf("local state differs from the state stored with load %s:\nlocal  %s\nstored %s",
			stored.LoadID, localRaw, stored.State))
	}
	var state struct {
		Sources map[string]struct {
			Resources map[string]struct {
				SyncToken string `json:"sync_token"`
			} `json:"resources"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(stored.State, &state); err != nil {
		return append(probs, fmt.Sprintf("decode stored state: %v", err))
	}

	for _, ri := range ashby.Resources() {
		if !ri.Incremental || !slices.Contains(resources, ri.Name) {
			continue
		}
		want, err := sim.SyncToken(ri.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if got := state.Sources["ashby"].Resources[ri.Name].SyncToken; got != want {
			probs = append(probs, fmt.Sprintf("%s: stored sync token %q, the emulator's current token is %q", ri.Name, got, want))
		}
	}
	return probs
}
