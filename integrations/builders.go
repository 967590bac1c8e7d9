package integrations

import (
	"context"
	"net/http"
	"slices"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// Config returns the fractalid.Config of the application, requesting
// scopes (build them with fractalid.ScopesFor). It needs RedirectURI, which
// the other builders do not. The application is
// validated first (a *ValidationError on failure).
func (f FractalApp) Config(scopes ...fractalid.Scope) (fractalid.Config, error) {
	if err := f.Validate(); err != nil {
		return fractalid.Config{}, err
	}
	if f.RedirectURI == "" {
		var c checker
		c.add("fractal.redirect_uri", EnvFractalRedirectURI, "is required for the authorization flow", ErrMissing)
		return fractalid.Config{}, c.err()
	}
	env, err := f.ResolveEnvironment()
	if err != nil {
		return fractalid.Config{}, err
	}
	return fractalid.Config{
		ClientID:     f.ClientID,
		ClientSecret: f.ClientSecret.Reveal(),
		RedirectURL:  f.RedirectURI,
		Scopes:       slices.Clone(scopes),
		Environment:  env,
	}, nil
}

// StatsClient returns a fractalid.StatsClient authenticated with the
// application's client credentials against its environment; opts come
// after and may override.
func (f FractalApp) StatsClient(opts ...option.ClientOption) (*fractalid.StatsClient, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	env, err := f.ResolveEnvironment()
	if err != nil {
		return nil, err
	}
	all := append([]option.ClientOption{
		fractalid.WithEnvironment(env),
		fractalid.WithCredentials(f.ClientID, f.ClientSecret.Reveal()),
	}, opts...)
	return fractalid.NewStatsClient(all...)
}

// Verifier returns a webhooks.Verifier holding the webhook secrets of each
// notification type (several per type during a rotation) and the default
// secrets; opts come after. It fails when no webhook secret is configured.
// Only the webhook settings are checked (a webhook receiver need not hold
// the OAuth credentials).
func (f FractalApp) Verifier(opts ...webhooks.VerifierOption) (*webhooks.Verifier, error) {
	var c checker
	f.checkWebhooks(&c)
	if len(f.WebhookSecrets) == 0 && len(f.WebhookDefaultSecrets) == 0 {
		c.add("fractal.webhook_secrets", EnvFractalWebhookSecret, "no webhook secret is configured", ErrMissing)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	var all []webhooks.VerifierOption
	for _, t := range f.webhookTypes() {
		all = append(all, webhooks.WithSecret(webhooks.EventType(t), reveal(f.WebhookSecrets[t])...))
	}
	if len(f.WebhookDefaultSecrets) > 0 {
		all = append(all, webhooks.WithDefaultSecrets(reveal(f.WebhookDefaultSecrets)...))
	}
	return webhooks.NewVerifier(append(all, opts...)...)
}

func reveal(list []Secret) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Reveal()
	}
	return out
}

// Client returns an ekycadmin.Client for the credential: its client id and
// secret, token URL, base URL and API key; opts come after and may
// override (option.WithHTTPClient, option.WithLogger, ...). The credential is validated
// first.
func (e EKYCCredential) Client(opts ...option.ClientOption) (*ekycadmin.Client, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	all := []option.ClientOption{
		ekycadmin.WithCredentials(e.ClientID, e.ClientSecret.Reveal()),
		ekycadmin.WithTokenURL(e.tokenURL()),
		option.WithBaseURL(e.baseURL()),
	}
	if !e.APIKey.IsZero() {
		all = append(all, ekycadmin.WithAPIKey(e.APIKey.Reveal()))
	}
	return ekycadmin.NewClient(append(all, opts...)...)
}

// Client returns an incode.Client for the integration: environment and
// URL overrides, API key, client credentials (when set), Integration ID,
// Configuration ID and executive login (when set); opts come after and may
// override. The integration is
// validated first.
func (i IncodeIntegration) Client(opts ...option.ClientOption) (*incode.Client, error) {
	if err := i.Validate(); err != nil {
		return nil, err
	}
	env, err := i.ResolveEnvironment()
	if err != nil {
		return nil, err
	}
	all := []option.ClientOption{
		incode.WithEnvironment(env),
		incode.WithAPIKey(i.APIKey.Reveal()),
	}
	if i.ClientID != "" {
		all = append(all, incode.WithClientCredentials(i.ClientID, i.ClientSecret.Reveal()))
	}
	if i.IntegrationID != "" {
		all = append(all, incode.WithIntegrationID(i.IntegrationID))
	}
	if i.ConfigurationID != "" {
		all = append(all, incode.WithConfigurationID(i.ConfigurationID))
	}
	if i.ExecutiveEmail != "" {
		all = append(all, incode.WithExecutiveLogin(i.ExecutiveEmail, i.ExecutivePassword))
	}
	return incode.NewClient(append(all, opts...)...)
}

// VerifyWebhook checks the integration's static webhook header on r with
// incode.VerifyHeader (constant time). It returns incode.ErrNoSecret when
// no header is configured.
func (i IncodeIntegration) VerifyWebhook(r *http.Request) error {
	return incode.VerifyHeader(r, i.WebhookHeaderName, i.WebhookHeaderValue)
}

// WebhookHandler returns incode.NewWebhookHandler for the integration's
// webhook header.
func (i IncodeIntegration) WebhookHandler(fn func(context.Context, *incode.Webhook) error) (http.Handler, error) {
	return incode.NewWebhookHandler(i.WebhookHeaderName, i.WebhookHeaderValue, fn)
}
