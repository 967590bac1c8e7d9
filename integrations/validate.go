package integrations

import (
	"errors"
	"net/url"
	"strings"
	"unicode"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Sentinels for errors.Is on a *ValidationError: ErrInvalidSettings matches
// every one; the others match when at least one problem is of that kind.
var (
	// ErrInvalidSettings is matched by every *ValidationError.
	ErrInvalidSettings = errors.New("integrations: invalid settings")
	// ErrMissing: a required value is missing.
	ErrMissing = errors.New("integrations: required value missing")
	// ErrInsecureURL: a URL is not https and its host is not loopback.
	ErrInsecureURL = errors.New("integrations: URL must use https")
	// ErrInvalidURL: a URL does not parse, is not absolute, carries user
	// info, or has a fragment (or query) where none is allowed.
	ErrInvalidURL = errors.New("integrations: invalid URL")
	// ErrMalformed: an id, name or secret has a form that cannot be right
	// (whitespace, control characters, an unknown environment, ...).
	ErrMalformed = errors.New("integrations: malformed value")
)

// Problem is one invalid setting. It never holds the setting's value.
type Problem struct {
	// Field is the setting's path as in a settings file ("fractal.client_id").
	Field string
	// Env is the environment variable that sets it ("KYC_FRACTAL_CLIENT_ID").
	Env string
	// Message says what is wrong, without the value.
	Message string
	// Kind is ErrMissing, ErrInsecureURL, ErrInvalidURL or ErrMalformed.
	Kind error
}

// String is "field (ENV): message".
func (p Problem) String() string {
	s := p.Field
	if p.Env != "" {
		s += " (" + p.Env + ")"
	}
	return s + ": " + p.Message
}

// ValidationError lists every invalid setting at once. errors.Is matches
// ErrInvalidSettings and the Kind of each problem. Its message names fields
// and variables, never values.
type ValidationError struct {
	Problems []Problem
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("integrations: invalid settings: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is matches ErrInvalidSettings and the kinds of the problems.
func (e *ValidationError) Is(target error) bool {
	if target == ErrInvalidSettings {
		return true
	}
	for _, p := range e.Problems {
		if p.Kind == target {
			return true
		}
	}
	return false
}

// Field returns the problems of one field (a path such as "incode.api_key").
func (e *ValidationError) Field(field string) []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// checker collects problems.
type checker struct{ problems []Problem }

func (c *checker) add(field, env, msg string, kind error) {
	c.problems = append(c.problems, Problem{Field: field, Env: env, Message: msg, Kind: kind})
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: c.problems}
}

// id checks an identifier: Incode, Klustr and Fractal document no format
// beyond examples, so only non-empty, at most 256 bytes, no whitespace or
// control characters.
func (c *checker) id(field, env, v string, required bool) {
	if v == "" {
		if required {
			c.add(field, env, "is required", ErrMissing)
		}
		return
	}
	if len(v) > 256 {
		c.add(field, env, "is longer than 256 bytes", ErrMalformed)
		return
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		c.add(field, env, "contains whitespace or control characters", ErrMalformed)
	}
}

// secret checks a secret without looking at more than its shape.
func (c *checker) secret(field, env string, s Secret, required bool) {
	if s.IsZero() {
		if required {
			c.add(field, env, "is required", ErrMissing)
		}
		return
	}
	v := s.Reveal()
	if strings.TrimSpace(v) != v {
		c.add(field, env, "has leading or trailing whitespace (often a stray newline)", ErrMalformed)
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		c.add(field, env, "contains a line break or NUL", ErrMalformed)
	}
}

type urlKind int

const (
	baseURL     urlKind = iota // no query, no fragment
	redirectURL                // query allowed, no fragment
)

// url checks a URL: absolute, https unless the host is loopback, no user
// info; no fragment; no query for a base URL.
func (c *checker) url(field, env, raw string, kind urlKind, required bool) {
	if raw == "" {
		if required {
			c.add(field, env, "is required", ErrMissing)
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		c.add(field, env, "must be an absolute URL", ErrInvalidURL)
		return
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		c.add(field, env, "must be an https URL", ErrInvalidURL)
		return
	}
	if u.Scheme == "http" && !apiclient.IsLoopback(u.Hostname()) {
		c.add(field, env, "must use https (http is allowed only for localhost and loopback addresses)", ErrInsecureURL)
	}
	if u.User != nil {
		c.add(field, env, "must not carry user info (credentials belong in their own settings)", ErrInvalidURL)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		c.add(field, env, "must not have a fragment", ErrInvalidURL)
	}
	if kind == baseURL && (u.RawQuery != "" || u.ForceQuery) {
		c.add(field, env, "must not have a query", ErrInvalidURL)
	}
}

// Validate checks every configured section and reports every problem at
// once as a *ValidationError. Settings with no section configured are
// invalid too.
func (s *Settings) Validate() error {
	var c checker
	if s.Fractal == nil && s.Incode == nil && s.EKYC == nil {
		c.add("settings", "", "no integration is configured (set KYC_FRACTAL_*, KYC_INCODE_* or KYC_EKYC_* variables, or a fractal, incode or ekyc section)", ErrMissing)
	}
	if s.Fractal != nil {
		s.Fractal.check(&c)
	}
	if s.Incode != nil {
		s.Incode.check(&c)
	}
	if s.EKYC != nil {
		s.EKYC.check(&c)
	}
	return c.err()
}

// Validate reports every problem of the application as a *ValidationError.
func (f FractalApp) Validate() error {
	var c checker
	f.check(&c)
	return c.err()
}

func (f FractalApp) check(c *checker) {
	c.id("fractal.client_id", EnvFractalClientID, f.ClientID, true)
	c.secret("fractal.client_secret", EnvFractalClientSecret, f.ClientSecret, true)
	// The redirect URI is needed by the authorization flow only (Config);
	// a statistics job or a webhook receiver has none.
	c.url("fractal.redirect_uri", EnvFractalRedirectURI, f.RedirectURI, redirectURL, false)
	switch f.Environment {
	case "", EnvProduction, EnvStaging:
	default:
		c.add("fractal.environment", EnvFractalEnvironment, `must be "production" or "staging"`, ErrMalformed)
	}
	c.url("fractal.frontend_url", EnvFractalFrontendURL, f.FrontendURL, baseURL, false)
	c.url("fractal.auth_url", EnvFractalAuthURL, f.AuthURL, baseURL, false)
	c.url("fractal.resource_url", EnvFractalResourceURL, f.ResourceURL, baseURL, false)
	f.checkWebhooks(c)
}

func (f FractalApp) checkWebhooks(c *checker) {
	for _, t := range f.webhookTypes() {
		field := "fractal.webhook_secrets." + t
		env := FractalWebhookSecretEnv(t)
		if t == "" || strings.IndexFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			c.add("fractal.webhook_secrets", "", "has an empty notification type or one with whitespace", ErrMalformed)
			continue
		}
		list := f.WebhookSecrets[t]
		if len(list) == 0 {
			c.add(field, env, "lists no secret", ErrMissing)
		}
		for _, sec := range list {
			c.secret(field, env, sec, true)
		}
	}
	for _, sec := range f.WebhookDefaultSecrets {
		c.secret("fractal.webhook_default_secrets", EnvFractalWebhookSecret, sec, true)
	}
}

// Validate reports every problem of the integration as a *ValidationError.
func (i IncodeIntegration) Validate() error {
	var c checker
	i.check(&c)
	return c.err()
}

func (i IncodeIntegration) check(c *checker) {
	c.secret("incode.api_key", EnvIncodeAPIKey, i.APIKey, true)
	c.id("incode.configuration_id", EnvIncodeConfigurationID, i.ConfigurationID, false)
	c.id("incode.integration_id", EnvIncodeIntegrationID, i.IntegrationID, false)
	if i.ConfigurationID == "" && i.IntegrationID == "" {
		c.add("incode.integration_id", EnvIncodeIntegrationID, "is required (or incode.configuration_id for /omni/start only)", ErrMissing)
	}
	c.id("incode.client_id", EnvIncodeClientID, i.ClientID, i.IntegrationID != "" || !i.ClientSecret.IsZero())
	c.secret("incode.client_secret", EnvIncodeClientSecret, i.ClientSecret, i.IntegrationID != "" || i.ClientID != "")
	switch i.Environment {
	case "", EnvProduction, EnvDemo:
	default:
		c.add("incode.environment", EnvIncodeEnvironment, `must be "production" or "demo"`, ErrMalformed)
	}
	c.url("incode.api_url", EnvIncodeAPIURL, i.APIURL, baseURL, false)
	c.url("incode.auth_url", EnvIncodeAuthURL, i.AuthURL, baseURL, false)
	c.url("incode.workforce_url", EnvIncodeWorkforceURL, i.WorkforceURL, baseURL, false)
	switch {
	case i.WebhookHeaderName == "" && i.WebhookHeaderValue.IsZero():
	case i.WebhookHeaderName == "":
		c.add("incode.webhook_header_name", EnvIncodeWebhookHeaderName, "is required with incode.webhook_header_value", ErrMissing)
	case !isToken(i.WebhookHeaderName):
		c.add("incode.webhook_header_name", EnvIncodeWebhookHeaderName, "is not a valid HTTP header name", ErrMalformed)
	}
	c.secret("incode.webhook_header_value", EnvIncodeWebhookHeaderValue, i.WebhookHeaderValue, i.WebhookHeaderName != "")
	c.id("incode.executive_email", EnvIncodeExecutiveEmail, i.ExecutiveEmail, !i.ExecutivePassword.IsZero())
	if i.ExecutiveEmail != "" && !strings.Contains(i.ExecutiveEmail, "@") {
		c.add("incode.executive_email", EnvIncodeExecutiveEmail, "is not an e-mail address", ErrMalformed)
	}
	c.secret("incode.executive_password", EnvIncodeExecutivePassword, i.ExecutivePassword, i.ExecutiveEmail != "")
}

// Validate reports every problem of the credential as a *ValidationError.
func (e EKYCCredential) Validate() error {
	var c checker
	e.check(&c)
	return c.err()
}

func (e EKYCCredential) check(c *checker) {
	c.id("ekyc.client_id", EnvEKYCClientID, e.ClientID, true)
	c.secret("ekyc.client_secret", EnvEKYCClientSecret, e.ClientSecret, true)
	c.url("ekyc.token_url", EnvEKYCTokenURL, e.TokenURL, baseURL, false)
	c.url("ekyc.base_url", EnvEKYCBaseURL, e.BaseURL, baseURL, false)
	c.secret("ekyc.api_key", EnvEKYCAPIKey, e.APIKey, false)
	for _, p := range e.Permissions {
		if p == "" || strings.IndexFunc(p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == ',' }) >= 0 {
			c.add("ekyc.permissions", EnvEKYCPermissions, "has an empty permission or one with whitespace or commas", ErrMalformed)
			break
		}
	}
}

// isToken reports whether s is an RFC 9110 token (a valid header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0 {
			continue
		}
		return false
	}
	return true
}
