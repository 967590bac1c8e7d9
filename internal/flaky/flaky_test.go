package flaky_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycgo/kyc/internal/flaky"
)

func TestPlans(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	fl := flaky.New(tr, map[string]flaky.Plan{"/fail": {Fail: 1}, "/slow": {Delay: time.Hour}})
	hc := &http.Client{Transport: fl}
	_, err := hc.Get(srv.URL + "/fail")
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Fatalf("first /fail: %v, want a dial error", err)
	}
	resp, err := hc.Get(srv.URL + "/fail")
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("second /fail: %v", err)
	}
	_ = resp.Body.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	if _, err := hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("/slow: %v, want the context's deadline", err)
	}
	if fl.Attempts("/fail") != 2 || fl.Attempts("/slow") != 1 {
		t.Fatalf("attempts %d and %d", fl.Attempts("/fail"), fl.Attempts("/slow"))
	}
}
