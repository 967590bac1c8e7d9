package incodetest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
)

func newClient(t *testing.T, srv *incodetest.Server) *incode.Client {
	t.Helper()
	c, err := incode.NewClient(srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The driving methods refuse what a real session could not do.
func TestDrivingMethods(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	if _, err := srv.Advance("nope"); !errors.Is(err, incodetest.ErrUnknownInterview) {
		t.Errorf("Advance unknown: %v", err)
	}
	if err := srv.SetOutcome("nope", incodetest.OutcomePass); !errors.Is(err, incodetest.ErrUnknownInterview) {
		t.Errorf("SetOutcome unknown: %v", err)
	}
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetOutcome(sess.InterviewID, "maybe"); err == nil {
		t.Error("invalid outcome accepted")
	}
	if err := srv.Review(sess.InterviewID, true); !errors.Is(err, incodetest.ErrNotReviewable) {
		t.Errorf("Review of a running pass session: %v", err)
	}
	var seen []incode.OnboardingStatus
	for {
		st, err := srv.Advance(sess.InterviewID)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, st)
		if st == incode.OnboardingFinished {
			break
		}
	}
	want := []incode.OnboardingStatus{incode.IDValidationFinished, incode.PostProcessingFinished, incode.FaceValidationFinished, incode.OnboardingFinished}
	if len(seen) != len(want) {
		t.Fatalf("steps %v", seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("steps %v", seen)
		}
	}
	if _, err := srv.Advance(sess.InterviewID); !errors.Is(err, incodetest.ErrFlowEnded) {
		t.Errorf("Advance after the end: %v", err)
	}
	if err := srv.SetOutcome(sess.InterviewID, incodetest.OutcomeFail); !errors.Is(err, incodetest.ErrFlowEnded) {
		t.Errorf("SetOutcome after the end: %v", err)
	}
	// A session started through request-new is readable by id too.
	link, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.OnboardingStatus(ctx, incode.ByInterviewID(link.InterviewID)); err != nil || st != incode.OnboardingStatusUnknown {
		t.Fatalf("status of a request-new session: %s %v", st, err)
	}
	tok, err := srv.SessionToken(link.InterviewID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OnboardingURL(ctx, incode.NewSecret(tok), ""); err != nil {
		t.Fatalf("link with a re-issued token: %v", err)
	}
	if _, err := srv.SessionToken("nope"); !errors.Is(err, incodetest.ErrUnknownInterview) {
		t.Errorf("SessionToken unknown: %v", err)
	}
	if _, err := c.OnboardingStatus(ctx, incode.ByInterviewID("0123456789abcdef01234567")); !errors.Is(err, kyc.ErrNotFound) {
		t.Errorf("unknown interview: %v", err)
	}
}

// A refused webhook delivery is recorded and reported; the status change
// stands.
func TestWebhookDeliveryFailures(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-hook") != "v" || !strings.Contains(r.Header.Get("Content-Type"), "json") {
			http.Error(w, "bad", http.StatusUnauthorized)
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(recv.Close)
	srv := incodetest.NewServer(t, incodetest.WithWebhook(recv.URL, "x-hook", "v"))
	c := newClient(t, srv)
	sess, err := c.StartOnboarding(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := srv.Advance(sess.InterviewID)
	if err == nil || st != incode.IDValidationFinished {
		t.Fatalf("refused delivery: %s %v", st, err)
	}
	if got, _ := srv.Status(sess.InterviewID); got != incode.IDValidationFinished {
		t.Fatalf("status %s", got)
	}
	if d := srv.Deliveries(); len(d) != 1 || d[0].StatusCode != http.StatusServiceUnavailable || d[0].Status != incode.IDValidationFinished {
		t.Fatalf("deliveries %+v", d)
	}
	for _, bad := range []string{"", "ftp://x", "not a url"} {
		if _, err := incodetest.Start(incodetest.WithWebhook(bad, "h", "v")); err == nil {
			t.Errorf("WithWebhook(%q) accepted", bad)
		}
	}
}

func TestOptionsAndRefusals(t *testing.T) {
	t.Parallel()
	for _, o := range []incodetest.Option{incodetest.WithOutcome("x"), incodetest.WithExecutive("", "p"),
		incodetest.WithExecutiveTokenTTL(0), incodetest.WithOrgClientID("")} {
		if _, err := incodetest.Start(o); err == nil {
			t.Error("invalid option accepted")
		}
	}
	srv := incodetest.NewServer(t)
	hc := srv.HTTPClient()
	// The hosted page of an unknown interview, and an unknown route in
	// Incode's error shape.
	for path, want := range map[string]int{"/onboarding/x/flow/y?interviewId=nope": 404, "/omni/nothing": 404} {
		resp, err := hc.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	// The executive login refuses a wrong e-mail with a 401 and a missing
	// API key with a 403.
	bad, err := incode.NewClient(append(srv.ClientOptions(), incode.WithExecutiveLogin("someone@example.com", incode.NewSecret(srv.ExecutivePassword())))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Score(context.Background(), incode.ByInterviewID("0123456789abcdef01234567")); !errors.Is(err, incode.ErrExecutiveLoginRefused) || !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("wrong e-mail: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+incode.ExecutiveLoginPath, strings.NewReader(`{}`))
	req.Header.Set("api-version", "1.0")
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without API key: %d", resp.StatusCode)
	}
	if srv.ExecutiveLogins() != 0 {
		t.Fatal("a refused login counted")
	}
}
