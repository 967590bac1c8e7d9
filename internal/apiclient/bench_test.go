package apiclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// cannedTransport answers every request with the same small JSON body,
// in memory: the benchmark measures the core's own layers, not a network.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-1"}},
		Body: io.NopCloser(strings.NewReader(`{"id":"1","name":"n"}`)), Request: r}, nil
}

// BenchmarkDoInMemory is one GET through every layer of the core (auth
// without a token source, retry engine, attempt transport, size-capped
// decoding) over an in-memory transport; BenchmarkDoInMemoryRaw is the
// same request with net/http and encoding/json only.
func BenchmarkDoInMemory(b *testing.B) {
	c, err := New(WithBaseURL("https://api.example.com"), WithHTTPClient(&http.Client{Transport: cannedTransport{}}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var out struct{ ID, Name string }
		if _, err := c.Do(ctx, &Request{Method: http.MethodGet, Path: "/x"}, &out); err != nil || out.ID != "1" {
			b.Fatal(err)
		}
	}
}

func BenchmarkDoInMemoryRaw(b *testing.B) {
	hc := &http.Client{Transport: cannedTransport{}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.example.com/x", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ ID, Name string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		_ = resp.Body.Close()
		if err != nil || out.ID != "1" {
			b.Fatal(err)
		}
	}
}
