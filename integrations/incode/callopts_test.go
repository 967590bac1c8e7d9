package incode_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/internal/flaky"
	"github.com/kycgo/kyc/option"
)

// Per-call options against incodetest: a per-call timeout and NoRetries
// change that call only, while a concurrent call on the same client keeps
// the client's timeout and retry policy; WithResponseInto reports the
// fake's request ID of a successful call. Both calls are POSTs: they are
// retried only when they never left the machine, which the flaky
// transport's dial failures simulate.

func newCallEnv(t *testing.T, plans map[string]flaky.Plan) (*incodetest.Server, *incode.Client, *flaky.Transport) {
	t.Helper()
	srv := incodetest.NewServer(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	fl := flaky.New(tr, plans)
	opts := append(srv.ClientOptions(),
		option.WithHTTPClient(&http.Client{Transport: fl}),
		option.WithTimeout(5*time.Second),
		option.WithRetryPolicy(faultRetries))
	c, err := incode.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, fl
}

func TestCallOptionsApplyToOneCall(t *testing.T) {
	t.Parallel()
	hint := &incode.OnboardingRequest{LoginHint: "ada@example.com"}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv, c, fl := newCallEnv(t, map[string]flaky.Plan{incode.StartPath: {Delay: 2 * time.Second}, incode.RequestNewPath: {Delay: 200 * time.Millisecond}})
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() {
			_, errA = c.StartOnboarding(t.Context(), &incode.StartRequest{}, option.WithTimeout(50*time.Millisecond))
		})
		wg.Go(func() { _, errB = c.RequestNewOnboarding(t.Context(), hint) })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(errA, &te) || !te.Timeout() || fl.Attempts(incode.StartPath) != 1 {
			t.Fatalf("StartOnboarding with a 50ms per-call timeout: %v (%T), want a timeout after 1 attempt", errA, errA)
		}
		if errB != nil || len(srv.Onboardings()) != 1 {
			t.Fatalf("concurrent RequestNewOnboarding under the client's 5s timeout: %v", errB)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		_, c, fl := newCallEnv(t, map[string]flaky.Plan{incode.StartPath: {Fail: 2}, incode.RequestNewPath: {Fail: 2}})
		var wg sync.WaitGroup
		var errA, errB error
		var respB kyc.Response
		wg.Go(func() { _, errA = c.StartOnboarding(t.Context(), &incode.StartRequest{}, option.NoRetries()) })
		wg.Go(func() { _, errB = c.RequestNewOnboarding(t.Context(), hint, option.WithResponseInto(&respB)) })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(errA, &te) || te.Attempts != 1 || fl.Attempts(incode.StartPath) != 1 {
			t.Fatalf("StartOnboarding with NoRetries: %v (%T), want a transport error after 1 attempt", errA, errA)
		}
		if errB != nil || respB.Attempts != 3 {
			t.Fatalf("concurrent RequestNewOnboarding: err %v after %d attempts, want success on the 3rd (client policy)", errB, respB.Attempts)
		}
		if _, err := c.StartOnboarding(t.Context(), &incode.StartRequest{}); err != nil || fl.Attempts(incode.StartPath) != 3 {
			t.Fatalf("later StartOnboarding: %v after %d attempts in all, want success on the 3rd", err, fl.Attempts(incode.StartPath))
		}
	})
}

func TestWithResponseIntoReportsRequestID(t *testing.T) {
	t.Parallel()
	srv, c, _ := newCallEnv(t, nil)
	var resp kyc.Response
	if _, err := c.StartOnboarding(t.Context(), &incode.StartRequest{}, option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	log := srv.Requests()
	last := log[len(log)-1]
	if last.Path != incode.StartPath || resp.StatusCode != http.StatusOK || resp.Attempts != 1 || resp.RequestID == "" || resp.RequestID != last.RequestID {
		t.Fatalf("response %+v, want 200 after 1 attempt with the request ID %q of %s", resp, last.RequestID, last.Path)
	}
}
