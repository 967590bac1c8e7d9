package incode_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The hosted flow through the public client against incodetest: start and
// link, status, score, OCR data, decision and approve, with both read
// credentials and every route form.

func TestHostedFlowEndToEnd(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	ctx := context.Background()

	h, err := c.StartHostedOnboarding(ctx, &incode.StartRequest{ExternalCustomerID: "user-1", RedirectionURL: "https://example.com/back"})
	if err != nil {
		t.Fatal(err)
	}
	if h.InterviewID == "" || h.Token.IsZero() || !strings.HasPrefix(h.URL, srv.URL()+"/onboarding/") || !strings.Contains(h.URL, h.InterviewID) {
		t.Fatalf("hosted onboarding = %v, URL %q", h, h.URL)
	}
	// The start reply's clientId went with the link request.
	var linkReq kyctest.Request
	for _, r := range srv.Requests() {
		if r.Path == incode.TokenOnlyPrefix+incode.OnboardingURLPath {
			linkReq = r
		}
	}
	if !strings.Contains(linkReq.RawQuery, "clientId="+srv.OrgClientID()) || linkReq.Header.Get("X-Api-Key") != "" || linkReq.Header.Get("Api-Version") != "1.0" {
		t.Fatalf("link request: query %q, x-api-key %q", linkReq.RawQuery, linkReq.Header.Get("X-Api-Key"))
	}
	// The link is a real page on the fake.
	resp, err := srv.HTTPClient().Get(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), h.InterviewID) {
		t.Fatalf("hosted page %d %q", resp.StatusCode, page)
	}

	target := h.Target()
	d, err := c.Decide(ctx, target)
	if err != nil || d.Verdict != incode.NotReady || d.Status != incode.OnboardingStatusUnknown {
		t.Fatalf("decision before the flow: %v, %v", d, err)
	}
	ocr, err := c.OCRData(ctx, target)
	if err != nil || ocr.DocumentNumber != "" {
		t.Fatalf("OCR before the ID step: %v %v", ocr, err)
	}
	if st, err := srv.Advance(h.InterviewID); err != nil || st != incode.IDValidationFinished {
		t.Fatalf("Advance: %s %v", st, err)
	}
	ocr, err = c.OCRData(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if ocr.Name.FirstName != "Ada" || ocr.TypeOfID != incode.IDTypeDriversLicense || ocr.BirthDate != (incode.Date{Year: 1952, Month: time.March, Day: 11}) ||
		ocr.IssuingCountry != "USA" || ocr.IssueYear != 2023 || ocr.ExpireAt.Year() != 2031 || ocr.AddressFields.City != "SPRINGFIELD" {
		t.Fatalf("OCR = %+v / %s", ocr.Name.FirstName, ocr.Raw)
	}
	if st, err := srv.Finish(h.InterviewID); err != nil || st != incode.OnboardingFinished {
		t.Fatalf("Finish: %s %v", st, err)
	}
	score, err := c.Score(ctx, target)
	if err != nil || !score.Ready() || score.Overall.Status != incode.ScoreOK || score.IDValidation == nil || len(score.IDValidation.IDSpecific) != 3 {
		t.Fatalf("score %v %v", score, err)
	}
	d, err = c.Decide(ctx, target)
	if err != nil || d.Verdict != incode.Approved || !d.Final() {
		t.Fatalf("decision: %v %v", d, err)
	}
	a, err := c.Approve(ctx, incode.ByInterviewID(h.InterviewID))
	if err != nil || !a.Success || a.UUID == "" || a.Token.IsZero() || a.ExistingCustomer || a.TotalScore != incode.ScoreOK {
		t.Fatalf("approve: %v %v", a, err)
	}
	again, err := c.Approve(ctx, incode.ByInterviewID(h.InterviewID))
	if err != nil || !again.ExistingCustomer || again.UUID != a.UUID {
		t.Fatalf("second approve: %v %v", again, err)
	}
	if srv.Customers() != 1 || len(srv.Approvals()) != 2 || srv.ExecutiveLogins() != 1 {
		t.Fatalf("customers %d, approvals %d, logins %d", srv.Customers(), len(srv.Approvals()), srv.ExecutiveLogins())
	}
}

// Each read through each credential and each route form: the request the
// server saw (path, x-api-key, id) and the result.
func TestReadsBothCredentialsAllRoutes(t *testing.T) {
	t.Parallel()
	type read struct {
		name string
		path string
		// documentedTokenOnly: RoutesDocumented uses the /0/ form.
		documentedTokenOnly bool
		call                func(context.Context, *incode.Client, incode.Target) error
	}
	reads := []read{
		{"OnboardingStatus", incode.OnboardingStatusPath, true, func(ctx context.Context, c *incode.Client, tg incode.Target) error {
			st, err := c.OnboardingStatus(ctx, tg)
			if err == nil && st != incode.OnboardingFinished {
				return errors.New("status " + string(st))
			}
			return err
		}},
		{"Score", incode.ScorePath, true, func(ctx context.Context, c *incode.Client, tg incode.Target) error {
			s, err := c.Score(ctx, tg)
			if err == nil && s.OverallStatus() != incode.ScoreWarn {
				return errors.New("score " + string(s.OverallStatus()))
			}
			return err
		}},
		{"OCRData", incode.OCRDataPath, false, func(ctx context.Context, c *incode.Client, tg incode.Target) error {
			o, err := c.OCRData(ctx, tg)
			if err == nil && o.Name.GivenName != "Ada" {
				return errors.New("no OCR name")
			}
			return err
		}},
	}
	srv := incodetest.NewServer(t, incodetest.WithOutcome(incodetest.OutcomeWarn))
	setup := fakeClient(t, srv)
	sess, err := setup.StartOnboarding(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Finish(sess.InterviewID); err != nil {
		t.Fatal(err)
	}
	for _, routes := range []incode.SessionRoutes{incode.RoutesDocumented, incode.RoutesTokenOnly, incode.RoutesWithAPIKey} {
		c := fakeClient(t, srv, incode.WithSessionRoutes(routes))
		for _, r := range reads {
			for _, cred := range []string{"session token", "session token and id", "interview id"} {
				var tg incode.Target
				switch cred {
				case "session token":
					tg = incode.BySessionToken(sess.Token)
				case "session token and id":
					tg = sess.Target()
				default:
					tg = incode.ByInterviewID(sess.InterviewID)
				}
				srv.ResetLog()
				if err := r.call(context.Background(), c, tg); err != nil {
					t.Fatalf("routes %d, %s by %s: %v", routes, r.name, cred, err)
				}
				var got *kyctest.Request
				for _, q := range srv.Requests() {
					if strings.HasSuffix(q.Path, r.path) {
						got = &q
					}
				}
				if got == nil {
					t.Fatalf("routes %d, %s by %s: no request", routes, r.name, cred)
				}
				tokenOnly := cred != "interview id" && (routes == incode.RoutesTokenOnly || routes == incode.RoutesDocumented && r.documentedTokenOnly)
				wantPath := r.path
				if tokenOnly {
					wantPath = incode.TokenOnlyPrefix + r.path
				}
				wantID := cred != "session token" && !tokenOnly
				if got.Path != wantPath || (got.Header.Get("X-Api-Key") != "") == tokenOnly ||
					strings.Contains(got.RawQuery, "id="+sess.InterviewID) != wantID || got.Header.Get("X-Incode-Hardware-Id") == "" {
					t.Errorf("routes %d, %s by %s: %s ?%s x-api-key %t", routes, r.name, cred, got.Path, got.RawQuery, got.Header.Get("X-Api-Key") != "")
				}
			}
		}
	}
	if n := srv.ExecutiveLogins(); n != 3 {
		t.Errorf("%d executive logins for three clients, want 3 (one each, cached)", n)
	}
}

func TestDecisionForEachScriptedOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome incodetest.Outcome
		review  string // "", "approve", "reject"
		want    incode.Verdict
		status  incode.OnboardingStatus
		overall incode.ScoreStatus
	}{
		{incodetest.OutcomePass, "", incode.Approved, incode.OnboardingFinished, incode.ScoreOK},
		{incodetest.OutcomeWarn, "", incode.NeedsReview, incode.OnboardingFinished, incode.ScoreWarn},
		{incodetest.OutcomeFail, "", incode.Rejected, incode.OnboardingFinished, incode.ScoreFail},
		{incodetest.OutcomeManualReview, "", incode.NeedsReview, incode.OnboardingFinished, incode.ScoreManualPending},
		{incodetest.OutcomeManualReview, "approve", incode.Approved, incode.ManualReviewApproved, incode.ScoreUnknown},
		{incodetest.OutcomeManualReview, "reject", incode.Rejected, incode.ManualReviewRejected, incode.ScoreUnknown},
		{incodetest.OutcomeExpired, "", incode.Rejected, incode.OnboardingExpired, incode.ScoreUnknown},
		{incodetest.OutcomeScoreNotReady, "", incode.NotReady, incode.OnboardingFinished, incode.ScoreUnknown},
	}
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(string(tt.outcome)+tt.review, func(t *testing.T) {
			sess, err := c.StartOnboarding(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.SetOutcome(sess.InterviewID, tt.outcome); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Finish(sess.InterviewID); err != nil {
				t.Fatal(err)
			}
			if tt.review != "" {
				if err := srv.Review(sess.InterviewID, tt.review == "approve"); err != nil {
					t.Fatal(err)
				}
			}
			for _, tg := range []incode.Target{sess.Target(), incode.ByInterviewID(sess.InterviewID)} {
				d, err := c.Decide(ctx, tg)
				if err != nil {
					t.Fatal(err)
				}
				if d.Verdict != tt.want || d.Status != tt.status || d.Overall != tt.overall || d.Reason == "" {
					t.Errorf("%v: decision %v, want %s on %s/%s", tg, d, tt.want, tt.status, tt.overall)
				}
			}
			// The pure function agrees with the score the fake serves.
			score, err := c.Score(ctx, sess.Target())
			if err != nil {
				t.Fatal(err)
			}
			if tt.outcome == incodetest.OutcomeScoreNotReady || tt.outcome == incodetest.OutcomeExpired {
				if score.Ready() || score.OverallStatus() != incode.ScoreUnknown {
					t.Errorf("score %v reads as ready", score)
				}
				if d := incode.Decide(incode.OnboardingFinished, score); d.Verdict != incode.NotReady {
					t.Errorf("UNKNOWN score decided %v", d)
				}
			}
		})
	}
}

// UNKNOWN, a missing or malformed overall, and ONBOARDING_FINISHED without
// a score are never a pass.
func TestDecideNeverPassesWithoutAComputedScore(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{}`, `{"overall":{"status":"UNKNOWN","value":"100.0"}}`, `{"overall":null}`, `{"overall":"OK"}`,
		`{"overall":{"value":"100.0"}}`, `{"overall":{"status":""}}`, `{"overall":[{"status":"OK"}]}`,
		`{"idValidation":{"overall":{"status":"OK"}},"liveness":{"overall":{"status":"OK"}}}`,
	} {
		s, err := incode.ParseScore([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for _, st := range []incode.OnboardingStatus{incode.OnboardingFinished, incode.OnboardingStatusUnknown, "SOMETHING_NEW", ""} {
			if d := incode.Decide(st, s); d.Verdict == incode.Approved {
				t.Errorf("%s with %q: approved", body, st)
			}
		}
	}
	if d := incode.Decide(incode.OnboardingFinished, nil); d.Verdict != incode.NotReady {
		t.Errorf("finished without a score: %v", d)
	}
	ok, _ := incode.ParseScore([]byte(`{"overall":{"status":"OK"}}`))
	for _, st := range []incode.OnboardingStatus{incode.IDValidationFinished, incode.FaceValidationFinished, incode.OnboardingStatusUnknown} {
		if d := incode.Decide(st, ok); d.Verdict != incode.NotReady {
			t.Errorf("%s with an OK score: %v", st, d)
		}
	}
	if d := incode.Decide("SOMETHING_NEW", ok); d.Verdict != incode.NeedsReview {
		t.Errorf("unknown status with an OK score: %v", d)
	}
	odd, _ := incode.ParseScore([]byte(`{"overall":{"status":"SUPER_OK"}}`))
	if d := incode.Decide(incode.OnboardingFinished, odd); d.Verdict != incode.NeedsReview {
		t.Errorf("unknown overall status: %v", d)
	}
}

func TestExecutiveTokenCachedRenewedAndNeverRetriedBlindly(t *testing.T) {
	t.Parallel()
	clock := kyctest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := incodetest.NewServer(t, incodetest.WithClock(clock.Now))
	c := fakeClient(t, srv, incode.WithClock(clock.Now))
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := incode.ByInterviewID(sess.InterviewID)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.OnboardingStatus(ctx, byID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := srv.ExecutiveLogins(); n != 1 {
		t.Fatalf("%d logins for 8 concurrent reads, want 1", n)
	}
	// Within the lifetime minus the renew margin: still cached.
	clock.Advance(22 * time.Hour)
	if _, err := c.OnboardingStatus(ctx, byID); err != nil || srv.ExecutiveLogins() != 1 {
		t.Fatalf("after 22h: %v, %d logins", err, srv.ExecutiveLogins())
	}
	// Less than an hour left: renewed before it runs out.
	clock.Advance(90 * time.Minute)
	if _, err := c.OnboardingStatus(ctx, byID); err != nil || srv.ExecutiveLogins() != 2 {
		t.Fatalf("after 23h30: %v, %d logins", err, srv.ExecutiveLogins())
	}
	// A token refused early (revoked): one new login, the read sent once more.
	srv.RevokeExecutiveTokens()
	srv.ResetLog()
	if _, err := c.Score(ctx, byID); err != nil || srv.ExecutiveLogins() != 3 || srv.Count(http.MethodGet, incode.ScorePath) != 2 {
		t.Fatalf("after revocation: %v, %d logins, %d reads", err, srv.ExecutiveLogins(), srv.Count(http.MethodGet, incode.ScorePath))
	}
	// The exported source shares the cache.
	tok, err := c.ExecutiveTokenSource().Token()
	if err != nil || tok.AccessToken == "" || !tok.Expiry.Equal(clock.Now().Add(incode.DefaultExecutiveTokenLifetime)) {
		t.Fatalf("source token: %v, expiry %v", err, tok.Expiry)
	}

	// A wrong password: refused once, never tried again on its own.
	bad := fakeClient(t, srv, incode.WithExecutiveLogin(srv.ExecutiveEmail(), incode.NewSecret("wrong-password")))
	srv.ResetLog()
	for range 3 {
		_, err := bad.Score(ctx, byID)
		var le *incode.ExecutiveLoginError
		if !errors.Is(err, incode.ErrExecutiveLoginRefused) || !errors.Is(err, kyc.ErrUnauthorized) || !errors.As(err, &le) {
			t.Fatalf("wrong password: %v", err)
		}
		if strings.Contains(err.Error(), "wrong-password") || strings.Contains(err.Error(), srv.ExecutiveEmail()) {
			t.Fatalf("error prints the credentials: %v", err)
		}
	}
	if n := srv.Count(http.MethodPost, incode.ExecutiveLoginPath); n != 1 {
		t.Fatalf("%d login attempts with a wrong password, want 1", n)
	}
	if srv.Count("", incode.ScorePath) != 0 {
		t.Fatal("a read was sent without a token")
	}
	bad.ResetExecutiveLogin()
	if _, err := bad.Score(ctx, byID); !errors.Is(err, incode.ErrExecutiveLoginRefused) || srv.Count(http.MethodPost, incode.ExecutiveLoginPath) != 2 {
		t.Fatalf("after reset: %v, %d attempts", err, srv.Count(http.MethodPost, incode.ExecutiveLoginPath))
	}
	// A 503 on the login is not sticky (and a POST is not retried).
	srv.InjectFault(http.MethodPost, incode.ExecutiveLoginPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	fresh := fakeClient(t, srv, option.WithRetryPolicy(faultRetries))
	if _, err := fresh.Score(ctx, byID); !errors.Is(err, kyc.ErrServer) || errors.Is(err, incode.ErrExecutiveLoginRefused) {
		t.Fatalf("503 login: %v", err)
	}
	if _, err := fresh.Score(ctx, byID); err != nil {
		t.Fatalf("after a 503 login: %v", err)
	}
	// Without executive credentials, reading by id says what is missing.
	noExec, err := incode.NewClient(incode.WithEnvironment(srv.Environment()), option.WithHTTPClient(srv.HTTPClient()), incode.WithAPIKey(srv.APIKey()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noExec.Score(ctx, byID); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("no executive credentials: %v", err)
	}
	if noExec.ExecutiveTokenSource() != nil {
		t.Fatal("token source without credentials")
	}
}

// The executive token expires on the fake's clock after 24 h; a client
// that trusts a longer lifetime gets one refusal, logs in again and the
// read succeeds.
func TestExecutiveTokenExpiresOnServerClock(t *testing.T) {
	t.Parallel()
	clock := kyctest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := incodetest.NewServer(t, incodetest.WithClock(clock.Now))
	c := fakeClient(t, srv, incode.WithClock(clock.Now), incode.WithExecutiveTokenTiming(48*time.Hour, time.Minute))
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OCRData(ctx, incode.ByInterviewID(sess.InterviewID)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(25 * time.Hour)
	srv.ResetLog()
	if _, err := c.OCRData(ctx, incode.ByInterviewID(sess.InterviewID)); err != nil {
		t.Fatal(err)
	}
	if srv.ExecutiveLogins() != 2 || srv.Count(http.MethodGet, incode.OCRDataPath) != 2 {
		t.Fatalf("%d logins, %d reads", srv.ExecutiveLogins(), srv.Count(http.MethodGet, incode.OCRDataPath))
	}
	// The session token (90 days) still reads without any login.
	if _, err := c.OCRData(ctx, sess.Target()); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsTellTokenFromAPIKey(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Score(ctx, incode.BySessionToken(incode.NewSecret("not-a-token")))
	var ie *incode.Error
	if !errors.Is(err, kyc.ErrUnauthorized) || errors.Is(err, kyc.ErrForbidden) || !errors.As(err, &ie) || ie.Status != 401 {
		t.Fatalf("bad session token: %v", err)
	}
	badKey := fakeClient(t, srv, incode.WithAPIKey("wrong-key"))
	_, err = badKey.OCRData(ctx, sess.Target())
	if !errors.Is(err, kyc.ErrForbidden) || errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("bad API key: %v", err)
	}
	srv.RevokeSessionToken(sess.InterviewID)
	if _, err := c.OnboardingStatus(ctx, sess.Target()); !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("revoked session token: %v", err)
	}
	// Incode's own codes are kept beside the HTTP status; the free-text
	// reason and message stay out of Error().
	for _, body := range []string{
		`{"timestamp":1695335887367,"status":4019,"error":"Face not found.","path":"/omni/get/score"}`,
		`{"timestamp":1584639032757,"status":4019,"error":"Face not found.","message":"BadRequestException: Face not found.","path":"/omni/get/score"}`,
	} {
		srv.InjectFault(http.MethodGet, incode.TokenOnlyPrefix+incode.ScorePath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: body})
		_, err := c.Score(ctx, incode.BySessionToken(incode.NewSecret("x")))
		if !errors.As(err, &ie) || ie.Status != 4019 || ie.APIError.StatusCode != 400 || !errors.Is(err, kyc.ErrBadRequest) {
			t.Fatalf("custom code: %v", err)
		}
		if strings.Contains(err.Error(), "Face") || !strings.Contains(err.Error(), "4019") {
			t.Fatalf("Error() = %q", err)
		}
	}
	if _, err := c.Score(ctx, incode.Target{}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("empty target: %v", err)
	}
	if _, err := c.OnboardingURL(ctx, incode.NewSecret("a\r\nb"), ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("token with a line break: %v", err)
	}
	if _, err := c.FinishStatus(ctx, incode.Secret{}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("empty token: %v", err)
	}
}

func TestOnboardingURLClientID(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t, incodetest.WithRequiredClientID())
	ctx := context.Background()
	c := fakeClient(t, srv)
	sess, err := c.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OnboardingURL(ctx, sess.Token, ""); !errors.Is(err, kyc.ErrBadRequest) {
		t.Fatalf("without clientId on a server that requires it: %v", err)
	}
	if u, err := c.OnboardingURL(ctx, sess.Token, sess.ClientID); err != nil || u == "" {
		t.Fatalf("with the session's clientId: %q %v", u, err)
	}
	withID := fakeClient(t, srv, incode.WithClientID(srv.OrgClientID()))
	if _, err := withID.OnboardingURL(ctx, sess.Token, ""); err != nil {
		t.Fatalf("with WithClientID: %v", err)
	}
	// The link fails after the start succeeded: the session comes back
	// with the error, so the caller need not start a second one.
	srv.InjectFault(http.MethodGet, incode.TokenOnlyPrefix+incode.OnboardingURLPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500})
	h, err := c.StartHostedOnboarding(ctx, nil)
	if err == nil || h == nil || h.Token.IsZero() || h.URL != "" || !errors.Is(err, kyc.ErrServer) {
		t.Fatalf("link failure: %v, %v", h, err)
	}
	if u, err := c.OnboardingURL(ctx, h.Token, h.Session.ClientID); err != nil || u == "" {
		t.Fatalf("link again: %v", err)
	}
}

func TestFinishAndCloseSession(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, &incode.StartRequest{RedirectionURL: "https://example.com/done"})
	if err != nil {
		t.Fatal(err)
	}
	fin, err := c.FinishStatus(ctx, sess.Token)
	if err != nil || fin.RedirectionURL != "https://example.com/done" {
		t.Fatalf("finish: %v %v", fin, err)
	}
	if st, _ := srv.Status(sess.InterviewID); st != incode.OnboardingFinished {
		t.Fatalf("status after finish: %s", st)
	}
	closed, err := c.CloseSession(ctx, sess.Token)
	if err != nil || closed.SessionStatus != "Closed" || closed.ClosedAt.IsZero() {
		t.Fatalf("close: %v %v", closed, err)
	}
	if srv.Count(http.MethodPost, incode.SessionStatusSetPath) != 1 {
		t.Fatal("close not sent once")
	}
	if _, err := srv.Advance(sess.InterviewID); !errors.Is(err, incodetest.ErrSessionClosed) && !errors.Is(err, incodetest.ErrFlowEnded) {
		t.Fatalf("advance after close: %v", err)
	}
	if _, err := c.FinishStatus(ctx, sess.Token); !errors.Is(err, kyc.ErrBadRequest) {
		t.Fatalf("finish after close: %v", err)
	}
	d, err := c.Decide(ctx, sess.Target())
	if err != nil || d.Verdict != incode.Approved {
		t.Fatalf("decision on the closed session: %v %v", d, err)
	}
}

// The onboarding-status webhook reaches the package's handler: finished
// is not a success; the decision comes from the score.
func TestWebhookThenDecide(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*incode.Webhook
	handler, err := incode.NewWebhookHandler("x-incode-secret", incode.NewSecret("hook-value"), func(_ context.Context, w *incode.Webhook) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recv := httptest.NewServer(handler)
	t.Cleanup(recv.Close)
	srv := incodetest.NewServer(t, incodetest.WithWebhook(recv.URL, "x-incode-secret", "hook-value"), incodetest.WithOutcome(incodetest.OutcomeFail))
	c := fakeClient(t, srv)
	ctx := context.Background()
	sess, err := c.StartOnboarding(ctx, &incode.StartRequest{ExternalCustomerID: "user-7"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Finish(sess.InterviewID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 || len(srv.Deliveries()) != 4 {
		t.Fatalf("%d webhooks, %d deliveries", len(got), len(srv.Deliveries()))
	}
	last := got[len(got)-1]
	if last.Onboarding == nil || last.Onboarding.Status != incode.OnboardingFinished || last.Outcome() != incode.OutcomeFinished ||
		last.Onboarding.ExternalID != "user-7" || last.InterviewID() != sess.InterviewID {
		t.Fatalf("last webhook %v", last)
	}
	d, err := c.Decide(ctx, incode.ByInterviewID(last.InterviewID()))
	if err != nil || d.Verdict != incode.Rejected {
		t.Fatalf("decision %v %v", d, err)
	}
}

// A token source shared between clients (WithExecutiveTokenSource): no
// login of its own; a refused token is reported, not retried, and dropped
// from the owner's cache. Approve by
// session token (the third-party form) works on the fake too.
func TestExecutiveTokenSourceAndSessionApprove(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	owner := fakeClient(t, srv)
	ctx := context.Background()
	sess, err := owner.StartOnboarding(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := []option.ClientOption{incode.WithEnvironment(srv.Environment()), option.WithHTTPClient(srv.HTTPClient()), incode.WithAPIKey(srv.APIKey())}
	if _, err := incode.NewClient(append(base, incode.WithExecutiveTokenSource(owner.ExecutiveTokenSource()),
		incode.WithExecutiveLogin("a@example.com", incode.NewSecret("p")))...); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("login and source together: %v", err)
	}
	shared, err := incode.NewClient(append(base, incode.WithExecutiveTokenSource(owner.ExecutiveTokenSource()))...)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := shared.OnboardingStatus(ctx, incode.ByInterviewID(sess.InterviewID)); err != nil {
			t.Fatal(err)
		}
	}
	if srv.ExecutiveLogins() != 1 {
		t.Fatalf("%d logins", srv.ExecutiveLogins())
	}
	srv.RevokeExecutiveTokens()
	srv.ResetLog()
	if _, err := shared.Score(ctx, incode.ByInterviewID(sess.InterviewID)); !errors.Is(err, kyc.ErrUnauthorized) || srv.Count("", incode.ScorePath) != 1 {
		t.Fatalf("revoked shared token: %v after %d requests", err, srv.Count("", incode.ScorePath))
	}
	// The refusal reached the owner's cache: the next call gets a new token
	// (one new login by the owner) instead of the revoked one until it expires.
	if _, err := shared.Score(ctx, incode.ByInterviewID(sess.InterviewID)); err != nil || srv.ExecutiveLogins() != 2 {
		t.Fatalf("after the refusal: %v, %d logins", err, srv.ExecutiveLogins())
	}
	if _, err := srv.Finish(sess.InterviewID); err != nil {
		t.Fatal(err)
	}
	a, err := owner.Approve(ctx, sess.Target())
	if err != nil || !a.Success || srv.Customers() != 1 {
		t.Fatalf("approve by session token: %v %v", a, err)
	}
	if q := srv.Requests(); !strings.Contains(q[len(q)-1].RawQuery, "interviewId="+sess.InterviewID) {
		t.Fatalf("approve query %q", q[len(q)-1].RawQuery)
	}
}

// A slow executive login: every caller waiting for it returns when its own
// context ends (not when the login does), the login is not cancelled with
// the caller that started it, and it runs once for all of them.
func TestExecutiveLoginWaitIsBoundedByEachCaller(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv, option.WithTimeout(10*time.Second))
	sess, err := c.StartOnboarding(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := incode.ByInterviewID(sess.InterviewID)
	const slow = 1500 * time.Millisecond
	srv.InjectFault(http.MethodPost, incode.ExecutiveLoginPath, kyctest.Fault{Kind: kyctest.FaultHang, Delay: slow})
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := c.OnboardingStatus(ctx, byID)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("short caller: %v", err)
			}
			if d := time.Since(start); d > slow/2 {
				t.Errorf("a 100ms caller returned after %v", d)
			}
		}()
	}
	wg.Wait()
	// A patient caller gets the token of the login the others started.
	if _, err := c.OnboardingStatus(context.Background(), byID); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(http.MethodPost, incode.ExecutiveLoginPath); n != 1 {
		t.Fatalf("%d logins reached the server, want 1", n)
	}
	if n := srv.ExecutiveLogins(); n != 1 {
		t.Fatalf("%d logins succeeded, want 1", n)
	}
}
