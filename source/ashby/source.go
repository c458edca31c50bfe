// Package ashby is the source for Ashby, the recruiting system: it reads
// Ashby's list endpoints into one root table each, incrementally by
// Ashby's sync tokens where an endpoint has them.
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
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
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
	// HTTPClient defaults to a client with a 60 second timeout.
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
	client    *client
	resources []source.Resource
}

var _ source.Source = (*Source)(nil)

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
	c := &client{
		baseURL:    base,
		apiKey:     cfg.APIKey,
		http:       cfg.HTTPClient,
		logger:     cfg.Logger,
		maxRetries: cfg.MaxRetries,
		baseDelay:  cfg.RetryDelay,
		maxBackoff: cfg.MaxRetryDelay,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.maxRetries == 0 {
		c.maxRetries = 8
	}
	if c.baseDelay == 0 {
		c.baseDelay = time.Second
	}
	if c.maxBackoff == 0 {
		c.maxBackoff = 2 * time.Minute
	}
	s := &Source{client: c}
	specs := resourceSpecs()
	for _, name := range cfg.Resources {
		if !slices.ContainsFunc(specs, func(sp endpointSpec) bool { return sp.Name == name }) {
			return nil, fmt.Errorf("unknown Ashby resource %q: choose from %s", name, strings.Join(ResourceNames(), ", "))
		}
	}
	for _, sp := range specs {
		if len(cfg.Resources) == 0 || slices.Contains(cfg.Resources, sp.Name) {
			s.resources = append(s.resources, &resource{spec: sp, client: c})
		}
	}
	return s, nil
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
func (s *Source) Name() string { return "ashby" }

// Resources returns the selected resources.
func (s *Source) Resources() []source.Resource { return s.resources }

// resource reads one list endpoint.
type resource struct {
	spec   endpointSpec
	client *client
}

// resourceState is the state a resource stores between runs.
type resourceState struct {
	SyncToken string `json:"sync_token,omitempty"`
}

func (r *resource) Name() string { return r.spec.Name }

func (r *resource) Hints() schema.Hints {
	return schema.Hints{Table: r.spec.Name, PrimaryKey: []string{"id"}, WriteDisposition: schema.Merge}
}

// Codes after which a stored sync token is useless and Ashby's advice is a
// full sync.
var tokenResetCodes = []string{"sync_token_expired", "sync_token_invalid", "incremental_sync_too_large"}

// Codes after which a cursor is useless; the listing restarts from its
// first page.
var cursorResetCodes = []string{"next_cursor_expired", "invalid_next_cursor", "cursor_invalid"}

// maxCursorRestarts bounds how often one listing restarts after a cursor
// error, so an API that keeps rejecting cursors ends the resource.
const maxCursorRestarts = 3

// Extract lists the endpoint, incrementally when state holds a sync token.
func (r *resource) Extract(ctx context.Context, state json.RawMessage, emit func([]json.RawMessage) error) (json.RawMessage, error) {
	var st resourceState
	if len(state) > 0 {
		if err := json.Unmarshal(state, &st); err != nil {
			return nil, fmt.Errorf("decode stored state of %s: %w", r.spec.Name, err)
		}
	}
	token := st.SyncToken
	if !r.spec.Incremental {
		token = ""
	}
	logger := r.client.logger.With("resource", r.spec.Name)
	restarts := 0
	for {
		next, err := r.list(ctx, token, emit)
		var ae *APIError
		switch {
		case err == nil:
			if !r.spec.Incremental {
				return nil, nil
			}
			if next == "" {
				// The listing ended without a token: the next run lists in
				// full, which merge by id keeps correct.
				logger.Warn("last page carried no sync token, the next run lists in full", "endpoint", r.spec.Endpoint)
				return nil, nil
			}
			return json.Marshal(resourceState{SyncToken: next})
		case errors.As(err, &ae) && token != "" && slices.Contains(tokenResetCodes, ae.Code):
			logger.Warn("sync token rejected, listing in full", "endpoint", r.spec.Endpoint, "code", ae.Code)
			token = ""
		case errors.As(err, &ae) && slices.Contains(cursorResetCodes, ae.Code) && restarts < maxCursorRestarts:
			restarts++
			logger.Warn("cursor rejected, restarting the listing", "endpoint", r.spec.Endpoint, "code", ae.Code, "restart", restarts)
		default:
			return nil, err
		}
	}
}

// list reads every page of the endpoint and returns the sync token of the
// last page.
func (r *resource) list(ctx context.Context, token string, emit func([]json.RawMessage) error) (string, error) {
	cursor := ""
	seen := map[string]bool{}
	for page := 1; ; page++ {
		body := map[string]any{}
		for k, v := range r.spec.Body {
			body[k] = v
		}
		if r.spec.Paginated {
			body["limit"] = pageLimit
			if cursor != "" {
				body["cursor"] = cursor
			}
		}
		if token != "" {
			body["syncToken"] = token
		}
		env, err := r.client.post(ctx, r.spec.Endpoint, body)
		if err != nil {
			return "", err
		}
		var items []json.RawMessage
		if len(env.Results) > 0 && string(env.Results) != "null" {
			if err := json.Unmarshal(env.Results, &items); err != nil {
				return "", fmt.Errorf("ashby %s page %d: results is not a list: %w", r.spec.Endpoint, page, err)
			}
		}
		if err := emit(items); err != nil {
			return "", err
		}
		if !env.MoreDataAvailable {
			return env.SyncToken, nil
		}
		if !r.spec.Paginated || env.NextCursor == "" {
			r.client.logger.Warn("more data available but no way to page, stopping",
				"endpoint", r.spec.Endpoint, "page", page)
			return env.SyncToken, nil
		}
		if seen[env.NextCursor] {
			return "", fmt.Errorf("ashby %s page %d: cursor %q was returned before, stopping to avoid a loop",
				r.spec.Endpoint, page, env.NextCursor)
		}
		seen[env.NextCursor] = true
		cursor = env.NextCursor
	}
}
