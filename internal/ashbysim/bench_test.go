package ashbysim_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restload/restload/internal/ashbysim"
)

// benchmarkPages measures serving full pages of 100 objects through the
// handler, without the network.
func benchmarkPages(b *testing.B, endpoint string) {
	s := ashbysim.New(ashbysim.Config{Seed: 1, Candidates: 1_000_000, APIKeys: map[string][]string{testKey: nil}})
	h := s.Handler()
	b.ReportAllocs()
	var bytesOut int64
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/"+endpoint, strings.NewReader(`{"limit":100}`))
		req.SetBasicAuth(testKey, "")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"success":true`)) {
			body := rec.Body.Bytes()
			b.Fatalf("status %d: %s", rec.Code, body[:min(len(body), 200)])
		}
		n, _ := io.Copy(io.Discard, rec.Body)
		bytesOut += n
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "objects/s")
	b.SetBytes(bytesOut / int64(b.N))
}

func BenchmarkCandidatePage(b *testing.B)   { benchmarkPages(b, "candidate.list") }
func BenchmarkApplicationPage(b *testing.B) { benchmarkPages(b, "application.list") }
