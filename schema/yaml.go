package schema

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAML returns the schema as a YAML document for people to read: the
// name, version and content hash, then each table in creation order as a
// mapping from its name to its settings and columns, and each column on
// one line. ParseYAML reads it back.
func (s *Schema) YAML() ([]byte, error) {
	tables := &yaml.Node{Kind: yaml.MappingNode}
	for _, t := range s.Tables {
		tn := &yaml.Node{}
		if err := tn.Encode(t); err != nil {
			return nil, fmt.Errorf("encode table %s as YAML: %w", t.Name, err)
		}
		cols := &yaml.Node{Kind: yaml.MappingNode}
		for _, c := range t.Columns {
			cn := &yaml.Node{}
			if err := cn.Encode(c); err != nil {
				return nil, fmt.Errorf("encode column %s of table %s as YAML: %w", c.Name, t.Name, err)
			}
			cn.Style = yaml.FlowStyle
			cols.Content = append(cols.Content, scalar(c.Name), cn)
		}
		tn.Content = append(tn.Content, scalar("columns"), cols)
		tables.Content = append(tables.Content, scalar(t.Name), tn)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		scalar("name"), scalar(s.Name),
		scalar("version"), {Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(s.Version)},
		scalar("version_hash"), scalar(s.Hash()),
		scalar("tables"), tables,
	}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode schema %s as YAML: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode schema %s as YAML: %w", s.Name, err)
	}
	return buf.Bytes(), nil
}

func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// ParseYAML reads a schema written by Schema.YAML. The version_hash key
// is ignored, since the hash follows from the content.
func ParseYAML(b []byte) (*Schema, error) {
	var doc struct {
		Name    string    `yaml:"name"`
		Version int       `yaml:"version"`
		Tables  yaml.Node `yaml:"tables"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode schema YAML: %w", err)
	}
	s := &Schema{Name: doc.Name, Version: doc.Version}
	pairs, err := mappingPairs(&doc.Tables, "tables")
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		t := &Table{Name: p.key}
		if err := p.value.Decode(t); err != nil {
			return nil, fmt.Errorf("decode table %s: %w", p.key, err)
		}
		var cols struct {
			Columns yaml.Node `yaml:"columns"`
		}
		if err := p.value.Decode(&cols); err != nil {
			return nil, fmt.Errorf("decode columns of table %s: %w", p.key, err)
		}
		colPairs, err := mappingPairs(&cols.Columns, "columns of table "+p.key)
		if err != nil {
			return nil, err
		}
		for _, cp := range colPairs {
			c := &Column{Name: cp.key}
			if err := cp.value.Decode(c); err != nil {
				return nil, fmt.Errorf("decode column %s of table %s: %w", cp.key, p.key, err)
			}
			t.Columns = append(t.Columns, c)
		}
		s.Tables = append(s.Tables, t)
	}
	return s, nil
}

type nodePair struct {
	key   string
	value *yaml.Node
}

// mappingPairs returns the entries of a mapping node in document order.
// A missing node (zero Kind) has no entries.
func mappingPairs(n *yaml.Node, what string) ([]nodePair, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("decode schema YAML: %s at line %d is not a mapping", what, n.Line)
	}
	pairs := make([]nodePair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, nodePair{key: n.Content[i].Value, value: n.Content[i+1]})
	}
	return pairs, nil
}
