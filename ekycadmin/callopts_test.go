package ekycadmin_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/internal/flaky"
	"github.com/kycgo/kyc/option"
)

// Per-call options against ekycadmintest: a per-call timeout and
// NoRetries change that call only, while a concurrent call on the same
// client keeps the client's timeout and retry policy; WithResponseInto
// reports the fake's request ID of a successful call.

const (
	statusA = "/ekyc/admin/a/status"
	statusB = "/ekyc/admin/b/status"
	createA = "/ekyc/admin/a/sessions"
)

func newCallEnv(t *testing.T, plans map[string]flaky.Plan) (*ekycadmintest.Server, *ekycadmin.Client, *flaky.Transport) {
	t.Helper()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("a"))
	srv.AddUser(ekycadmintest.ValidUser("b"))
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	fl := flaky.New(tr, plans)
	c, err := ekycadmin.NewClient(
		option.WithHTTPClient(&http.Client{Transport: fl}),
		option.WithBaseURL(srv.BaseURL()),
		ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(id, secret),
		option.WithTimeout(5*time.Second),
		option.WithRetryPolicy(faultRetries))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, fl
}

func TestCallOptionsApplyToOneCall(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		_, c, fl := newCallEnv(t, map[string]flaky.Plan{statusA: {Delay: 2 * time.Second}, statusB: {Delay: 200 * time.Millisecond}})
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() {
			_, errA = c.UserStatus(t.Context(), "a", option.WithTimeout(50*time.Millisecond), option.NoRetries())
		})
		wg.Go(func() { _, errB = c.UserStatus(t.Context(), "b") })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(errA, &te) || !te.Timeout() || te.Attempts != 1 || fl.Attempts(statusA) != 1 {
			t.Fatalf("UserStatus with a 50ms per-call timeout and no retries: %v (%T), want a timeout after 1 attempt", errA, errA)
		}
		if errB != nil {
			t.Fatalf("concurrent UserStatus under the client's 5s timeout: %v", errB)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		// The first two attempts of each call fail to connect; a POST that
		// never left the machine may be retried, so CreateSession would be
		// too under the client's policy.
		srv, c, fl := newCallEnv(t, map[string]flaky.Plan{createA: {Fail: 2}, statusB: {Fail: 2}})
		var wg sync.WaitGroup
		var errA, errB error
		var respB kyc.Response
		wg.Go(func() { _, errA = c.CreateSession(t.Context(), "a", nil, option.NoRetries()) })
		wg.Go(func() { _, errB = c.UserStatus(t.Context(), "b", option.WithResponseInto(&respB)) })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(errA, &te) || te.Attempts != 1 || fl.Attempts(createA) != 1 {
			t.Fatalf("CreateSession with NoRetries: %v (%T), want a transport error after 1 attempt", errA, errA)
		}
		if errB != nil || respB.Attempts != 3 {
			t.Fatalf("concurrent UserStatus: err %v after %d attempts, want success on the 3rd (client policy)", errB, respB.Attempts)
		}
		if n := srv.Count(http.MethodPost, createA); n != 0 {
			t.Errorf("server saw %d CreateSession requests, want 0", n)
		}
		// The client is unchanged: a later CreateSession retries past the
		// one failure left and creates one session.
		if _, err := c.CreateSession(t.Context(), "a", nil); err != nil || fl.Attempts(createA) != 3 {
			t.Fatalf("later CreateSession: %v after %d attempts in all, want success on the 3rd", err, fl.Attempts(createA))
		}
	})
}

func TestWithResponseIntoReportsRequestID(t *testing.T) {
	t.Parallel()
	srv, c, _ := newCallEnv(t, nil)
	var resp kyc.Response
	if _, err := c.ListSessions(t.Context(), nil, option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	log := srv.Requests()
	last := log[len(log)-1]
	if last.Path != "/ekyc/admin" || resp.StatusCode != http.StatusOK || resp.Attempts != 1 || resp.RequestID == "" || resp.RequestID != last.RequestID {
		t.Fatalf("response %+v, want 200 after 1 attempt with the request ID %q of %s", resp, last.RequestID, last.Path)
	}
}

func TestCallOptionHeader(t *testing.T) {
	t.Parallel()
	srv, c, _ := newCallEnv(t, nil)
	if _, err := c.UserStatus(t.Context(), "a", option.WithHeader("X-Trace-Tag", "one")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserStatus(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	log := srv.Requests()
	if a, b := log[len(log)-2], log[len(log)-1]; a.Header.Get("X-Trace-Tag") != "one" || b.Header.Get("X-Trace-Tag") != "" {
		t.Fatalf("per-call header: %q then %q, want one then nothing", a.Header.Get("X-Trace-Tag"), b.Header.Get("X-Trace-Tag"))
	}
	for _, r := range log {
		if r.Path == ekycadmintest.PathToken && r.Header.Get("X-Trace-Tag") != "" {
			t.Fatal("a per-call header reached the token endpoint")
		}
	}
}
