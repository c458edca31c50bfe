package webhookload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// Send defaults, used where a SendConfig field is zero.
const (
	DefaultConcurrency = 32
	DefaultTimeout     = 30 * time.Second
)

// maxErrors is the number of failure messages that a Result keeps.
const maxErrors = 10

// SendConfig configures Send.
type SendConfig struct {
	// URL is the webhook URL, path included.
	URL string
	// Secret signs each body in the Ashby-Signature header. Empty sends
	// no signature.
	Secret string
	// Rate is the arrival rate in requests per second: request i is due
	// i/Rate seconds after the start. Zero sends each request as soon as
	// a connection is free.
	Rate float64
	// Concurrency is the maximum number of requests in flight. A due
	// request waits for a free slot, and that wait counts in its latency.
	// Zero means DefaultConcurrency.
	Concurrency int
	// MaxDuration stops sending when it has passed since the start. The
	// deliveries not yet sent count in Result.Unsent. Zero means no limit.
	MaxDuration time.Duration
	// Timeout bounds one request. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Result is the outcome of Send.
type Result struct {
	// Deliveries are those given to Send, in order.
	Deliveries []Delivery
	// Sent is the number of requests made: the first Sent deliveries.
	Sent int
	// Unsent is the number of deliveries that MaxDuration or the end of
	// the context left unsent.
	Unsent int
	// Stored and Duplicates count the 200 responses whose body was
	// "stored" and "duplicate".
	Stored, Duplicates int
	// Failed counts requests without a 200 response, or whose response
	// body was neither "stored" nor "duplicate".
	Failed int
	// Errors holds the first failure messages, at most ten.
	Errors []string
	// Latencies holds the latency of every request made, sorted.
	Latencies []time.Duration
	// Elapsed runs from the start to the end of the last response.
	Elapsed time.Duration

	ok []bool // by delivery: whether it got 200
}

// outcome is the result of one request.
type outcome struct {
	latency time.Duration
	body    string // trimmed response body of a 200 response
	err     error
}

// Send posts deliveries to cfg.URL in order, paced by cfg.Rate, and
// returns what each request got. It returns an error only for an invalid
// configuration. A failed request is counted in the Result and not
// retried.
func Send(ctx context.Context, cfg SendConfig, deliveries []Delivery) (*Result, error) {
	if cfg.URL == "" {
		return nil, errors.New("send webhook events: no URL")
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("send webhook events: invalid rate %g: use 0 or more events per second", cfg.Rate)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	signatures := make([]string, len(deliveries))
	if cfg.Secret != "" {
		for i, d := range deliveries {
			signatures[i] = ashbysim.Sign(cfg.Secret, d.Body)
		}
	}
	transport := &http.Transport{
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	type job struct {
		i   int
		due time.Time // zero: the request is due when a worker takes it
	}
	jobs := make(chan job)
	outcomes := make([]outcome, len(deliveries))
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for j := range jobs {
				start := j.due
				if start.IsZero() {
					start = time.Now()
				}
				outcomes[j.i] = post(ctx, client, cfg.URL, deliveries[j.i].Body, signatures[j.i])
				outcomes[j.i].latency = time.Since(start)
			}
		})
	}

	start := time.Now()
	sent := 0
	for i := range deliveries {
		var due time.Time
		if cfg.Rate > 0 {
			due = start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
			if !sleepUntil(ctx, due) {
				break
			}
		}
		if cfg.MaxDuration > 0 && time.Since(start) > cfg.MaxDuration {
			break
		}
		select {
		case jobs <- job{i: i, due: due}:
			sent++
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	return summarize(deliveries, outcomes[:sent], time.Since(start)), nil
}

// sleepUntil waits until t and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// post sends one signed request and reads the response.
func post(ctx context.Context, client *http.Client, url string, body []byte, signature string) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(ashbysim.SignatureHeader, signature)
	}
	resp, err := client.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return outcome{err: fmt.Errorf("read response: %w", err)}
	}
	reply := strings.TrimSpace(string(text))
	if resp.StatusCode != http.StatusOK {
		return outcome{err: fmt.Errorf("HTTP status %d: %.200s", resp.StatusCode, reply)}
	}
	return outcome{body: reply}
}

func summarize(deliveries []Delivery, outcomes []outcome, elapsed time.Duration) *Result {
	r := &Result{
		Deliveries: deliveries,
		Sent:       len(outcomes),
		Unsent:     len(deliveries) - len(outcomes),
		Elapsed:    elapsed,
		Latencies:  make([]time.Duration, len(outcomes)),
		ok:         make([]bool, len(deliveries)),
	}
	for i, o := range outcomes {
		r.Latencies[i] = o.latency
		err := o.err
		switch {
		case err != nil:
		case o.body == "stored":
			r.Stored++
		case o.body == "duplicate":
			r.Duplicates++
		default:
			err = fmt.Errorf("HTTP status 200 with unexpected body %.200q", o.body)
		}
		if err != nil {
			r.Failed++
			if len(r.Errors) < maxErrors {
				r.Errors = append(r.Errors, fmt.Sprintf("%s (%s): %v", deliveries[i].ID, deliveries[i].Action, err))
			}
			continue
		}
		r.ok[i] = true
	}
	slices.Sort(r.Latencies)
	return r
}

// Accepted returns the deliveries that got a 200 response, in order.
func (r *Result) Accepted() []Delivery {
	var out []Delivery
	for i, ok := range r.ok {
		if ok {
			out = append(out, r.Deliveries[i])
		}
	}
	return out
}

// Percentile returns the latency that p percent of the requests did not
// exceed (nearest rank), or zero without requests.
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(n) / 100))
	return r.Latencies[min(max(rank, 1), n)-1]
}

// Rate returns the requests made per second of Elapsed.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}
