package ashbysim

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults of WebhookConfig, used where a field is zero.
const (
	// DefaultWebhookRetryBase is Ashby's documented minimum: the delay
	// before retry n is at least (2^n - 1) times ten seconds.
	DefaultWebhookRetryBase = 10 * time.Second
	// DefaultWebhookAttempts is Ashby's documented maximum number of
	// attempts per event and webhook.
	DefaultWebhookAttempts = 10
	// DefaultWebhookTimeout bounds one attempt. Ashby does not document
	// its response time limit; this value is a guess.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookWorkers is the number of deliveries in flight at once.
	DefaultWebhookWorkers = 4
)

// WebhookConfig configures how the emulator delivers webhook events.
// The zero value behaves like Ashby.
type WebhookConfig struct {
	// RetryBase is the delay unit of retries: retry n (attempt n+1)
	// waits (2^n - 1) × RetryBase after attempt n failed. Zero means
	// DefaultWebhookRetryBase; tests use a millisecond or so.
	RetryBase time.Duration
	// MaxAttempts caps the attempts per event and webhook, the first
	// included. Zero means DefaultWebhookAttempts.
	MaxAttempts int
	// Timeout bounds one attempt, connection and response included. An
	// attempt that times out is retried. Zero means DefaultWebhookTimeout.
	Timeout time.Duration
	// Workers is the number of attempts in flight at once. Zero means
	// DefaultWebhookWorkers. With one worker and Reorder off, first
	// attempts go out in the order of the changes.
	Workers int
	// DuplicateDeliveries delivers every event twice to each webhook,
	// with the same webhookActionId, as Ashby may.
	DuplicateDeliveries bool
	// Reorder shuffles the deliveries of each Apply before sending them.
	Reorder bool
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultWebhookRetryBase
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultWebhookAttempts
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultWebhookTimeout
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWebhookWorkers
	}
	return c
}

// Webhook is a webhook registered with AddWebhook.
type Webhook struct {
	// URL receives the POST requests, e.g. "http://127.0.0.1:8080/hook".
	URL string
	// Secret is the secret token. When set, each request carries the
	// header Ashby-Signature: sha256=<lowercase hex HMAC-SHA256 of the
	// body, keyed with Secret>. Without it the header is absent.
	Secret string
	// Actions lists the actions sent to URL, such as
	// ActionApplicationSubmit. Empty means every action. Ashby configures
	// one action per webhook; several actions here act as several Ashby
	// webhooks to one URL that share a secret.
	Actions []string
}

// Delivery is one attempt to deliver an event or a ping to a webhook.
type Delivery struct {
	WebhookID       string // id returned by AddWebhook
	WebhookActionID string // webhookActionId of the payload
	Action          string // action of the payload, e.g. "applicationUpdate"
	Attempt         int    // 1 for the first attempt of the event and webhook
	// Duplicate marks the second copy sent by
	// WebhookConfig.DuplicateDeliveries; it has its own attempts.
	Duplicate bool
	Status    int    // HTTP status of the response; 0 when there was none
	Error     string // reason the attempt failed; empty when it succeeded
	// Retry reports that another attempt follows after a delay.
	Retry bool
}

// OK reports whether the receiver responded with a 2xx status.
func (d Delivery) OK() bool { return d.Error == "" }

// ErrPingFailed is returned by AddWebhook and EnableWebhook when the
// receiver did not respond to the ping with a 2xx status. The webhook stays
// registered but disabled, as Ashby does.
var ErrPingFailed = errors.New("webhook ping failed")

// AddWebhook registers a webhook and pings it, as creating a webhook in
// Ashby does: one POST with action "ping" and data
// {"webhookActionType": "ping"}, without retries. It returns the
// webhook's id. When the ping fails, the webhook is registered disabled
// and the error wraps ErrPingFailed; fix the receiver and call
// EnableWebhook. Only enabled webhooks receive the events of later
// calls to Apply.
//
// Deliveries run in the background until Close. ctx bounds the ping
// only; its values, not its cancellation, pass to the deliveries.
func (s *Server) AddWebhook(ctx context.Context, w Webhook) (string, error) {
	if err := checkWebhook(w); err != nil {
		return "", err
	}
	w.Actions = append([]string(nil), w.Actions...)
	h := s.hooks.add(ctx, w)
	return h.id, s.hooks.ping(ctx, h)
}

// EnableWebhook pings a registered webhook again and enables it when the
// ping succeeds. The error wraps ErrPingFailed when it does not.
func (s *Server) EnableWebhook(ctx context.Context, id string) error {
	h := s.hooks.find(id)
	if h == nil {
		return fmt.Errorf("enable webhook %s: no such webhook; use an id from AddWebhook", id)
	}
	return s.hooks.ping(ctx, h)
}

// WebhookEnabled reports whether the webhook with id is enabled, and
// whether it exists.
func (s *Server) WebhookEnabled(id string) (enabled, ok bool) {
	h := s.hooks.find(id)
	if h == nil {
		return false, false
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return h.enabled, true
}

// Deliveries returns the delivery attempts so far, pings included, in
// the order they ended. The log keeps the newest Config.RequestLogLimit
// attempts.
func (s *Server) Deliveries() []Delivery {
	d := s.hooks
	d.mu.Lock()
	defer d.mu.Unlock()
	records := d.records
	if len(records) > d.logLimit {
		records = records[len(records)-d.logLimit:]
	}
	return append([]Delivery(nil), records...)
}

// WaitDelivered blocks until every event of earlier calls to Apply has
// settled for every webhook: delivered, rejected with a status that ends
// retries, or out of attempts. With Ashby's retry delays that can take
// hours; set WebhookConfig.RetryBase in tests.
func (s *Server) WaitDelivered(ctx context.Context) error {
	d := s.hooks
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		d.mu.Lock()
		pending := d.pending
		d.mu.Unlock()
		return fmt.Errorf("wait for webhook deliveries: %d still pending: %w", pending, ctx.Err())
	}
}

func checkWebhook(w Webhook) error {
	u, err := url.Parse(w.URL)
	if err != nil {
		return fmt.Errorf("add webhook: invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("add webhook: invalid URL %q: want an absolute http or https URL", w.URL)
	}
	for _, a := range w.Actions {
		if !knownAction(a) {
			return fmt.Errorf("add webhook: unknown action %q; use one of %s", a,
				strings.Join(append(WebhookActions(), otherActions()...), ", "))
		}
	}
	return nil
}
