package ashbysim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// SignatureHeader is the header that carries a payload's signature.
const SignatureHeader = "Ashby-Signature"

// endsRetries reports whether a response status ends the attempts of a
// delivery. Ashby documents these five; it retries every other failure.
func endsRetries(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusMethodNotAllowed, http.StatusGone:
		return true
	}
	return false
}

// hook is a registered webhook.
type hook struct {
	id string
	Webhook
	enabled bool // guarded by deliverer.mu
}

func (h *hook) wants(action string) bool {
	return len(h.Actions) == 0 || slices.Contains(h.Actions, action)
}

// job is the delivery of one event to one webhook, across its attempts.
type job struct {
	hook      *hook
	actionID  string
	action    string
	body      []byte
	attempt   int // attempts made so far
	duplicate bool
}

// deliverer sends webhook events in the background: Workers goroutines
// take jobs from a queue, and a failed attempt goes back to the queue
// after its retry delay.
type deliverer struct {
	cfg      WebhookConfig
	seed     uint64
	log      *slog.Logger
	client   *http.Client
	logLimit int

	mu      sync.Mutex
	hooks   []*hook
	actions int // webhookActionIds issued
	queue   []*job
	waiting map[*job]*time.Timer // jobs waiting for their retry delay
	pending int                  // jobs queued, in flight or waiting
	idle    chan struct{}        // closed while pending is zero
	wake    chan struct{}
	base    context.Context    // values for the workers' context
	cancel  context.CancelFunc // stops the workers; nil while they are stopped
	workers sync.WaitGroup
	records []Delivery
}

func newDeliverer(cfg WebhookConfig, seed uint64, log *slog.Logger, logLimit int) *deliverer {
	cfg = cfg.withDefaults()
	d := &deliverer{
		cfg:      cfg,
		seed:     seed,
		log:      log,
		logLimit: logLimit,
		waiting:  map[*job]*time.Timer{},
		idle:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
	}
	close(d.idle)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = cfg.Workers
	d.client = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// A redirect is a response other than 2xx, so it counts as a
		// failed attempt instead of being followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d
}

// add registers w, disabled until its ping succeeds.
func (d *deliverer) add(ctx context.Context, w Webhook) *hook {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := &hook{id: newID(d.seed, kindWebhook, len(d.hooks)).String(), Webhook: w}
	d.hooks = append(d.hooks, h)
	if d.base == nil {
		d.base = context.WithoutCancel(ctx)
	}
	return h
}

func (d *deliverer) find(id string) *hook {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, h := range d.hooks {
		if h.id == id {
			return h
		}
	}
	return nil
}

// nextActionID issues a new webhookActionId; d.mu must be held.
func (d *deliverer) nextActionID() string {
	id := newID(d.seed, kindWebhookAction, d.actions).String()
	d.actions++
	return id
}

// ping sends h one ping and enables or disables h by its outcome.
func (d *deliverer) ping(ctx context.Context, h *hook) error {
	d.mu.Lock()
	actionID := d.nextActionID()
	d.mu.Unlock()
	var w jsonWriter
	writeEnvelope(&w, actionID, ActionPing, func() {
		w.open()
		w.fieldString("webhookActionType", ActionPing)
		w.close()
	})
	status, err := d.send(ctx, h, w.buf)
	rec := Delivery{WebhookID: h.id, WebhookActionID: actionID, Action: ActionPing,
		Attempt: 1, Status: status}
	if err != nil {
		rec.Error = err.Error()
	}
	d.mu.Lock()
	h.enabled = err == nil
	d.record(rec)
	d.mu.Unlock()
	if err != nil {
		d.log.Warn("webhook ping failed; webhook disabled", "webhook_id", h.id, "url", h.URL, "error", err)
		return fmt.Errorf("ping webhook %s at %s: %w: %w; the webhook is disabled until "+
			"EnableWebhook succeeds", h.id, h.URL, ErrPingFailed, err)
	}
	d.log.Info("webhook enabled", "webhook_id", h.id, "url", h.URL)
	return nil
}

// writeEnvelope writes the payload of an event, with writeData writing
// its data member.
func writeEnvelope(w *jsonWriter, actionID, action string, writeData func()) {
	w.open()
	w.fieldString("webhookActionId", actionID)
	w.fieldString("action", action)
	w.key("data")
	writeData()
	w.close()
}

// queueEvents renders the events of one Apply and queues their
// deliveries. s.mu must be held, so that payloads show the state that
// Apply left.
func (s *Server) queueEvents(events []event) {
	d := s.hooks
	d.mu.Lock()
	defer d.mu.Unlock()
	var targets []*hook
	for _, h := range d.hooks {
		if h.enabled {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return
	}

	var jobs []*job
	var w jsonWriter
	for _, e := range events {
		var to []*hook
		for _, h := range targets {
			if h.wants(e.action) {
				to = append(to, h)
			}
		}
		if len(to) == 0 {
			continue
		}
		w.reset()
		actionID := newID(d.seed, kindWebhookAction, d.actions).String()
		written := true
		writeEnvelope(&w, actionID, e.action, func() { written = s.org.writeEventData(&w, e) })
		if !written {
			continue
		}
		d.actions++
		body := slices.Clone(w.buf)
		for _, h := range to {
			jobs = append(jobs, &job{hook: h, actionID: actionID, action: e.action, body: body})
			if d.cfg.DuplicateDeliveries {
				jobs = append(jobs, &job{hook: h, actionID: actionID, action: e.action, body: body,
					duplicate: true})
			}
		}
	}

	if d.cfg.Reorder {
		rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	}
	d.addPending(len(jobs))
	d.queue = append(d.queue, jobs...)
	d.startWorkers()
	d.signal()
}

// startWorkers starts the workers unless they run; d.mu must be held.
func (d *deliverer) startWorkers() {
	if d.cancel != nil || d.base == nil {
		return
	}
	ctx, cancel := context.WithCancel(d.base)
	d.cancel = cancel
	for range d.cfg.Workers {
		d.workers.Add(1)
		go d.work(ctx)
	}
}

func (d *deliverer) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// addPending and settle count unsettled jobs; d.mu must be held.
func (d *deliverer) addPending(n int) {
	if n > 0 && d.pending == 0 {
		d.idle = make(chan struct{})
	}
	d.pending += n
}

func (d *deliverer) settle() {
	d.pending--
	if d.pending == 0 {
		close(d.idle)
	}
}

// record appends to the delivery log; d.mu must be held.
func (d *deliverer) record(rec Delivery) {
	if d.logLimit <= 0 {
		return
	}
	if len(d.records) >= 2*d.logLimit {
		d.records = slices.Delete(d.records, 0, len(d.records)-d.logLimit+1)
	}
	d.records = append(d.records, rec)
}

func (d *deliverer) work(ctx context.Context) {
	defer d.workers.Done()
	for {
		j, ok := d.next(ctx)
		if !ok {
			return
		}
		d.attempt(ctx, j)
	}
}

// next takes a job from the queue, waiting until there is one or ctx
// ends.
func (d *deliverer) next(ctx context.Context) (*job, bool) {
	for {
		d.mu.Lock()
		if len(d.queue) > 0 {
			j := d.queue[0]
			d.queue[0] = nil
			d.queue = d.queue[1:]
			if len(d.queue) > 0 {
				d.signal() // wake another worker for the rest
			}
			d.mu.Unlock()
			return j, true
		}
		d.mu.Unlock()
		select {
		case <-d.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// attempt makes one attempt of j and schedules the next one if the
// failure allows a retry.
func (d *deliverer) attempt(ctx context.Context, j *job) {
	j.attempt++
	status, err := d.send(ctx, j.hook, j.body)
	closing := ctx.Err() != nil
	retry := err != nil && !closing && j.attempt < d.cfg.MaxAttempts &&
		!endsRetries(status)
	rec := Delivery{WebhookID: j.hook.id, WebhookActionID: j.actionID, Action: j.action,
		Attempt: j.attempt, Duplicate: j.duplicate, Status: status, Retry: retry}
	if err != nil {
		rec.Error = err.Error()
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	d.record(rec)
	switch {
	case retry:
		delay := d.retryDelay(j.attempt)
		d.waiting[j] = time.AfterFunc(delay, func() { d.requeue(j) })
		d.log.Warn("webhook delivery failed; will retry", "webhook_id", j.hook.id,
			"webhook_action_id", j.actionID, "attempt", j.attempt, "delay", delay, "error", err)
	case closing:
		d.settle()
		d.log.Debug("webhook delivery stopped by Close", "webhook_id", j.hook.id,
			"webhook_action_id", j.actionID, "attempt", j.attempt)
	case err != nil:
		d.settle()
		d.log.Error("webhook delivery failed; giving up", "webhook_id", j.hook.id,
			"webhook_action_id", j.actionID, "attempt", j.attempt, "error", err)
	default:
		d.settle()
		d.log.Debug("webhook delivered", "webhook_id", j.hook.id,
			"webhook_action_id", j.actionID, "attempt", j.attempt)
	}
}

// retryDelay returns the delay after attempt n failed: (2^n - 1) ×
// RetryBase, so 1, 3, 7, 15, ... units.
func (d *deliverer) retryDelay(n int) time.Duration {
	return time.Duration(1<<min(n, 30)-1) * d.cfg.RetryBase
}

func (d *deliverer) requeue(j *job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.waiting[j]; !ok {
		return // stop dropped it
	}
	delete(d.waiting, j)
	d.queue = append(d.queue, j)
	d.signal()
}

// send POSTs body to h and returns the response status. The error is
// nil only for a 2xx status.
func (d *deliverer) send(ctx context.Context, h *hook, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Drain a bounded part of the body so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver responded with HTTP status %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// Sign returns the Ashby-Signature header value of body for secret:
// "sha256=" and the lowercase hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// stop stops the workers and drops the jobs not yet delivered. A later
// Apply starts the workers again.
func (d *deliverer) stop() {
	d.mu.Lock()
	cancel := d.cancel
	d.cancel = nil
	dropped := len(d.waiting) + len(d.queue)
	for j, t := range d.waiting {
		t.Stop()
		delete(d.waiting, j)
		d.settle()
	}
	for range d.queue {
		d.settle()
	}
	d.queue = nil
	d.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	d.workers.Wait()
	if dropped > 0 {
		d.log.Info("webhook delivery stopped; undelivered events dropped", "deliveries", dropped)
	}
}
