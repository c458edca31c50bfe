package ashby

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/restload/restload/source/rest"
)

// envelopeOptions decode the envelope as leniently as encoding/json does:
// member names in any case, duplicate names and invalid UTF-8 accepted.
var envelopeOptions = []jsonv2.Options{
	jsonv2.MatchCaseInsensitiveNames(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

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
		b.WriteString("; set the API key, sources.ashby.api_key (SOURCES__ASHBY__API_KEY or .restload/secrets.toml), to a valid key")
	case e.Code == "missing_endpoint_permission":
		b.WriteString("; check that the API key, sources.ashby.api_key (SOURCES__ASHBY__API_KEY or .restload/secrets.toml), is active and has the read permission this endpoint needs (Ashby admin, API keys)")
	}
	return b.String()
}

// envelope is Ashby's response body for every endpoint.
type envelope struct {
	Success   bool   `json:"success"`
	SyncToken string `json:"syncToken"`
	Errors    []any  `json:"errors"`
	ErrorInfo *struct {
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

// checkEnvelope is the response hook of every Ashby request. Ashby reports
// most errors as HTTP 200 with success false, which it turns into an
// *APIError; 401 and 403 become one too. 429 and 5xx pass on to the
// engine, which retries them.
func checkEnvelope(resp *rest.Response) error {
	endpoint := endpointOf(resp.URL)
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests || s >= 500:
		return nil
	case s != http.StatusOK:
		ae := &APIError{Endpoint: endpoint, Status: s}
		// 401 bodies are plain text; 403 bodies carry the error envelope.
		var env envelope
		if json.Unmarshal(resp.Body, &env) == nil && !env.Success && (env.ErrorInfo != nil || len(env.Errors) > 0) {
			ae = env.apiError(endpoint)
			ae.Status = s
		} else {
			ae.Message = snippet(resp.Body)
		}
		return ae
	}
	env, err := decodeEnvelope(resp)
	if err != nil {
		return fmt.Errorf("ashby %s: response is not the JSON envelope (%v): %q", endpoint, err, snippet(resp.Body))
	}
	if !env.Success {
		return env.apiError(endpoint)
	}
	return nil
}

// decodeEnvelope decodes the envelope members of the body of resp.
// Every page passes through here, and a page can be megabytes of items
// around these few members. EachMember reads the members from the scan
// that the engine makes of every page anyway, so the items are not read
// again. Names match in any case and a later duplicate wins, as
// encoding/json does.
func decodeEnvelope(resp *rest.Response) (*envelope, error) {
	var env envelope
	err := resp.EachMember(func(name string, v json.RawMessage) error {
		var dst any
		switch {
		case strings.EqualFold(name, "success"):
			dst = &env.Success
		case strings.EqualFold(name, "syncToken"):
			dst = &env.SyncToken
		case strings.EqualFold(name, "errors"):
			dst = &env.Errors
		case strings.EqualFold(name, "errorInfo"):
			dst = &env.ErrorInfo
		default:
			return nil
		}
		if err := jsonv2.Unmarshal(v, dst, envelopeOptions...); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &env, nil
}

// endpointOf returns the RPC name, such as "candidate.list", of a request
// URL.
func endpointOf(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	return path.Base(parsed.Path)
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
