package rest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/restload/restload/schema"
)

// The values that the schema hint keys allow, in the order that messages
// list them.
var (
	writeDispositions = []string{string(schema.Append), string(schema.Replace), string(schema.Merge), string(schema.History)}
	mergeStrategies   = []string{string(schema.DeleteInsert), string(schema.Upsert)}
	dataTypes         = []string{string(schema.Text), string(schema.BigInt), string(schema.Double), string(schema.Decimal),
		string(schema.Bool), string(schema.Timestamp), string(schema.Date), string(schema.JSON), string(schema.Binary)}
	piiModes      = []string{string(schema.PIIHash), string(schema.PIIMask), string(schema.PIIDrop)}
	sortOrders    = []string{string(schema.Asc), string(schema.Desc)}
	contractModes = []string{string(schema.Evolve), string(schema.Freeze), string(schema.DiscardRow), string(schema.DiscardValue)}
	detections    = []string{string(schema.DetectISODate)}
)

// scd2 is dlt's name for the merge strategy that keeps every version of an
// object, which is write disposition history here.
const scd2 = "scd2"

// checkValue adds a problem at path unless value is empty or one of
// allowed.
func (c *checker) checkValue(path, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		c.add(path, "invalid value %q: use %s", value, orList(allowed))
	}
}

// orList joins values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// checkHintValues checks each schema hint key of r on its own: allowed
// values and field paths. A merged resource has only values that were
// checked here where they were written; checkHints checks how they
// combine.
func checkHintValues(c *checker, r *Resource, at string) {
	checkDisposition(c, r, at)
	for i, p := range r.PrimaryKey {
		checkFieldPath(c, fmt.Sprintf("%s.primary_key[%d]", at, i), p)
	}
	for i, p := range r.MergeKey {
		checkFieldPath(c, fmt.Sprintf("%s.merge_key[%d]", at, i), p)
	}
	checkContract(c, r.SchemaContract, at+".schema_contract")
	for i, d := range r.Detections {
		c.checkValue(fmt.Sprintf("%s.detections[%d]", at, i), string(d), detections)
	}
	checkColumnValues(c, r.Columns, at+".columns")
}

// checkDisposition checks the write disposition and merge strategy, and
// points dlt's names that restload spells otherwise to restload's.
func checkDisposition(c *checker, r *Resource, at string) {
	wd, strategy := string(r.WriteDisposition), string(r.MergeStrategy)
	switch {
	case wd == scd2:
		c.add(at+".write_disposition", "invalid value %q: dlt's scd2 is write_disposition: history here, "+
			"with retire_absent: true when every run lists every object", wd)
	case slices.Contains(mergeStrategies, wd):
		c.add(at+".write_disposition", "invalid value %q: %s is a merge strategy, written "+
			"{disposition: merge, strategy: %s}; dispositions are %s", wd, wd, wd, orList(writeDispositions))
	default:
		c.checkValue(at+".write_disposition", wd, writeDispositions)
	}
	if strategy == scd2 {
		c.add(at+".write_disposition.strategy", "invalid value %q: dlt's merge strategy scd2 is "+
			"write_disposition: history here, with retire_absent: true when every run lists every object", strategy)
		return
	}
	c.checkValue(at+".write_disposition.strategy", strategy, mergeStrategies)
}

// checkFieldPath checks a field path of primary_key, merge_key or a
// column hint key.
func checkFieldPath(c *checker, path, field string) bool {
	if _, err := schema.SplitHintPath(field); err != nil {
		c.add(path, "%v", err)
		return false
	}
	return true
}

func checkContract(c *checker, ct schema.Contract, at string) {
	// A contract written as one mode has that mode three times: report it
	// once.
	if ct.Tables == ct.Columns && ct.Columns == ct.DataType {
		c.checkValue(at, string(ct.Tables), contractModes)
		return
	}
	c.checkValue(at+".tables", string(ct.Tables), contractModes)
	c.checkValue(at+".columns", string(ct.Columns), contractModes)
	c.checkValue(at+".data_type", string(ct.DataType), contractModes)
}

// checkColumnValues checks the path and the values of each column hint,
// and that no two paths name the same field.
func checkColumnValues(c *checker, cols map[string]schema.ColumnHint, at string) {
	seen := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(cols)) {
		h := cols[p]
		path := joinPath(at, p)
		if !checkFieldPath(c, path, p) {
			continue
		}
		col, _ := schema.HintColumn(p)
		if first, dup := seen[col]; dup {
			c.add(path, "%q and %q name the same field: keep one", first, p)
		}
		seen[col] = p
		c.checkValue(path+".data_type", string(h.DataType), dataTypes)
		c.checkValue(path+".pii", string(h.PII), piiModes)
		c.checkValue(path+".dedup_sort", string(h.DedupSort), sortOrders)
	}
}

// mergeHintKeys lays the schema hint keys of r, other than primary_key,
// over those of the defaults d in m.
func mergeHintKeys(m *Resource, d, r Resource) {
	if r.MergeKey != nil {
		m.MergeKey = r.MergeKey
	}
	// A write disposition replaces the defaults' disposition and strategy
	// together, as one write_disposition key does in YAML.
	if r.WriteDisposition != "" {
		m.WriteDisposition = r.WriteDisposition
		m.MergeStrategy = r.MergeStrategy
	} else if r.MergeStrategy != "" {
		m.MergeStrategy = r.MergeStrategy
	}
	if r.RetireAbsent != nil {
		m.RetireAbsent = r.RetireAbsent
	}
	if r.SoftDelete != nil {
		m.SoftDelete = r.SoftDelete
	}
	m.Columns = mergeColumns(d.Columns, r.Columns)
	if r.SchemaContract != (schema.Contract{}) {
		m.SchemaContract = r.SchemaContract
	}
	if r.Detections != nil {
		m.Detections = r.Detections
	}
}

// mergeColumns lays the column hints r over the defaults d. A field that
// both hint, under paths that name the same field, keeps r's path and
// gets the settings of both, r's winning: a flag set on either side stays
// set.
func mergeColumns(d, r map[string]schema.ColumnHint) map[string]schema.ColumnHint {
	if d == nil && r == nil {
		return nil
	}
	m := maps.Clone(d)
	if m == nil {
		m = make(map[string]schema.ColumnHint, len(r))
	}
	for _, p := range slices.Sorted(maps.Keys(r)) {
		h := r[p]
		if dp, ok := samePath(m, p); ok {
			h = overlayColumn(m[dp], h)
			delete(m, dp)
		}
		m[p] = h
	}
	return m
}

// samePath returns the key of cols that names the same field as path.
func samePath(cols map[string]schema.ColumnHint, path string) (string, bool) {
	if _, ok := cols[path]; ok {
		return path, true
	}
	col, err := schema.HintColumn(path)
	if err != nil {
		return "", false
	}
	for _, p := range slices.Sorted(maps.Keys(cols)) {
		if other, err := schema.HintColumn(p); err == nil && other == col {
			return p, true
		}
	}
	return "", false
}

// overlayColumn returns d with the settings that r makes.
func overlayColumn(d, r schema.ColumnHint) schema.ColumnHint {
	m := d
	m.PrimaryKey = d.PrimaryKey || r.PrimaryKey
	m.MergeKey = d.MergeKey || r.MergeKey
	m.HardDelete = d.HardDelete || r.HardDelete
	if r.Nullable != nil {
		m.Nullable = r.Nullable
	}
	if r.DataType != "" {
		m.DataType = r.DataType
	}
	if r.PII != "" {
		m.PII = r.PII
	}
	if r.DedupSort != "" {
		m.DedupSort = r.DedupSort
	}
	return m
}

// buildHints returns the schema hints of a merged resource whose values
// passed checkHintValues.
func buildHints(r *Resource, table string) schema.Hints {
	h := schema.Hints{
		Table:            schema.NormalizeIdentifier(table),
		WriteDisposition: r.WriteDisposition,
		MaxNesting:       r.MaxTableNesting,
		MergeStrategy:    r.MergeStrategy,
		RetireAbsent:     r.RetireAbsent != nil && *r.RetireAbsent,
		SoftDelete:       r.SoftDelete != nil && *r.SoftDelete,
		Columns:          maps.Clone(r.Columns),
		Contract:         r.SchemaContract,
	}
	if len(r.Detections) > 0 {
		h.Detections = slices.Clone(r.Detections)
	}
	if h.WriteDisposition == "" {
		h.WriteDisposition = schema.Append
	}
	for _, k := range r.PrimaryKey {
		if col, err := schema.HintColumn(k); err == nil {
			h.PrimaryKey = append(h.PrimaryKey, col)
		}
	}
	for _, k := range r.MergeKey {
		if _, err := schema.SplitHintPath(k); err != nil {
			continue
		}
		if h.Columns == nil {
			h.Columns = map[string]schema.ColumnHint{}
		}
		p, ok := samePath(h.Columns, k)
		if !ok {
			p = k
		}
		c := h.Columns[p]
		c.MergeKey = true
		h.Columns[p] = c
	}
	return h
}

// checkHints checks how the hints of a merged resource combine. res is
// the merged resource, r the resource as written and h the hints built
// from res. Values that are invalid on their own were reported where they
// were written, so the checks here leave out the settings that hold one.
func checkHints(c *checker, cfg *Config, r, res *Resource, h *schema.Hints, at string) {
	invalid := &checker{}
	checkHintValues(invalid, res, at)
	// found holds this resource's problems apart from c, which may hold
	// the same problems of the defaults already.
	found := &checker{}
	checkCombinations(found, invalid, cfg, r, h, at)
	if len(found.problems) == 0 && len(invalid.problems) == 0 {
		// The checks above name the key to fix; schema.Hints.Validate
		// is the rule that the normalizer applies, so it has the last
		// word.
		if err := h.Validate(); err != nil {
			found.add(at, "%v", err)
		}
	}
	for _, p := range found.problems {
		c.add(p.Path, "%s", p.Message)
	}
}

// checkCombinations checks the column hints and keys of h, leaving out
// the settings that invalid holds a problem for.
func checkCombinations(c, invalid *checker, cfg *Config, r *Resource, h *schema.Hints, at string) {
	// columnAt names the key where the merged hint of path was written.
	columnAt := func(path string) string {
		if _, ok := r.Columns[path]; ok {
			return joinPath(at+".columns", path)
		}
		if _, ok := cfg.ResourceDefaults.Columns[path]; ok {
			return joinPath("resource_defaults.columns", path)
		}
		return at + ".merge_key"
	}
	paths := slices.Sorted(maps.Keys(h.Columns))
	for _, p := range paths {
		if !invalidUnder(invalid, joinPath(at+".columns", p)) {
			checkColumnHint(c, p, h.Columns[p], columnAt(p))
		}
	}
	if !invalidUnder(invalid, at+".write_disposition") && !invalidUnder(invalid, at+".primary_key") &&
		!invalidUnder(invalid, at+".merge_key") {
		checkKeys(c, h, at)
	}
	for _, flag := range []struct {
		key string
		set func(schema.ColumnHint) bool
	}{
		{"hard_delete", func(ch schema.ColumnHint) bool { return ch.HardDelete }},
		{"dedup_sort", func(ch schema.ColumnHint) bool { return ch.DedupSort != "" }},
	} {
		first := ""
		for _, p := range paths {
			if !flag.set(h.Columns[p]) {
				continue
			}
			if first != "" {
				c.add(columnAt(p)+"."+flag.key, "%s is also set on %q: set it on one column", flag.key, first)
			}
			first = p
		}
	}
}

// invalidUnder reports whether c holds a problem at path or below it.
func invalidUnder(c *checker, path string) bool {
	return slices.ContainsFunc(c.problems, func(p Problem) bool {
		return p.Path == path || strings.HasPrefix(p.Path, path+".") || strings.HasPrefix(p.Path, path+"[")
	})
}

// checkColumnHint checks how the settings of one column hint combine,
// by the rules of schema.Hints.Validate.
func checkColumnHint(c *checker, path string, ch schema.ColumnHint, at string) {
	alone := schema.Hints{Table: "t", Columns: map[string]schema.ColumnHint{path: ch}}
	err := alone.Validate()
	if err == nil {
		return
	}
	if inner := errors.Unwrap(err); inner != nil {
		err = inner // drop the `column hint "path":` prefix, which at names
	}
	switch {
	case ch.PII != "":
		at += ".pii"
	case ch.Nullable != nil:
		at += ".nullable"
	}
	c.add(at, "%v", err)
}

// checkKeys checks that the write disposition, merge strategy and
// retire_absent have the keys they need.
func checkKeys(c *checker, h *schema.Hints, at string) {
	wd := h.Disposition()
	pk := len(h.PrimaryKeyColumns()) > 0
	mk := len(h.MergeKeyColumns()) > 0
	switch {
	case wd == schema.Merge && !pk && !mk:
		c.add(at+".primary_key", "write_disposition merge needs primary_key or merge_key: set one, or use append")
	case wd == schema.History && !pk:
		c.add(at+".primary_key", "write_disposition history needs primary_key to tell the versions of one object apart")
	}
	strategyAt := at + ".write_disposition.strategy"
	switch {
	case h.MergeStrategy == "":
	case wd != schema.Merge:
		c.add(strategyAt, "strategy %s applies only to disposition merge, not %s", h.MergeStrategy, wd)
	case h.MergeStrategy == schema.Upsert && !pk:
		c.add(strategyAt, "strategy upsert needs primary_key")
	case h.MergeStrategy == schema.Upsert && mk:
		c.add(strategyAt, "strategy upsert updates rows by primary key and takes no merge_key: remove it or use strategy delete-insert")
	}
	if h.RetireAbsent && wd != schema.History {
		c.add(at+".retire_absent", "retire_absent applies only to write_disposition history, not %s", wd)
	}
	switch {
	case h.SoftDelete && wd != schema.Merge:
		c.add(at+".soft_delete", "soft_delete applies only to write_disposition merge, not %s", wd)
	case h.SoftDelete && !pk:
		c.add(at+".soft_delete", "soft_delete needs primary_key to tell which stored rows a full listing lacks")
	}
}
