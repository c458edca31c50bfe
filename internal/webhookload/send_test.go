package webhookload

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restload/restload/internal/ashbysim"
)

const testSecret = "load-test-secret"

// fakeReceiver responds as the webhook handler does: 401 for a wrong
// signature, "stored" for a new id, "duplicate" for a repeated one, and
// 503 for the ids in reject.
type fakeReceiver struct {
	mu     sync.Mutex
	seen   map[string]bool
	reject map[string]bool
}

func (f *fakeReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get(ashbysim.SignatureHeader) != ashbysim.Sign(testSecret, body) {
		http.Error(w, "wrong signature", http.StatusUnauthorized)
		return
	}
	id := strings.TrimPrefix(string(body), "event-")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.reject[id]:
		http.Error(w, "event not stored, retry later", http.StatusServiceUnavailable)
	case f.seen[id]:
		fmt.Fprintln(w, "duplicate")
	default:
		f.seen[id] = true
		fmt.Fprintln(w, "stored")
	}
}

// startFake serves a fakeReceiver that rejects the given ids.
func startFake(t *testing.T, reject ...string) string {
	t.Helper()
	f := &fakeReceiver{seen: map[string]bool{}, reject: map[string]bool{}}
	for _, id := range reject {
		f.reject[id] = true
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// plainDeliveries returns deliveries whose body is "event-" and the id.
func plainDeliveries(ids ...string) []Delivery {
	out := make([]Delivery, len(ids))
	for i, id := range ids {
		out[i] = Delivery{ID: id, Action: "applicationUpdate", Body: []byte("event-" + id)}
	}
	return out
}

func TestSendCounts(t *testing.T) {
	url := startFake(t, "c")
	ds := plainDeliveries("a", "b", "a", "c", "d", "b")
	res, err := Send(t.Context(), SendConfig{URL: url, Secret: testSecret, Concurrency: 1}, ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 6 || res.Unsent != 0 {
		t.Errorf("Sent %d, Unsent %d; want 6 and 0", res.Sent, res.Unsent)
	}
	if res.Stored != 3 {
		t.Errorf("Stored = %d, want 3 (a, b, d)", res.Stored)
	}
	if res.Duplicates != 2 {
		t.Errorf("Duplicates = %d, want 2", res.Duplicates)
	}
	if res.Failed != 1 {
		t.Errorf("Failed = %d, want 1", res.Failed)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "c (applicationUpdate)") ||
		!strings.Contains(res.Errors[0], "503") {
		t.Errorf("Errors = %q, want one naming c and status 503", res.Errors)
	}
	var accepted []string
	for _, d := range res.Accepted() {
		accepted = append(accepted, d.ID)
	}
	if got := strings.Join(accepted, ","); got != "a,b,a,d,b" {
		t.Errorf("Accepted = %s, want a,b,a,d,b", got)
	}
	if len(res.Latencies) != 6 {
		t.Errorf("got %d latencies, want 6", len(res.Latencies))
	}
}

func TestSendWrongSecret(t *testing.T) {
	url := startFake(t)
	res, err := Send(t.Context(), SendConfig{URL: url, Secret: "another"}, plainDeliveries("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 2 || res.Stored != 0 {
		t.Errorf("Failed %d, Stored %d; want 2 and 0", res.Failed, res.Stored)
	}
	if len(res.Accepted()) != 0 {
		t.Errorf("Accepted = %v, want none", res.Accepted())
	}
}

func TestSendPaced(t *testing.T) {
	url := startFake(t)
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	// At 50 requests per second the last of 11 is due 200 ms after the
	// first, however fast the receiver is.
	res, err := Send(t.Context(), SendConfig{URL: url, Secret: testSecret, Rate: 50}, plainDeliveries(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 11 {
		t.Errorf("Stored = %d, want 11", res.Stored)
	}
	if res.Elapsed < 200*time.Millisecond {
		t.Errorf("Elapsed = %s, want at least 200ms at 50 requests/s", res.Elapsed)
	}
}

func TestSendMaxDuration(t *testing.T) {
	url := startFake(t)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	// 100 requests at 10/s take 9.9 s, far past the limit.
	cfg := SendConfig{URL: url, Secret: testSecret, Rate: 10, MaxDuration: 150 * time.Millisecond}
	res, err := Send(t.Context(), cfg, plainDeliveries(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Unsent == 0 {
		t.Errorf("Unsent = 0 after a 150ms limit at 10 requests/s; Sent %d", res.Sent)
	}
	if res.Sent+res.Unsent != 100 {
		t.Errorf("Sent %d + Unsent %d, want 100", res.Sent, res.Unsent)
	}
	if res.Sent == 0 || res.Stored != res.Sent {
		t.Errorf("Sent %d, Stored %d; want the same, above 0", res.Sent, res.Stored)
	}
}

func TestSendInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  SendConfig
	}{
		{"no URL", SendConfig{}},
		{"negative rate", SendConfig{URL: "http://127.0.0.1:1/", Rate: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Send(t.Context(), tt.cfg, plainDeliveries("a")); err == nil {
				t.Errorf("Send(%+v) returned no error", tt.cfg)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var lat []time.Duration
	for i := 1; i <= 200; i++ {
		lat = append(lat, ms(i))
	}
	res := &Result{Latencies: lat}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, ms(100)},
		{95, ms(190)},
		{99, ms(198)},
		{100, ms(200)},
		{0, ms(1)},
	}
	for _, tt := range tests {
		if got := res.Percentile(tt.p); got != tt.want {
			t.Errorf("Percentile(%g) = %s, want %s", tt.p, got, tt.want)
		}
	}
	if got := (&Result{}).Percentile(99); got != 0 {
		t.Errorf("Percentile of no requests = %s, want 0", got)
	}
}
