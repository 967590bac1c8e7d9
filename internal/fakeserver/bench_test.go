package fakeserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycgo/kyc/kyctest"
)

// The cost of the fake's machinery (body capture, request log, fault
// lookup, status recording) over a plain httptest.Server serving the same
// handler, both through a keep-alive client.

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	WriteJSON(w, http.StatusOK, map[string]string{"id": "x", "status": "created"})
})

func benchRoundTrip(b *testing.B, hc *http.Client, url string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(`{"callback":"https://example.com"}`))
		req.Header.Set("Authorization", "Bearer token")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkRawHTTPTest is the baseline: plain httptest.Server.
func BenchmarkRawHTTPTest(b *testing.B) {
	ts := httptest.NewServer(benchHandler)
	defer ts.Close()
	benchRoundTrip(b, ts.Client(), ts.URL+"/items")
}

// BenchmarkFakeServer is the same round trip through fakeserver, with a
// pending fault on another path so the lookup runs.
func BenchmarkFakeServer(b *testing.B) {
	s := New(b, benchHandler)
	s.InjectFault("GET", "/other", kyctest.Fault{Kind: kyctest.FaultStatus})
	benchRoundTrip(b, s.Client(), s.URL()+"/items")
}
