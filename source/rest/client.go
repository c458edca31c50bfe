package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBodyBytes bounds a response body held in memory.
const maxBodyBytes = 256 << 20

// Response is one HTTP response as response hooks see it. URL has its
// secrets redacted.
type Response struct {
	Method     string
	URL        string
	StatusCode int
	Header     http.Header
	Body       []byte

	idx *bodyIndex // set by index
}

// ResponseError is a response that a resource could not use: an error
// status, a body that is not JSON, or no items where the data selector
// expected them.
type ResponseError struct {
	Method string
	// URL is the request URL with its secrets redacted.
	URL        string
	StatusCode int
	// Reason describes what is wrong with the response.
	Reason string
	// Body is the start of the response body, secrets redacted.
	Body string
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Reason)
	if e.Body != "" {
		s += ": " + strconv.Quote(e.Body)
	}
	return s
}

// retryError marks an error from a response hook as worth a retry.
type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// Retryable marks err, returned by a response hook, as transient: the
// request is retried as after a 5xx status.
func Retryable(err error) error { return &retryError{err: err} }

// ErrIgnore, returned (or wrapped) by a response hook, ignores the
// response as the action "ignore" does: the request chain ends as if an
// empty last page had arrived, and the listing no longer counts as
// complete. A hook uses it for answers such as "this parent no longer
// exists" that should skip one parent rather than fail the resource.
var ErrIgnore = errors.New("response ignored")

// errIgnored reports a response that a response action ignored.
var errIgnored = ErrIgnore

// client sends requests with rate limiting and retries.
type client struct {
	http     *http.Client
	logger   *slog.Logger
	limiter  *limiter
	timeout  time.Duration
	attempts int
	backoff  time.Duration
	maxDelay time.Duration
	maxTotal time.Duration
	redact   *redactor
	// now and sleep are replaced in tests.
	sleep func(ctx context.Context, d time.Duration) error
}

// request is one logical request; do may send it several times.
type request struct {
	method   string
	url      *url.URL
	header   http.Header
	body     []byte
	auth     authenticator
	actions  []compiledAction
	resource string
}

// compiledAction is a ResponseAction with its hook resolved.
type compiledAction struct {
	ResponseAction
	hook ResponseHook
}

// attemptResult is the outcome of one attempt.
type attemptResult struct {
	resp       *Response
	err        error
	retry      bool
	retryAfter time.Duration
}

// do sends req until it succeeds, fails for good, or runs out of attempts
// or total wait. A response that an action ignored returns errIgnored.
func (c *client) do(ctx context.Context, req *request) (*Response, error) {
	var waited time.Duration
	authRetried := false
	for attempt := 1; ; attempt++ {
		res := c.attempt(ctx, req)
		if res.err == nil {
			return res.resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !res.retry && !authRetried && res.resp != nil && res.resp.StatusCode == http.StatusUnauthorized && req.auth != nil && req.auth.invalidate() {
			// A cached OAuth2 token may have been revoked early: fetch a
			// new one once.
			authRetried = true
			res.retry = true
		}
		if !res.retry {
			return nil, res.err
		}
		if attempt >= c.attempts {
			return nil, fmt.Errorf("%w (gave up after %d attempts)", res.err, attempt)
		}
		wait := c.wait(attempt, res.retryAfter)
		if waited+wait > c.maxTotal {
			return nil, fmt.Errorf("%w (gave up after %d attempts: the next wait of %v would pass the total retry wait of %v)",
				res.err, attempt, wait.Round(time.Millisecond), c.maxTotal)
		}
		waited += wait
		c.logger.Warn("retrying request", "resource", req.resource, "method", req.method,
			"url", c.redact.url(req.url), "attempt", attempt, "wait", wait, "error", res.err)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt sends req once and classifies the outcome.
func (c *client) attempt(ctx context.Context, req *request) attemptResult {
	if err := c.limiter.wait(ctx); err != nil {
		return attemptResult{err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(actx, req.method, req.url.String(), bytes.NewReader(req.body))
	if err != nil {
		return attemptResult{err: fmt.Errorf("build request %s %s: %v", req.method, c.redact.url(req.url), c.redact.text(err.Error()))}
	}
	hr.Header = req.header.Clone()
	if hr.Header == nil {
		hr.Header = http.Header{}
	}
	if len(req.body) > 0 && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	if req.auth != nil {
		if err := req.auth.apply(ctx, hr); err != nil {
			return attemptResult{err: err}
		}
	}
	shown := c.redact.url(hr.URL)
	started := time.Now()
	hresp, err := c.http.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return attemptResult{err: ctx.Err()}
		}
		msg := fmt.Sprintf("%s %s: %s", req.method, shown, c.redact.text(transportError(err)))
		if unreachable(err) {
			// The cause's own text names the URL unredacted, so only the
			// sentinel is kept for callers to test.
			return attemptResult{err: fmt.Errorf("%s: %w", msg, ErrUnreachable), retry: true}
		}
		return attemptResult{err: errors.New(msg), retry: true}
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxBodyBytes+1))
	hresp.Body.Close()
	if err != nil {
		if ctx.Err() != nil {
			return attemptResult{err: ctx.Err()}
		}
		return attemptResult{err: fmt.Errorf("%s %s: read response: %s", req.method, shown, c.redact.text(err.Error())), retry: true}
	}
	resp := &Response{Method: req.method, URL: shown, StatusCode: hresp.StatusCode, Header: hresp.Header, Body: body}
	c.logger.Debug("response", "resource", req.resource, "method", req.method, "url", shown,
		"status", hresp.StatusCode, "bytes", len(body), "duration", time.Since(started))
	if len(body) > maxBodyBytes {
		return attemptResult{resp: resp, err: c.responseError(resp, fmt.Sprintf("response body is larger than %d MiB", maxBodyBytes>>20))}
	}
	return c.classify(req, resp)
}

// classify runs the response actions, then checks the status.
func (c *client) classify(req *request, resp *Response) attemptResult {
	for _, a := range req.actions {
		if !a.matches(resp) {
			continue
		}
		if a.hook != nil {
			if err := a.hook(resp); err != nil {
				var re *retryError
				if errors.As(err, &re) {
					return attemptResult{resp: resp, err: err, retry: true, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
				}
				return attemptResult{resp: resp, err: err}
			}
			continue
		}
		switch a.Action {
		case ActionIgnore:
			return attemptResult{resp: resp, err: errIgnored}
		case ActionRetry:
			return attemptResult{resp: resp, err: c.responseError(resp, "response action retry matched"), retry: true,
				retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		case ActionFail:
			msg := a.Message
			if msg == "" {
				msg = "response action fail matched"
			}
			return attemptResult{resp: resp, err: c.responseError(resp, msg)}
		}
	}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests || s >= 500:
		return attemptResult{resp: resp, err: c.responseError(resp, http.StatusText(s)), retry: true,
			retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	case s < 200 || s >= 300:
		return attemptResult{resp: resp, err: c.responseError(resp, http.StatusText(s))}
	}
	return attemptResult{resp: resp}
}

func (a *compiledAction) matches(resp *Response) bool {
	if a.StatusCode != 0 && a.StatusCode != resp.StatusCode {
		return false
	}
	if a.Content != "" && !bytes.Contains(resp.Body, []byte(a.Content)) {
		return false
	}
	return true
}

// responseError describes resp with its body start, secrets redacted.
func (c *client) responseError(resp *Response, reason string) *ResponseError {
	return &ResponseError{Method: resp.Method, URL: resp.URL, StatusCode: resp.StatusCode, Reason: reason,
		Body: c.redact.text(snippet(resp.Body))}
}

// ErrUnreachable marks a request that could not connect at all: the host
// is unknown, or the connection was refused or had no route.
var ErrUnreachable = errors.New("the API cannot be reached")

// unreachable reports whether a transport error shows that no connection
// could be made.
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// transportError returns the message of a transport error without the URL
// that net/http puts in it, since the caller names the redacted URL.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// wait returns the wait before retry number attempt: the server's
// Retry-After when it sent one, else Backoff doubled per attempt with up
// to half taken off at random; never above MaxDelay.
func (c *client) wait(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.maxDelay)
	}
	d := min(c.backoff<<min(attempt-1, 30), c.maxDelay)
	if d <= 0 {
		return 0
	}
	return d - rand.N(d/2+1)
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP
// date; it returns 0 when the header is absent, invalid or in the past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > int64(24*time.Hour/time.Second) {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// snippet returns the start of a body for error messages.
func snippet(b []byte) string {
	const n = 300
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter spaces requests evenly at a maximum rate; nil means no limit.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the next request may start.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return sleepContext(ctx, time.Until(at))
}
