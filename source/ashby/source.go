// Package ashby is the source for Ashby, the recruiting system: it reads
// Ashby's list endpoints into one root table each, incrementally by
// Ashby's sync tokens where an endpoint has them.
//
// The source is a definition for the declarative REST engine in
// source/rest (see Definition) plus two Go hooks. A response hook turns
// Ashby's error envelope (HTTP 200 with success false) into an *APIError.
// An extract hook sends the stored sync token, stores the token of the
// last page, and relists in full when Ashby rejects the token.
//
// Ashby's API is RPC over POST with JSON bodies and HTTP Basic auth (the
// API key as user name). Lists page by cursor. The last page of an
// incremental list carries a sync token, and a later request with that
// token returns only the objects changed since. A token that expired or
// cannot be decoded, or an incremental run that Ashby rejects as too
// large, makes the resource relist in full; merge by id keeps that
// correct.
package ashby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
)

// DefaultBaseURL is Ashby's API.
const DefaultBaseURL = "https://api.ashbyhq.com"

// DefaultConcurrency is how many resources are extracted at once unless
// Config.Concurrency sets another number. Ashby publishes no general
// rate limit, only per-key limits of unknown size, so the default stays
// small: three requests in flight, the one concurrency limit that Ashby
// documents (for its report endpoints). A 429 is retried after a backoff
// either way.
const DefaultConcurrency = 3

// Config configures the Ashby source. APIKey is required.
type Config struct {
	APIKey string
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// Resources selects resources by name; empty means all.
	Resources []string
	// HTTPClient sends the requests; nil means a default client.
	HTTPClient *http.Client
	// RequestTimeout bounds one request, its body included; zero means
	// 60 seconds. A request that times out is retried like a 5xx.
	RequestTimeout time.Duration
	// Logger receives retries and fallbacks; nil discards them.
	Logger *slog.Logger
	// MaxRetries is how often a request is retried after 429, 5xx or a
	// transport error; zero means 6.
	MaxRetries int
	// RetryDelay is the first backoff before a retry without Retry-After;
	// it doubles per attempt. Zero means one second.
	RetryDelay time.Duration
	// MaxRetryDelay caps one backoff, Retry-After included; zero means
	// 30 seconds.
	MaxRetryDelay time.Duration
	// MaxTotalWait caps the waits of all retries of one request; zero
	// means three minutes.
	MaxTotalWait time.Duration
	// Concurrency bounds how many resources are extracted at once; zero
	// means DefaultConcurrency. A dependent resource still waits for its
	// parent's items.
	Concurrency int
	// PII is applied to every field that holds personal data (names,
	// email addresses, phone numbers, social links, addresses, network
	// addresses, notes, survey answers, file handles): hash, mask or
	// drop. Empty or "keep" stores them as Ashby returns them.
	PII schema.PIIMode
}

// PIIKeep is the PII setting that stores personal fields unchanged.
const PIIKeep schema.PIIMode = "keep"

// Source is the Ashby source.
type Source struct {
	rest      *rest.Source
	resources []source.Resource
	// active holds the resources that Prepare found readable, once
	// prepared is set.
	active   []source.Resource
	prepared bool
	// endpoints and parents map resource names to their endpoint and to
	// the resource they are read per item of.
	endpoints map[string]string
	parents   map[string]string
	baseURL   string
	apiKey    string
	client    *http.Client
	logger    *slog.Logger
}

var _ source.Source = (*Source)(nil)

// apiKeySecret is the secret name the definition gives the API key.
const apiKeySecret = "ashby_api_key"

// New checks cfg and returns the source built from Definition.
func New(cfg Config) (*Source, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	return NewFromDefinition(Definition(base), cfg)
}

// NewFromDefinition returns the Ashby source built from def, a definition
// that started as Definition's and may have been edited: resources
// removed, bodies or hints changed. It registers the Ashby hooks and the
// API key secret as New does. cfg.BaseURL, when set, replaces the
// definition's base URL; the retry settings of cfg replace the
// definition's retry block.
func NewFromDefinition(def *rest.Config, cfg Config) (*Source, error) {
	cfg.APIKey = strings.TrimSpace(cfg.APIKey)
	if cfg.APIKey == "" {
		return nil, errors.New("missing Ashby API key: set sources.ashby.api_key (SOURCES__ASHBY__API_KEY or .restload/secrets.toml)")
	}
	if def == nil {
		return nil, errors.New("no Ashby definition: start from ashby.Definition")
	}
	switch cfg.PII {
	case "", PIIKeep, schema.PIIHash, schema.PIIMask, schema.PIIDrop:
	default:
		return nil, fmt.Errorf("invalid PII mode %q: use keep, hash, mask or drop", cfg.PII)
	}
	// A shallow copy suffices: client settings change below, and
	// resources are copied before their hints change.
	copied := *def
	def = &copied
	if cfg.PII != "" && cfg.PII != PIIKeep {
		def.Resources = slices.Clone(def.Resources)
		for i := range def.Resources {
			def.Resources[i].Columns = piiHints(def.Resources[i].Name, def.Resources[i].Columns, cfg.PII)
		}
	}
	if cfg.BaseURL != "" {
		def.Client.BaseURL = cfg.BaseURL
	}
	base, err := checkBaseURL(def.Client.BaseURL)
	if err != nil {
		return nil, err
	}
	def.Client.BaseURL = base
	var names []string
	for _, r := range def.Resources {
		names = append(names, r.Name)
	}
	for _, name := range cfg.Resources {
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("unknown Ashby resource %q: choose from %s", name, strings.Join(names, ", "))
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	def.Client.Timeout = rest.Duration(cmp(cfg.RequestTimeout, 60*time.Second))
	def.Client.Retry = rest.Retry{
		MaxAttempts:  cmp(cfg.MaxRetries, 6) + 1,
		Backoff:      rest.Duration(cmp(cfg.RetryDelay, time.Second)),
		MaxDelay:     rest.Duration(cmp(cfg.MaxRetryDelay, 30*time.Second)),
		MaxTotalWait: rest.Duration(cmp(cfg.MaxTotalWait, 3*time.Minute)),
	}
	def.Client.Concurrency = cmp(cfg.Concurrency, DefaultConcurrency)
	src, err := rest.New(def, rest.Options{
		Secrets: func(name string) (string, error) {
			if name != apiKeySecret {
				return "", fmt.Errorf("unknown secret %q", name)
			}
			return cfg.APIKey, nil
		},
		Hooks:      hooks(logger),
		HTTPClient: cfg.HTTPClient,
		Logger:     logger,
		Resources:  cfg.Resources,
	})
	if err != nil {
		return nil, fmt.Errorf("build the Ashby definition: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	s := &Source{rest: src, baseURL: base, apiKey: cfg.APIKey, client: client, logger: logger,
		endpoints: map[string]string{}, parents: map[string]string{}}
	for _, r := range def.Resources {
		s.endpoints[r.Name] = strings.TrimPrefix(r.Endpoint.Path, "/")
		s.parents[r.Name] = parentOf(r)
	}
	// Once the API cannot be reached, the other resources fail at once
	// with the same error instead of each waiting out its own retries.
	gate := &reachability{host: base}
	for _, r := range src.Resources() {
		s.resources = append(s.resources, &gatedResource{Resource: r, gate: gate})
	}
	return s, nil
}

// checkBaseURL validates the base URL and returns it without a trailing
// slash. The key travels in the Authorization header, so plain HTTP is
// allowed only to loopback hosts such as the emulator, and credentials in
// the URL are rejected without echoing them.
func checkBaseURL(raw string) (string, error) {
	base := strings.TrimRight(strings.TrimSpace(raw), "/")
	if base == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("invalid Ashby base URL in sources.ashby.base_url (SOURCES__ASHBY__BASE_URL): use an https:// URL such as %s", DefaultBaseURL)
	}
	if u.User != nil {
		return "", errors.New("invalid Ashby base URL in sources.ashby.base_url (SOURCES__ASHBY__BASE_URL): it contains credentials; remove them, the API key belongs in sources.ashby.api_key")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("invalid Ashby base URL %s: plain http:// would send the API key unencrypted; use https:// (http:// is accepted only for loopback hosts)", base)
	}
	return base, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// reachability remembers the first error that showed the API cannot be
// reached at all.
type reachability struct {
	host string
	mu   sync.Mutex
	err  error
}

// gatedResource fails at once when an earlier resource found the API
// unreachable.
type gatedResource struct {
	source.Resource
	gate *reachability
}

func (g *gatedResource) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	g.gate.mu.Lock()
	down := g.gate.err
	g.gate.mu.Unlock()
	if down != nil {
		return nil, fmt.Errorf("skipped because %s cannot be reached: %w", g.gate.host, down)
	}
	next, err := g.Resource.Extract(ctx, state, emit)
	if errors.Is(err, rest.ErrUnreachable) && ctx.Err() == nil {
		err = fmt.Errorf("%w; check sources.ashby.base_url (SOURCES__ASHBY__BASE_URL) and the network", err)
		g.gate.mu.Lock()
		if g.gate.err == nil {
			g.gate.err = err
		}
		g.gate.mu.Unlock()
	}
	return next, err
}

func cmp[T int | time.Duration | string](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Definition returns the Ashby source as a REST definition against
// baseURL. The API key is the secret "ashby_api_key"; the hooks it names
// are registered by New.
func Definition(baseURL string) *rest.Config {
	def := &rest.Config{
		Name: "ashby",
		Client: rest.ClientConfig{
			BaseURL: baseURL,
			Headers: map[string]string{"Accept": "application/json; version=1"},
			Auth:    &rest.Auth{Type: rest.AuthHTTPBasic, Username: rest.Value{Secret: apiKeySecret}},
		},
		ResourceDefaults: rest.Resource{
			PrimaryKey:       []string{"id"},
			WriteDisposition: "merge",
			Endpoint: rest.Endpoint{
				Method:          http.MethodPost,
				DataSelector:    "results",
				ResponseActions: []rest.ResponseAction{{Hook: envelopeHook}},
				Paginator:       &rest.Paginator{Type: rest.PaginatorSinglePage},
			},
		},
	}
	for _, sp := range resourceSpecs() {
		def.Resources = append(def.Resources, resourceOf(sp))
	}
	return def
}

// resourceOf turns one endpoint spec into a resource of the definition.
//
// Every resource merges by its primary key and tracks deletes: a run that
// lists every object (a catalogue on every run, an incremental root when
// it lists without a sync token, a child when its parent did) marks the
// stored rows it no longer returned with _rl_deleted_at. Ashby's lists
// do not report deleted objects, so this is how deletes arrive without
// webhooks.
func resourceOf(sp endpointSpec) rest.Resource {
	body := map[string]any{}
	for k, v := range sp.Body {
		body[k] = v
	}
	r := rest.Resource{Name: sp.Name, ExtractHook: listHook, SoftDelete: new(true),
		Endpoint: rest.Endpoint{Path: sp.Endpoint, JSON: body}}
	if sp.Paginated {
		body["limit"] = pageLimit
		r.Endpoint.Paginator = &rest.Paginator{Type: rest.PaginatorCursor, CursorPath: "nextCursor",
			CursorBodyPath: "cursor", HasMorePath: "moreDataAvailable"}
	}
	if sp.Incremental {
		r.ExtractHook = syncHook
	}
	if sp.Parent != "" {
		body[sp.ParentParam] = "{resources." + sp.Parent + ".id}"
		r.IncludeFromParent = []string{"id"}
		// A parent that no longer exists is skipped, not fatal.
		r.Endpoint.ResponseActions = []rest.ResponseAction{{Hook: childEnvelopeHook}}
	}
	if sp.Selector != "" {
		r.Endpoint.DataSelector = sp.Selector
	}
	if len(sp.PrimaryKey) > 0 {
		r.PrimaryKey = sp.PrimaryKey
	}
	return r
}

// ResourceNames lists the names of all Ashby resources.
func ResourceNames() []string {
	var names []string
	for _, sp := range resourceSpecs() {
		names = append(names, sp.Name)
	}
	return names
}

// Name returns "ashby".
func (s *Source) Name() string { return s.rest.Name() }

// Concurrency returns how many resources the pipeline may extract at
// once.
func (s *Source) Concurrency() int { return s.rest.Concurrency() }

// Resources returns the selected resources, without those that Prepare
// found the API key cannot read.
func (s *Source) Resources() []source.Resource {
	if s.prepared {
		return s.active
	}
	return s.resources
}
