package integrations

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/internal/secret"
)

// Secret holds a secret value: a client secret, an API key, a webhook
// token. It prints as "[redacted]" through String, GoString, every fmt verb
// (it implements fmt.Formatter), slog (LogValue) and JSON and text
// marshalling. An empty Secret prints as "[empty]" through String,
// GoString, fmt and slog, so a missing value shows in logs, and marshals
// as "" so that settings round-trip. The value is reachable only through
// Reveal.
//
// UnmarshalJSON and UnmarshalText read the real value (from a settings
// file); they refuse the placeholder "[redacted]" with
// ErrSecretPlaceholder, so a file written from redacted output is not
// mistaken for one holding credentials. Equal compares in constant time.
// The zero value is empty.
type Secret = secret.Secret

// NewSecret returns a Secret holding s.
func NewSecret(s string) Secret { return secret.New(s) }

// Redacted is what a non-empty Secret prints as.
const Redacted = secret.Redacted

// ErrSecretPlaceholder is returned when a settings file holds "[redacted]"
// where a secret belongs.
var ErrSecretPlaceholder = secret.ErrPlaceholder

// Environment names.
const (
	// EnvProduction selects the production hosts (the default).
	EnvProduction = "production"
	// EnvStaging selects Fractal ID's staging hosts.
	EnvStaging = "staging"
	// EnvDemo selects Incode's demo hosts.
	EnvDemo = "demo"
)

// Settings holds the integrations a backend uses. Each is optional; a nil
// section is not configured.
type Settings struct {
	// Fractal is a Fractal ID application.
	Fractal *FractalApp `json:"fractal,omitempty"`
	// Incode is an Incode integration.
	Incode *IncodeIntegration `json:"incode,omitempty"`
	// EKYC is an EKYC admin service credential.
	EKYC *EKYCCredential `json:"ekyc,omitempty"`
}

// String lists the configured sections and their ids, never a secret.
func (s Settings) String() string {
	var parts []string
	if s.Fractal != nil {
		parts = append(parts, "Fractal: "+s.Fractal.String())
	}
	if s.Incode != nil {
		parts = append(parts, "Incode: "+s.Incode.String())
	}
	if s.EKYC != nil {
		parts = append(parts, "EKYC: "+s.EKYC.String())
	}
	return "integrations.Settings{" + strings.Join(parts, ", ") + "}"
}

// GoString is String.
func (s Settings) GoString() string { return s.String() }

// LogValue logs the configured sections with ids only.
func (s Settings) LogValue() slog.Value {
	var attrs []slog.Attr
	if s.Fractal != nil {
		attrs = append(attrs, slog.Any("fractal", s.Fractal.LogValue()))
	}
	if s.Incode != nil {
		attrs = append(attrs, slog.Any("incode", s.Incode.LogValue()))
	}
	if s.EKYC != nil {
		attrs = append(attrs, slog.Any("ekyc", s.EKYC.LogValue()))
	}
	return slog.GroupValue(attrs...)
}

// FractalApp is a Fractal ID application as the client dashboard shows it.
type FractalApp struct {
	// ClientID is the application's client id ("API Info").
	ClientID string `json:"client_id"`
	// ClientSecret is the application's client secret.
	ClientSecret Secret `json:"client_secret,omitzero"`
	// RedirectURI is the registered callback URL: https (http only on a
	// loopback host), no fragment.
	RedirectURI string `json:"redirect_uri"`
	// WebhookSecrets holds the webhook secret tokens of each notification
	// type ("verification_approved", ...). Several per type are accepted
	// during a rotation. These are not the client secret.
	WebhookSecrets map[string][]Secret `json:"webhook_secrets,omitempty"`
	// WebhookDefaultSecrets are tried for every notification type after the
	// type's own (when all types share one secret).
	WebhookDefaultSecrets []Secret `json:"webhook_default_secrets,omitempty"`
	// Environment is EnvProduction (default) or EnvStaging.
	Environment string `json:"environment,omitempty"`
	// FrontendURL, AuthURL and ResourceURL override the environment's hosts.
	FrontendURL string `json:"frontend_url,omitempty"`
	AuthURL     string `json:"auth_url,omitempty"`
	ResourceURL string `json:"resource_url,omitempty"`
}

// String prints the client id and environment only.
func (f FractalApp) String() string {
	return fmt.Sprintf("integrations.FractalApp{ClientID: %s, Environment: %s, WebhookTypes: %v}", f.ClientID, f.envName(), f.webhookTypes())
}

// GoString is String.
func (f FractalApp) GoString() string { return f.String() }

// LogValue logs the client id and environment only.
func (f FractalApp) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", f.ClientID), slog.String("environment", f.envName()))
}

func (f FractalApp) envName() string {
	if f.Environment == "" {
		return EnvProduction
	}
	return f.Environment
}

func (f FractalApp) webhookTypes() []string {
	types := make([]string, 0, len(f.WebhookSecrets))
	for t := range f.WebhookSecrets {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// ResolveEnvironment returns the Fractal ID hosts: the named environment
// with the overrides applied.
func (f FractalApp) ResolveEnvironment() (fractalid.Environment, error) {
	var env fractalid.Environment
	switch f.envName() {
	case EnvProduction:
		env = fractalid.Production
	case EnvStaging:
		env = fractalid.Staging
	default:
		return fractalid.Environment{}, fmt.Errorf("integrations: unknown Fractal environment %q (want %q or %q)", f.Environment, EnvProduction, EnvStaging)
	}
	if f.FrontendURL != "" || f.AuthURL != "" || f.ResourceURL != "" {
		env.Name += "+overrides"
	}
	if f.FrontendURL != "" {
		env.FrontendURL = f.FrontendURL
	}
	if f.AuthURL != "" {
		env.AuthURL = f.AuthURL
	}
	if f.ResourceURL != "" {
		env.ResourceURL = f.ResourceURL
	}
	return env, nil
}

// IncodeIntegration is an Incode integration: the tenant API key, the
// Configuration and Integration IDs, and the OIDC client credentials used
// for B2B calls.
type IncodeIntegration struct {
	// APIKey is the tenant API key (Dashboard → Configuration → API Keys).
	APIKey Secret `json:"api_key,omitzero"`
	// ConfigurationID is the Flow or Workflow ID (StartOnboarding).
	ConfigurationID string `json:"configuration_id,omitempty"`
	// IntegrationID is the integration's id (Dashboard → Integrations →
	// Copy ID), sent as integrationReference (RequestNewOnboarding).
	IntegrationID string `json:"integration_id,omitempty"`
	// ClientID and ClientSecret are the OIDC client credentials of the
	// "client credentials" integration. The secret is shown only once in
	// the Dashboard, when it is generated.
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret Secret `json:"client_secret,omitzero"`
	// Environment is EnvProduction (default) or EnvDemo.
	Environment string `json:"environment,omitempty"`
	// APIURL, AuthURL and WorkforceURL override the environment's hosts.
	APIURL       string `json:"api_url,omitempty"`
	AuthURL      string `json:"auth_url,omitempty"`
	WorkforceURL string `json:"workforce_url,omitempty"`
	// WebhookHeaderName and WebhookHeaderValue are the static custom header
	// configured on Incode's webhooks (for example "x-incode-secret").
	WebhookHeaderName  string `json:"webhook_header_name,omitempty"`
	WebhookHeaderValue Secret `json:"webhook_header_value,omitzero"`
	// ExecutiveEmail and ExecutivePassword are the Dashboard login of an
	// executive (admin) user of the same environment: the client logs in
	// with them (incode.WithExecutiveLogin) to read sessions by interview
	// id and to approve. Optional; the e-mail is never printed.
	ExecutiveEmail    string `json:"executive_email,omitempty"`
	ExecutivePassword Secret `json:"executive_password,omitzero"`
}

// String prints the ids and environment only.
func (i IncodeIntegration) String() string {
	return fmt.Sprintf("integrations.IncodeIntegration{IntegrationID: %s, ConfigurationID: %s, ClientID: %s, Environment: %s}", i.IntegrationID, i.ConfigurationID, i.ClientID, i.envName())
}

// GoString is String.
func (i IncodeIntegration) GoString() string { return i.String() }

// LogValue logs the ids and environment only.
func (i IncodeIntegration) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("integration_id", i.IntegrationID),
		slog.String("configuration_id", i.ConfigurationID),
		slog.String("client_id", i.ClientID),
		slog.String("environment", i.envName()),
	)
}

func (i IncodeIntegration) envName() string {
	if i.Environment == "" {
		return EnvProduction
	}
	return i.Environment
}

// ResolveEnvironment returns the Incode hosts: the named environment with
// the overrides applied.
func (i IncodeIntegration) ResolveEnvironment() (incode.Environment, error) {
	var env incode.Environment
	switch i.envName() {
	case EnvProduction:
		env = incode.Production()
	case EnvDemo:
		env = incode.Demo()
	default:
		return incode.Environment{}, fmt.Errorf("integrations: unknown Incode environment %q (want %q or %q)", i.Environment, EnvProduction, EnvDemo)
	}
	if i.APIURL != "" || i.AuthURL != "" || i.WorkforceURL != "" {
		env.Name += "+overrides"
	}
	if i.APIURL != "" {
		env.APIURL = i.APIURL
	}
	if i.AuthURL != "" {
		env.AuthURL = i.AuthURL
	}
	if i.WorkforceURL != "" {
		env.WorkforceURL = i.WorkforceURL
	}
	return env, nil
}

// EKYCCredential is an EKYC admin service credential, as created in the
// Klustr console.
type EKYCCredential struct {
	// ClientID and ClientSecret are the credential.
	ClientID     string `json:"client_id"`
	ClientSecret Secret `json:"client_secret,omitzero"`
	// TokenURL is the token endpoint (default ekycadmin.DefaultTokenURL).
	TokenURL string `json:"token_url,omitempty"`
	// BaseURL is the API (default ekycadmin.DefaultBaseURL).
	BaseURL string `json:"base_url,omitempty"`
	// APIKey, if set, is sent in X-API-Key (some gateways ask for it).
	APIKey Secret `json:"api_key,omitzero"`
	// Permissions lists what the credential was granted in the console
	// (ekyc.session.list, ekyc.session.get, ekyc.session.create). They are
	// not requested: the list documents the deployment and lets the
	// application check it with Has before calling.
	Permissions []string `json:"permissions,omitempty"`
}

// String prints the client id, URLs and permissions, never a secret.
func (e EKYCCredential) String() string {
	return fmt.Sprintf("integrations.EKYCCredential{ClientID: %s, BaseURL: %s, Permissions: %v}", e.ClientID, printableURL(e.baseURL()), e.Permissions)
}

// GoString is String.
func (e EKYCCredential) GoString() string { return e.String() }

// LogValue logs the client id, base URL and permissions only.
func (e EKYCCredential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", e.ClientID), slog.String("base_url", printableURL(e.baseURL())), slog.Any("permissions", e.Permissions))
}

// Has reports whether the credential lists perm.
func (e EKYCCredential) Has(perm string) bool { return slices.Contains(e.Permissions, perm) }

// printableURL is raw without user info, query or fragment, which may hold
// credentials in a misconfigured URL; a URL that does not parse prints as a
// placeholder.
func printableURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[invalid URL]"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

func (e EKYCCredential) baseURL() string {
	if e.BaseURL == "" {
		return ekycadmin.DefaultBaseURL
	}
	return e.BaseURL
}

func (e EKYCCredential) tokenURL() string {
	if e.TokenURL == "" {
		return ekycadmin.DefaultTokenURL
	}
	return e.TokenURL
}
