package rest

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/restload/restload/config"
	"github.com/restload/restload/schema"
)

// maxYAMLNodes bounds the nodes one definition may expand to, aliases
// followed, so that a file of nested aliases cannot exhaust memory.
const maxYAMLNodes = 200_000

// decoder turns a YAML node tree into a Config. Unlike yaml.Unmarshal it
// keeps going after a problem, so that one pass reports them all, and it
// remembers where each key was, so that later checks can name the line.
type decoder struct {
	problems []Problem
	// pos maps a key path such as "resources[1].endpoint.path" to the
	// position of its value.
	pos   map[string]position
	nodes int
}

type position struct{ line, column int }

func (d *decoder) problem(path string, n *yaml.Node, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

var (
	durationType = reflect.TypeFor[Duration]()
	valueType    = reflect.TypeFor[Value]()
	jsonMapType  = reflect.TypeFor[map[string]any]()
	contractType = reflect.TypeFor[schema.Contract]()
	resourceType = reflect.TypeFor[Resource]()
)

// decode fills v from n. path names v for messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.nodes++
	if d.nodes > maxYAMLNodes {
		if d.nodes == maxYAMLNodes+1 {
			d.problem(path, n, "definition expands to more than %d YAML nodes: remove nested aliases", maxYAMLNodes)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(n.Alias, v, path)
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		d.decode(n.Content[0], v, path)
		return
	}
	if _, seen := d.pos[path]; !seen {
		d.pos[path] = position{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the zero value
	}
	t := v.Type()
	switch t {
	case durationType:
		d.decodeDuration(n, v, path)
		return
	case valueType:
		d.decodeValue(n, v, path)
		return
	case jsonMapType:
		if n.Kind != yaml.MappingNode {
			d.problem(path, n, "want a mapping of JSON body members, got %s", describe(n))
			return
		}
		raw, ok := d.toJSON(n, path)
		if !ok {
			return
		}
		m := map[string]any{}
		_ = eachMember(raw, func(k string, val json.RawMessage) error {
			m[k] = val
			return nil
		})
		v.Set(reflect.ValueOf(m))
		return
	case contractType:
		if n.Kind == yaml.ScalarNode {
			// "schema_contract: freeze" sets all three kinds.
			v.Set(reflect.ValueOf(schema.ContractAll(schema.ContractMode(n.Value))))
			return
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem() == reflect.TypeFor[Paginator]() && n.Kind == yaml.ScalarNode {
			// "paginator: single_page" is short for {type: single_page}.
			v.Set(reflect.ValueOf(&Paginator{Type: n.Value}))
			return
		}
		elem := reflect.New(t.Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		if t == reflect.TypeFor[Resource]() && n.Kind == yaml.ScalarNode {
			// A resource written as a name alone reads that path.
			v.Set(reflect.ValueOf(Resource{Name: n.Value}))
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.problem(path, n, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			d.decodeStringMap(n, v, path)
		} else {
			d.decodeMap(n, v, path)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.problem(path, n, "want a text value, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.problem(path, n, "want a whole number, got %s", describe(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			d.problem(path, n, "want a whole number between %d and %d, got %s", math.MinInt32, math.MaxInt32, n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			d.problem(path, n, "want a number, got %s", describe(n))
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.problem(path, n, "want a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.problem(path, n, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		d.problem(path, n, "cannot decode into %s", t)
	}
}

// decodeStruct fills the fields of a struct from a mapping, reporting
// unknown keys with the closest valid key.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(path, n, "want a mapping with keys %s, got %s", strings.Join(yamlKeys(v.Type()), ", "), describe(n))
		return
	}
	fields := map[string]int{}
	t := v.Type()
	for i := range t.NumField() {
		if tag := yamlTag(t.Field(i)); tag != "" {
			fields[tag] = i
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := joinPath(path, key)
		if seen[key] {
			d.problem(sub, k, "key %q appears twice in this mapping: keep one", key)
			continue
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			d.problem(sub, k, "unknown key %q%s; valid keys here: %s", key,
				suggestion(key, yamlKeys(t)), strings.Join(yamlKeys(t), ", "))
			continue
		}
		d.pos[sub] = position{k.Line, k.Column}
		if t == resourceType && key == "write_disposition" && resolve(val).Kind == yaml.MappingNode {
			d.decodeDisposition(val, v.Addr().Interface().(*Resource), sub)
			continue
		}
		d.decode(val, v.Field(idx), sub)
	}
}

// dispositionMapping is the mapping form of a resource's
// write_disposition.
type dispositionMapping struct {
	Disposition schema.WriteDisposition `yaml:"disposition"`
	Strategy    schema.MergeStrategy    `yaml:"strategy"`
}

// decodeDisposition fills the write disposition and merge strategy of r
// from {disposition: merge, strategy: upsert}.
func (d *decoder) decodeDisposition(n *yaml.Node, r *Resource, path string) {
	var m dispositionMapping
	before := len(d.problems)
	d.decode(n, reflect.ValueOf(&m).Elem(), path)
	if len(d.problems) > before {
		return
	}
	if m.Disposition == "" {
		d.problem(path, resolve(n), "missing disposition: write {disposition: merge, strategy: upsert}, or write_disposition: merge alone")
		return
	}
	r.WriteDisposition, r.MergeStrategy = m.Disposition, m.Strategy
}

// decodeMap fills a map whose values are structs or lists, such as
// column hints, keeping the position of each key.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(path, n, "want a mapping of names to values, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := joinPath(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.problem(sub, k, "want a text key, got %s", describe(k))
			continue
		}
		key := reflect.ValueOf(k.Value)
		if m.MapIndex(key).IsValid() {
			d.problem(sub, k, "key %q appears twice in this mapping: keep one", k.Value)
			continue
		}
		d.pos[sub] = position{k.Line, k.Column}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, sub)
		m.SetMapIndex(key, elem)
	}
	v.Set(m)
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// decodeStringMap fills a map of strings, such as headers or params.
// Scalar values of any type are taken as their text.
func (d *decoder) decodeStringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problem(path, n, "want a mapping of names to values, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := joinPath(path, k.Value)
		d.pos[sub] = position{k.Line, k.Column}
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.problem(sub, k, "key %q appears twice in this mapping: keep one", k.Value)
			continue
		}
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
			d.problem(sub, val, "want a text value, got %s", describe(val))
			continue
		}
		m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
	}
	v.Set(m)
}

func (d *decoder) decodeDuration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil && f >= 0 && f <= math.MaxInt64/float64(time.Second) {
			v.SetInt(int64(f * float64(time.Second)))
			return
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if dur, err := time.ParseDuration(n.Value); err == nil && dur >= 0 {
			v.SetInt(int64(dur))
			return
		}
	}
	d.problem(path, n, "want a duration such as 30s, 1m30s or a number of seconds, got %s", describe(n))
}

func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		v.Set(reflect.ValueOf(Value{Literal: n.Value}))
		return
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "secret" && n.Content[1].Kind == yaml.ScalarNode && n.Content[1].Value != "" {
			v.Set(reflect.ValueOf(Value{Secret: n.Content[1].Value}))
			return
		}
	}
	d.problem(path, n, "want a text value or {secret: NAME}, got %s", describe(n))
}

// toJSON converts a YAML node to JSON. Integers and floats keep their
// digits; other scalars become JSON strings.
func (d *decoder) toJSON(n *yaml.Node, path string) (json.RawMessage, bool) {
	d.nodes++
	if d.nodes > maxYAMLNodes {
		d.problem(path, n, "definition expands to more than %d YAML nodes: remove nested aliases", maxYAMLNodes)
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		return d.toJSON(n.Alias, path)
	case yaml.MappingNode:
		var b strings.Builder
		b.WriteByte('{')
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			sub := joinPath(path, k.Value)
			if k.Kind != yaml.ScalarNode {
				d.problem(sub, k, "JSON member names must be text, got %s", describe(k))
				return nil, false
			}
			if seen[k.Value] {
				d.problem(sub, k, "key %q appears twice in this mapping: keep one", k.Value)
				return nil, false
			}
			seen[k.Value] = true
			val, ok := d.toJSON(n.Content[i+1], sub)
			if !ok {
				return nil, false
			}
			if i > 0 {
				b.WriteByte(',')
			}
			name, _ := json.Marshal(k.Value)
			b.Write(name)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
		return json.RawMessage(b.String()), true
	case yaml.SequenceNode:
		var b strings.Builder
		b.WriteByte('[')
		for i, c := range n.Content {
			val, ok := d.toJSON(c, fmt.Sprintf("%s[%d]", path, i))
			if !ok {
				return nil, false
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(val)
		}
		b.WriteByte(']')
		return json.RawMessage(b.String()), true
	case yaml.ScalarNode:
		return d.scalarJSON(n, path)
	}
	d.problem(path, n, "cannot convert %s to JSON", describe(n))
	return nil, false
}

// scalarJSON converts one YAML scalar to JSON text.
func (d *decoder) scalarJSON(n *yaml.Node, path string) (json.RawMessage, bool) {
	switch n.Tag {
	case "!!null":
		return json.RawMessage("null"), true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return json.RawMessage(strconv.FormatBool(b)), true
		}
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return json.RawMessage(strconv.FormatInt(i, 10)), true
		}
		if json.Valid([]byte(s)) {
			return json.RawMessage(s), true // a decimal integer beyond int64 keeps its digits
		}
	case "!!float":
		if json.Valid([]byte(n.Value)) {
			return json.RawMessage(n.Value), true
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64)), true
		}
		d.problem(path, n, "JSON has no value %s: quote it to send a string", n.Value)
		return nil, false
	default:
		b, _ := json.Marshal(n.Value)
		return b, true
	}
	d.problem(path, n, "invalid %s value %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	return nil, false
}

// describe names a node's kind and value for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.Tag {
		case "!!null":
			return "an empty value"
		case "!!str":
			return strconv.Quote(v)
		}
		return v
	}
	return "an alias"
}

// yamlTag returns the YAML key of a field, or "" for a field that YAML
// does not set directly.
func yamlTag(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" {
		return ""
	}
	return tag
}

// yamlKeys lists the YAML keys of a struct type in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if tag := yamlTag(t.Field(i)); tag != "" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggestion returns ` (did you mean "x"?)` for the valid key closest to
// key, or "" when none is close.
func suggestion(key string, valid []string) string {
	best, bestDist := "", -1
	for _, v := range valid {
		dist := config.EditDistance(strings.ToLower(key), v)
		if bestDist < 0 || dist < bestDist {
			best, bestDist = v, dist
		}
	}
	if best == "" || bestDist > max(2, len(key)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// closest returns the element of valid nearest to s, for messages that
// name allowed values.
func closest(s string, valid []string) string {
	sorted := append([]string(nil), valid...)
	sort.Strings(sorted)
	return suggestion(s, sorted)
}
