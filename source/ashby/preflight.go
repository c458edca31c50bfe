package ashby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/restload/restload/schema"
	"github.com/restload/restload/source"
	"github.com/restload/restload/source/rest"
)

var _ source.Preparer = (*Source)(nil)

// preflightAttempts bounds the tries of apiKey.info after 429 or 5xx.
const preflightAttempts = 4

// Prepare reads the API key's permissions from apiKey.info and leaves
// out of Resources, with one warning each, the resources whose endpoint
// needs a permission the key lacks, and the children of those. A key
// that may not call apiKey.info (it needs apiKeysRead) keeps every
// resource, with a warning, and each then fails on its own if it must.
// A rejected key or an unreachable API fails the run before anything is
// extracted.
func (s *Source) Prepare(ctx context.Context) error {
	scopes, err := s.keyScopes(ctx)
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		// Ashby returns 403 both for a key without apiKeysRead and for an
		// unknown key. The resources' own requests then show which it is.
		s.logger.Warn("apiKey.info was refused, so every selected resource is tried: the API key lacks "+
			scopeAPIKeys+" (grant it to skip unreadable resources up front) or is not a valid key", "code", ae.Code)
		s.active, s.prepared = s.resources, true
		return nil
	case err != nil:
		return err
	}
	s.active, s.prepared = nil, true
	skipped := map[string]bool{}
	for _, r := range s.resources {
		name := r.Name()
		if parent := s.parents[name]; parent != "" && skipped[parent] {
			skipped[name] = true
			s.logger.Warn("skipping resource: its parent resource is skipped", "resource", name, "parent", parent)
			continue
		}
		scope := scopeOf(s.endpoints[name])
		if scope != "" && !scopes[normalizeScope(scope)] {
			skipped[name] = true
			s.logger.Warn("skipping resource: the API key lacks the permission it needs; grant it in Ashby (Admin, API keys) to load this table",
				"resource", name, "permission", scope)
			continue
		}
		s.active = append(s.active, r)
	}
	return nil
}

// keyScopes calls apiKey.info and returns the key's permissions,
// normalized.
func (s *Source) keyScopes(ctx context.Context) (map[string]bool, error) {
	url := s.baseURL + "/apiKey.info"
	var resp *rest.Response
	wait := time.Second
	for attempt := 1; ; attempt++ {
		r, err := s.post(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt == preflightAttempts {
				return nil, fmt.Errorf("ashby apiKey.info: %s cannot be reached: %w; check sources.ashby.base_url (SOURCES__ASHBY__BASE_URL) and the network", s.baseURL, err)
			}
		} else if r.StatusCode == http.StatusTooManyRequests || r.StatusCode >= 500 {
			if attempt == preflightAttempts {
				return nil, fmt.Errorf("ashby apiKey.info: HTTP %d after %d attempts; try again later", r.StatusCode, attempt)
			}
			if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && secs > 0 {
				wait = min(time.Duration(secs)*time.Second, 30*time.Second)
			}
		} else {
			resp = r
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
	if err := checkEnvelope(resp); err != nil {
		return nil, err
	}
	var body struct {
		Results struct {
			Scopes []string `json:"scopes"`
		} `json:"results"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("ashby apiKey.info: read the response: %w", err)
	}
	scopes := map[string]bool{}
	for _, sc := range body.Results.Scopes {
		scopes[normalizeScope(sc)] = true
	}
	s.logger.Debug("API key permissions", "scopes", body.Results.Scopes)
	return scopes, nil
}

// post sends one authenticated POST with an empty JSON body.
func (s *Source) post(ctx context.Context, url string) (*rest.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte("{}")))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(s.apiKey, "")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json; version=1")
	hresp, err := s.client.Do(req)
	if err != nil {
		// The error text holds the URL, which holds no secret.
		return nil, err
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &rest.Response{Method: http.MethodPost, URL: url, StatusCode: hresp.StatusCode, Header: hresp.Header, Body: b}, nil
}

// normalizeScope folds the two spellings of a permission that Ashby's
// documents use, "candidatesRead" on endpoints and "candidates:read" in
// apiKey.info's example, into one: letters only, in lower case. Which
// one the live API returns is not documented, so both are accepted.
func normalizeScope(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}

// scopeOf returns the permission an endpoint needs, or "" for an endpoint
// the built-in definition does not read.
func scopeOf(endpoint string) string {
	for _, sp := range resourceSpecs() {
		if sp.Endpoint == endpoint {
			return sp.Scope
		}
	}
	return ""
}

// parentOf returns the resource named in a {resources.NAME.field}
// placeholder of r's JSON body, or "".
func parentOf(r rest.Resource) string {
	keys := make([]string, 0, len(r.Endpoint.JSON))
	for k := range r.Endpoint.JSON {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, ok := r.Endpoint.JSON[k].(string)
		if !ok {
			continue
		}
		if rest, ok := strings.CutPrefix(v, "{resources."); ok {
			if name, _, ok := strings.Cut(rest, "."); ok {
				return name
			}
		}
	}
	return ""
}

// piiHints returns the column hints that apply mode to the personal
// fields of the named resource, merged over its own hints.
func piiHints(name string, own map[string]schema.ColumnHint, mode schema.PIIMode) map[string]schema.ColumnHint {
	fields := personalFields[name]
	if len(fields) == 0 {
		return own
	}
	out := make(map[string]schema.ColumnHint, len(own)+len(fields))
	for k, v := range own {
		out[k] = v
	}
	for _, f := range fields {
		h := out[f]
		h.PII = mode
		out[f] = h
	}
	return out
}
