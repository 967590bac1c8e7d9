package incode_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// Approve is not idempotent: under every fault it is sent once, and the
// server creates at most one customer, exactly one when it acted on the
// request. A second, deliberate Approve reports the existing customer.
func TestApproveNeverDuplicated(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name    string
		fault   kyctest.Fault
		opts    []option.ClientOption
		revoke  bool
		check   func(*testing.T, error)
		created int
	}{
		{name: "503 burst", fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3}, check: faultCheckAPI(503, kyc.ErrServer, 0)},
		{name: "429 with Retry-After", fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"}, check: faultCheckAPI(429, kyc.ErrRateLimited, time.Second)},
		{name: "500 in Incode's shape", fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500,
			Body: `{"timestamp":1688044216480,"status":500,"error":"Internal Server Error","message":"Unexpected error occured","path":"/omni/process/approve"}`}, //nolint:misspell // verbatim from Incode
			check: faultCheckAPI(500, kyc.ErrServer, 0)},
		{name: "HTML 502", fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502}, check: faultCheckAPI(502, kyc.ErrServer, 0)},
		{name: "reset before read", fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, check: faultCheckTransport(false)},
		{name: "reset after the server approved", fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, check: faultCheckTransport(false), created: 1},
		{name: "truncated reply after the server approved", fault: kyctest.Fault{Kind: kyctest.FaultTruncate}, check: faultCheckIs(kyc.ErrDecode), created: 1},
		{name: "reply slower than the timeout", fault: kyctest.Fault{Kind: kyctest.FaultHang},
			opts: []option.ClientOption{option.WithTimeout(150 * time.Millisecond)}, check: faultCheckTransport(true)},
		{name: "oversized reply", fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10},
			opts: []option.ClientOption{option.WithMaxResponseBytes(16 << 10)}, check: faultCheckIs(kyc.ErrResponseTooLarge)},
		{name: "executive token refused (401): not resent with a new one", revoke: true, check: faultCheckIs(kyc.ErrUnauthorized)},
		{name: "no fault", check: func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}, created: 1},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := incodetest.NewServer(t)
			c := newFaultClient(t, srv, tt.opts...)
			ctx := context.Background()
			sess, err := c.StartOnboarding(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Finish(sess.InterviewID); err != nil {
				t.Fatal(err)
			}
			// Log in first, so the fault meets approve itself.
			if _, err := c.OnboardingStatus(ctx, incode.ByInterviewID(sess.InterviewID)); err != nil {
				t.Fatal(err)
			}
			if tt.revoke {
				srv.RevokeExecutiveTokens()
			}
			if tt.fault.Kind != kyctest.FaultNone {
				srv.InjectFault(http.MethodPost, incode.ApprovePath, tt.fault)
			}
			logins := srv.ExecutiveLogins()
			a, err := c.Approve(ctx, incode.ByInterviewID(sess.InterviewID))
			tt.check(t, err)
			if err != nil && a != nil {
				t.Fatal("an approval with an error")
			}
			if n := srv.Count(http.MethodPost, incode.ApprovePath); n != 1 {
				t.Fatalf("approve sent %d times, want 1", n)
			}
			if n := srv.Customers(); n != tt.created || len(srv.Approvals()) != tt.created {
				t.Fatalf("%d customers, %d approvals, want %d", n, len(srv.Approvals()), tt.created)
			}
			if srv.ExecutiveLogins() != logins {
				t.Fatal("approve logged in again")
			}
			srv.ClearFaults()
			// Asking again on purpose: the server says whether the customer exists.
			again, err := c.Approve(ctx, incode.ByInterviewID(sess.InterviewID))
			if err != nil {
				t.Fatal(err)
			}
			if again.ExistingCustomer != (tt.created == 1) || srv.Customers() != 1 {
				t.Fatalf("second approve: existing %t, %d customers", again.ExistingCustomer, srv.Customers())
			}
		})
	}
}

// Approve before the flow finished is refused by the fake (400), and a
// read is retried on a 503 while a POST is not.
func TestApproveBeforeFinishAndReadRetries(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := newFaultClient(t, srv)
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Approve(ctx, incode.ByInterviewID(sess.InterviewID)); !errors.Is(err, kyc.ErrBadRequest) {
		t.Fatalf("approve before finish: %v", err)
	}
	srv.InjectFault(http.MethodGet, incode.TokenOnlyPrefix+incode.ScorePath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2})
	if _, err := c.Score(ctx, sess.Target()); err != nil {
		t.Fatalf("score after two 503s: %v", err)
	}
	if n := srv.Count(http.MethodGet, incode.TokenOnlyPrefix+incode.ScorePath); n != 3 {
		t.Fatalf("%d score requests, want 3", n)
	}
	srv.InjectFault(http.MethodPost, incode.SessionStatusSetPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.CloseSession(ctx, sess.Token); !errors.Is(err, kyc.ErrServer) {
		t.Fatalf("close on 503: %v", err)
	}
	if n := srv.Count(http.MethodPost, incode.SessionStatusSetPath); n != 1 {
		t.Fatalf("close sent %d times", n)
	}
}
