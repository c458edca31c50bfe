package openapi

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// Error is a problem with an OpenAPI document, located by a JSON pointer
// into it.
type Error struct {
	// File names the document.
	File string
	// Pointer is the JSON pointer of the problem, such as
	// "/paths/~1jobs/get"; empty means the whole document.
	Pointer string
	// Line is the line of the pointer's node in the file; zero when it
	// is not known.
	Line int
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Pointer != "" {
		fmt.Fprintf(&b, ": at %s", e.Pointer)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// repair is a fix that load made to a malformed document so that it
// parses; each becomes a comment in the generated definition.
type repair struct {
	pointer string
	message string
}

// document is a loaded OpenAPI document with what load noticed on the way.
type document struct {
	file    string
	api     *openapi3.T
	repairs []repair
}

// load parses an OpenAPI 3.x document in YAML or JSON, checks its
// version and local references, repairs the malformations it knows and
// resolves every $ref with kin-openapi.
func load(file string, data []byte) (*document, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, locateYAMLError(file, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: file, Err: errors.New("not an OpenAPI document: the top level is not a mapping")}
	}
	top := root.Content[0]
	if err := checkVersion(file, top); err != nil {
		return nil, err
	}
	doc := &document{file: file}
	repairRefProperties(top, top, "", doc)
	if err := checkRefs(file, top, top, ""); err != nil {
		return nil, err
	}
	if len(doc.repairs) > 0 {
		var err error
		if data, err = yaml.Marshal(top); err != nil {
			return nil, &Error{File: file, Err: fmt.Errorf("write the repaired document: %w", err)}
		}
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	api, err := loader.LoadFromData(data)
	if err != nil {
		return nil, locateLoaderError(file, top, err)
	}
	doc.api = api
	return doc, nil
}

// checkVersion rejects documents that are not OpenAPI 3.x.
func checkVersion(file string, top *yaml.Node) error {
	v := mappingValue(top, "openapi")
	if v == nil {
		if s := mappingValue(top, "swagger"); s != nil {
			return &Error{File: file, Pointer: "/swagger", Line: s.Line,
				Err: fmt.Errorf("Swagger %s is not supported: convert the document to OpenAPI 3 first", s.Value)}
		}
		return &Error{File: file, Err: errors.New("not an OpenAPI document: the key openapi is missing")}
	}
	if v.Kind != yaml.ScalarNode || !strings.HasPrefix(v.Value, "3.") {
		return &Error{File: file, Pointer: "/openapi", Line: v.Line,
			Err: fmt.Errorf("OpenAPI version %q is not supported: use an OpenAPI 3.x document", v.Value)}
	}
	return nil
}

// repairRefProperties resolves in place a reference written where a map
// of schemas belongs, "properties: {$ref: ...}", which kin-openapi
// rejects. Ashby's published document has one.
func repairRefProperties(top, n *yaml.Node, pointer string, doc *document) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			at := pointer + "/" + escapePointer(key)
			if key == "properties" && val.Kind == yaml.MappingNode && len(val.Content) == 2 && val.Content[0].Value == "$ref" {
				ref := val.Content[1].Value
				if target := resolvePointer(top, ref); target != nil && target.Kind == yaml.MappingNode {
					n.Content[i+1] = target
					doc.repairs = append(doc.repairs, repair{pointer: at,
						message: fmt.Sprintf("properties is a $ref (%s), not a map of schemas; the referenced map was used", ref)})
					continue
				}
			}
			repairRefProperties(top, val, at, doc)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			repairRefProperties(top, c, pointer+"/"+strconv.Itoa(i), doc)
		}
	}
}

// checkRefs reports the first $ref that points outside the document or
// to nothing, with its pointer. Examples are not searched, because their
// values are data.
func checkRefs(file string, top, n *yaml.Node, pointer string) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			at := pointer + "/" + escapePointer(key)
			if key == "example" {
				continue
			}
			if key == "$ref" && val.Kind == yaml.ScalarNode {
				if !strings.HasPrefix(val.Value, "#") {
					return &Error{File: file, Pointer: at, Line: val.Line,
						Err: fmt.Errorf("external reference %q is not supported: bundle the document into one file", val.Value)}
				}
				if resolvePointer(top, val.Value) == nil {
					return &Error{File: file, Pointer: at, Line: val.Line,
						Err: fmt.Errorf("reference %q points to nothing in the document", val.Value)}
				}
				continue
			}
			if err := checkRefs(file, top, val, at); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkRefs(file, top, c, pointer+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	yamlErrorLine = regexp.MustCompile(`line (\d+)`)
	// loaderPointer matches the JSON pointer at the end of a kin-openapi
	// decoding error, such as "... in /paths/~1jobs/get/responses".
	loaderPointer = regexp.MustCompile(` in (/\S*)$`)
)

func locateYAMLError(file string, err error) error {
	e := &Error{File: file, Err: fmt.Errorf("invalid YAML or JSON: %w", err)}
	if m := yamlErrorLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	}
	return e
}

// locateLoaderError wraps an error of kin-openapi, taking the JSON
// pointer from its message when it names one.
func locateLoaderError(file string, top *yaml.Node, err error) error {
	e := &Error{File: file, Err: fmt.Errorf("load the document: %w", err)}
	if m := loaderPointer.FindStringSubmatch(err.Error()); m != nil {
		e.Pointer = m[1]
		if n := resolvePointer(top, "#"+m[1]); n != nil {
			e.Line = n.Line
		}
	}
	return e
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// resolvePointer follows a local reference such as "#/paths/~1x/post"
// from the document's top mapping; it returns nil when nothing is there.
func resolvePointer(top *yaml.Node, ref string) *yaml.Node {
	rest, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	n := top
	if rest == "" || rest == "/" {
		return n
	}
	for _, part := range strings.Split(strings.TrimPrefix(rest, "/"), "/") {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			n = mappingValue(n, part)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// escapePointer escapes one JSON pointer token.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
