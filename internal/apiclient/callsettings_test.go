package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
)

// TestCallSettingsAreIsolated: 100 concurrent calls on one client, each
// with its own per-call header, half with retries off. The server fails
// every tag's first attempt with 503. Calls without retries see that 503
// after one attempt; the others keep the client's policy and succeed on
// the second; every request carries its own call's header only.
func TestCallSettingsAreIsolated(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag := r.Header.Get("X-Tag")
		mu.Lock()
		seen[tag]++
		n := seen[tag]
		mu.Unlock()
		w.Header().Set("X-Request-Id", fmt.Sprintf("%s-%d", tag, n))
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintf(w, `{"tag":%q}`, tag)
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	noRetries := NoRetries
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			tag := fmt.Sprint("t", i)
			var resp kyc.Response
			call := &CallSettings{Header: http.Header{"X-Tag": {tag}}, Response: &resp}
			if i%2 == 0 {
				call.Retry = &noRetries
			}
			var out struct{ Tag string }
			_, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/x", Call: call}, &out)
			var ae *kyc.APIError
			switch {
			case i%2 == 0 && (!errors.As(err, &ae) || ae.StatusCode != 503 || ae.Attempts != 1 || resp.RequestID != tag+"-1"):
				errs <- fmt.Errorf("%s without retries: %w, response %v", tag, err, resp)
			case i%2 == 1 && (err != nil || out.Tag != tag || resp.Attempts != 2 || resp.RequestID != tag+"-2"):
				errs <- fmt.Errorf("%s with the client's retries: %w, tag %q, response %v", tag, err, out.Tag, resp)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for tag, n := range seen {
		if tag == "" {
			t.Errorf("%d requests without a per-call header", n)
		}
	}
}
