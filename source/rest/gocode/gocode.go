// Package gocode prints a REST source definition (rest.Config) as Go
// source: a composite literal that compiles to a value equal to the
// definition, so that a program can hold the definition as code and its
// owner can edit it there.
//
// The literal uses the exported types of the packages the definition
// refers to (rest, schema, time). Fields with a zero value are left out,
// map entries are sorted by key, and durations are written with the time
// package's units, such as 90 * time.Second.
package gocode

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/restload/restload/source/rest"
)

// Literal is a Go expression and the packages it refers to.
type Literal struct {
	// Expr is the expression, formatted as gofmt formats it, starting at
	// column zero.
	Expr []byte
	// Imports lists the import paths of the packages that Expr names,
	// sorted.
	Imports []string
}

// Format prints cfg as an expression of type *rest.Config whose value is
// reflect.DeepEqual to cfg. It returns an error for a value that has no
// literal form, such as a NaN in a JSON body or a function in an
// any-typed field.
func Format(cfg *rest.Config) (Literal, error) {
	if cfg == nil {
		return Literal{}, errors.New("format definition: the definition is nil")
	}
	p := &printer{imports: map[string]string{}}
	src, err := p.expr(reflect.ValueOf(cfg), context{})
	if err != nil {
		return Literal{}, fmt.Errorf("format definition: %w", err)
	}
	out, err := gofmt(src)
	if err != nil {
		return Literal{}, fmt.Errorf("format definition: %w", err)
	}
	lit := Literal{Expr: out}
	for path := range p.imports {
		lit.Imports = append(lit.Imports, path)
	}
	slices.Sort(lit.Imports)
	return lit, nil
}

// gofmt lays out an expression as gofmt would. Line breaks in src are
// kept, so the printer decides which literals span lines.
func gofmt(src string) ([]byte, error) {
	fset := token.NewFileSet()
	expr, err := parser.ParseExprFrom(fset, "", src, 0)
	if err != nil {
		return nil, fmt.Errorf("parse printed literal: %w", err)
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, expr); err != nil {
		return nil, fmt.Errorf("gofmt printed literal: %w", err)
	}
	return buf.Bytes(), nil
}

// maxInline is the longest composite literal, in bytes, that stays on
// one line.
const maxInline = 64

var (
	timeDuration = reflect.TypeFor[time.Duration]()
	restDuration = reflect.TypeFor[rest.Duration]()
)

// context describes the position of an expression in the literal.
type context struct {
	// typed is set where the surrounding literal fixes the expression's
	// type, as for a struct field or a slice element, so an untyped
	// constant such as "merge" or 5 needs no conversion. Elsewhere, as
	// in an any-typed field or inside new(...), the expression must
	// have exactly the value's type.
	typed bool
	// elide is set for the elements of slice, array and map literals,
	// whose composite literals may leave out their type (and the & of
	// a pointer to a struct).
	elide bool
}

var inner = context{typed: true, elide: true}

// printer turns values into Go source text and remembers the packages
// the text names, by import path.
type printer struct {
	imports map[string]string
}

func (p *printer) expr(v reflect.Value, ctx context) (string, error) {
	t := v.Type()
	if t == timeDuration || t == restDuration {
		return p.duration(v, ctx)
	}
	switch t.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return "nil", nil
		}
		return p.expr(v.Elem(), context{})
	case reflect.Pointer:
		return p.pointer(v, ctx)
	case reflect.Struct:
		return p.structLit(v, ctx)
	case reflect.Slice, reflect.Array:
		return p.list(v, ctx)
	case reflect.Map:
		return p.mapLit(v, ctx)
	case reflect.String:
		return p.convert(t, quote(v.String()), ctx, reflect.String)
	case reflect.Bool:
		return p.convert(t, strconv.FormatBool(v.Bool()), ctx, reflect.Bool)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return p.convert(t, strconv.FormatInt(v.Int(), 10), ctx, reflect.Int)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return p.convert(t, strconv.FormatUint(v.Uint(), 10), ctx, reflect.Invalid)
	case reflect.Float32, reflect.Float64:
		return p.float(v, ctx)
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if v.IsNil() && ctx.typed {
			return "nil", nil
		}
	}
	return "", fmt.Errorf("a value of type %s has no Go literal", t)
}

// convert returns lit, an untyped constant, as an expression of type t.
// An untyped constant takes the type of its context, and without one
// its default type: the predeclared type of kind def.
func (p *printer) convert(t reflect.Type, lit string, ctx context, def reflect.Kind) (string, error) {
	if ctx.typed || (t.PkgPath() == "" && t.Kind() == def) {
		return lit, nil
	}
	name, err := p.typeName(t)
	if err != nil {
		return "", err
	}
	return name + "(" + lit + ")", nil
}

func (p *printer) float(v reflect.Value, ctx context) (string, error) {
	t := v.Type()
	f := v.Float()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("the %s value %v has no Go literal", t, f)
	}
	lit := strconv.FormatFloat(f, 'g', -1, t.Bits())
	if !strings.ContainsAny(lit, ".eE") {
		// "2" would be an untyped integer constant, of default type int.
		lit += ".0"
	}
	return p.convert(t, lit, ctx, reflect.Float64)
}

// duration writes a time.Duration or rest.Duration in the largest unit
// that divides it, such as 90 * time.Second.
func (p *printer) duration(v reflect.Value, ctx context) (string, error) {
	d := time.Duration(v.Int())
	if d == 0 && ctx.typed {
		return "0", nil
	}
	p.imports["time"] = "time"
	units := []struct {
		name string
		size time.Duration
	}{
		{"Hour", time.Hour}, {"Minute", time.Minute}, {"Second", time.Second},
		{"Millisecond", time.Millisecond}, {"Microsecond", time.Microsecond},
		{"Nanosecond", time.Nanosecond},
	}
	lit := "time.Duration(0)"
	for _, u := range units {
		if d != 0 && d%u.size == 0 {
			lit = fmt.Sprintf("%d * time.%s", d/u.size, u.name)
			if d == u.size {
				lit = "time." + u.name
			}
			break
		}
	}
	if v.Type() == timeDuration {
		return lit, nil
	}
	name, err := p.typeName(v.Type())
	if err != nil {
		return "", err
	}
	return name + "(" + lit + ")", nil
}

func (p *printer) pointer(v reflect.Value, ctx context) (string, error) {
	if v.IsNil() {
		return p.nilValue(v.Type(), ctx)
	}
	elem := v.Elem()
	if elem.Kind() == reflect.Struct {
		if ctx.elide {
			return p.structLit(elem, ctx)
		}
		s, err := p.structLit(elem, context{})
		return "&" + s, err
	}
	// new(expr), allowed since Go 1.26, points to a copy of expr's value,
	// so the argument must have exactly the pointed-to type.
	s, err := p.expr(elem, context{})
	if err != nil {
		return "", err
	}
	return "new(" + s + ")", nil
}

// nilValue writes the nil value of a pointer, slice or map type.
func (p *printer) nilValue(t reflect.Type, ctx context) (string, error) {
	if ctx.typed {
		return "nil", nil
	}
	name, err := p.typeName(t)
	if err != nil {
		return "", err
	}
	return "(" + name + ")(nil)", nil
}

func (p *printer) structLit(v reflect.Value, ctx context) (string, error) {
	t := v.Type()
	var fields []string
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		if fv.IsZero() {
			continue
		}
		if !f.IsExported() {
			return "", fmt.Errorf("field %s.%s is unexported and set, so %s has no literal", t, f.Name, t)
		}
		s, err := p.expr(fv, context{typed: true})
		if err != nil {
			return "", fmt.Errorf("%s: %w", f.Name, err)
		}
		fields = append(fields, f.Name+": "+s)
	}
	return p.composite(t, fields, ctx, len(fields) > 2)
}

func (p *printer) list(v reflect.Value, ctx context) (string, error) {
	if v.Kind() == reflect.Slice && v.IsNil() {
		return p.nilValue(v.Type(), ctx)
	}
	items := make([]string, v.Len())
	for i := range v.Len() {
		s, err := p.expr(v.Index(i), inner)
		if err != nil {
			return "", fmt.Errorf("[%d]: %w", i, err)
		}
		items[i] = s
	}
	return p.composite(v.Type(), items, ctx, false)
}

func (p *printer) mapLit(v reflect.Value, ctx context) (string, error) {
	if v.IsNil() {
		return p.nilValue(v.Type(), ctx)
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, compareKeys)
	items := make([]string, len(keys))
	for i, k := range keys {
		ks, err := p.expr(k, inner)
		if err != nil {
			return "", fmt.Errorf("key %v: %w", k, err)
		}
		vs, err := p.expr(v.MapIndex(k), inner)
		if err != nil {
			return "", fmt.Errorf("[%s]: %w", ks, err)
		}
		items[i] = ks + ": " + vs
	}
	return p.composite(v.Type(), items, ctx, false)
}

// compareKeys orders map keys: strings as text, numbers by value, and
// any other kind by its printed form, so that the output is stable.
func compareKeys(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return strings.Compare(a.String(), b.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cmpInts(a.Int(), b.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cmpInts(a.Uint(), b.Uint())
	case reflect.Float32, reflect.Float64:
		return cmpInts(a.Float(), b.Float())
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func cmpInts[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// composite writes a composite literal of type t. It stays on one line
// when short and flat, unless multiline is set. Otherwise each item gets
// a line of its own.
func (p *printer) composite(t reflect.Type, items []string, ctx context, multiline bool) (string, error) {
	prefix := ""
	if !ctx.elide {
		name, err := p.typeName(t)
		if err != nil {
			return "", err
		}
		prefix = name
	}
	if len(items) == 0 {
		return prefix + "{}", nil
	}
	line := prefix + "{" + strings.Join(items, ", ") + "}"
	if !multiline && len(line) <= maxInline && !strings.Contains(line, "\n") {
		return line, nil
	}
	var b strings.Builder
	b.WriteString(prefix + "{\n")
	for _, it := range items {
		b.WriteString(it + ",\n")
	}
	b.WriteString("}")
	return b.String(), nil
}

// typeName writes t as Go source, qualifying named types with their
// package name and recording the package's import path.
func (p *printer) typeName(t reflect.Type) (string, error) {
	if t.Name() != "" {
		if t.PkgPath() == "" {
			return t.Name(), nil
		}
		full := t.String()
		pkg, _, ok := strings.Cut(full, ".")
		if !ok || strings.ContainsAny(full, "[]") {
			return "", fmt.Errorf("type %s has no name in Go source: use a non-generic named type", full)
		}
		if other, existing := p.imports[t.PkgPath()]; existing && other != pkg {
			return "", fmt.Errorf("package %s is named both %s and %s", t.PkgPath(), other, pkg)
		}
		for path, name := range p.imports {
			if name == pkg && path != t.PkgPath() {
				return "", fmt.Errorf("packages %s and %s are both named %s", path, t.PkgPath(), pkg)
			}
		}
		p.imports[t.PkgPath()] = pkg
		return pkg + "." + t.Name(), nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem, err := p.typeName(t.Elem())
		return "*" + elem, err
	case reflect.Slice:
		elem, err := p.typeName(t.Elem())
		return "[]" + elem, err
	case reflect.Array:
		elem, err := p.typeName(t.Elem())
		return fmt.Sprintf("[%d]%s", t.Len(), elem), err
	case reflect.Map:
		key, err := p.typeName(t.Key())
		if err != nil {
			return "", err
		}
		elem, err := p.typeName(t.Elem())
		return "map[" + key + "]" + elem, err
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "any", nil
		}
	}
	return "", fmt.Errorf("type %s has no name in Go source: use a named type, or a pointer, slice, array or map of one", t)
}

// quote writes s as a raw string when that reads better than escaped
// quotes, and as an interpreted string otherwise.
func quote(s string) string {
	if strings.Contains(s, `"`) && !strings.Contains(s, "\n") && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}
