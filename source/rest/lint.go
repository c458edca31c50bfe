package rest

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a source definition.
type Problem struct {
	// Path names the key, such as "resources[1].endpoint.paginator.type".
	Path string
	// Line and Column locate the key in the YAML file; zero for a Go
	// definition or a problem of the file as a whole.
	Line, Column int
	// Message states what is wrong and what is allowed.
	Message string
}

// String formats the problem as "line 4, column 7: path: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// DefinitionError reports every problem of an invalid definition.
type DefinitionError struct {
	// File names the definition file; empty for a Go definition.
	File     string
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "source definition"
	}
	fmt.Fprintf(&b, "invalid %s: %d problem(s)", name, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// LoadFile reads and checks the YAML definition at path.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read source definition: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and checks a YAML definition. file names it in errors. A
// definition with problems returns a *DefinitionError listing them all.
func Parse(file string, data []byte) (*Config, error) {
	cfg, problems := parse(data)
	if len(problems) > 0 {
		return nil, &DefinitionError{File: file, Problems: problems}
	}
	return cfg, nil
}

// Lint returns every problem of a YAML definition, in file order; none
// means the definition is valid. Hook names are not checked, because the
// hooks are registered only when a program calls New.
func Lint(data []byte) []Problem {
	_, problems := parse(data)
	return problems
}

// LintFile returns every problem of the YAML definition at path. The
// error reports only a file that cannot be read.
func LintFile(path string) ([]Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read source definition: %w", err)
	}
	return Lint(data), nil
}

// Validate checks a definition written as a Go literal. It returns a
// *DefinitionError listing every problem, or nil.
func (c *Config) Validate() error {
	if _, problems := compile(c); len(problems) > 0 {
		return &DefinitionError{Problems: problems}
	}
	return nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func parse(data []byte) (*Config, []Problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p := Problem{Message: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
		}
		return nil, []Problem{p}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, []Problem{{Message: "the definition is empty: it needs client and resources"}}
	}
	cfg := &Config{}
	d := &decoder{pos: map[string]position{}}
	d.decode(&root, reflect.ValueOf(cfg).Elem(), "")
	problems := slices.Clone(d.problems)
	_, more := compile(cfg)
	for _, p := range more {
		if covered(d.problems, p.Path) {
			continue // a value that did not decode is reported once
		}
		p.Line, p.Column = d.lookup(p.Path)
		problems = append(problems, p)
	}
	sortProblems(problems)
	return cfg, problems
}

// lookup returns the position of path, or of its nearest ancestor that has
// one.
func (d *decoder) lookup(path string) (int, int) {
	for path != "" {
		if p, ok := d.pos[path]; ok {
			return p.line, p.column
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0, 0
}

// covered reports whether a decoding problem was reported for path or for
// a key that contains it.
func covered(problems []Problem, path string) bool {
	for _, p := range problems {
		if p.Path == path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// sortProblems orders problems by line and column; problems at one place
// keep the order in which they were found.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
}
