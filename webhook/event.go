package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one webhook delivery as stored in the spool.
type Event struct {
	// ID is the webhookActionId, the same across Ashby's retries of one
	// event and across several webhooks subscribed to it.
	ID string
	// Action is the event type, e.g. "candidateStageChange".
	Action string
	// Received is when the receiver stored the event.
	Received time.Time
	// Body is the request body exactly as received.
	Body []byte
}

// envelope is the part of an Ashby payload the receiver reads.
type envelope struct {
	WebhookActionID   *string         `json:"webhookActionId"`
	Action            *string         `json:"action"`
	WebhookActionType string          `json:"webhookActionType"`
	Data              json.RawMessage `json:"data"`
}

// pingAction is the action, or the webhookActionType, of the request that
// Ashby sends when a webhook is created or edited.
const pingAction = "ping"

// parsePayload validates an Ashby payload and returns the event it
// carries. ping reports a configuration check, which has no event to
// store and may lack a webhookActionId.
func parsePayload(body []byte) (ev Event, ping bool, err error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, false, fmt.Errorf("decode payload: %w", err)
	}
	if env.Action != nil && *env.Action == pingAction ||
		env.WebhookActionType == pingAction || isPingData(env.Data) {
		return Event{}, true, nil
	}
	switch {
	case env.WebhookActionID == nil || *env.WebhookActionID == "":
		return Event{}, false, errors.New("missing webhookActionId")
	case env.Action == nil || *env.Action == "":
		return Event{}, false, errors.New("missing action")
	case len(env.Data) == 0 || env.Data[0] != '{':
		return Event{}, false, errors.New("data is missing or not a JSON object")
	}
	return Event{ID: *env.WebhookActionID, Action: *env.Action, Body: body}, false, nil
}

// isPingData reports whether data is an object whose webhookActionType is
// "ping", the shape that Ashby's payload list gives for pings.
func isPingData(data json.RawMessage) bool {
	if len(data) == 0 || data[0] != '{' || !bytes.Contains(data, []byte(pingAction)) {
		return false
	}
	var d struct {
		WebhookActionType string `json:"webhookActionType"`
	}
	return json.Unmarshal(data, &d) == nil && d.WebhookActionType == pingAction
}
