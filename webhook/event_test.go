package webhook

import (
	"encoding/json"
	"testing"
)

func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"webhookActionId":"a","action":"jobUpdate","data":{"job":{"id":"j"}}}`))
	f.Add([]byte(`{"action":"ping","data":{"webhookActionType":"ping"}}`))
	f.Add([]byte(`{"data":{"webhookActionType":"ping"}}`))
	f.Add([]byte(`{"webhookActionId":"a","action":"x","data":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, ping, err := parsePayload(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if ping {
			return
		}
		if ev.ID == "" || ev.Action == "" {
			t.Fatalf("accepted %q with id %q and action %q", body, ev.ID, ev.Action)
		}
		if string(ev.Body) != string(body) {
			t.Fatalf("event body %q differs from the request body %q", ev.Body, body)
		}
	})
}
