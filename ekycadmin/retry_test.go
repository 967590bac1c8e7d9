package ekycadmin_test

import (
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

// dialFailFirst fails the first n round trips with a dial error (the
// request never left the machine), then hands requests to next.
type dialFailFirst struct {
	n     int32
	calls atomic.Int32
	next  http.RoundTripper
}

func (d *dialFailFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if d.calls.Add(1) <= d.n {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return d.next.RoundTrip(req)
}

// newRetryClient builds a client with the default retry policy over rt.
func newRetryClient(t *testing.T, rt http.RoundTripper) *ekycadmin.Client {
	t.Helper()
	c, err := ekycadmin.NewClient(
		option.WithHTTPClient(&http.Client{Transport: rt}),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCreateSessionNotRetriedAfterSend: a 503 (or a reset, or a timeout)
// after the POST reached the server gives an error and exactly one request,
// because a second POST would create a second session.
func TestCreateSessionNotRetriedAfterSend(t *testing.T) {
	tests := []struct {
		name      string
		responder httpmock.Responder
		wantAPI   bool
	}{
		{"503", httpmock.NewStringResponder(503, `{"error":"ServiceUnavailable"}`), true},
		{"503 with short Retry-After", httpmock.NewStringResponder(503, ``).HeaderSet(http.Header{"Retry-After": {"1"}}), true},
		{"502", httpmock.NewStringResponder(502, ``), true},
		{"429", httpmock.NewStringResponder(429, `{"message":"API rate limit exceeded"}`), true},
		{"connection reset after send", httpmock.NewErrorResponder(syscall.ECONNRESET), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mt := httpmock.NewMockTransport()
				mt.RegisterResponder(http.MethodPost, base+"/ekyc/admin/u1/sessions", tt.responder)
				c := newRetryClient(t, mt)
				s, err := c.CreateSession(t.Context(), "u1", nil)
				if s != nil || err == nil {
					t.Fatalf("got %v, %v; want an error", s, err)
				}
				var apiErr *kyc.APIError
				if got := errors.As(err, &apiErr); got != tt.wantAPI {
					t.Fatalf("error %T %v: *APIError = %v, want %v", err, err, got, tt.wantAPI)
				}
				if apiErr != nil && apiErr.Attempts != 1 {
					t.Errorf("Attempts = %d", apiErr.Attempts)
				}
				if n := mt.GetTotalCallCount(); n != 1 {
					t.Errorf("POST sent %d times, want exactly 1", n)
				}
			})
		})
	}
}

// TestCreateSessionRetriedOnDialError: a dial failure proves the POST never
// reached the server, so it is retried, and the server sees one request.
func TestCreateSessionRetriedOnDialError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		var rec recorder
		mt.RegisterResponder(http.MethodPost, base+"/ekyc/admin/u1/sessions", rec.respond(200, fixture(t, "session_created.json")))
		rt := &dialFailFirst{n: 1, next: mt}
		c := newRetryClient(t, rt)
		start := time.Now()
		s, err := c.CreateSession(t.Context(), "u1", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/done"})
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == "" {
			t.Error("empty session")
		}
		if n := rt.calls.Load(); n != 2 {
			t.Errorf("round trips = %d, want 2 (dial failure, then success)", n)
		}
		reqs := rec.all()
		if len(reqs) != 1 || string(reqs[0].Body) != `{"callback":"https://app.example.com/done"}` {
			t.Errorf("server saw %d requests, body %q", len(reqs), reqs[0].Body)
		}
		if waited := time.Since(start); waited < 250*time.Millisecond || waited > time.Second {
			t.Errorf("backoff %v outside the default policy's first wait (250ms..500ms)", waited)
		}
	})
}

// TestGetRetried503Then200: GETs are retried on 503.
func TestGetRetried503Then200(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u1/status",
			httpmock.NewStringResponder(503, ``).Then(httpmock.NewStringResponder(200, fixture(t, "user_status.json"))))
		c := newRetryClient(t, mt)
		st, err := c.UserStatus(t.Context(), "u1")
		if err != nil {
			t.Fatal(err)
		}
		if st.TotalSessions != 2 {
			t.Errorf("status = %v", st)
		}
		if n := mt.GetTotalCallCount(); n != 2 {
			t.Errorf("requests = %d, want 2", n)
		}
	})
}

// TestGetRetriesExhausted: after the default 2 retries the caller gets the
// last reply as an *APIError with Attempts 3.
func TestGetRetriesExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin", httpmock.NewStringResponder(503, `{"error":"ServiceUnavailable"}`))
		c := newRetryClient(t, mt)
		_, err := c.ListSessions(t.Context(), nil)
		var apiErr *kyc.APIError
		if !errors.As(err, &apiErr) || apiErr.Attempts != 3 || !errors.Is(err, kyc.ErrServer) {
			t.Fatalf("error %v, want *APIError with 3 attempts", err)
		}
		if n := mt.GetTotalCallCount(); n != 3 {
			t.Errorf("requests = %d", n)
		}
	})
}

// TestTokenRequestRetriedOnlyOnDialError: the token POST is retried after a
// dial failure and never after a reply.
func TestTokenRequestRetriedOnlyOnDialError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder(http.MethodPost, ekycadmin.DefaultTokenURL, httpmock.NewStringResponder(200, `{"access_token":"t","token_type":"bearer","expires_in":3600}`))
		mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u1/status", httpmock.NewStringResponder(200, `{}`))
		rt := &dialFailFirst{n: 1, next: mt}
		c, err := ekycadmin.NewClient(ekycadmin.WithCredentials("id", "secret"), option.WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UserStatus(t.Context(), "u1"); err != nil {
			t.Fatal(err)
		}
		info := mt.GetCallCountInfo()
		if info["POST "+ekycadmin.DefaultTokenURL] != 1 || rt.calls.Load() != 3 {
			t.Errorf("calls %v, round trips %d; want 1 token POST reaching the server after one dial failure", info, rt.calls.Load())
		}
	})
}
