package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

const (
	// DefaultPath is the URL path that receives Ashby webhooks.
	DefaultPath = "/webhooks/ashby"
	// DefaultMaxBody is the default limit on a request body in bytes.
	// NOTE: Ashby documents no maximum payload size, so 1 MiB is a guess
	// that leaves room for an application together with its offer.
	DefaultMaxBody = 1 << 20
	// SignatureHeader carries "sha256=" and the lowercase hex HMAC-SHA256
	// of the raw body, keyed with the webhook's secret token.
	SignatureHeader = "Ashby-Signature"
)

// Config configures the webhook handler.
type Config struct {
	// Secret is the webhook's secret token. Empty is accepted only with
	// Insecure set.
	Secret string
	// Insecure accepts unsigned requests when Secret is empty. It is for
	// tests and local demos only: anyone who reaches the port can then
	// inject events.
	Insecure bool
	// MaxBody limits the request body in bytes. Zero means DefaultMaxBody.
	MaxBody int64
	// Spool stores accepted events. It is required.
	Spool *Spool
	// Logger receives one line per request. Nil discards them.
	Logger *slog.Logger
	// Path is the URL path that the handler serves. Empty means
	// DefaultPath. Other paths get 404.
	Path string
}

// ErrNoSecret is returned by Handler when Config has no secret and
// Insecure is not set.
var ErrNoSecret = errors.New("no webhook secret: set SOURCES__ASHBY__WEBHOOK_SECRET to the webhook's secret token, or allow unsigned requests explicitly")

type handler struct {
	secret  []byte
	maxBody int64
	spool   *Spool
	logger  *slog.Logger
	path    string
}

// Handler returns an http.Handler that verifies Ashby webhook requests and
// stores their events in cfg.Spool before it responds 200. It responds
// 405 to methods other than POST, 415 to a body that is not JSON, 413 to
// a body over the limit, 401 to a missing, malformed or wrong signature,
// 400 to an invalid payload and 503 when the spool cannot store the
// event, so that Ashby retries. Pings and duplicates get 200 and store
// nothing.
func Handler(cfg Config) (http.Handler, error) {
	if cfg.Spool == nil {
		return nil, errors.New("webhook handler: no spool configured")
	}
	if cfg.Secret == "" && !cfg.Insecure {
		return nil, ErrNoSecret
	}
	h := &handler{
		secret:  []byte(cfg.Secret),
		maxBody: cfg.MaxBody,
		spool:   cfg.Spool,
		logger:  cfg.Logger,
		path:    cfg.Path,
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.path == "" {
		h.path = DefaultPath
	}
	return h, nil
}

// rejection is the error status and reason for a rejected request.
type rejection struct {
	status int
	reason string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != h.path {
		http.NotFound(w, r)
		return
	}

	body, rej := h.readVerified(w, r)
	if rej != nil {
		h.reject(w, r, rej)
		return
	}

	ev, ping, err := parsePayload(body)
	if err != nil {
		h.reject(w, r, &rejection{http.StatusBadRequest, "invalid payload: " + err.Error()})
		return
	}

	if ping {
		h.logger.Info("webhook ping", "action", pingAction, "result", "ping")
		writeText(w, http.StatusOK, "pong")
		return
	}

	dup, err := h.spool.Put(r.Context(), ev)
	if err != nil {
		h.logger.Error("webhook event", "action", ev.Action, "webhook_action_id", ev.ID,
			"result", "spool_failed", "error", err)
		writeText(w, http.StatusServiceUnavailable, "event not stored, retry later")
		return
	}

	result := "stored"
	if dup {
		result = "duplicate"
	}
	h.logger.Info("webhook event", "action", ev.Action, "webhook_action_id", ev.ID, "result", result)
	writeText(w, http.StatusOK, result)
}

// readVerified checks method, content type, size and signature, and
// returns the raw body.
func (h *handler) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, *rejection) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &rejection{http.StatusMethodNotAllowed, "method " + r.Method + " not allowed"}
	}
	// NOTE: Ashby's documentation does not state the Content-Type of its
	// webhook requests; application/json is assumed.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, &rejection{http.StatusUnsupportedMediaType, "content type must be application/json"}
	}
	if r.ContentLength > h.maxBody {
		return nil, &rejection{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", h.maxBody)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &rejection{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", h.maxBody)}
		}
		return nil, &rejection{http.StatusBadRequest, "read body: " + err.Error()}
	}
	if len(h.secret) == 0 {
		return body, nil
	}
	if reason := h.checkSignature(r.Header.Get(SignatureHeader), body); reason != "" {
		return nil, &rejection{http.StatusUnauthorized, reason}
	}
	return body, nil
}

// checkSignature returns why sig does not sign body, or "" when it does.
// The digests are compared in constant time.
func (h *handler) checkSignature(sig string, body []byte) string {
	if sig == "" {
		return "missing " + SignatureHeader + " header"
	}
	alg, digest, ok := strings.Cut(sig, "=")
	if !ok || alg != "sha256" {
		return "malformed " + SignatureHeader + " header: expected sha256=<hex>"
	}
	got, err := hex.DecodeString(digest)
	if err != nil || len(got) != sha256.Size {
		return "malformed " + SignatureHeader + " header: expected sha256=<hex>"
	}
	mac := hmac.New(sha256.New, h.secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return "wrong signature"
	}
	return ""
}

func (h *handler) reject(w http.ResponseWriter, r *http.Request, rej *rejection) {
	h.logger.Warn("webhook request rejected", "result", "rejected", "reason", rej.reason,
		"status", rej.status, "remote_addr", r.RemoteAddr)
	writeText(w, rej.status, rej.reason)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, text+"\n")
}
