package ashbysim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
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
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes responses to replace with an error. Faults apply to
// requests that passed authentication and carry a JSON object body, before
// the endpoint checks its parameters. The first matching fault wins.
type Fault struct {
	Kind FaultKind
	// Endpoint limits the fault to one endpoint, such as "candidate.list";
	// empty means every endpoint.
	Endpoint string
	// Times is how many responses the fault replaces; 0 means every
	// response until ClearFaults.
	Times int
	// Code overrides the error code of the response. FaultErrorCode
	// requires it.
	Code string
	// Status overrides the HTTP status of FaultServerError (500-599) and
	// FaultErrorCode.
	Status int
	// RetryAfter is the Retry-After header of FaultRateLimit, in seconds.
	RetryAfter int
	// OnlyWithSyncToken and OnlyWithCursor restrict a FaultErrorCode to
	// requests that carry a syncToken or a cursor, which suits codes such
	// as incremental_sync_too_large and next_cursor_expired.
	OnlyWithSyncToken bool
	OnlyWithCursor    bool
	// IDs restricts a FaultParentNotFound to requests for these parent
	// ids; empty means every parent.
	IDs []string
}

// activeFault is a Fault with its remaining count.
type activeFault struct {
	Fault
	left int // responses left; -1 for unlimited
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultRateLimit, FaultSyncTokenExpired, FaultInvalidCursor:
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
	if f.RetryAfter < 0 {
		return fmt.Errorf("invalid Retry-After %d: use seconds, 0 or more", f.RetryAfter)
	}
	return nil
}

func (f *activeFault) matches(rec *Request) bool {
	endpoint, hasToken, hasCursor := rec.Endpoint, rec.SyncToken != "", rec.Cursor != ""
	if f.left == 0 || f.Endpoint != "" && f.Endpoint != endpoint {
		return false
	}
	if f.Kind == FaultParentNotFound {
		ep := endpointByName(endpoint)
		if ep == nil || ep.parent == nil {
			return false
		}
		id, _ := rec.Body[ep.parent.param].(string)
		return len(f.IDs) == 0 || slices.Contains(f.IDs, strings.ToLower(id))
	}
	needToken := f.Kind == FaultSyncTokenExpired || f.OnlyWithSyncToken
	needCursor := f.Kind == FaultInvalidCursor || f.OnlyWithCursor
	return (!needToken || hasToken) && (!needCursor || hasCursor)
}

// faultResponse is the response an injected fault produces.
type faultResponse struct {
	status     int
	code       string
	message    string
	retryAfter int // -1 for no header
}

func (f *activeFault) response(endpoint string) faultResponse {
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
	left := f.Times
	if left == 0 {
		left = -1
	}
	ids := make([]string, len(f.IDs))
	for k, id := range f.IDs {
		ids[k] = strings.ToLower(id)
	}
	f.IDs = ids
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, left: left})
	return nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

// takeFault returns the response of the first fault that matches the
// request and counts it, or ok=false.
func (s *Server) takeFault(rec *Request) (faultResponse, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for _, f := range s.faults {
		if f.matches(rec) {
			if f.left > 0 {
				f.left--
			}
			return f.response(rec.Endpoint), true
		}
	}
	return faultResponse{}, false
}
