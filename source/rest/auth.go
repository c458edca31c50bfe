package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// authenticator adds credentials to a request.
type authenticator interface {
	apply(ctx context.Context, r *http.Request) error
	// invalidate drops a cached credential so that the next apply fetches
	// a new one; it reports whether there was one to drop.
	invalidate() bool
}

type bearerAuth struct{ token string }

func (a *bearerAuth) apply(_ context.Context, r *http.Request) error {
	r.Header.Set("Authorization", "Bearer "+a.token)
	return nil
}
func (a *bearerAuth) invalidate() bool { return false }

type apiKeyAuth struct {
	name, key string
	query     bool
}

func (a *apiKeyAuth) apply(_ context.Context, r *http.Request) error {
	if a.query {
		q := r.URL.Query()
		q.Set(a.name, a.key)
		r.URL.RawQuery = q.Encode()
		return nil
	}
	r.Header.Set(a.name, a.key)
	return nil
}
func (a *apiKeyAuth) invalidate() bool { return false }

type basicAuth struct{ user, password string }

func (a *basicAuth) apply(_ context.Context, r *http.Request) error {
	r.SetBasicAuth(a.user, a.password)
	return nil
}
func (a *basicAuth) invalidate() bool { return false }

// oauth2Auth fetches a token with the client credentials grant, caches it
// and fetches a new one shortly before it expires.
type oauth2Auth struct {
	tokenURL     *url.URL
	clientID     string
	clientSecret string
	scopes       []string
	extra        map[string]string
	lifetime     time.Duration
	client       *client

	mu      sync.Mutex
	token   string
	refresh time.Time
	now     func() time.Time
}

func (a *oauth2Auth) apply(ctx context.Context, r *http.Request) error {
	tok, err := a.current(ctx)
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (a *oauth2Auth) invalidate() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	had := a.token != ""
	a.token = ""
	return had
}

// current returns the cached token, fetching a new one when there is none
// or it is about to expire. One fetch serves concurrent callers.
func (a *oauth2Auth) current(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.now().Before(a.refresh) {
		return a.token, nil
	}
	tok, lifetime, err := a.fetch(ctx)
	if err != nil {
		return "", err
	}
	a.client.redact.add(tok)
	a.token = tok
	// Refresh a tenth of the lifetime early, at most a minute.
	a.refresh = a.now().Add(lifetime - min(lifetime/10, time.Minute))
	return tok, nil
}

// fetch posts the client credentials to the token URL.
func (a *oauth2Auth) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{}
	form.Set("grant_type", "client_credentials")
	form.Set("client_id", a.clientID)
	form.Set("client_secret", a.clientSecret)
	if len(a.scopes) > 0 {
		form.Set("scope", strings.Join(a.scopes, " "))
	}
	for k, v := range a.extra {
		form.Set(k, v)
	}
	req := &request{
		method:   http.MethodPost,
		url:      a.tokenURL,
		header:   http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		body:     []byte(form.Encode()),
		resource: "oauth2 token",
	}
	resp, err := a.client.do(ctx, req)
	if err != nil {
		return "", 0, fmt.Errorf("fetch OAuth2 token: %w", err)
	}
	var body struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil || body.AccessToken == "" {
		return "", 0, fmt.Errorf("fetch OAuth2 token: %w", a.client.responseError(resp, "response has no access_token"))
	}
	lifetime := a.lifetime
	if s := strings.Trim(string(body.ExpiresIn), `"`); s != "" && s != "null" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || secs <= 0 {
			return "", 0, fmt.Errorf("fetch OAuth2 token: invalid expires_in %s", body.ExpiresIn)
		}
		lifetime = time.Duration(secs * float64(time.Second))
	}
	return body.AccessToken, lifetime, nil
}

// redactor hides secret values in URLs and messages.
type redactor struct {
	mu      sync.RWMutex
	secrets []string
	// params are query parameters whose values are always hidden.
	params map[string]bool
}

// sensitiveParams are query parameter names whose values are hidden in
// every URL shown, whatever the definition sets.
var sensitiveParams = []string{"api_key", "apikey", "api-key", "key", "token", "access_token",
	"access-token", "secret", "client_secret", "password", "pwd", "signature", "sig"}

func newRedactor() *redactor {
	r := &redactor{params: map[string]bool{}}
	for _, p := range sensitiveParams {
		r.params[p] = true
	}
	return r
}

// add registers a secret value.
func (r *redactor) add(secret string) {
	if secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == secret {
			return
		}
	}
	r.secrets = append(r.secrets, secret)
}

func (r *redactor) addParam(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.params[strings.ToLower(name)] = true
}

// url returns u as text with the values of sensitive or secret-bearing
// query parameters replaced by "***" and any user info removed.
func (r *redactor) url(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		r.mu.RLock()
		for name, vals := range q {
			for i, v := range vals {
				if r.params[strings.ToLower(name)] || r.containsSecret(v) {
					vals[i] = "***"
				}
			}
		}
		r.mu.RUnlock()
		c.RawQuery = strings.ReplaceAll(q.Encode(), "%2A%2A%2A", "***")
	}
	return r.text(c.String())
}

// containsSecret reports whether s holds a registered secret; the caller
// holds the lock.
func (r *redactor) containsSecret(s string) bool {
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// minRedactLen is the shortest secret replaced inside free text: shorter
// ones would garble messages and are hidden in URLs and headers only.
const minRedactLen = 4

// text replaces every registered secret in s, also in its URL-encoded
// form, with "***".
func (r *redactor) text(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, sec := range r.secrets {
		if len(sec) < minRedactLen {
			continue
		}
		s = strings.ReplaceAll(s, sec, "***")
		if esc := url.QueryEscape(sec); esc != sec {
			s = strings.ReplaceAll(s, esc, "***")
		}
	}
	return s
}
