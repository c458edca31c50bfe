package ashbysim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the key accepted, with every permission, when
// Config.APIKeys is empty.
const DefaultAPIKey = "ashbysim-test-key"

// maxBodyBytes bounds request bodies; list requests are a few hundred bytes.
const maxBodyBytes = 1 << 20

// Config configures an emulated organisation and its API.
type Config struct {
	// Seed selects the organisation. The same Seed and Candidates give the
	// same objects, byte for byte.
	Seed int64
	// Candidates is the number of generated candidates; the counts of the
	// other objects derive from it. Zero or less means DefaultCandidates.
	Candidates int
	// APIKeys maps each accepted API key to its permission ids (the Scope
	// constants). A nil slice grants every permission. An empty map
	// accepts only DefaultAPIKey, with every permission.
	APIKeys map[string][]string
	// RequestLogLimit caps the request log; zero means 100,000 entries and
	// a negative value turns the log off.
	RequestLogLimit int
	// Logger receives start and stop messages at Info and one message per
	// request at Debug, never an API key. Nil discards them.
	Logger *slog.Logger
	// Webhooks configures the delivery of webhook events to the webhooks
	// registered with AddWebhook.
	Webhooks WebhookConfig
}

// apiKey is a configured key's permissions.
type apiKey struct {
	key    string
	scopes []string // nil: every permission
}

func (k apiKey) allows(scope string) bool {
	return k.scopes == nil || slices.Contains(k.scopes, scope)
}

// Server emulates Ashby's API for one generated organisation. Its methods
// are safe for concurrent use, also while it serves requests.
type Server struct {
	mu  sync.RWMutex // guards org
	org *org

	keys []apiKey
	log  *slog.Logger

	faultMu sync.Mutex
	faults  []*activeFault

	logMu    sync.Mutex
	requests []Request
	seq      int
	logLimit int

	requestIDs atomic.Uint64
	buffers    sync.Pool

	httpMu   sync.Mutex
	httpSrv  *http.Server
	listener net.Listener

	hooks *deliverer
}

// New creates the server of the organisation described by cfg. New
// generates only the small catalogues, so it returns in milliseconds even
// for ten million candidates.
func New(cfg Config) *Server {
	if cfg.Candidates <= 0 {
		cfg.Candidates = DefaultCandidates
	}
	s := &Server{org: newOrg(cfg.Seed, cfg.Candidates), log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.RequestLogLimit == 0:
		s.logLimit = defaultRequestLogLimit
	case cfg.RequestLogLimit > 0:
		s.logLimit = cfg.RequestLogLimit
	}
	if len(cfg.APIKeys) == 0 {
		s.keys = []apiKey{{key: DefaultAPIKey}}
	}
	for key, scopes := range cfg.APIKeys {
		var copied []string
		if scopes != nil {
			copied = append([]string{}, scopes...)
		}
		s.keys = append(s.keys, apiKey{key: key, scopes: copied})
	}
	s.hooks = newDeliverer(cfg.Webhooks, s.org.seed, s.log, s.logLimit)
	s.buffers.New = func() any { return &jsonWriter{buf: make([]byte, 0, 64<<10)} }
	return s
}

// Handler returns the HTTP handler of the emulated API, for use with
// httptest.Server or a server of the caller's own.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start listens on addr, such as "127.0.0.1:0", and serves the API in the
// background. It returns the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (baseURL string, err error) {
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("start ashby emulator: already started; call Close first")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("start ashby emulator on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.httpSrv, s.listener = srv, ln
	baseURL = "http://" + ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ashby emulator stopped serving", "addr", ln.Addr().String(), "error", err)
		}
	}()
	s.log.Info("ashby emulator started", "url", baseURL,
		"candidates", s.org.n.candidates, "applications", s.org.n.applications, "jobs", s.org.n.jobs)
	return baseURL, nil
}

// Close stops webhook delivery, dropping the deliveries not yet made, and
// stops a server started with Start and closes its connections. A later
// Apply delivers again. Close does nothing else when the server is not
// running.
func (s *Server) Close() error {
	s.hooks.stop()
	s.httpMu.Lock()
	defer s.httpMu.Unlock()
	if s.httpSrv == nil {
		return nil
	}
	err := s.httpSrv.Close()
	s.log.Info("ashby emulator stopped", "addr", s.listener.Addr().String())
	s.httpSrv, s.listener = nil, nil
	if err != nil {
		return fmt.Errorf("close ashby emulator: %w", err)
	}
	return nil
}

// lookupKey finds a configured key in constant time per key.
func (s *Server) lookupKey(key string) (apiKey, bool) {
	found, match := apiKey{}, false
	for _, k := range s.keys {
		if subtle.ConstantTimeCompare([]byte(k.key), []byte(key)) == 1 {
			found, match = k, true
		}
	}
	return found, match
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Endpoint: strings.TrimPrefix(r.URL.Path, "/")}
	s.handle(w, r, &rec)
	s.logRequest(rec)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, rec *Request) {
	key, ep, ok := s.authorize(w, r, rec)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		msg := fmt.Sprintf("The request body could not be read: %v.", err)
		s.writeError(w, rec, http.StatusOK, "invalid_input", msg)
		return
	}
	rec.recordBody(body)
	members, err := decodeBody(body)
	if err != nil {
		s.writeFailure(w, rec, err)
		return
	}

	if f, ok := s.takeFault(rec); ok {
		var done bool
		if w, done = s.injectFault(w, r, rec, f); done {
			return
		}
	}
	if ep == nil {
		s.writeAPIKeyInfo(w, rec, key)
		return
	}
	s.serveList(w, rec, ep, members)
}

// authorize checks credentials, endpoint, method and permission in that
// order and writes the error response of the first check that fails. It
// returns a nil endpoint for apiKey.info.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rec *Request) (apiKey, *endpoint, bool) {
	user, _, ok := r.BasicAuth()
	if !ok || user == "" {
		rec.Auth, rec.Status = AuthMissing, http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="Ashby API"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "Unauthorized: send your Ashby API key as the username "+
			"of HTTP Basic authentication.\n")
		return apiKey{}, nil, false
	}
	key, known := s.lookupKey(user)
	if !known {
		rec.Auth = AuthInvalidKey
		s.writeError(w, rec, http.StatusForbidden, "missing_endpoint_permission",
			"The API key is not valid or has been deactivated.")
		return apiKey{}, nil, false
	}

	rec.Auth = AuthOK
	ep := endpointByName(rec.Endpoint)
	if ep == nil && rec.Endpoint != apiKeyInfo {
		msg := fmt.Sprintf("There is no endpoint /%s. List endpoints look like /candidate.list.",
			rec.Endpoint)
		s.writeError(w, rec, http.StatusNotFound, "endpoint_not_found", msg)
		return key, nil, false
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, rec, http.StatusMethodNotAllowed, "method_not_allowed",
			"Every endpoint takes POST with a JSON body.")
		return key, nil, false
	}
	scope := ScopeAPIKeysRead
	if ep != nil {
		scope = ep.scope
	}
	if !key.allows(scope) {
		rec.Auth = AuthMissingScope
		msg := fmt.Sprintf("The API key lacks the %s permission that /%s requires.",
			scope, rec.Endpoint)
		s.writeError(w, rec, http.StatusForbidden, "missing_endpoint_permission", msg)
		return key, nil, false
	}
	return key, ep, true
}
