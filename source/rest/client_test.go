package rest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"zero", "0", 0},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"empty", "", 0},
		{"garbage", "soon", 0},
		{"negative", "-4", 0},
		{"absurd", "99999999999", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.value, now); got != tc.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestWaitBounds(t *testing.T) {
	c := &client{backoff: 100 * time.Millisecond, maxDelay: time.Second}
	for attempt := 1; attempt <= 10; attempt++ {
		d := c.wait(attempt, 0)
		limit := min(100*time.Millisecond<<(attempt-1), time.Second)
		if d < limit/2 || d > limit {
			t.Errorf("attempt %d: wait %v outside [%v, %v]", attempt, d, limit/2, limit)
		}
	}
	if d := c.wait(1, 5*time.Second); d != time.Second {
		t.Errorf("Retry-After above the maximum gave %v, want the maximum", d)
	}
	if d := c.wait(1, 300*time.Millisecond); d != 300*time.Millisecond {
		t.Errorf("Retry-After gave %v, want 300ms", d)
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "7")
			writeJSON(w, 429, `slow down`)
		case 2:
			w.Header().Set("Retry-After", date)
			writeJSON(w, 503, `busy`)
		case 3:
			writeJSON(w, 500, `oops`)
		default:
			writeJSON(w, 200, `[{"id":1}]`)
		}
	})
	src, waits := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL, Retry: Retry{Backoff: Duration(time.Second)}},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v, error %v", items, err)
	}
	if len(waits.got) != 3 {
		t.Fatalf("waits %v, want 3", waits.got)
	}
	if waits.got[0] != 7*time.Second {
		t.Errorf("first wait %v, want the 7 s of Retry-After", waits.got[0])
	}
	if waits.got[1] < 28*time.Second || waits.got[1] > 30*time.Second {
		t.Errorf("second wait %v, want about 30 s until the Retry-After date", waits.got[1])
	}
	if waits.got[2] < 2*time.Second || waits.got[2] > 4*time.Second {
		t.Errorf("third wait %v, want the third backoff of 2 to 4 s", waits.got[2])
	}
}

func TestRetriesGiveUp(t *testing.T) {
	t.Run("attempts", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 502, `bad gateway`) })
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL, Retry: Retry{MaxAttempts: 3}},
			Resources: one("things", Endpoint{})}, Options{})
		_, _, err := extract(t, src, "things", "")
		if err == nil || !strings.Contains(err.Error(), "HTTP 502") || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("error %v, want HTTP 502 after 3 attempts", err)
		}
		if n := len(srv.recorded()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})
	t.Run("total wait", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", "40")
			writeJSON(w, 429, `later`)
		})
		src, waits := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL,
			Retry: Retry{MaxAttempts: 10, MaxTotalWait: Duration(time.Minute)}}, Resources: one("things", Endpoint{})}, Options{})
		_, _, err := extract(t, src, "things", "")
		if err == nil || !strings.Contains(err.Error(), "total retry wait of 1m0s") {
			t.Fatalf("error %v, want the total wait named", err)
		}
		if len(waits.got) != 1 {
			t.Errorf("waits %v, want one 40 s wait before the second would pass a minute", waits.got)
		}
	})
	t.Run("client errors are not retried", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 400, `{"error":"bad"}`) })
		src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things", Endpoint{})}, Options{})
		if _, _, err := extract(t, src, "things", ""); err == nil || len(srv.recorded()) != 1 {
			t.Errorf("error %v after %d requests, want a failure after 1", err, len(srv.recorded()))
		}
	})
}

func TestRetriesConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	src, waits := newTestSource(t, &Config{Client: ClientConfig{BaseURL: "http://" + addr, Retry: Retry{MaxAttempts: 2}},
		Resources: one("things", Endpoint{})}, Options{})
	_, _, err = extract(t, src, "things", "")
	if err == nil || !strings.Contains(err.Error(), "after 2 attempts") || len(waits.got) != 1 {
		t.Fatalf("error %v with waits %v, want a retried connection error", err, waits.got)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		writeJSON(w, 200, `[{"id":1}]`)
	})
	src, waits := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL, Timeout: Duration(50 * time.Millisecond)},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorSinglePage}})}, Options{})
	items, _, err := extract(t, src, "things", "")
	if err != nil || len(items) != 1 || len(waits.got) != 1 {
		t.Fatalf("items %v, waits %v, error %v: want one timed-out attempt, then success", items, waits.got, err)
	}
}

func TestRateLimit(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, `{"items":[{"id":1}],"next":"c`+string(rune('0'+n))+`"}`)
	})
	src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL, RequestsPerSecond: 20},
		Resources: one("things", Endpoint{Paginator: &Paginator{Type: PaginatorCursor, CursorPath: "next", MaxPages: 5}})}, Options{})
	started := time.Now()
	if _, _, err := extract(t, src, "things", ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(started); d < 190*time.Millisecond {
		t.Errorf("5 requests at 20 per second took %v, want at least 200 ms", d)
	}
}

func TestResponseActions(t *testing.T) {
	handler := func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/gone":
			writeJSON(w, 404, `{"error":"not found"}`)
		case r.URL.Path == "/flaky" && n == 1:
			writeJSON(w, 200, `{"status":"try again later"}`)
		case r.URL.Path == "/flaky":
			writeJSON(w, 200, `[{"id":1}]`)
		case r.URL.Path == "/quota":
			writeJSON(w, 200, `{"error":"quota exceeded"}`)
		default:
			writeJSON(w, 200, `[{"id":2}]`)
		}
	}
	tests := []struct {
		name    string
		path    string
		actions []ResponseAction
		want    string
		err     string
	}{
		{"ignore by status", "gone", []ResponseAction{{StatusCode: 404, Action: ActionIgnore}}, "", ""},
		{"retry by content", "flaky", []ResponseAction{{Content: "try again", Action: ActionRetry}}, "1", ""},
		{"fail with message", "quota", []ResponseAction{{StatusCode: 200, Content: "quota", Action: ActionFail,
			Message: "the daily quota is used up: run again tomorrow"}}, "", "the daily quota is used up"},
		{"no match falls through", "gone", []ResponseAction{{StatusCode: 500, Action: ActionIgnore}}, "", "HTTP 404"},
		{"hook", "other", []ResponseAction{{Hook: "check"}}, "", "hook saw 200"},
	}
	hooks := Hooks{Response: map[string]ResponseHook{"check": func(resp *Response) error {
		return fmt.Errorf("hook saw %d", resp.StatusCode)
	}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, handler)
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things",
				Endpoint{Path: tc.path, ResponseActions: tc.actions, Paginator: &Paginator{Type: PaginatorSinglePage}})}, Options{Hooks: hooks})
			items, _, err := extract(t, src, "things", "")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, items); got != tc.want {
				t.Errorf("ids %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResponseErrors(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		selector string
		want     []string
	}{
		{"not json", `<html>maintenance</html>`, "", []string{"not JSON", "<html>maintenance", "HTTP 200", "/things?limit=10"}},
		{"selector matches nothing", `{"items":[]}`, "data.records", []string{"data selector data.records matched nothing", `{\"items\":[]}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, tc.body) })
			src, _ := newTestSource(t, &Config{Client: ClientConfig{BaseURL: srv.URL}, Resources: one("things",
				Endpoint{DataSelector: tc.selector, Params: map[string]string{"limit": "10"}})}, Options{})
			_, _, err := extract(t, src, "things", "")
			var re *ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a ResponseError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
