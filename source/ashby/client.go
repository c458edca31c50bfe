package ashby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// APIError is an error that Ashby reported: a body with success false, or
// an HTTP status that is not retried.
type APIError struct {
	Endpoint  string
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ashby %s", e.Endpoint)
	if e.Status != http.StatusOK {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		b.WriteString("; set SOURCES__ASHBY__API_KEY to a valid API key")
	case e.Code == "missing_endpoint_permission":
		b.WriteString("; check that the key in SOURCES__ASHBY__API_KEY is active and has the read permission this endpoint needs (Ashby admin, API keys)")
	}
	return b.String()
}

// envelope is Ashby's response body for every endpoint.
type envelope struct {
	Success           bool            `json:"success"`
	Results           json.RawMessage `json:"results"`
	MoreDataAvailable bool            `json:"moreDataAvailable"`
	NextCursor        string          `json:"nextCursor"`
	SyncToken         string          `json:"syncToken"`
	Errors            []any           `json:"errors"`
	ErrorInfo         *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"errorInfo"`
}

// apiError builds the error of a body with success false. errorInfo.code
// comes first; the deprecated errors array is the fallback.
func (e *envelope) apiError(endpoint string) *APIError {
	ae := &APIError{Endpoint: endpoint, Status: http.StatusOK}
	if e.ErrorInfo != nil {
		ae.Code, ae.Message, ae.RequestID = e.ErrorInfo.Code, e.ErrorInfo.Message, e.ErrorInfo.RequestID
	}
	if ae.Code == "" && len(e.Errors) > 0 {
		switch v := e.Errors[0].(type) {
		case string:
			ae.Code = v
		case map[string]any:
			ae.Code, _ = v["code"].(string)
		}
	}
	if ae.Code == "" {
		ae.Code = "unknown_error"
	}
	return ae
}

// client posts JSON to Ashby's RPC endpoints with retries.
type client struct {
	baseURL    string
	apiKey     string
	http       *http.Client
	logger     *slog.Logger
	maxRetries int
	maxBackoff time.Duration
	baseDelay  time.Duration
}

// post sends body to endpoint and decodes the envelope. 429, 5xx and
// transport errors are retried with exponential backoff and jitter,
// honouring Retry-After; a success false body is returned as *APIError.
func (c *client) post(ctx context.Context, endpoint string, body any) (*envelope, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request to %s: %w", endpoint, err)
	}
	url := c.baseURL + "/" + endpoint
	for attempt := 0; ; attempt++ {
		env, retryAfter, err := c.try(ctx, endpoint, url, payload)
		if err == nil {
			return env, nil
		}
		var ae *APIError
		retryable := retryAfter >= 0 && !errors.As(err, &ae)
		if !retryable || attempt >= c.maxRetries || ctx.Err() != nil {
			if retryable && attempt >= c.maxRetries {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt+1)
			}
			return nil, err
		}
		wait := c.backoff(attempt, retryAfter)
		c.logger.Warn("retrying request", "endpoint", endpoint, "attempt", attempt+1, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// try makes one request. The returned duration is the server's Retry-After
// (zero when absent) for a retryable failure, and -1 for a final one.
func (c *client) try(ctx context.Context, endpoint, url string, payload []byte) (*envelope, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, -1, fmt.Errorf("build request to %s: %w", endpoint, err)
	}
	req.SetBasicAuth(c.apiKey, "")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json; version=1")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, -1, ctx.Err()
		}
		// The error text of net/http names the URL, which holds no secret:
		// the key travels only in the Authorization header.
		return nil, 0, fmt.Errorf("ashby %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("ashby %s: read response: %w", endpoint, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()),
			&httpError{endpoint: endpoint, status: resp.StatusCode, body: snippet(body)}
	case resp.StatusCode != http.StatusOK:
		ae := &APIError{Endpoint: endpoint, Status: resp.StatusCode}
		// 401 bodies are plain text; 403 bodies carry the error envelope.
		var env envelope
		if json.Unmarshal(body, &env) == nil && !env.Success && (env.ErrorInfo != nil || len(env.Errors) > 0) {
			ae = env.apiError(endpoint)
			ae.Status = resp.StatusCode
		} else {
			ae.Message = snippet(body)
		}
		return nil, -1, ae
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, -1, fmt.Errorf("ashby %s: response is not the JSON envelope (%v): %q", endpoint, err, snippet(body))
	}
	if !env.Success {
		return nil, -1, env.apiError(endpoint)
	}
	return &env, 0, nil
}

// httpError is a retryable HTTP failure.
type httpError struct {
	endpoint string
	status   int
	body     string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("ashby %s: HTTP %d: %s", e.endpoint, e.status, e.body)
}

// backoff returns the wait before retry number attempt+1: the server's
// Retry-After when it gave one, else exponential from baseDelay with full
// jitter, never above maxBackoff.
func (c *client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.maxBackoff)
	}
	d := c.baseDelay << min(attempt, 20)
	d = min(d, c.maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP
// date; it returns 0 when the header is absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// snippet returns the start of a response body for error messages.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
