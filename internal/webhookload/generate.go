package webhookload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

// Config configures Generate. The zero value of each ratio adds nothing.
type Config struct {
	// Events is the number of deliveries, copies included. It must be 1
	// or more.
	Events int
	// Seed selects the emulated organisation, the positions of the added
	// events and which events are repeated.
	Seed int64
	// Duplicates is the fraction of Events that repeat an earlier event
	// with the same webhookActionId and body, from 0 to below 1. Half of
	// the copies follow their original within 64 deliveries, so some
	// arrive while the original is still in flight. The others come
	// anywhere later, after the original has usually been loaded.
	Duplicates float64
	// Unknown is the fraction of Events whose action the loader keeps in
	// webhook_events only, from 0 to below 1 together with Duplicates.
	Unknown float64
}

// Delivery is one webhook request to send.
type Delivery struct {
	// ID is the webhookActionId.
	ID string
	// Action is the action member of the payload.
	Action string
	// Body is the payload, unsigned.
	Body []byte
	// Copy marks a repeat of an earlier delivery with the same ID.
	Copy bool
}

// envelope is the part of a payload that Generate and Expect read.
type envelope struct {
	ID     string                     `json:"webhookActionId"`
	Action string                     `json:"action"`
	Data   map[string]json.RawMessage `json:"data"`
}

// simCandidates is the size of the emulated organisation: about 6,500
// applications, 100 jobs and 650 offers, enough that a few hundred rounds
// of changes spread over many objects.
const simCandidates = 5000

// roundChanges is one round of changes to the emulated organisation. It
// gives about a hundred events, most of them about applications, as a
// recruiting team's activity does.
func roundChanges() ashbysim.Changes {
	return ashbysim.Changes{
		UpdatedApplications:       40,
		NewApplications:           5,
		UpdatedJobs:               2,
		NewOffers:                 3,
		UpdatedOffers:             6,
		NewInterviewSchedules:     2,
		UpdatedInterviewSchedules: 3,
		NewOpenings:               1,
		DeletedCandidates:         1,
		DeletedOffers:             1,
		MergedCandidates:          1,
	}
}

// unknownActions are Ashby actions that the emulator never sends and the
// loader keeps in webhook_events only.
func unknownActions() []string {
	return []string{"interviewPlanTransition", "signatureRequestUpdate", "takeHomeAssignmentCompleted"}
}

// Generate returns cfg.Events deliveries in the order to send them.
func Generate(ctx context.Context, cfg Config) ([]Delivery, error) {
	switch {
	case cfg.Events < 1:
		return nil, fmt.Errorf("generate webhook events: invalid count %d: use 1 or more", cfg.Events)
	case cfg.Duplicates < 0 || cfg.Unknown < 0 || cfg.Duplicates+cfg.Unknown >= 1:
		return nil, fmt.Errorf("generate webhook events: invalid fractions %g duplicates and %g unknown: "+
			"each must be 0 or more and their sum below 1", cfg.Duplicates, cfg.Unknown)
	}
	copies := int(float64(cfg.Events) * cfg.Duplicates)
	unknown := int(float64(cfg.Events) * cfg.Unknown)
	distinct := cfg.Events - copies
	fromSim := distinct - unknown

	events, err := captureEvents(ctx, cfg.Seed, fromSim)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	events = addUnknown(rng, events, unknown)
	return addCopies(rng, events, copies), nil
}

// captureEvents applies rounds of changes to an emulated organisation
// and returns the first n events that it delivers to a receiver on
// loopback.
func captureEvents(ctx context.Context, seed int64, n int) ([]Delivery, error) {
	if n == 0 {
		return nil, nil
	}
	rec := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for emulated webhook events: %w", err)
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	sim := ashbysim.New(ashbysim.Config{Seed: seed, Candidates: simCandidates, RequestLogLimit: -1,
		Webhooks: ashbysim.WebhookConfig{RetryBase: time.Millisecond, Workers: 1}})
	defer sim.Close()
	if _, err := sim.AddWebhook(ctx, ashbysim.Webhook{URL: "http://" + ln.Addr().String() + "/"}); err != nil {
		return nil, fmt.Errorf("register the capturing webhook with the emulator: %w", err)
	}
	for rec.count() < n {
		before := rec.count()
		sim.Apply(roundChanges())
		if err := sim.WaitDelivered(ctx); err != nil {
			return nil, fmt.Errorf("capture emulated webhook events: %w", err)
		}
		if err := rec.failure(); err != nil {
			return nil, err
		}
		if rec.count() == before {
			return nil, fmt.Errorf("capture emulated webhook events: a round of changes sent no event after %d of %d", before, n)
		}
	}
	return rec.events()[:n], nil
}

// recorder is an HTTP handler that keeps the events the emulator sends.
type recorder struct {
	mu   sync.Mutex
	got  []Delivery
	err  error
	seen map[string]bool
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID == "" || env.Action == "" {
		r.fail(fmt.Errorf("emulated webhook event is not a valid payload (%v): %.200s", err, body))
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	if env.Action != ashbysim.ActionPing {
		r.add(Delivery{ID: env.ID, Action: env.Action, Body: body})
	}
	w.WriteHeader(http.StatusOK)
}

func (r *recorder) add(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[d.ID] {
		r.err = errors.Join(r.err, fmt.Errorf("the emulator sent webhookActionId %s twice", d.ID))
		return
	}
	r.seen[d.ID] = true
	r.got = append(r.got, d)
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	r.err = errors.Join(r.err, err)
	r.mu.Unlock()
}

func (r *recorder) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *recorder) events() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// addUnknown inserts n events of unknownActions at random positions.
//
// NOTE: the emulator does not produce these actions, so their data
// member is invented: the application of an earlier event, which is what
// the loader must ignore for an action it has no table for.
func addUnknown(rng *rand.Rand, events []Delivery, n int) []Delivery {
	var app json.RawMessage
	for _, d := range events {
		var env envelope
		if json.Unmarshal(d.Body, &env) == nil && len(env.Data["application"]) > 0 {
			app = env.Data["application"]
			break
		}
	}
	data := map[string]json.RawMessage{}
	if app != nil {
		data["application"] = app
	}
	actions := unknownActions()
	for i := range n {
		d := Delivery{ID: randomUUID(rng), Action: actions[i%len(actions)]}
		body, err := json.Marshal(envelope{ID: d.ID, Action: d.Action, Data: data})
		if err != nil {
			panic(fmt.Sprintf("encode an unknown webhook event: %v", err)) // raw JSON and strings only
		}
		d.Body = body
		events = slices.Insert(events, rng.IntN(len(events)+1), d)
	}
	return events
}

// maxNearGap is the largest number of deliveries between an event and a
// near copy of it.
const maxNearGap = 64

// addCopies adds n copies of randomly chosen events, each after its
// original: half within maxNearGap deliveries, half anywhere later.
func addCopies(rng *rand.Rand, events []Delivery, n int) []Delivery {
	if len(events) == 0 || n == 0 {
		return events
	}
	type slot struct {
		pos float64
		d   Delivery
	}
	slots := make([]slot, 0, len(events)+n)
	for i, d := range events {
		slots = append(slots, slot{float64(i), d})
	}
	for k := range n {
		i := rng.IntN(len(events))
		gap := rng.IntN(maxNearGap)
		if k%2 == 1 {
			gap = rng.IntN(len(events) - i)
		}
		d := events[i]
		d.Copy = true
		slots = append(slots, slot{float64(i+gap) + 0.5, d})
	}
	slices.SortStableFunc(slots, func(a, b slot) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	out := make([]Delivery, len(slots))
	for i, s := range slots {
		out[i] = s.d
	}
	return out
}

// randomUUID returns a version 4 UUID drawn from rng.
func randomUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Distinct returns the number of distinct webhookActionIds in deliveries.
func Distinct(deliveries []Delivery) int {
	seen := make(map[string]struct{}, len(deliveries))
	for _, d := range deliveries {
		seen[d.ID] = struct{}{}
	}
	return len(seen)
}
