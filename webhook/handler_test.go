package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// newTestServer serves a handler over loopback HTTP.
func newTestServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	h, err := Handler(cfg)
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type request struct {
	method      string
	path        string
	contentType string
	signature   string
	body        io.Reader
}

func send(t *testing.T, srv *httptest.Server, r request) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, srv.URL+r.path, r.body)
	if err != nil {
		t.Fatal(err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.signature != "" {
		req.Header.Set(SignatureHeader, r.signature)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(text)
}

// post sends body signed with secret to the default path.
func post(t *testing.T, srv *httptest.Server, secret string, body []byte) (int, string) {
	t.Helper()
	return send(t, srv, request{
		method: http.MethodPost, path: DefaultPath, contentType: "application/json",
		signature: sign(secret, body), body: bytes.NewReader(body),
	})
}

// onlyReader hides the length of a body so the client sends it chunked.
type onlyReader struct{ io.Reader }

func TestHandlerRequests(t *testing.T) {
	valid := eventBody("16161616-1616-4616-8616-000000000001")
	big := eventBody(strings.Repeat("x", 600))
	tests := []struct {
		name   string
		req    request
		status int
		reason string // part of the response body
		stored int
	}{
		{"Valid", request{signature: sign(testSecret, valid), body: bytes.NewReader(valid)},
			http.StatusOK, "stored", 1},
		{"CharsetParam", request{contentType: "application/json; charset=utf-8",
			signature: sign(testSecret, valid), body: bytes.NewReader(valid)}, http.StatusOK, "stored", 1},
		{"WrongMethod", request{method: http.MethodGet}, http.StatusMethodNotAllowed, "not allowed", 0},
		{"PutMethod", request{method: http.MethodPut, signature: sign(testSecret, valid),
			body: bytes.NewReader(valid)}, http.StatusMethodNotAllowed, "not allowed", 0},
		{"WrongPath", request{path: "/webhooks/other", signature: sign(testSecret, valid),
			body: bytes.NewReader(valid)}, http.StatusNotFound, "not found", 0},
		{"NoContentType", request{contentType: "-", signature: sign(testSecret, valid),
			body: bytes.NewReader(valid)}, http.StatusUnsupportedMediaType, "application/json", 0},
		{"FormContentType", request{contentType: "application/x-www-form-urlencoded",
			signature: sign(testSecret, valid), body: bytes.NewReader(valid)},
			http.StatusUnsupportedMediaType, "application/json", 0},
		{"MissingSignature", request{body: bytes.NewReader(valid)}, http.StatusUnauthorized, "missing", 0},
		{"NoAlgorithm", request{signature: strings.TrimPrefix(sign(testSecret, valid), "sha256="),
			body: bytes.NewReader(valid)}, http.StatusUnauthorized, "malformed", 0},
		{"OtherAlgorithm", request{signature: "sha1=" + strings.TrimPrefix(sign(testSecret, valid), "sha256="),
			body: bytes.NewReader(valid)}, http.StatusUnauthorized, "malformed", 0},
		{"NotHex", request{signature: "sha256=zz", body: bytes.NewReader(valid)},
			http.StatusUnauthorized, "malformed", 0},
		{"ShortDigest", request{signature: sign(testSecret, valid)[:40], body: bytes.NewReader(valid)},
			http.StatusUnauthorized, "malformed", 0},
		{"ForgedSignature", request{signature: "sha256=" + strings.Repeat("ab", 32),
			body: bytes.NewReader(valid)}, http.StatusUnauthorized, "wrong signature", 0},
		{"WrongSecret", request{signature: sign("another-secret", valid), body: bytes.NewReader(valid)},
			http.StatusUnauthorized, "wrong signature", 0},
		{"TamperedBody", request{signature: sign(testSecret, valid),
			body: bytes.NewReader(bytes.Replace(valid, []byte("candidateStageChange"), []byte("candidateHire"), 1))},
			http.StatusUnauthorized, "wrong signature", 0},
		{"Oversized", request{signature: sign(testSecret, big), body: bytes.NewReader(big)},
			http.StatusRequestEntityTooLarge, "body over 512 bytes", 0},
		{"OversizedChunked", request{signature: sign(testSecret, big), body: onlyReader{bytes.NewReader(big)}},
			http.StatusRequestEntityTooLarge, "body over 512 bytes", 0},
	}
	payloads := []struct {
		name, body, reason string
	}{
		{"NotJSON", `{"webhookActionId":"a",`, "invalid payload"},
		{"TrailingData", `{"webhookActionId":"a","action":"jobUpdate","data":{}} {}`, "invalid payload"},
		{"NoID", `{"action":"jobUpdate","data":{"job":{}}}`, "missing webhookActionId"},
		{"EmptyID", `{"webhookActionId":"","action":"jobUpdate","data":{"job":{}}}`, "missing webhookActionId"},
		{"IDNotString", `{"webhookActionId":7,"action":"jobUpdate","data":{}}`, "invalid payload"},
		{"NoAction", `{"webhookActionId":"a","data":{"job":{}}}`, "missing action"},
		{"NoData", `{"webhookActionId":"a","action":"jobUpdate"}`, "data is missing"},
		{"DataNotObject", `{"webhookActionId":"a","action":"jobUpdate","data":[1]}`, "not a JSON object"},
		{"Array", `[]`, "invalid payload"},
	}
	for _, p := range payloads {
		tests = append(tests, struct {
			name   string
			req    request
			status int
			reason string
			stored int
		}{p.name, request{signature: sign(testSecret, []byte(p.body)), body: strings.NewReader(p.body)},
			http.StatusBadRequest, p.reason, 0})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			spool := openTestSpool(t, dir)
			srv := newTestServer(t, Config{Secret: testSecret, MaxBody: 512, Spool: spool})
			r := tt.req
			if r.method == "" {
				r.method = http.MethodPost
			}
			if r.path == "" {
				r.path = DefaultPath
			}
			switch r.contentType {
			case "":
				r.contentType = "application/json"
			case "-":
				r.contentType = ""
			}
			status, text := send(t, srv, r)
			if status != tt.status {
				t.Errorf("status = %d, want %d (body %q)", status, tt.status, text)
			}
			if !strings.Contains(text, tt.reason) {
				t.Errorf("body = %q, want it to contain %q", text, tt.reason)
			}
			if spool.Len() != tt.stored {
				t.Errorf("spool holds %d events, want %d", spool.Len(), tt.stored)
			}
			if n := len(eventFiles(t, dir)); n != tt.stored {
				t.Errorf("spool folder holds %d event files, want %d", n, tt.stored)
			}
		})
	}
}

func TestHandlerWrongMethodAllow(t *testing.T) {
	srv := newTestServer(t, Config{Secret: testSecret, Spool: openTestSpool(t, t.TempDir())})
	resp, err := srv.Client().Get(srv.URL + DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Allow"); got != http.MethodPost {
		t.Errorf("Allow = %q, want POST", got)
	}
}

func TestHandlerPing(t *testing.T) {
	pings := map[string]string{
		"Action":          `{"action":"ping","data":{}}`,
		"DataType":        `{"action":"","data":{"webhookActionType":"ping"}}`,
		"TopLevelType":    `{"webhookActionType":"ping"}`,
		"WithWebhookID":   `{"webhookActionId":"p1","action":"ping","data":{"webhookActionType":"ping"}}`,
		"OnlyDataTypeSet": `{"data":{"webhookActionType":"ping"}}`,
	}
	for name, body := range pings {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			spool := openTestSpool(t, dir)
			srv := newTestServer(t, Config{Secret: testSecret, Spool: spool})
			status, text := post(t, srv, testSecret, []byte(body))
			if status != http.StatusOK {
				t.Errorf("status = %d, want 200 (body %q)", status, text)
			}
			if spool.Len() != 0 || len(eventFiles(t, dir)) != 0 {
				t.Errorf("ping stored an event")
			}
		})
	}
	t.Run("Unsigned", func(t *testing.T) {
		spool := openTestSpool(t, t.TempDir())
		srv := newTestServer(t, Config{Secret: testSecret, Spool: spool})
		status, _ := send(t, srv, request{method: http.MethodPost, path: DefaultPath,
			contentType: "application/json", body: strings.NewReader(`{"action":"ping"}`)})
		if status != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", status)
		}
	})
}

func TestHandlerDuplicate(t *testing.T) {
	dir := t.TempDir()
	spool := openTestSpool(t, dir)
	srv := newTestServer(t, Config{Secret: testSecret, Spool: spool})
	body := eventBody("dup-1")
	for i, want := range []string{"stored", "duplicate"} {
		status, text := post(t, srv, testSecret, body)
		if status != http.StatusOK || strings.TrimSpace(text) != want {
			t.Errorf("delivery %d = %d %q, want 200 %q", i+1, status, text, want)
		}
	}
	if err := spool.Ack([]string{"dup-1"}); err != nil {
		t.Fatal(err)
	}
	status, text := post(t, srv, testSecret, body)
	if status != http.StatusOK || strings.TrimSpace(text) != "duplicate" {
		t.Errorf("delivery after load = %d %q, want 200 duplicate", status, text)
	}
	if spool.Len() != 0 || len(eventFiles(t, dir)) != 0 {
		t.Errorf("delivery after load stored the event again")
	}
}

func TestHandlerSpoolFailure(t *testing.T) {
	dir := t.TempDir()
	spool := openTestSpool(t, dir)
	srv := newTestServer(t, Config{Secret: testSecret, Spool: spool})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	status, _ := post(t, srv, testSecret, eventBody("lost"))
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", status)
	}
	if spool.Len() != 0 {
		t.Errorf("spool counts %d events after a failed write, want 0", spool.Len())
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	status, _ = post(t, srv, testSecret, eventBody("lost"))
	if status != http.StatusOK {
		t.Errorf("retry status = %d, want 200", status)
	}
}

func TestHandlerSecretRequired(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	if _, err := Handler(Config{Spool: spool}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("handler without secret: err = %v, want ErrNoSecret", err)
	}
	if _, err := Handler(Config{Secret: testSecret}); err == nil {
		t.Error("handler without spool: no error")
	}
	srv := newTestServer(t, Config{Insecure: true, Spool: spool})
	status, _ := send(t, srv, request{method: http.MethodPost, path: DefaultPath,
		contentType: "application/json", body: bytes.NewReader(eventBody("u1"))})
	if status != http.StatusOK || spool.Len() != 1 {
		t.Errorf("insecure unsigned post = %d with %d stored, want 200 with 1", status, spool.Len())
	}
}

func TestHandlerLogLines(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	spool := openTestSpool(t, t.TempDir())
	srv := newTestServer(t, Config{Secret: testSecret, Spool: spool, Logger: logger})
	const pii = "jane.doe@example.com"
	body := []byte(`{"webhookActionId":"log-1","action":"candidateHire","data":{"email":"` + pii + `"}}`)
	post(t, srv, testSecret, body)
	post(t, srv, testSecret, body)
	post(t, srv, "wrong", body)

	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3:\n%s", len(lines), out)
	}
	for i, want := range []string{`"result":"stored"`, `"result":"duplicate"`, `"result":"rejected"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s, want %s", i+1, lines[i], want)
		}
	}
	for _, want := range []string{`"action":"candidateHire"`, `"webhook_action_id":"log-1"`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line 1 = %s, want %s", lines[0], want)
		}
	}
	if !strings.Contains(lines[2], `"reason":"wrong signature"`) {
		t.Errorf("line 3 = %s, want the reason", lines[2])
	}
	for _, secret := range []string{pii, testSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
}

func TestHandlerClientGone(t *testing.T) {
	spool := openTestSpool(t, t.TempDir())
	h, err := Handler(Config{Secret: testSecret, Spool: spool})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := eventBody("gone")
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, DefaultPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sign(testSecret, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	// The event is stored although the client has gone, because a stored
	// event costs at most a duplicate when Ashby retries.
	if rec.Code != http.StatusOK || spool.Len() != 1 {
		t.Errorf("status %d with %d stored, want 200 with 1", rec.Code, spool.Len())
	}
}
