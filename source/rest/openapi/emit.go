package openapi

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/restload/restload/source/rest"
)

// emit writes the definition as YAML, keys in a fixed order, with each
// guess as a comment next to its key.
func (g *generator) emit() ([]byte, error) {
	top := newMapping()
	top.add("name", str(g.name), "")
	client := newMapping()
	client.add("base_url", str(g.baseURL), g.baseNote)
	clientNote := ""
	if g.auth.auth != nil {
		client.add("auth", authNode(g.auth.auth), g.auth.note)
	} else {
		clientNote = g.auth.note
	}
	top.add("client", client.n, clientNote)
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range g.resources {
		node, err := resourceNode(r)
		if err != nil {
			return nil, err
		}
		list.Content = append(list.Content, node)
	}
	top.add("resources", list, "")

	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top.n}}
	doc.HeadComment = g.header()
	doc.FootComment = g.footer()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write the definition as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the definition as YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func (g *generator) header() string {
	api := g.doc.api
	title := "the API"
	if api.Info != nil && api.Info.Title != "" {
		title = strconv.Quote(api.Info.Title)
		if api.Info.Version != "" {
			title += " " + api.Info.Version
		}
	}
	lines := []string{
		fmt.Sprintf("Source definition for %s, generated from %s by restload init --openapi.", title, g.opts.File),
		"The generator reads the document only, by fixed rules. Comments that start",
		"with \"guessed:\" mark values that the document does not state: check them,",
		"then run \"restload lint\" on this file.",
		"Incremental loading is not generated: add endpoint.incremental where the API",
		"filters by a time or offers a sync token.",
	}
	for _, r := range g.doc.repairs {
		lines = append(lines, fmt.Sprintf("The document was repaired to load: at %s, %s.", r.pointer, r.message))
	}
	if len(g.auth.secrets) > 0 {
		lines = append(lines, fmt.Sprintf("Secrets (under [sources.%s] in .restload/secrets.toml): %s.",
			g.name, strings.Join(g.auth.secrets, ", ")))
	}
	return strings.Join(lines, "\n")
}

func (g *generator) footer() string {
	var reads, writes []string
	for _, s := range g.skipped {
		if s.Write {
			writes = append(writes, "  "+s.Operation)
		} else {
			reads = append(reads, fmt.Sprintf("  %s: %s", s.Operation, s.Reason))
		}
	}
	var lines []string
	if len(reads) > 0 {
		lines = append(lines, "Reads left out:")
		lines = append(lines, reads...)
	}
	if len(writes) > 0 {
		lines = append(lines, "Write operations left out:")
		lines = append(lines, writes...)
	}
	return strings.Join(lines, "\n")
}

func resourceNode(r *resource) (*yaml.Node, error) {
	m := newMapping()
	m.n.HeadComment = r.op.String()
	if len(r.notes) > 0 {
		m.n.HeadComment += "\n" + strings.Join(r.notes, "\n")
	}
	m.add("name", str(r.name), "")
	if len(r.pk) > 0 {
		m.add("primary_key", flowList(r.pk), r.pkNote)
		m.add("write_disposition", str("merge"), "")
	} else {
		m.add("write_disposition", str("append"), r.pkNote)
	}
	if r.parent != nil {
		m.add("include_from_parent", flowList([]string{r.field}), "")
	}
	e := newMapping()
	e.add("path", str(r.path), "")
	e.add("method", str(r.op.method), "")
	if len(r.params) > 0 {
		params := newMapping()
		for _, s := range r.params {
			params.add(s.key, str(s.value.(string)), s.note)
		}
		e.add("params", params.n, "")
	}
	if r.op.method == "POST" {
		body := newMapping()
		for _, s := range r.body {
			v := &yaml.Node{}
			if err := v.Encode(s.value); err != nil {
				return nil, fmt.Errorf("write body member %s of %s: %w", s.key, r.name, err)
			}
			if v.Kind == yaml.SequenceNode {
				v.Style = yaml.FlowStyle
			}
			body.add(s.key, v, s.note)
		}
		if len(r.body) == 0 {
			body.n.Style = yaml.FlowStyle
		}
		e.add("json", body.n, "")
	}
	e.add("paginator", paginatorNode(r.pager.paginator), r.pager.note)
	selNote := "guessed: the list in the response"
	if r.selector == "$" {
		selNote = "the response is the list"
	}
	e.add("data_selector", str(r.selector), selNote)
	m.add("endpoint", e.n, "")
	return m.n, nil
}

func paginatorNode(p *rest.Paginator) *yaml.Node {
	m := newMapping()
	m.add("type", str(p.Type), "")
	for _, kv := range []struct{ key, value string }{
		{"next_url_path", p.NextURLPath}, {"cursor_path", p.CursorPath}, {"cursor_param", p.CursorParam},
		{"cursor_body_path", p.CursorBodyPath}, {"offset_param", p.OffsetParam}, {"limit_param", p.LimitParam},
		{"offset_body_path", p.OffsetBodyPath}, {"limit_body_path", p.LimitBodyPath},
		{"page_param", p.PageParam}, {"page_body_path", p.PageBodyPath}, {"total_path", p.TotalPath},
		{"has_more_path", p.HasMorePath},
	} {
		if kv.value != "" {
			m.add(kv.key, str(kv.value), "")
		}
	}
	if p.Limit > 0 {
		m.add("limit", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(p.Limit)}, "")
	}
	if len(m.n.Content) == 2 {
		return m.n.Content[1]
	}
	return m.n
}

func authNode(a *rest.Auth) *yaml.Node {
	m := newMapping()
	m.add("type", str(a.Type), "")
	if a.Name != "" {
		m.add("name", str(a.Name), "")
	}
	if a.Location != "" {
		m.add("location", str(a.Location), "")
	}
	for _, kv := range []struct {
		key string
		v   rest.Value
	}{
		{"token", a.Token}, {"api_key", a.APIKey}, {"username", a.Username}, {"password", a.Password},
	} {
		if kv.v.Secret != "" {
			m.add(kv.key, secretNode(kv.v.Secret), "")
		}
	}
	if a.AccessTokenURL != "" {
		m.add("access_token_url", str(a.AccessTokenURL), "")
		m.add("client_id", secretNode(a.ClientID.Secret), "")
		m.add("client_secret", secretNode(a.ClientSecret.Secret), "")
	}
	if len(a.Scopes) > 0 {
		m.add("scopes", flowList(a.Scopes), "")
	}
	return m.n
}

func secretNode(name string) *yaml.Node {
	m := newMapping()
	m.n.Style = yaml.FlowStyle
	m.add("secret", str(name), "")
	return m.n
}

// mapping builds a YAML mapping node key by key.
type mapping struct{ n *yaml.Node }

func newMapping() *mapping { return &mapping{n: &yaml.Node{Kind: yaml.MappingNode}} }

// add appends key: val. A comment goes after a scalar or flow value on
// its line, and above the key of a block value.
func (m *mapping) add(key string, val *yaml.Node, comment string) {
	k := str(key)
	if comment != "" {
		if val.Kind == yaml.ScalarNode || val.Style&yaml.FlowStyle != 0 {
			val.LineComment = comment
		} else {
			k.HeadComment = comment
		}
	}
	m.n.Content = append(m.n.Content, k, val)
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, it := range items {
		n.Content = append(n.Content, str(it))
	}
	return n
}
