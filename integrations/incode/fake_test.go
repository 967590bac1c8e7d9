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

func fakeClient(t *testing.T, srv *incodetest.Server, opts ...option.ClientOption) *incode.Client {
	t.Helper()
	c, err := incode.NewClient(append(srv.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFakeRequestNewOnboarding(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	ctx := context.Background()
	for range 3 {
		link, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com", LinkLifetimeMinutes: 15,
			Notification: &incode.Notification{Type: incode.NotifyEmail, Email: "ada@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(link.InterviewID) != 24 || link.URL == "" {
			t.Fatalf("link = %+v", link)
		}
	}
	obs := srv.Onboardings()
	if len(obs) != 3 || obs[0].IntegrationReference != srv.IntegrationID() || obs[0].LinkLifetimeField != incode.LinkValidityField || obs[0].LinkLifetimeMinutes != 15 || obs[0].Notification.Type != incode.NotifyEmail {
		t.Fatalf("onboardings = %+v", obs)
	}
	if n := srv.Count(http.MethodPost, "/oauth2/token"); n != 1 {
		t.Errorf("%d token requests for 3 calls, want 1 (reuse)", n)
	}
}

func TestFakeStartOnboarding(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := fakeClient(t, srv)
	s, err := c.StartOnboarding(context.Background(), &incode.StartRequest{CountryCode: "ALL", ExternalCustomerID: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.StartOnboarding(context.Background(), &incode.StartRequest{InterviewID: s.InterviewID})
	if err != nil {
		t.Fatal(err)
	}
	if !again.ExistingSession || again.InterviewID != s.InterviewID || again.Token.Equal(s.Token) {
		t.Errorf("re-open = %+v", again)
	}
	if n := srv.Count("", "/oauth2/token"); n != 0 {
		t.Errorf("/omni/start asked for a token (%d)", n)
	}
	for _, r := range srv.Requests() {
		if r.HasAuth {
			t.Errorf("%s carried Authorization", r.Path)
		}
	}
}

func TestFakeValidationErrors(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t, incodetest.WithLinkLifetimeField(incode.LinkExpiryField))
	c := fakeClient(t, srv)
	ctx := context.Background()
	tests := []struct {
		name string
		req  incode.OnboardingRequest
	}{
		{"unknown integration", incode.OnboardingRequest{IntegrationReference: "nope", LoginHint: "a@b"}},
		{"sms without phone", incode.OnboardingRequest{LoginHint: "a@b", Notification: &incode.Notification{Type: incode.NotifySMS}}},
		{"unknown notification type", incode.OnboardingRequest{LoginHint: "a@b", Notification: &incode.Notification{Type: "PIGEON"}}},
		{"lifetime under the other name", incode.OnboardingRequest{LoginHint: "a@b", LinkLifetimeMinutes: 5}},
	}
	for _, tt := range tests {
		_, err := c.RequestNewOnboarding(ctx, &tt.req)
		var ie *incode.Error
		if !errors.As(err, &ie) || ie.Status != 400 || ie.Path != incode.RequestNewPath || ie.Message == "" || ie.Timestamp.IsZero() {
			t.Errorf("%s: err = %v (%+v)", tt.name, err, ie)
		}
		if !errors.Is(err, kyc.ErrBadRequest) {
			t.Errorf("%s: not ErrBadRequest", tt.name)
		}
	}
	if n := len(srv.Onboardings()); n != 0 {
		t.Errorf("%d onboardings created by invalid requests", n)
	}
	if _, err := c.StartOnboarding(ctx, &incode.StartRequest{ConfigurationID: "unknown"}); !errors.Is(err, kyc.ErrBadRequest) {
		t.Errorf("start with unknown configuration: %v", err)
	}
}

func TestFakeWrongCredentials(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	ctx := context.Background()
	badKey := fakeClient(t, srv, incode.WithAPIKey("wrong"))
	_, err := badKey.StartOnboarding(ctx, nil)
	var ie *incode.Error
	if !errors.Is(err, kyc.ErrForbidden) || !errors.As(err, &ie) {
		t.Errorf("wrong key: %v", err)
	}
	badSecret := fakeClient(t, srv, incode.WithClientCredentials(srv.ClientID(), "wrong"))
	_, err = badSecret.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "a@b"})
	var te *kyc.TokenError
	if !errors.Is(err, kyc.ErrToken) || !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Errorf("wrong secret: %v", err)
	}
	if srv.Count("", incode.RequestNewPath) != 0 {
		t.Error("request-new sent without a token")
	}
	// A revoked token: 401 in Incode's shape, no retry.
	c := fakeClient(t, srv)
	if _, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "a@b"}); err != nil {
		t.Fatal(err)
	}
	srv.RevokeTokens()
	srv.ResetLog()
	if _, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "a@b"}); !errors.Is(err, kyc.ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	if n := srv.Count("", incode.RequestNewPath); n != 1 {
		t.Errorf("%d attempts after a 401, want 1", n)
	}
}

// A 503 on request-new is not retried (the POST reached the server) and
// creates no onboarding; a reset after the server handled it leaves exactly
// one onboarding and one request.
func TestFakeFaultsNoDuplicateOnboarding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		fault           kyctest.Fault
		wantOnboardings int
		wantErr         error
	}{
		{"503", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, RetryAfter: "0"}, 0, kyc.ErrServer},
		{"502 html", kyctest.Fault{Kind: kyctest.FaultHTMLError}, 0, kyc.ErrServer},
		{"reset after read", kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, 1, nil},
		{"truncated reply", kyctest.Fault{Kind: kyctest.FaultTruncate}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := incodetest.NewServer(t)
			c := fakeClient(t, srv, option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
			srv.InjectFault(http.MethodPost, incode.RequestNewPath, tt.fault)
			link, err := c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{LoginHint: "a@b"})
			if err == nil || link != nil {
				t.Fatalf("link, err = %v, %v", link, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if n := srv.Count(http.MethodPost, incode.RequestNewPath); n != 1 {
				t.Errorf("%d request-new attempts, want exactly 1", n)
			}
			if n := len(srv.Onboardings()); n != tt.wantOnboardings {
				t.Errorf("%d onboardings on the server, want %d", n, tt.wantOnboardings)
			}
		})
	}
}
