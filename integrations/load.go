package integrations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kycgo/kyc/webhooks"
)

// Environment variables read by LoadEnv and FromEnv. A variable that is
// set to the empty string counts as unset. A section (Fractal, Incode,
// EKYC) is configured when at least one of its variables is set.
const (
	EnvFractalClientID              = "KYC_FRACTAL_CLIENT_ID"
	EnvFractalClientSecret          = "KYC_FRACTAL_CLIENT_SECRET"
	EnvFractalRedirectURI           = "KYC_FRACTAL_REDIRECT_URI"
	EnvFractalEnvironment           = "KYC_FRACTAL_ENVIRONMENT"
	EnvFractalFrontendURL           = "KYC_FRACTAL_FRONTEND_URL"
	EnvFractalAuthURL               = "KYC_FRACTAL_AUTH_URL"
	EnvFractalResourceURL           = "KYC_FRACTAL_RESOURCE_URL"
	EnvFractalWebhookSecret         = "KYC_FRACTAL_WEBHOOK_SECRET"
	EnvFractalWebhookSecretPrevious = "KYC_FRACTAL_WEBHOOK_SECRET_PREVIOUS"
	EnvFractalWebhookTypes          = "KYC_FRACTAL_WEBHOOK_TYPES"

	EnvIncodeAPIKey             = "KYC_INCODE_API_KEY"
	EnvIncodeConfigurationID    = "KYC_INCODE_CONFIGURATION_ID"
	EnvIncodeIntegrationID      = "KYC_INCODE_INTEGRATION_ID"
	EnvIncodeClientID           = "KYC_INCODE_CLIENT_ID"
	EnvIncodeClientSecret       = "KYC_INCODE_CLIENT_SECRET"
	EnvIncodeEnvironment        = "KYC_INCODE_ENVIRONMENT"
	EnvIncodeAPIURL             = "KYC_INCODE_API_URL"
	EnvIncodeAuthURL            = "KYC_INCODE_AUTH_URL"
	EnvIncodeWorkforceURL       = "KYC_INCODE_WORKFORCE_URL"
	EnvIncodeWebhookHeaderName  = "KYC_INCODE_WEBHOOK_HEADER_NAME"
	EnvIncodeWebhookHeaderValue = "KYC_INCODE_WEBHOOK_HEADER_VALUE"
	EnvIncodeExecutiveEmail     = "KYC_INCODE_EXECUTIVE_EMAIL"
	EnvIncodeExecutivePassword  = "KYC_INCODE_EXECUTIVE_PASSWORD"

	EnvEKYCClientID     = "KYC_EKYC_CLIENT_ID"
	EnvEKYCClientSecret = "KYC_EKYC_CLIENT_SECRET"
	EnvEKYCTokenURL     = "KYC_EKYC_TOKEN_URL"
	EnvEKYCBaseURL      = "KYC_EKYC_BASE_URL"
	EnvEKYCAPIKey       = "KYC_EKYC_API_KEY"
	EnvEKYCPermissions  = "KYC_EKYC_PERMISSIONS"
)

// previousSuffix names the variable holding the secret being rotated out.
const previousSuffix = "_PREVIOUS"

// FractalWebhookSecretEnv returns the variable holding the webhook secret
// of one notification type: KYC_FRACTAL_WEBHOOK_SECRET_ followed by the
// type in upper case, with every character other than a letter or digit
// replaced by "_" ("verification_approved" →
// KYC_FRACTAL_WEBHOOK_SECRET_VERIFICATION_APPROVED). The same name with
// "_PREVIOUS" appended holds a second secret during a rotation.
func FractalWebhookSecretEnv(eventType string) string {
	var b strings.Builder
	b.WriteString(EnvFractalWebhookSecret + "_")
	for _, r := range eventType {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// knownWebhookTypes are the notification types whose variables LoadEnv
// always looks up.
func knownWebhookTypes() []string {
	return []string{
		string(webhooks.EventVerificationApproved),
		string(webhooks.EventVerificationContacted),
		string(webhooks.EventVerificationRejected),
		string(webhooks.EventCredentialShared),
		string(webhooks.EventEmailChanged),
		string(webhooks.EventAuthorizationRevoked),
		string(webhooks.EventKrakenStatus),
	}
}

// FromEnv is LoadEnv(os.LookupEnv).
func FromEnv() (*Settings, error) { return LoadEnv(os.LookupEnv) }

// Section names one integration's group of environment variables.
type Section string

// The sections of the environment: KYC_FRACTAL_*, KYC_INCODE_* and KYC_EKYC_*.
const (
	SectionFractal Section = "fractal"
	SectionIncode  Section = "incode"
	SectionEKYC    Section = "ekyc"
)

// envPrefix is the prefix of a section's variables.
func (s Section) envPrefix() string { return "KYC_" + strings.ToUpper(string(s)) + "_" }

// LoadOption changes what LoadEnv reads.
type LoadOption func(*loadSettings) error

type loadSettings struct{ only []Section }

// OnlySections makes LoadEnv read (and validate) the given sections only,
// so a program that needs one integration is not stopped by another's
// half-set variables in the same environment.
func OnlySections(sections ...Section) LoadOption {
	return func(l *loadSettings) error {
		for _, s := range sections {
			switch s {
			case SectionFractal, SectionIncode, SectionEKYC:
			default:
				return fmt.Errorf("integrations: unknown section %q", s)
			}
		}
		l.only = append(l.only, sections...)
		return nil
	}
}

// LoadEnv reads settings from environment variables through lookup (for
// example os.LookupEnv, or a map in tests) and validates them. It returns
// (nil, *ValidationError) listing every problem, by field and variable,
// without values. The variables are listed in the package documentation.
// With OnlySections, the other sections' variables are not read.
func LoadEnv(lookup func(string) (string, bool), opts ...LoadOption) (*Settings, error) {
	if lookup == nil {
		return nil, errors.New("integrations: nil lookup function")
	}
	var ls loadSettings
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&ls); err != nil {
			return nil, err
		}
	}
	if len(ls.only) > 0 {
		all := lookup
		lookup = func(name string) (string, bool) {
			for _, s := range ls.only {
				if strings.HasPrefix(name, s.envPrefix()) {
					return all(name)
				}
			}
			return "", false
		}
	}
	seen := false
	get := func(name string) string {
		v, ok := lookup(name)
		if !ok || v == "" {
			return ""
		}
		seen = true
		return v
	}
	s := &Settings{}

	seen = false
	f := FractalApp{
		ClientID:     get(EnvFractalClientID),
		ClientSecret: NewSecret(get(EnvFractalClientSecret)),
		RedirectURI:  get(EnvFractalRedirectURI),
		Environment:  get(EnvFractalEnvironment),
		FrontendURL:  get(EnvFractalFrontendURL),
		AuthURL:      get(EnvFractalAuthURL),
		ResourceURL:  get(EnvFractalResourceURL),
	}
	f.WebhookDefaultSecrets = secretsOf(get(EnvFractalWebhookSecret), get(EnvFractalWebhookSecretPrevious))
	types := knownWebhookTypes()
	for _, t := range strings.Split(get(EnvFractalWebhookTypes), ",") {
		if t = strings.TrimSpace(t); t != "" && !contains(types, t) {
			types = append(types, t)
		}
	}
	for _, t := range types {
		name := FractalWebhookSecretEnv(t)
		if list := secretsOf(get(name), get(name+previousSuffix)); len(list) > 0 {
			if f.WebhookSecrets == nil {
				f.WebhookSecrets = map[string][]Secret{}
			}
			f.WebhookSecrets[t] = list
		}
	}
	if seen {
		s.Fractal = &f
	}

	seen = false
	i := IncodeIntegration{
		APIKey:             NewSecret(get(EnvIncodeAPIKey)),
		ConfigurationID:    get(EnvIncodeConfigurationID),
		IntegrationID:      get(EnvIncodeIntegrationID),
		ClientID:           get(EnvIncodeClientID),
		ClientSecret:       NewSecret(get(EnvIncodeClientSecret)),
		Environment:        get(EnvIncodeEnvironment),
		APIURL:             get(EnvIncodeAPIURL),
		AuthURL:            get(EnvIncodeAuthURL),
		WorkforceURL:       get(EnvIncodeWorkforceURL),
		WebhookHeaderName:  get(EnvIncodeWebhookHeaderName),
		WebhookHeaderValue: NewSecret(get(EnvIncodeWebhookHeaderValue)),
		ExecutiveEmail:     get(EnvIncodeExecutiveEmail),
		ExecutivePassword:  NewSecret(get(EnvIncodeExecutivePassword)),
	}
	if seen {
		s.Incode = &i
	}

	seen = false
	e := EKYCCredential{
		ClientID:     get(EnvEKYCClientID),
		ClientSecret: NewSecret(get(EnvEKYCClientSecret)),
		TokenURL:     get(EnvEKYCTokenURL),
		BaseURL:      get(EnvEKYCBaseURL),
		APIKey:       NewSecret(get(EnvEKYCAPIKey)),
	}
	for _, p := range strings.Split(get(EnvEKYCPermissions), ",") {
		if p = strings.TrimSpace(p); p != "" {
			e.Permissions = append(e.Permissions, p)
		}
	}
	if seen {
		s.EKYC = &e
	}

	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func secretsOf(values ...string) []Secret {
	var out []Secret
	for _, v := range values {
		if v != "" {
			out = append(out, NewSecret(v))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// MaxFileSize is the largest settings file Load reads (1 MiB).
const MaxFileSize = 1 << 20

// LoadFile reads a JSON settings file (see Load). Keep it readable by the
// service's user only.
func LoadFile(path string) (*Settings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("integrations: %w", err)
	}
	defer func() { _ = f.Close() }()
	s, err := Load(f)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}

// Load reads JSON settings and validates them:
//
//	{
//	  "fractal": {"client_id": "...", "client_secret": "...", "redirect_uri": "https://...",
//	              "environment": "staging", "webhook_secrets": {"verification_approved": ["..."]}},
//	  "incode":  {"api_key": "...", "integration_id": "...", "client_id": "...", "client_secret": "...",
//	              "environment": "demo"},
//	  "ekyc":    {"client_id": "...", "client_secret": "...", "permissions": ["ekyc.session.list"]}
//	}
//
// Unknown members are refused (a misspelt "client_secret" would otherwise
// be silently empty), as is the placeholder "[redacted]" in a secret (a
// file written from marshalled settings: the values are gone). Errors give
// the position or field, never a value. It returns (nil, err) on any
// problem; validation problems come as a *ValidationError.
func Load(r io.Reader) (*Settings, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("integrations: reading settings: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: settings larger than %d bytes", ErrInvalidSettings, MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Settings
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, ErrSecretPlaceholder) {
			return nil, &ValidationError{Problems: placeholderProblems(data)}
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidSettings, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the settings object", ErrInvalidSettings)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the settings object", ErrInvalidSettings)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// describeJSONError names the line and the field of a decoding error,
// never the bytes of the input (which could be a secret).
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("invalid JSON at line %d", lineOf(data, syn.Offset))
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("line %d: field %q must be %s, not a JSON %s", lineOf(data, typ.Offset), typ.Field, typeName(typ.Type.String()), typ.Value)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "empty or truncated JSON"
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	}
	return "invalid settings JSON"
}

func typeName(t string) string {
	switch {
	case strings.HasSuffix(t, "Secret"), t == "string":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "integrations."):
		return "an object"
	}
	return t
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// placeholderProblems finds the members whose value is the placeholder.
func placeholderProblems(data []byte) []Problem {
	var v any
	_ = json.Unmarshal(data, &v)
	var out []Problem
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			for _, e := range x {
				walk(path, e)
			}
		case string:
			if x == Redacted {
				out = append(out, Problem{Field: path, Message: `holds the placeholder "[redacted]", not the secret (the file was written from redacted output)`, Kind: ErrMalformed})
			}
		}
	}
	walk("", v)
	if len(out) == 0 {
		out = append(out, Problem{Field: "settings", Message: `a secret holds the placeholder "[redacted]"`, Kind: ErrMalformed})
	}
	return out
}
