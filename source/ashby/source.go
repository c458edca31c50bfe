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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
)

// DefaultBaseURL is Ashby's API.
const DefaultBaseURL = "https://api.ashbyhq.com"

// Config configures the Ashby source. APIKey is required.
type Config struct {
	APIKey string
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// Resources selects resources by name; empty means all.
	Resources []string
	// HTTPClient sends the requests; nil means a default client. Each
	// request times out after 60 seconds either way.
	HTTPClient *http.Client
	// Logger receives retries and fallbacks; nil discards them.
	Logger *slog.Logger
	// MaxRetries is how often a request is retried after 429, 5xx or a
	// transport error; zero means 8.
	MaxRetries int
	// RetryDelay is the first backoff before a retry without Retry-After;
	// it doubles per attempt. Zero means one second.
	RetryDelay time.Duration
	// MaxRetryDelay caps one backoff, Retry-After included; zero means
	// two minutes.
	MaxRetryDelay time.Duration
}

// Source is the Ashby source.
type Source struct {
	rest *rest.Source
}

var _ source.Source = (*Source)(nil)

// apiKeySecret is the secret name the definition gives the API key.
const apiKeySecret = "ashby_api_key"

// New checks cfg and returns the source.
func New(cfg Config) (*Source, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("missing Ashby API key: set SOURCES__ASHBY__API_KEY")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, fmt.Errorf("invalid Ashby base URL %q: it must start with https://", cfg.BaseURL)
	}
	for _, name := range cfg.Resources {
		if !slices.Contains(ResourceNames(), name) {
			return nil, fmt.Errorf("unknown Ashby resource %q: choose from %s", name, strings.Join(ResourceNames(), ", "))
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	def := Definition(base)
	def.Client.Retry = rest.Retry{
		MaxAttempts: cmp(cfg.MaxRetries, 8) + 1,
		Backoff:     rest.Duration(cmp(cfg.RetryDelay, time.Second)),
		MaxDelay:    rest.Duration(cmp(cfg.MaxRetryDelay, 2*time.Minute)),
	}
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
	return &Source{rest: src}, nil
}

func cmp[T int | time.Duration](v, def T) T {
	if v == 0 {
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
		body := map[string]any{}
		for k, v := range sp.Body {
			body[k] = v
		}
		r := rest.Resource{Name: sp.Name, ExtractHook: listHook, Endpoint: rest.Endpoint{Path: sp.Endpoint, JSON: body}}
		if sp.Paginated {
			body["limit"] = pageLimit
			r.Endpoint.Paginator = &rest.Paginator{Type: rest.PaginatorCursor, CursorPath: "nextCursor",
				CursorBodyPath: "cursor", HasMorePath: "moreDataAvailable"}
		}
		if sp.Incremental {
			r.ExtractHook = syncHook
		}
		def.Resources = append(def.Resources, r)
	}
	return def
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

// Resources returns the selected resources.
func (s *Source) Resources() []source.Resource { return s.rest.Resources() }
