package webhook

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzMaxBody is the body limit of the fuzzed handler: above the size of
// most of Ashby's payloads and below that of an offer with its versions.
const fuzzMaxBody = 4096

// FuzzHandler sends one fuzzed HTTP request to the handler. The handler
// must not panic, and must respond 200 only to a POST of a JSON payload
// within the body limit with a valid signature, and 413 to any larger
// body. The secret stays out of responses and logs. The spool then holds
// exactly the event that the handler acknowledged, also after a reopen,
// and the same event sent again is a duplicate.
//
// mode picks the signature (bits 0-1: none, valid, the signature string,
// signed with another secret), the method (bits 2-3), another path (bit 4)
// and a body of unknown length (bit 5). headers holds "Name: value" lines
// that are set after the others, so they may replace them.
func FuzzHandler(f *testing.F) {
	event := eventBody("16161616-1616-4616-8616-000000000001")
	f.Add(uint8(1), "application/json", "", "", event)
	f.Add(uint8(0), "application/json", "", "", event)
	f.Add(uint8(3), "application/json", "", "", event)
	f.Add(uint8(2), "application/json", "sha256="+strings.Repeat("ab", 32), "", event)
	f.Add(uint8(2), "application/json", "SHA256="+strings.TrimPrefix(sign(testSecret, event), "sha256="), "", event)
	f.Add(uint8(2), "application/json", strings.ToUpper(sign(testSecret, event)[7:]), "", event)
	f.Add(uint8(1), "application/json; charset=utf-8", "", "", []byte(`{"action":"ping","data":{}}`))
	f.Add(uint8(0), "application/json", "", "", []byte(`{"webhookActionType":"ping"}`))
	f.Add(uint8(1), "text/plain", "", "", event)
	f.Add(uint8(1), "application/json; charset", "", "", event)
	f.Add(uint8(1|4), "application/json", "", "", event)
	f.Add(uint8(1|16), "application/json", "", "", event)
	f.Add(uint8(1|32), "application/json", "", "", eventBody(strings.Repeat("x", fuzzMaxBody)))
	f.Add(uint8(1), "application/json", "", "", eventBody(strings.Repeat("x", fuzzMaxBody)))
	f.Add(uint8(0), "application/json", "", "Ashby-Signature: "+sign(testSecret, event)+"\nX-Forwarded-For: 10.0.0.1", event)
	f.Add(uint8(1), "application/json", "", "Ashby-Signature: sha256=00\nContent-Type: text/html", event)
	f.Add(uint8(1), "application/json", "", "", []byte(`{"webhookActionId":"a","action":"x","data":{}} {}`))
	f.Add(uint8(1), "application/json", "", "", []byte(`{"webhookActionId":"\u00e9\ud800","action":"jobUpdate","data":{"job":{}}}`))
	f.Add(uint8(1), "application/json", "", "", []byte("{\"webhookActionId\":\"\xff\",\"action\":\"jobUpdate\",\"data\":{}}"))
	f.Add(uint8(1), "application/json", "", "", []byte(`{"webhookActionId":"../../acked","action":"jobUpdate","data":{}}`))
	f.Fuzz(func(t *testing.T, mode uint8, contentType, signature, headers string, body []byte) {
		checkFuzzRequest(t, fuzzRequest(mode, contentType, signature, headers, body), body)
	})
}

// fuzzRequest builds the request that the fuzz input describes.
func fuzzRequest(mode uint8, contentType, signature, headers string, body []byte) *http.Request {
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, "post"}
	path := DefaultPath
	if mode&16 != 0 {
		path = DefaultPath + "/"
	}
	var r io.Reader = bytes.NewReader(body)
	if mode&32 != 0 {
		r = io.MultiReader(r) // hides the length, as a chunked body does
	}
	req := httptest.NewRequest(methods[mode>>2&3], path, r)
	req.Header.Set("Content-Type", contentType)
	switch mode & 3 {
	case 1:
		req.Header.Set(SignatureHeader, sign(testSecret, body))
	case 2:
		req.Header.Set(SignatureHeader, signature)
	case 3:
		req.Header.Set(SignatureHeader, sign(testSecret+"-other", body))
	}
	sc := bufio.NewScanner(strings.NewReader(headers))
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok {
			req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	return req
}

// validSignature reports whether h carries the signature of body under
// testSecret, written as Ashby writes it (hex digits in either case).
func validSignature(h http.Header, body []byte) bool {
	digest, ok := strings.CutPrefix(h.Get(SignatureHeader), "sha256=")
	if !ok {
		return false
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	return strings.EqualFold(digest, hex.EncodeToString(mac.Sum(nil)))
}

// checkFuzzRequest serves req, which carries body, and checks the
// response, the logs and the spool.
func checkFuzzRequest(t *testing.T, req *http.Request, body []byte) {
	t.Helper()
	dir := t.TempDir()
	spool := openTestSpool(t, dir)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := Handler(Config{Secret: testSecret, MaxBody: fuzzMaxBody, Spool: spool, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	signed := validSignature(req.Header, body)
	mediaType, _, _ := strings.Cut(req.Header.Get("Content-Type"), ";")
	isJSON := strings.EqualFold(strings.TrimSpace(mediaType), "application/json")
	routed := req.Method == http.MethodPost && req.URL.Path == DefaultPath
	ev, ping, perr := parsePayload(body)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	text := strings.TrimSpace(rec.Body.String())

	switch rec.Code {
	case http.StatusOK:
		switch {
		case !signed:
			t.Fatalf("200 %q without a valid signature (header %q)", text, req.Header.Get(SignatureHeader))
		case !routed || !isJSON:
			t.Fatalf("200 %q to %s %s with content type %q", text, req.Method, req.URL.Path, req.Header.Get("Content-Type"))
		case len(body) > fuzzMaxBody:
			t.Fatalf("200 %q to a body of %d bytes, over the limit of %d", text, len(body), fuzzMaxBody)
		case perr != nil:
			t.Fatalf("200 %q to an invalid payload: %v", text, perr)
		case ping && text != "pong", !ping && text != "stored":
			t.Fatalf("200 %q, want pong for a ping and stored for an event (ping %v)", text, ping)
		}
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		if text == "" {
			t.Fatalf("status %d without a reason", rec.Code)
		}
	default:
		t.Fatalf("status %d %q, not one that the handler documents", rec.Code, text)
	}
	if routed && isJSON && len(body) > fuzzMaxBody && rec.Code != http.StatusRequestEntityTooLarge &&
		req.Header.Get("Content-Type") == "application/json" {
		t.Fatalf("body of %d bytes over the limit %d got %d, want 413", len(body), fuzzMaxBody, rec.Code)
	}
	if routed && req.Header.Get("Content-Type") == "application/json" && signed &&
		len(body) <= fuzzMaxBody && perr == nil && rec.Code != http.StatusOK {
		t.Fatalf("valid signed payload got %d %q, want 200", rec.Code, text)
	}
	for _, out := range []string{rec.Body.String(), logs.String()} {
		if strings.Contains(out, testSecret) {
			t.Fatalf("the secret appears in %q", out)
		}
	}

	var want []Event
	if rec.Code == http.StatusOK && !ping {
		want = []Event{ev}
	}
	checkSpooled(t, spool, want)
	if len(want) > 0 {
		again := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		again.Header = req.Header.Clone()
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, again)
		if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || got != "duplicate" {
			t.Fatalf("second delivery got %d %q, want 200 duplicate", rec.Code, got)
		}
		checkSpooled(t, spool, want)
	}
	if err := spool.Close(); err != nil {
		t.Fatalf("close spool: %v", err)
	}
	checkSpooled(t, openTestSpool(t, dir), want)
	if n := len(eventFiles(t, dir)); n != len(want) {
		t.Fatalf("spool folder holds %d event files, want %d", n, len(want))
	}
}

// checkSpooled checks that the spool's pending events are want, by id,
// action and body.
func checkSpooled(t *testing.T, spool *Spool, want []Event) {
	t.Helper()
	got, err := spool.Pending(0)
	if err != nil {
		t.Fatalf("pending events: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("spool holds %d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Action != w.Action || !bytes.Equal(g.Body, w.Body) {
			t.Fatalf("spooled event %q %q %q, want %q %q %q", g.ID, g.Action, g.Body, w.ID, w.Action, w.Body)
		}
	}
}
