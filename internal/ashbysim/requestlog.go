package ashbysim

import (
	"bytes"
	"encoding/json"
)

// AuthOutcome is the result of checking a request's API key.
type AuthOutcome string

// Authentication outcomes recorded in the request log.
const (
	AuthOK           AuthOutcome = "ok"            // key known and allowed to call the endpoint
	AuthMissing      AuthOutcome = "missing"       // no Basic credentials: HTTP 401
	AuthInvalidKey   AuthOutcome = "invalid_key"   // unknown key: HTTP 403
	AuthMissingScope AuthOutcome = "missing_scope" // key lacks the endpoint's permission: HTTP 403
)

// Request is one entry of the request log. It never holds the API key.
type Request struct {
	Seq      int    // position in arrival order, from 1
	Method   string // HTTP method
	Endpoint string // path without the leading slash, e.g. "candidate.list"
	// Body is the decoded JSON body, numbers as json.Number. It is nil when
	// the body was empty or not a JSON object, and when the request failed
	// authentication or named no endpoint, since then the body is not read.
	Body      map[string]any
	Cursor    string // the cursor member of the body, if a string
	SyncToken string // the syncToken member of the body, if a string
	Auth      AuthOutcome
	Status    int    // HTTP status of the response
	ErrorCode string // errorInfo.code of an error response, "" on success
	RequestID string // errorInfo.requestId of an error response
	Fault     bool   // the response came from an injected fault
	Results   int    // number of results in a success response
}

// defaultRequestLogLimit is the log size used when Config.RequestLogLimit
// is zero.
const defaultRequestLogLimit = 100_000

// recordBody fills Body, Cursor and SyncToken from a raw request body.
func (r *Request) recordBody(body []byte) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return
	}
	r.Body = m
	r.Cursor, _ = m["cursor"].(string)
	r.SyncToken, _ = m["syncToken"].(string)
}

func (s *Server) logRequest(r Request) {
	s.logMu.Lock()
	s.seq++
	r.Seq = s.seq
	if s.logLimit > 0 {
		if len(s.requests) >= s.logLimit {
			// Drop the oldest half at once to keep appends cheap.
			kept := copy(s.requests, s.requests[len(s.requests)-s.logLimit/2:])
			clear(s.requests[kept:])
			s.requests = s.requests[:kept]
		}
		s.requests = append(s.requests, r)
	}
	s.logMu.Unlock()
	s.log.Debug("ashbysim request", "seq", r.Seq, "endpoint", r.Endpoint, "auth", string(r.Auth),
		"status", r.Status, "code", r.ErrorCode, "results", r.Results)
}

// Requests returns a copy of the request log, oldest first. When the log
// exceeds Config.RequestLogLimit the oldest half is dropped.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// ResetRequests empties the request log. Sequence numbers keep counting.
func (s *Server) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.requests = nil
}
