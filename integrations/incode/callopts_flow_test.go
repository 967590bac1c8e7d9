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

// Per-call options on the hosted-flow calls: WithResponseInto reports the
// fake's request ID, NoRetries and WithTimeout change one read only, and
// an invalid option is refused before anything is sent.
func TestHostedFlowCallOptions(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := newFaultClient(t, srv)
	ctx := context.Background()
	h, err := c.StartHostedOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Finish(h.InterviewID); err != nil {
		t.Fatal(err)
	}
	lastID := func(path string) string {
		var id string
		for _, r := range srv.Requests() {
			if r.Path == path {
				id = r.RequestID
			}
		}
		return id
	}
	calls := []struct {
		name, path string
		do         func(opts ...option.CallOption) error
	}{
		{"OnboardingURL", incode.TokenOnlyPrefix + incode.OnboardingURLPath, func(o ...option.CallOption) error {
			_, err := c.OnboardingURL(ctx, h.Token, "", o...)
			return err
		}},
		{"OnboardingStatus", incode.OnboardingStatusPath, func(o ...option.CallOption) error {
			_, err := c.OnboardingStatus(ctx, incode.ByInterviewID(h.InterviewID), o...)
			return err
		}},
		{"Score", incode.TokenOnlyPrefix + incode.ScorePath, func(o ...option.CallOption) error {
			_, err := c.Score(ctx, h.Target(), o...)
			return err
		}},
		{"OCRData", incode.OCRDataPath, func(o ...option.CallOption) error {
			_, err := c.OCRData(ctx, h.Target(), o...)
			return err
		}},
		{"FinishStatus", incode.FinishStatusPath, func(o ...option.CallOption) error {
			_, err := c.FinishStatus(ctx, h.Token, o...)
			return err
		}},
		{"Approve", incode.ApprovePath, func(o ...option.CallOption) error {
			_, err := c.Approve(ctx, incode.ByInterviewID(h.InterviewID), o...)
			return err
		}},
		{"CloseSession", incode.SessionStatusSetPath, func(o ...option.CallOption) error {
			_, err := c.CloseSession(ctx, h.Token, o...)
			return err
		}},
	}
	for _, call := range calls {
		var resp kyc.Response
		if err := call.do(option.WithResponseInto(&resp)); err != nil {
			t.Fatalf("%s: %v", call.name, err)
		}
		if resp.StatusCode != http.StatusOK || resp.Attempts != 1 || resp.RequestID == "" || resp.RequestID != lastID(call.path) {
			t.Errorf("%s: response %+v, want the request ID %q", call.name, resp, lastID(call.path))
		}
		before := srv.Count("", call.path)
		if err := call.do(option.WithTimeout(-time.Second)); !errors.Is(err, kyc.ErrInvalidArgument) || srv.Count("", call.path) != before {
			t.Errorf("%s with an invalid option: %v", call.name, err)
		}
	}
	// NoRetries on one read; the client's policy on the next.
	path := incode.TokenOnlyPrefix + incode.ScorePath
	srv.ResetLog()
	srv.InjectFault(http.MethodGet, path, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.Score(ctx, h.Target(), option.NoRetries()); !errors.Is(err, kyc.ErrServer) || srv.Count("", path) != 1 {
		t.Fatalf("NoRetries: %v after %d requests", err, srv.Count("", path))
	}
	srv.InjectFault(http.MethodGet, path, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.Score(ctx, h.Target()); err != nil || srv.Count("", path) != 3 {
		t.Fatalf("client policy: %v after %d requests", err, srv.Count("", path))
	}
	// A per-call timeout on a read the server holds.
	srv.InjectFault(http.MethodGet, incode.OCRDataPath, kyctest.Fault{Kind: kyctest.FaultHang, Times: 3})
	_, err = c.OCRData(ctx, h.Target(), option.WithTimeout(50*time.Millisecond), option.NoRetries())
	var te *kyc.TransportError
	if !errors.As(err, &te) || !te.Timeout() {
		t.Fatalf("per-call timeout: %v", err)
	}
	srv.ClearFaults()
	// Decide passes the options to both reads.
	var resp kyc.Response
	if d, err := c.Decide(ctx, h.Target(), option.WithResponseInto(&resp)); err != nil || d.Verdict != incode.Approved || resp.RequestID != lastID(path) {
		t.Fatalf("Decide: %v %v, response %+v", d, err, resp)
	}
}
