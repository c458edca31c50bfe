package ashbysim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

const testKey = "test-key-7f3e2a91"

// startServer starts an emulator on loopback and stops it when the test
// ends.
func startServer(t *testing.T, cfg ashbysim.Config) (*ashbysim.Server, string) {
	t.Helper()
	if cfg.APIKeys == nil {
		cfg.APIKeys = map[string][]string{testKey: nil}
	}
	s := ashbysim.New(cfg)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return s, url
}

// response is a decoded API response.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   envelope
}

// envelope holds the members of Ashby's success and error envelopes.
type envelope struct {
	Success bool `json:"success"`
	// RawResults is the results member: an array for lists, an object
	// for apiKey.info. Results holds the items of an array.
	RawResults        json.RawMessage   `json:"results"`
	Results           []json.RawMessage `json:"-"`
	MoreDataAvailable *bool             `json:"moreDataAvailable"`
	NextCursor        *string           `json:"nextCursor"`
	SyncToken         *string           `json:"syncToken"`
	Errors            []string          `json:"errors"`
	ErrorInfo         *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"errorInfo"`
}

// post sends body as JSON to an endpoint with key as the Basic username.
// An empty key sends no credentials.
func post(t *testing.T, url, key, endpoint string, body any) response {
	t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
		payload = []byte("{}")
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			t.Fatalf("encode body: %v", err)
		}
	}

	req, err := http.NewRequest(http.MethodPost, url+"/"+endpoint, bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s response: %v", endpoint, err)
	}
	r := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if bytes.HasPrefix(raw, []byte("{")) {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("decode %s response: %v\n%s", endpoint, err, raw)
		}
		if bytes.HasPrefix(r.Body.RawResults, []byte("[")) {
			if err := json.Unmarshal(r.Body.RawResults, &r.Body.Results); err != nil {
				t.Fatalf("decode %s results: %v", endpoint, err)
			}
		}
	}
	return r
}

// mustSucceed fails the test unless r is a 200 success envelope.
func mustSucceed(t *testing.T, endpoint string, r response) {
	t.Helper()
	if r.Status != http.StatusOK || !r.Body.Success {
		t.Fatalf("%s: status %d, body %s", endpoint, r.Status, r.Raw)
	}
}

// listing is the outcome of paging through an endpoint.
type listing struct {
	IDs       []string
	Items     []json.RawMessage
	Pages     []response
	SyncToken string
}

// listAll pages through endpoint with params, following nextCursor and
// resending params (the sync token included) on every page.
func listAll(t *testing.T, url, endpoint string, params map[string]any) listing {
	t.Helper()
	var out listing
	body := map[string]any{}
	for k, v := range params {
		body[k] = v
	}
	for page := 0; ; page++ {
		if page > 100_000 {
			t.Fatalf("%s: too many pages", endpoint)
		}
		r := post(t, url, testKey, endpoint, body)
		mustSucceed(t, endpoint, r)
		out.Pages = append(out.Pages, r)
		for _, item := range r.Body.Results {
			out.Items = append(out.Items, item)
			out.IDs = append(out.IDs, idOf(t, item))
		}
		if r.Body.MoreDataAvailable == nil || !*r.Body.MoreDataAvailable {
			if r.Body.SyncToken != nil {
				out.SyncToken = *r.Body.SyncToken
			}
			return out
		}
		if r.Body.NextCursor == nil {
			t.Fatalf("%s: moreDataAvailable without nextCursor: %s", endpoint, r.Raw)
		}
		body["cursor"] = *r.Body.NextCursor
	}
}

func idOf(t *testing.T, item json.RawMessage) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(item, &v); err != nil {
		t.Fatalf("decode item: %v\n%s", err, item)
	}
	return v.ID
}

func decodeMap(t *testing.T, item json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(item, &m); err != nil {
		t.Fatalf("decode item: %v\n%s", err, item)
	}
	return m
}

// objectIDs returns the ids of Server.Objects for endpoint and params.
func objectIDs(t *testing.T, s *ashbysim.Server, endpoint string, params map[string]any) []string {
	t.Helper()
	objs, err := s.Objects(endpoint, params)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = idOf(t, o)
	}
	return ids
}

// parseMillis parses an API timestamp into epoch milliseconds.
func parseMillis(t *testing.T, ts string) int64 {
	t.Helper()
	tm, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
	if err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	return tm.UnixMilli()
}
