package integrations_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/integrations"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

func TestFractalConfigAgainstFake(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	def := srv.DefaultClient()
	u := srv.URL()
	app := integrations.FractalApp{
		ClientID: def.ID, ClientSecret: integrations.NewSecret(def.Secret), RedirectURI: def.RedirectURI,
		Environment: "staging", FrontendURL: u, AuthURL: u, ResourceURL: u,
	}
	cfg, err := app.Config(fractalid.ScopeUID)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientSecret != def.Secret || cfg.Environment.AuthURL != u || cfg.RedirectURL != def.RedirectURI {
		t.Fatalf("config = %v", cfg)
	}
	user := srv.AddUser(fractalidtest.User{})
	authURL, err := cfg.AuthCodeURL("state-1")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := srv.Approve(authURL, user.ID())
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Method: http.MethodGet, URL: cb}
	code, err := cfg.ParseCallback(r, "state-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("exchange: %v", err)
	}

	// An invalid app gives a *ValidationError, not a half-built config.
	if _, err := (integrations.FractalApp{ClientID: "x"}).Config(); !errors.Is(err, integrations.ErrMissing) {
		t.Errorf("invalid app: %v", err)
	}
	if _, err := (integrations.FractalApp{ClientID: "x", ClientSecret: integrations.NewSecret("y"), RedirectURI: "https://a.example/cb"}).StatsClient(); err != nil {
		t.Errorf("stats client: %v", err)
	}
}

func TestFractalVerifier(t *testing.T) {
	payload := []byte(`{"type":"verification_approved","data":{"level":"basic","user_id":"u1"}}`)
	app := integrations.FractalApp{
		WebhookSecrets: map[string][]integrations.Secret{
			"verification_approved": {integrations.NewSecret("new"), integrations.NewSecret("old")},
		},
		WebhookDefaultSecrets: []integrations.Secret{integrations.NewSecret("shared")},
	}
	v, err := app.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"new", "old", "shared"} {
		if _, err := v.Verify(payload, webhooks.Sign(payload, secret)); err != nil {
			t.Errorf("secret %s refused: %v", secret, err)
		}
	}
	if _, err := v.Verify(payload, webhooks.Sign(payload, "other")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("wrong secret: %v", err)
	}
	other := []byte(`{"type":"email_changed","data":{"user_id":"u1","email":"a@b"}}`)
	if _, err := v.Verify(other, webhooks.Sign(other, "new")); err == nil {
		t.Error("a type's secret accepted for another type")
	}
	if _, err := (integrations.FractalApp{}).Verifier(); !errors.Is(err, integrations.ErrMissing) {
		t.Errorf("no secrets: %v", err)
	}
}

func TestEKYCClientAgainstFake(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUsers("user-1")
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	cred := integrations.EKYCCredential{ClientID: id, ClientSecret: integrations.NewSecret(secret), TokenURL: srv.TokenURL(), BaseURL: srv.BaseURL(), APIKey: integrations.NewSecret("gw-key")}
	c, err := cred.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserStatus(context.Background(), "user-1"); err != nil {
		t.Fatal(err)
	}
	var sawKey bool
	for _, r := range srv.Requests() {
		sawKey = sawKey || r.Header.Get("X-Api-Key") == "gw-key"
	}
	if !sawKey {
		t.Error("API key not sent")
	}
	if _, err := (integrations.EKYCCredential{ClientID: "a"}).Client(); !errors.Is(err, integrations.ErrMissing) {
		t.Errorf("invalid credential: %v", err)
	}
}

func TestIncodeClientAgainstFake(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	in := integrations.IncodeIntegration{
		APIKey: integrations.NewSecret(srv.APIKey()), IntegrationID: srv.IntegrationID(), ConfigurationID: srv.ConfigurationID(),
		ClientID: srv.ClientID(), ClientSecret: integrations.NewSecret(srv.ClientSecret()),
		Environment: "demo", APIURL: srv.URL(), AuthURL: srv.URL(),
		WebhookHeaderName: "x-incode-secret", WebhookHeaderValue: integrations.NewSecret("hook"),
	}
	c, err := in.Client(option.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	link, err := c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{LoginHint: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if obs := srv.Onboardings(); len(obs) != 1 || obs[0].InterviewID != link.InterviewID || obs[0].IntegrationReference != srv.IntegrationID() {
		t.Errorf("onboardings = %v", obs)
	}
	if _, err := c.StartOnboarding(context.Background(), nil); err != nil {
		t.Errorf("start: %v", err)
	}
	r := &http.Request{Header: http.Header{"X-Incode-Secret": {"hook"}}, URL: &url.URL{}}
	if err := in.VerifyWebhook(r); err != nil {
		t.Errorf("VerifyWebhook: %v", err)
	}
	if _, err := (integrations.IncodeIntegration{}).Client(); !errors.Is(err, integrations.ErrInvalidSettings) {
		t.Errorf("invalid integration: %v", err)
	}
}

// The executive login from the settings reads a session by interview id.
func TestIncodeExecutiveLoginFromEnv(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	env := map[string]string{
		integrations.EnvIncodeAPIKey: srv.APIKey(), integrations.EnvIncodeConfigurationID: srv.ConfigurationID(),
		integrations.EnvIncodeAPIURL: srv.URL(), integrations.EnvIncodeAuthURL: srv.URL(),
		integrations.EnvIncodeExecutiveEmail: srv.ExecutiveEmail(), integrations.EnvIncodeExecutivePassword: srv.ExecutivePassword(),
	}
	set, err := integrations.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", set.Incode, *set.Incode, set), srv.ExecutiveEmail()) {
		t.Fatal("the executive e-mail is printed")
	}
	c, err := set.Incode.Client(option.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartOnboarding(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.OnboardingStatus(context.Background(), incode.ByInterviewID(sess.InterviewID)); err != nil || st != incode.OnboardingStatusUnknown {
		t.Fatalf("status by interview id: %s %v", st, err)
	}
	if srv.ExecutiveLogins() != 1 {
		t.Fatalf("%d logins", srv.ExecutiveLogins())
	}
	for _, bad := range []integrations.IncodeIntegration{
		{APIKey: integrations.NewSecret("k"), ConfigurationID: "c", ExecutiveEmail: "exec@example.com"},
		{APIKey: integrations.NewSecret("k"), ConfigurationID: "c", ExecutivePassword: integrations.NewSecret("p")},
		{APIKey: integrations.NewSecret("k"), ConfigurationID: "c", ExecutiveEmail: "not-an-address", ExecutivePassword: integrations.NewSecret("p")},
	} {
		err := bad.Validate()
		if !errors.Is(err, integrations.ErrInvalidSettings) || !strings.Contains(err.Error(), "incode.executive_") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
