package credentials_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// TestGetProofCallOptions: per-call options change one call only.
func TestGetProofCallOptions(t *testing.T) {
	srv, _, c, w := setup(t)
	msg := message(t, srv, nil)
	sig := w.SignMessage(msg)
	ctx := context.Background()

	// WithResponseInto: status, attempts and the fake's request id.
	var resp kyc.Response
	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.GetProof(ctx, msg, sig, w.Address(), option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Attempts != 2 || resp.RequestID == "" {
		t.Errorf("response %+v", resp)
	}

	// NoRetries for this call: one 503 is the answer; the next call retries again.
	srv.ResetLog()
	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	_, err := c.GetProof(ctx, msg, sig, w.Address(), option.NoRetries())
	if !errors.Is(err, kyc.ErrServer) || srv.Count("GET", "/") != 1 {
		t.Fatalf("NoRetries: %v after %d requests", err, srv.Count("GET", "/"))
	}
	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.GetProof(ctx, msg, sig, w.Address()); err != nil {
		t.Fatalf("the client's own policy after a per-call NoRetries: %v", err)
	}

	// WithTimeout for this call against a hang.
	srv.InjectFault("GET", "/", kyctest.Fault{Kind: kyctest.FaultHang, Delay: 5 * time.Second})
	start := time.Now()
	_, err = c.GetProof(ctx, msg, sig, w.Address(), option.WithTimeout(50*time.Millisecond), option.NoRetries())
	var te *kyc.TransportError
	if !errors.As(err, &te) || !te.Timeout() || time.Since(start) > 3*time.Second {
		t.Fatalf("per-call timeout: %v after %s", err, time.Since(start))
	}
	srv.ClearFaults()

	// WithHeader for this call.
	srv.ResetLog()
	if _, err := c.GetProof(ctx, msg, sig, w.Address(), option.WithHeader("X-Trace-Tag", "t-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetProof(ctx, msg, sig, w.Address()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("X-Trace-Tag") != "t-1" || reqs[1].Header.Get("X-Trace-Tag") != "" {
		t.Errorf("per-call header: %v", reqs)
	}

	// An invalid per-call option fails before sending.
	srv.ResetLog()
	if _, err := c.GetProof(ctx, msg, sig, w.Address(), option.WithTimeout(-1)); !errors.Is(err, kyc.ErrInvalidArgument) || srv.Count("", "*") != 0 {
		t.Errorf("invalid call option: %v", err)
	}
}
