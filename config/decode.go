package config

import (
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that never shows its value when printed, logged or
// encoded; Reveal returns it for the one place that needs it.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "***" for a set secret and "" for an empty one.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders from writing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MissingError reports a required value that no place provides.
type MissingError struct {
	Key      string
	Searched []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("missing value for %s; set it in one of these places (first found wins):\n  %s",
		e.Key, strings.Join(e.Searched, "\n  "))
}

// field is one struct field bound to a key.
type field struct {
	name     string
	secret   bool
	required bool
	index    int
}

// fields reads the config tags of a struct type: `config:"name,secret,required"`.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("config")
		if !ok || !sf.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		f := field{name: parts[0], index: i}
		for _, opt := range parts[1:] {
			switch opt {
			case "secret":
				f.secret = true
			case "required":
				f.required = true
			}
		}
		if sf.Type == reflect.TypeFor[Secret]() {
			f.secret = true
		}
		out = append(out, f)
	}
	return out
}

// Keys returns the dotted keys that a struct decoded under section reads.
func Keys(section string, spec any) []string {
	t := reflect.TypeOf(spec)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var keys []string
	for _, f := range fields(t) {
		keys = append(keys, section+"."+f.name)
	}
	return keys
}

// Decode fills the tagged fields of the struct that dst points to from
// the keys under section. Fields without a value keep what dst held, so
// callers set defaults first. A required field without a value gives a
// *MissingError that lists every place searched.
func (r *Resolver) Decode(section string, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode %s: destination is %T, want a pointer to a struct", section, dst)
	}
	v = v.Elem()
	for _, f := range fields(v.Type()) {
		key := section + "." + f.name
		val, ok, err := r.Lookup(key, f.secret)
		if err != nil {
			return err
		}
		if !ok {
			if f.required && v.Field(f.index).IsZero() {
				return &MissingError{Key: key, Searched: r.Searched(key, f.secret)}
			}
			continue
		}
		if err := assign(v.Field(f.index), val.Raw); err != nil {
			return fmt.Errorf("invalid value for %s in %s: %w", key, val.Origin, err)
		}
	}
	return nil
}

// assign stores raw (a string from the environment or a TOML value) in
// dst, converting strings to the field's type.
func assign(dst reflect.Value, raw any) error {
	s, isString := raw.(string)
	switch dst.Interface().(type) {
	case time.Duration:
		if !isString {
			return fmt.Errorf("want a duration such as \"30s\", got %v", raw)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as \"30s\": %w", err)
		}
		dst.SetInt(int64(d))
		return nil
	}
	switch dst.Kind() {
	case reflect.String:
		if !isString {
			return fmt.Errorf("want a string, got %v", raw)
		}
		dst.SetString(s)
	case reflect.Bool:
		switch x := raw.(type) {
		case bool:
			dst.SetBool(x)
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", x)
			}
			dst.SetBool(b)
		default:
			return fmt.Errorf("want true or false, got %v", raw)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		switch x := raw.(type) {
		case int64:
			dst.SetInt(x)
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return fmt.Errorf("want an integer, got %q", x)
			}
			dst.SetInt(n)
		default:
			return fmt.Errorf("want an integer, got %v", raw)
		}
	case reflect.Float64:
		switch x := raw.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		case string:
			n, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return fmt.Errorf("want a number, got %q", x)
			}
			dst.SetFloat(n)
		default:
			return fmt.Errorf("want a number, got %v", raw)
		}
	case reflect.Slice:
		if dst.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported field type %s", dst.Type())
		}
		var items []string
		switch x := raw.(type) {
		case string:
			for _, p := range strings.Split(x, ",") {
				if p = strings.TrimSpace(p); p != "" {
					items = append(items, p)
				}
			}
		case []any:
			for _, e := range x {
				es, ok := e.(string)
				if !ok {
					return fmt.Errorf("want a list of strings, got %v", raw)
				}
				items = append(items, es)
			}
		default:
			return fmt.Errorf("want a list of strings, got %v", raw)
		}
		dst.Set(reflect.ValueOf(items).Convert(dst.Type()))
	default:
		return fmt.Errorf("unsupported field type %s", dst.Type())
	}
	return nil
}
