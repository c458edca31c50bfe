package ashbysim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultKind selects what an injected fault does to a response.
type FaultKind int

const (
	// FaultRateLimit sends 429 with a Retry-After header and the error
	// envelope with code rate_limited (or Fault.Code).
	FaultRateLimit FaultKind = iota + 1
	// FaultServerError sends a 5xx status (Fault.Status, default 500) and
	// the error envelope with code server_error (or Fault.Code).
	FaultServerError
	// FaultSyncTokenExpired sends 200 with success:false and code
	// sync_token_expired, only to requests that carry a syncToken.
	FaultSyncTokenExpired
	// FaultInvalidCursor sends 200 with success:false and code
	// invalid_next_cursor, only to requests that carry a cursor.
	FaultInvalidCursor
	// FaultErrorCode sends success:false and Fault.Code, with HTTP status
	// Fault.Status (default 200).
	FaultErrorCode
	// FaultParentNotFound makes a per-parent endpoint send the not-found
	// error of its parent (HTTP 200, success:false, code such as
	// application_not_found), as Ashby does for a parent deleted between
	// listing it and reading its children. Fault.IDs limits it to some
	// parent ids; Fault.Endpoint, when set, must be a per-parent endpoint.
	FaultParentNotFound
	// FaultSlow sends the normal response in ten pieces spread evenly over
	// Fault.Delay (default one second), flushing each piece, as a slow
	// network or an overloaded server does. The headers go out at once.
	FaultSlow
	// FaultTruncated sends the normal response with a Content-Length for
	// the whole body, but only the first half of the body, then closes
	// the connection. The client sees the JSON cut off mid-value and an
	// unexpected end of the stream.
	FaultTruncated
	// FaultHang holds the request and sends nothing until the client
	// gives up and closes the connection, or until Fault.Delay (default
	// one minute) passes. Then it sends the normal response, so a client
	// whose request timeout is below Delay times out. A request whose
	// client gave up is logged with status 0.
	FaultHang
)

func (k FaultKind) String() string {
	switch k {
	case FaultRateLimit:
		return "rate limit"
	case FaultServerError:
		return "server error"
	case FaultSyncTokenExpired:
		return "sync token expired"
	case FaultInvalidCursor:
		return "invalid cursor"
	case FaultErrorCode:
		return "error code"
	case FaultParentNotFound:
		return "parent not found"
	case FaultSlow:
		return "slow body"
	case FaultTruncated:
		return "truncated body"
	case FaultHang:
		return "hang"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Default delays of the faults that shape a response in time.
const (
	defaultSlowDelay = time.Second
	defaultHangDelay = time.Minute
	// slowPieces is the number of pieces that FaultSlow cuts a body into.
	slowPieces = 10
)

// Fault describes responses to replace with an error or to deliver badly.
// Faults apply to requests that passed authentication and carry a JSON
// object body, before the endpoint checks its parameters. The faults are
// tried in the order they were added, and the first one that matches a
// request takes it.
type Fault struct {
	Kind FaultKind
	// Endpoint limits the fault to one endpoint, such as "candidate.list";
	// empty means every endpoint.
	Endpoint string
	// Times is how many responses the fault replaces; 0 means every
	// response until ClearFaults.
	Times int
	// Skip is how many matching requests pass unharmed before the fault
	// starts, so that a fault can hit page 3 of a listing: with Endpoint
	// set and OnlyWithCursor, Skip 1 lets page 2 through and hits page 3.
	// A skipped request may be taken by a later fault.
	Skip int
	// PerEndpoint counts Skip and Times for each endpoint on its own. With
	// Times 2 and no Endpoint, the first two requests to every endpoint
	// fail: a burst across endpoints that does not depend on the order in
	// which a client calls them.
	PerEndpoint bool
	// Code overrides the error code of the response. FaultErrorCode
	// requires it.
	Code string
	// Status overrides the HTTP status of FaultServerError (500-599) and
	// FaultErrorCode.
	Status int
	// RetryAfter is the Retry-After header of FaultRateLimit, in seconds.
	RetryAfter int
	// Delay is how long FaultSlow spreads the body over, and how long
	// FaultHang holds a request at most. Other kinds reject it.
	Delay time.Duration
	// OnlyWithSyncToken and OnlyWithCursor restrict the fault to requests
	// that carry a syncToken or a cursor. They suit error codes such as
	// incremental_sync_too_large and next_cursor_expired, and any fault in
	// the middle of a listing, since a cursor is sent from page 2 on.
	OnlyWithSyncToken bool
	OnlyWithCursor    bool
	// IDs restricts a FaultParentNotFound to requests for these parent
	// ids; empty means every parent.
	IDs []string
}

// activeFault is a Fault with its counters.
type activeFault struct {
	Fault
	// counts holds the skipped and taken requests, per endpoint when
	// PerEndpoint is set and under "" otherwise.
	counts map[string]*faultCount
}

type faultCount struct {
	skipped, taken int
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultRateLimit, FaultSyncTokenExpired, FaultInvalidCursor:
	case FaultSlow, FaultTruncated, FaultHang:
	case FaultServerError:
		if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
			return fmt.Errorf("invalid fault status %d: a server error needs a status from 500 to 599", f.Status)
		}
	case FaultErrorCode:
		if f.Code == "" {
			return fmt.Errorf("invalid fault: FaultErrorCode needs a Code such as %q", "invalid_input")
		}
	case FaultParentNotFound:
		if ep := endpointByName(f.Endpoint); f.Endpoint != "" && (ep == nil || ep.parent == nil) {
			return fmt.Errorf("invalid fault endpoint %q: FaultParentNotFound needs a per-parent "+
				"endpoint such as application.listHistory, or empty for all", f.Endpoint)
		}
	default:
		return fmt.Errorf("invalid fault kind %d: use one of the FaultKind constants", int(f.Kind))
	}
	if f.Endpoint != "" && f.Endpoint != apiKeyInfo && endpointByName(f.Endpoint) == nil {
		return fmt.Errorf("invalid fault endpoint %q: use an endpoint name such as candidate.list, or empty for all",
			f.Endpoint)
	}
	if f.Times < 0 {
		return fmt.Errorf("invalid fault count %d: use 0 for unlimited or a positive count", f.Times)
	}
	if f.Skip < 0 {
		return fmt.Errorf("invalid fault skip %d: use 0 or a positive count of requests to let through", f.Skip)
	}
	if f.RetryAfter < 0 {
		return fmt.Errorf("invalid Retry-After %d: use seconds, 0 or more", f.RetryAfter)
	}
	if f.Delay < 0 {
		return fmt.Errorf("invalid fault delay %v: use 0 for the default or a positive duration", f.Delay)
	}
	if f.Delay > 0 && f.Kind != FaultSlow && f.Kind != FaultHang {
		return fmt.Errorf("invalid fault delay %v: only FaultSlow and FaultHang take a Delay, not %v", f.Delay, f.Kind)
	}
	return nil
}

// applies reports whether the fault's filters select the request,
// counters aside.
func (f *activeFault) applies(rec *Request) bool {
	endpoint, hasToken, hasCursor := rec.Endpoint, rec.SyncToken != "", rec.Cursor != ""
	if f.Endpoint != "" && f.Endpoint != endpoint {
		return false
	}
	if f.Kind == FaultParentNotFound {
		ep := endpointByName(endpoint)
		if ep == nil || ep.parent == nil {
			return false
		}
		id, _ := rec.Body[ep.parent.param].(string)
		if len(f.IDs) > 0 && !slices.Contains(f.IDs, strings.ToLower(id)) {
			return false
		}
	}
	needToken := f.Kind == FaultSyncTokenExpired || f.OnlyWithSyncToken
	needCursor := f.Kind == FaultInvalidCursor || f.OnlyWithCursor
	return (!needToken || hasToken) && (!needCursor || hasCursor)
}

// take counts a request that the fault applies to and reports whether
// the fault takes it: false while requests are being skipped and once
// Times is used up.
func (f *activeFault) take(endpoint string) bool {
	key := ""
	if f.PerEndpoint {
		key = endpoint
	}
	c := f.counts[key]
	if c == nil {
		c = &faultCount{}
		f.counts[key] = c
	}
	if f.Times > 0 && c.taken >= f.Times {
		return false
	}
	if c.skipped < f.Skip {
		c.skipped++
		return false
	}
	c.taken++
	return true
}

// faultResponse is the error response of a fault kind that replaces the
// response.
type faultResponse struct {
	status     int
	code       string
	message    string
	retryAfter int // -1 for no header
}

func (f *Fault) response(endpoint string) faultResponse {
	r := faultResponse{status: http.StatusOK, code: f.Code, retryAfter: -1}
	switch f.Kind {
	case FaultRateLimit:
		r.status, r.retryAfter = http.StatusTooManyRequests, f.RetryAfter
		r.code = cmp.Or(f.Code, "rate_limited")
		r.message = fmt.Sprintf("Too many requests. Retry after %d seconds.", f.RetryAfter)
	case FaultServerError:
		r.status = cmp.Or(f.Status, http.StatusInternalServerError)
		r.code = cmp.Or(f.Code, "server_error")
		r.message = "The server failed to process the request. Retry later."
	case FaultSyncTokenExpired:
		r.code = cmp.Or(f.Code, "sync_token_expired")
		r.message = "The syncToken has expired. Drop the stored token and run a full sync."
	case FaultInvalidCursor:
		r.code = cmp.Or(f.Code, "invalid_next_cursor")
		r.message = "The cursor is invalid. Restart the listing from its first page."
	case FaultErrorCode:
		r.status = cmp.Or(f.Status, http.StatusOK)
		r.message = "Injected error " + f.Code + "."
	case FaultParentNotFound:
		ref := endpointByName(endpoint).parent
		r.code = cmp.Or(f.Code, ref.notFound)
		r.message = fmt.Sprintf("No %s exists with this %s, or the API key cannot see it.",
			kindNoun(ref.kind), ref.param)
	}
	return r
}

// AddFault injects a fault into later responses. It returns an error when
// the fault is not well-formed.
func (s *Server) AddFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("add fault: %w", err)
	}
	ids := make([]string, len(f.IDs))
	for k, id := range f.IDs {
		ids[k] = strings.ToLower(id)
	}
	f.IDs = ids
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, counts: map[string]*faultCount{}})
	return nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault that takes the request, counting it,
// or ok=false.
func (s *Server) takeFault(rec *Request) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for _, f := range s.faults {
		if f.applies(rec) && f.take(rec.Endpoint) {
			return f.Fault, true
		}
	}
	return Fault{}, false
}

// injectFault applies a fault that took the request. Kinds that replace
// the response write their error at once and return done. FaultSlow and
// FaultTruncated return a writer that delivers the normal response badly.
// FaultHang waits first and returns done when the client gave up
// meanwhile, so nothing is sent and the request log records status 0.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, rec *Request, f Fault) (http.ResponseWriter, bool) {
	rec.Fault = true
	switch f.Kind {
	case FaultSlow:
		return &slowWriter{ResponseWriter: w, r: r, delay: cmp.Or(f.Delay, defaultSlowDelay)}, false
	case FaultTruncated:
		return &truncatingWriter{ResponseWriter: w}, false
	case FaultHang:
		t := time.NewTimer(cmp.Or(f.Delay, defaultHangDelay))
		defer t.Stop()
		select {
		case <-t.C:
			return w, false
		case <-r.Context().Done():
			return w, true
		}
	}
	resp := f.response(rec.Endpoint)
	if resp.retryAfter >= 0 {
		w.Header().Set("Retry-After", fmt.Sprint(resp.retryAfter))
	}
	s.writeError(w, rec, resp.status, resp.code, resp.message)
	return w, true
}

// slowWriter sends each body write in slowPieces pieces with a pause
// between them, so that one write takes about delay. It stops early when
// the client goes away.
type slowWriter struct {
	http.ResponseWriter
	r     *http.Request
	delay time.Duration
}

func (sw *slowWriter) Write(p []byte) (int, error) {
	rc := http.NewResponseController(sw.ResponseWriter)
	size := max(1, (len(p)+slowPieces-1)/slowPieces)
	pause := sw.delay / (slowPieces - 1)
	written := 0
	for written < len(p) {
		if written > 0 {
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-sw.r.Context().Done():
				t.Stop()
				return written, sw.r.Context().Err()
			}
		}
		n, err := sw.ResponseWriter.Write(p[written:min(len(p), written+size)])
		written += n
		if err != nil {
			return written, err
		}
		if err := rc.Flush(); err != nil {
			return written, err
		}
	}
	return written, nil
}

// truncatingWriter sends the first half of the body and drops the rest.
// The header still announces the whole body, so net/http closes the
// connection after the handler returns instead of reusing it, and the
// client reads an unexpected end of the stream.
type truncatingWriter struct {
	http.ResponseWriter
	dropped bool
}

func (tw *truncatingWriter) Write(p []byte) (int, error) {
	if tw.dropped {
		return len(p), nil
	}
	tw.dropped = true
	if _, err := tw.ResponseWriter.Write(p[:len(p)/2]); err != nil {
		return 0, err
	}
	if err := http.NewResponseController(tw.ResponseWriter).Flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}
