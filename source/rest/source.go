package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/restload/restload/source"
)

// DefaultName is the source name of a definition without one.
const DefaultName = "rest_api"

// Defaults for ClientConfig fields left zero.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultMaxAttempts  = 5
	DefaultBackoff      = time.Second
	DefaultMaxDelay     = 5 * time.Minute
	DefaultMaxTotalWait = 15 * time.Minute
	DefaultConcurrency  = 4
)

// Options carries what a definition refers to but cannot contain: secret
// values, Go hooks, and the HTTP client and logger to use.
type Options struct {
	// Secrets resolves the secret names the definition refers to. nil
	// resolves none, so a definition that names a secret is rejected.
	Secrets SecretLookup
	// Hooks holds the functions the definition names.
	Hooks Hooks
	// HTTPClient sends the requests; nil means a client with the default
	// transport. Timeouts come from the definition.
	HTTPClient *http.Client
	// Logger receives retries, detections and per-page debug lines; nil
	// discards them. Secret values never reach it.
	Logger *slog.Logger
	// Resources selects resources by name; empty means every resource
	// whose selected key is not false.
	Resources []string
}

// SecretLookup returns the value of the named secret. Its error should
// name the places it searched and must not contain a secret value.
type SecretLookup func(name string) (string, error)

// EnvSecrets returns a SecretLookup that reads environment variables in
// the layout of restload's configuration: for source "github" and secret
// "token" it tries SOURCES__GITHUB__TOKEN, then SOURCES__TOKEN, then
// TOKEN.
func EnvSecrets(sourceName string) SecretLookup {
	return func(name string) (string, error) {
		key := envName(name)
		tries := []string{"SOURCES__" + envName(sourceName) + "__" + key, "SOURCES__" + key, key}
		for _, env := range tries {
			if v := os.Getenv(env); v != "" {
				return v, nil
			}
		}
		return "", fmt.Errorf("secret %q is not set: set %s", name, strings.Join(tries, " or "))
	}
}

func envName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, s)
}

// Hooks are Go functions that a definition refers to by name: processing
// steps, response hooks and extract hooks.
type Hooks struct {
	// Filter keeps an item when the function returns true.
	Filter map[string]func(item json.RawMessage) (bool, error)
	// Map replaces an item.
	Map map[string]func(item json.RawMessage) (json.RawMessage, error)
	// YieldMap replaces an item with zero or more items.
	YieldMap map[string]func(item json.RawMessage) ([]json.RawMessage, error)
	// Response checks responses; response_actions entries name them.
	Response map[string]ResponseHook
	// Extract wraps listings; a resource's extract_hook names one.
	Extract map[string]ExtractHook
}

// ResponseHook inspects a response before its status is checked. An error
// fails the request, or retries it when wrapped with Retryable; nil passes the
// response on.
type ResponseHook func(resp *Response) error

// ExtractHook wraps the listing of a resource, for state that the
// declarative keys cannot express, such as a sync token. It receives the
// resource's stored state (a JSON object, or nil on a first run) and a
// ListFunc that runs the whole request chain, emitting items as it goes.
// It may call list again, for instance without a token that the API
// rejected. It returns the members it wants stored: the engine adds its
// own members "incremental" and "parent", which the hook must not use.
type ExtractHook func(ctx context.Context, state json.RawMessage, list ListFunc) (json.RawMessage, error)

// ListFunc runs a resource's request chain with extra parameters on every
// request, and reports on it.
type ListFunc func(ctx context.Context, extra Extra) (*Listing, error)

// Extra adds query parameters and JSON body members to every request of
// a listing; they win over the definition's.
type Extra struct {
	Params map[string]string
	JSON   map[string]any
}

// Listing reports on one run of a request chain.
type Listing struct {
	// Last is the last response read; nil when no request succeeded.
	Last  *Response
	Pages int
	// Items counts the items emitted after processing and filtering.
	Items int
	// Complete reports that the listing holds every object of the
	// endpoint: the resource has no parent, no incremental filter and no
	// filter steps, no response was ignored and max_pages did not cut the
	// listing short. An extract hook passes it on with
	// source.MarkComplete where its own parameters (such as a sync token)
	// did not narrow the listing either.
	Complete bool
}

// Source is a REST API source built from a definition. It implements
// source.Source.
type Source struct {
	name        string
	baseURL     string
	client      *client
	resources   []source.Resource
	all         []*resource
	concurrency int
}

var _ source.Source = (*Source)(nil)

// New checks cfg, resolves its secrets and hooks through opts, and returns
// the source. It sends no request.
func New(cfg *Config, opts Options) (*Source, error) {
	specs, problems := compile(cfg)
	if len(problems) == 0 {
		problems = checkHooks(specs, &opts.Hooks)
	}
	if len(problems) > 0 {
		return nil, &DefinitionError{Problems: problems}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	cl := cfg.Client
	c := &client{
		http:     httpClient,
		logger:   logger,
		limiter:  newLimiter(cl.RequestsPerSecond),
		timeout:  orDefault(time.Duration(cl.Timeout), DefaultTimeout),
		attempts: cl.Retry.MaxAttempts,
		backoff:  orDefault(time.Duration(cl.Retry.Backoff), DefaultBackoff),
		maxDelay: orDefault(time.Duration(cl.Retry.MaxDelay), DefaultMaxDelay),
		maxTotal: orDefault(time.Duration(cl.Retry.MaxTotalWait), DefaultMaxTotalWait),
		redact:   newRedactor(),
		sleep:    sleepContext,
	}
	if c.attempts == 0 {
		c.attempts = DefaultMaxAttempts
	}
	s := &Source{name: cfg.Name, baseURL: cl.BaseURL, client: c, concurrency: cl.Concurrency}
	if s.name == "" {
		s.name = DefaultName
	}
	if s.concurrency == 0 {
		s.concurrency = DefaultConcurrency
	}
	auths := map[*Auth]authenticator{}
	byName := map[string]*resource{}
	for _, sp := range specs {
		r := &resource{src: s, spec: sp, logger: logger.With("resource", sp.name)}
		if sp.auth != nil {
			a, ok := auths[sp.auth]
			if !ok {
				var err error
				if a, err = s.newAuth(sp.auth, opts.Secrets, sp.authAt); err != nil {
					return nil, err
				}
				auths[sp.auth] = a
			}
			r.auth = a
		}
		r.bind(&opts.Hooks)
		if sp.parent != "" {
			r.parent = byName[sp.parent]
			r.parent.addChild(r)
		}
		byName[sp.name] = r
		s.all = append(s.all, r)
	}
	for _, name := range opts.Resources {
		if byName[name] == nil {
			names := make([]string, 0, len(specs))
			for _, sp := range specs {
				names = append(names, sp.name)
			}
			return nil, fmt.Errorf("unknown resource %q%s: choose from %s", name, closest(name, names), strings.Join(names, ", "))
		}
	}
	for _, r := range s.all {
		if (len(opts.Resources) == 0 && r.spec.selected) || slices.Contains(opts.Resources, r.spec.name) {
			s.resources = append(s.resources, r)
		}
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// checkHooks reports hook names that opts does not register.
func checkHooks(specs []*spec, h *Hooks) []Problem {
	c := &checker{}
	for _, sp := range specs {
		for i, st := range sp.res.ProcessingSteps {
			at := fmt.Sprintf("%s.processing_steps[%d]", sp.at, i)
			checkHookName(c, at+".filter", st.Filter, h.Filter)
			checkHookName(c, at+".map", st.Map, h.Map)
			checkHookName(c, at+".yield_map", st.YieldMap, h.YieldMap)
		}
		checkHookName(c, sp.at+".extract_hook", sp.res.ExtractHook, h.Extract)
		for i, a := range sp.actions {
			checkHookName(c, fmt.Sprintf("%s.endpoint.response_actions[%d].hook", sp.at, i), a.Hook, h.Response)
		}
	}
	return c.problems
}

func checkHookName[F any](c *checker, at, name string, registered map[string]F) {
	if name == "" {
		return
	}
	if _, ok := registered[name]; ok {
		return
	}
	names := make([]string, 0, len(registered))
	for n := range registered {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		c.add(at, "no hook %q is registered: the program must register it in Options.Hooks", name)
		return
	}
	c.add(at, "no hook %q is registered%s: registered are %s", name, closest(name, names), strings.Join(names, ", "))
}

// newAuth resolves the secrets of a and returns its authenticator.
func (s *Source) newAuth(a *Auth, secrets SecretLookup, at string) (authenticator, error) {
	resolve := func(key string, v Value) (string, error) {
		if v.Secret == "" {
			return v.Literal, nil
		}
		if secrets == nil {
			return "", fmt.Errorf("%s.%s: secret %q cannot be resolved: no secret lookup is configured", at, key, v.Secret)
		}
		val, err := secrets(v.Secret)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", at, key, err)
		}
		if val == "" {
			return "", fmt.Errorf("%s.%s: secret %q is empty", at, key, v.Secret)
		}
		s.client.redact.add(val)
		return val, nil
	}
	var errs []error
	get := func(key string, v Value) string {
		val, err := resolve(key, v)
		if err != nil {
			errs = append(errs, err)
		}
		return val
	}
	var out authenticator
	switch a.Type {
	case AuthBearer:
		out = &bearerAuth{token: get("token", a.Token)}
	case AuthAPIKey:
		name := a.Name
		if name == "" {
			name = "Authorization"
		}
		if a.Location == "query" {
			s.client.redact.addParam(name)
		}
		out = &apiKeyAuth{name: name, key: get("api_key", a.APIKey), query: a.Location == "query"}
	case AuthHTTPBasic:
		out = &basicAuth{user: get("username", a.Username), password: get("password", a.Password)}
	case AuthOAuth2ClientCredentials:
		u, err := url.Parse(a.AccessTokenURL)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid access_token_url: %w", at, err)
		}
		out = &oauth2Auth{tokenURL: u, clientID: get("client_id", a.ClientID), clientSecret: get("client_secret", a.ClientSecret),
			scopes: a.Scopes, extra: a.AccessTokenRequestData, client: s.client, now: time.Now,
			lifetime: orDefault(time.Duration(a.DefaultTokenExpiration), time.Hour)}
	default:
		return nil, fmt.Errorf("%s: unknown auth type %q", at, a.Type)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Name returns the source name that keys its state.
func (s *Source) Name() string { return s.name }

// Resources returns the selected resources, each parent before the
// resources that depend on it.
func (s *Source) Resources() []source.Resource { return s.resources }

// Concurrency returns how many resources may be extracted at once. The
// resources are safe for concurrent Extract calls. A dependent resource
// waits for its parent only when the parent's Extract started first, so
// a caller that runs them concurrently should start them in the order
// that Resources returns.
func (s *Source) Concurrency() int { return s.concurrency }

// Close releases the files that hold parent items for dependent
// resources. The source must not be used after Close.
func (s *Source) Close() error {
	var errs []error
	for _, r := range s.all {
		if r.feed != nil {
			errs = append(errs, r.feed.close())
		}
		r.mu.Lock()
		if r.own != nil {
			errs = append(errs, r.own.close())
			r.own = nil
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}
