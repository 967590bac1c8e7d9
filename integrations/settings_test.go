package integrations_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kycgo/kyc/integrations"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func fullEnv() map[string]string {
	return map[string]string{
		"KYC_FRACTAL_CLIENT_ID":                                     "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd",
		"KYC_FRACTAL_CLIENT_SECRET":                                 sentinel + "-fcs",
		"KYC_FRACTAL_REDIRECT_URI":                                  "https://app.example/callback?x=1",
		"KYC_FRACTAL_ENVIRONMENT":                                   "staging",
		"KYC_FRACTAL_RESOURCE_URL":                                  "https://resource.proxy.example",
		"KYC_FRACTAL_WEBHOOK_SECRET":                                sentinel + "-default",
		"KYC_FRACTAL_WEBHOOK_SECRET_VERIFICATION_APPROVED":          sentinel + "-approved",
		"KYC_FRACTAL_WEBHOOK_SECRET_VERIFICATION_APPROVED_PREVIOUS": sentinel + "-approved-old",
		"KYC_FRACTAL_WEBHOOK_SECRET_EMAIL_CHANGED":                  sentinel + "-email",
		"KYC_FRACTAL_WEBHOOK_TYPES":                                 "future_type, verification_approved",
		"KYC_FRACTAL_WEBHOOK_SECRET_FUTURE_TYPE":                    sentinel + "-future",
		"KYC_INCODE_API_KEY":                                        sentinel + "-key",
		"KYC_INCODE_CONFIGURATION_ID":                               "65f0c0ffee0123456789abcd",
		"KYC_INCODE_INTEGRATION_ID":                                 "2b7c6d1e-7a34-4b8e-9c55-0f0e8d9a1b2c",
		"KYC_INCODE_CLIENT_ID":                                      "incode-client",
		"KYC_INCODE_CLIENT_SECRET":                                  sentinel + "-ics",
		"KYC_INCODE_ENVIRONMENT":                                    "demo",
		"KYC_INCODE_WEBHOOK_HEADER_NAME":                            "x-incode-secret",
		"KYC_INCODE_WEBHOOK_HEADER_VALUE":                           sentinel + "-hook",
		"KYC_EKYC_CLIENT_ID":                                        "ekyc-client",
		"KYC_EKYC_CLIENT_SECRET":                                    sentinel + "-ecs",
		"KYC_EKYC_PERMISSIONS":                                      "ekyc.session.list, ekyc.session.get",
		"KYC_EKYC_API_KEY":                                          "",
		"UNRELATED":                                                 "x",
	}
}

func TestLoadEnv(t *testing.T) {
	s, err := integrations.LoadEnv(lookup(fullEnv()))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Fractal
	if f.ClientSecret.Reveal() != sentinel+"-fcs" || f.Environment != "staging" || f.RedirectURI != "https://app.example/callback?x=1" {
		t.Errorf("fractal = %v", f)
	}
	env, err := f.ResolveEnvironment()
	if err != nil || env.ResourceURL != "https://resource.proxy.example" || !strings.Contains(env.AuthURL, "staging") {
		t.Errorf("environment = %+v, %v", env, err)
	}
	if got := f.WebhookSecrets["verification_approved"]; len(got) != 2 || got[0].Reveal() != sentinel+"-approved" || got[1].Reveal() != sentinel+"-approved-old" {
		t.Errorf("approved secrets = %v", got)
	}
	if len(f.WebhookSecrets) != 3 || f.WebhookSecrets["future_type"][0].Reveal() != sentinel+"-future" || len(f.WebhookDefaultSecrets) != 1 {
		t.Errorf("webhook secrets = %v default %v", f.WebhookSecrets, f.WebhookDefaultSecrets)
	}
	i := s.Incode
	if i.APIKey.Reveal() != sentinel+"-key" || i.IntegrationID != "2b7c6d1e-7a34-4b8e-9c55-0f0e8d9a1b2c" || i.Environment != "demo" || i.WebhookHeaderValue.Reveal() != sentinel+"-hook" {
		t.Errorf("incode = %v", i)
	}
	ienv, _ := i.ResolveEnvironment()
	if ienv.APIURL != "https://demo-api.incodesmile.com" || ienv.TokenURL() != "https://auth.demo.incode.com/oauth2/token" {
		t.Errorf("incode environment = %+v", ienv)
	}
	e := s.EKYC
	if !slices.Equal(e.Permissions, []string{"ekyc.session.list", "ekyc.session.get"}) || !e.APIKey.IsZero() || !e.Has("ekyc.session.get") || e.Has("ekyc.session.create") {
		t.Errorf("ekyc = %v", e)
	}
	assertNoSentinel(t, "env settings", outputs(t, s))
}

func TestLoadEnvSections(t *testing.T) {
	s, err := integrations.LoadEnv(lookup(map[string]string{"KYC_EKYC_CLIENT_ID": "a", "KYC_EKYC_CLIENT_SECRET": "b", "KYC_FRACTAL_CLIENT_ID": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Fractal != nil || s.Incode != nil || s.EKYC == nil {
		t.Errorf("sections = %v", s)
	}
	_, err = integrations.LoadEnv(lookup(nil))
	var ve *integrations.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, integrations.ErrMissing) || ve.Problems[0].Field != "settings" {
		t.Errorf("nothing set: %v", err)
	}
	if _, err := integrations.LoadEnv(nil); err == nil {
		t.Error("nil lookup accepted")
	}
}

func TestFractalWebhookSecretEnv(t *testing.T) {
	for in, want := range map[string]string{
		"verification_approved": "KYC_FRACTAL_WEBHOOK_SECRET_VERIFICATION_APPROVED",
		"kraken.status-v2":      "KYC_FRACTAL_WEBHOOK_SECRET_KRAKEN_STATUS_V2",
	} {
		if got := integrations.FractalWebhookSecretEnv(in); got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

// problems returns "field: message" lines of a validation error.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var ve *integrations.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	if !errors.Is(err, integrations.ErrInvalidSettings) {
		t.Error("not ErrInvalidSettings")
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Field+": "+p.Message)
	}
	return out
}

func TestValidateMessages(t *testing.T) {
	s := func(v string) integrations.Secret { return integrations.NewSecret(v) }
	tests := []struct {
		name     string
		settings integrations.Settings
		want     []string
		kinds    []error
	}{
		{
			"fractal missing everything",
			integrations.Settings{Fractal: &integrations.FractalApp{}},
			[]string{"fractal.client_id: is required", "fractal.client_secret: is required"},
			[]error{integrations.ErrMissing},
		},
		{
			"fractal bad urls and env",
			integrations.Settings{Fractal: &integrations.FractalApp{
				ClientID: "id with space", ClientSecret: s(sentinel + "\n"), RedirectURI: "http://app.example/cb#frag",
				Environment: "sandbox", AuthURL: "https://user:" + sentinel + "@auth.example", ResourceURL: "https://r.example/?q=1", FrontendURL: "ftp://x",
				WebhookSecrets: map[string][]integrations.Secret{"verification_approved": {}, "email_changed": {s("")}},
			}},
			[]string{
				"fractal.client_id: contains whitespace or control characters",
				"fractal.client_secret: has leading or trailing whitespace (often a stray newline)",
				"fractal.client_secret: contains a line break or NUL",
				"fractal.redirect_uri: must use https (http is allowed only for localhost and loopback addresses)",
				"fractal.redirect_uri: must not have a fragment",
				`fractal.environment: must be "production" or "staging"`,
				"fractal.frontend_url: must be an https URL",
				"fractal.auth_url: must not carry user info (credentials belong in their own settings)",
				"fractal.resource_url: must not have a query",
				"fractal.webhook_secrets.email_changed: is required",
				"fractal.webhook_secrets.verification_approved: lists no secret",
			},
			[]error{integrations.ErrMalformed, integrations.ErrInsecureURL, integrations.ErrInvalidURL, integrations.ErrMissing},
		},
		{
			"loopback http allowed",
			integrations.Settings{Fractal: &integrations.FractalApp{ClientID: "a", ClientSecret: s("b"), RedirectURI: "http://localhost:8080/cb", AuthURL: "http://127.0.0.1:9", ResourceURL: "http://[::1]:9"}},
			nil, nil,
		},
		{
			"incode needs key and an id; creds with integration",
			integrations.Settings{Incode: &integrations.IncodeIntegration{IntegrationID: "i", Environment: "staging", APIURL: "http://api.example", WebhookHeaderValue: s("v")}},
			[]string{
				"incode.api_key: is required",
				"incode.client_id: is required",
				"incode.client_secret: is required",
				`incode.environment: must be "production" or "demo"`,
				"incode.api_url: must use https (http is allowed only for localhost and loopback addresses)",
				"incode.webhook_header_name: is required with incode.webhook_header_value",
			},
			[]error{integrations.ErrMissing, integrations.ErrInsecureURL, integrations.ErrMalformed},
		},
		{
			"incode no ids, bad header name",
			integrations.Settings{Incode: &integrations.IncodeIntegration{APIKey: s("k"), WebhookHeaderName: "x incode", WebhookHeaderValue: s("v")}},
			[]string{
				"incode.integration_id: is required (or incode.configuration_id for /omni/start only)",
				"incode.webhook_header_name: is not a valid HTTP header name",
			},
			[]error{integrations.ErrMissing, integrations.ErrMalformed},
		},
		{
			"incode start only",
			integrations.Settings{Incode: &integrations.IncodeIntegration{APIKey: s("k"), ConfigurationID: "c"}},
			nil, nil,
		},
		{
			"ekyc",
			integrations.Settings{EKYC: &integrations.EKYCCredential{ClientSecret: s("x"), TokenURL: "http://hydra.example/oauth2/token", BaseURL: "not a url", Permissions: []string{"ekyc.session.list", "a b"}}},
			[]string{
				"ekyc.client_id: is required",
				"ekyc.token_url: must use https (http is allowed only for localhost and loopback addresses)",
				"ekyc.base_url: must be an absolute URL",
				"ekyc.permissions: has an empty permission or one with whitespace or commas",
			},
			[]error{integrations.ErrMissing, integrations.ErrInsecureURL, integrations.ErrInvalidURL, integrations.ErrMalformed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.settings.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			got := problems(t, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, k := range tt.kinds {
				if !errors.Is(err, k) {
					t.Errorf("not errors.Is %v", k)
				}
			}
			assertNoSentinel(t, "validation error", map[string]string{"Error": err.Error(), "%+v": strings.Join(got, ";")})
		})
	}
}

func TestValidationErrorNamesVariables(t *testing.T) {
	_, err := integrations.LoadEnv(lookup(map[string]string{"KYC_FRACTAL_CLIENT_ID": "a", "KYC_FRACTAL_REDIRECT_URI": "https://x.example/#f", "KYC_FRACTAL_WEBHOOK_SECRET_EMAIL_CHANGED": " " + sentinel}))
	msg := err.Error()
	for _, want := range []string{
		"fractal.client_secret (KYC_FRACTAL_CLIENT_SECRET): is required",
		"fractal.redirect_uri (KYC_FRACTAL_REDIRECT_URI): must not have a fragment",
		"fractal.webhook_secrets.email_changed (KYC_FRACTAL_WEBHOOK_SECRET_EMAIL_CHANGED): has leading or trailing whitespace",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q missing from %s", want, msg)
		}
	}
	if strings.Contains(msg, sentinel) {
		t.Error("leak")
	}
	var ve *integrations.ValidationError
	errors.As(err, &ve)
	if p := ve.Field("fractal.redirect_uri"); len(p) != 1 || p[0].Env != "KYC_FRACTAL_REDIRECT_URI" || p[0].Kind != integrations.ErrInvalidURL {
		t.Errorf("Field = %+v", p)
	}
}

func TestLoadFile(t *testing.T) {
	s, err := integrations.LoadFile(filepath.Join("testdata", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Fractal.ClientSecret.Reveal() != "fractal-secret-from-file" || len(s.Fractal.WebhookSecrets["verification_approved"]) != 2 ||
		s.Incode.ClientSecret.Reveal() != "incode-secret-from-file" || s.EKYC.BaseURL != "https://gateway.dev.klustr.io" {
		t.Errorf("settings = %v", s)
	}
	// Marshal -> Load refuses the placeholders, naming each field.
	b, _ := json.Marshal(s)
	_, err = integrations.Load(strings.NewReader(string(b)))
	got := problems(t, err)
	for _, want := range []string{"fractal.client_secret: holds", "fractal.webhook_secrets.verification_approved: holds", "incode.api_key: holds", "ekyc.client_secret: holds"} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		if !found {
			t.Errorf("no %q in %v", want, got)
		}
	}
	if _, err := integrations.LoadFile(filepath.Join("testdata", "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"syntax", "{\n \"fractal\": {\"client_secret\": " + sentinel + "}}", "invalid JSON at line 2"},
		{"type", `{"ekyc": {"client_id": 5}}`, `field "ekyc.client_id" must be a string, not a JSON number`},
		{"unknown field", `{"fractal": {"client_secert": "` + sentinel + `"}}`, `unknown field "client_secert"`},
		{"trailing", `{"ekyc": {"client_id": "a", "client_secret": "b"}} {}`, "data after the settings object"},
		{"empty", ``, "empty or truncated JSON"},
		{"secret not a string", `{"incode": {"api_key": 12345}}`, "invalid settings JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := integrations.Load(strings.NewReader(tt.in))
			if err == nil || !errors.Is(err, integrations.ErrInvalidSettings) {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), sentinel) || strings.Contains(err.Error(), sentinel[:4]) {
				t.Errorf("leak: %v", err)
			}
		})
	}
}

// A statistics job has no redirect URI: the settings are valid and the
// stats client builds, but the authorization flow's Config refuses.
func TestRedirectURIOnlyForTheAuthorizationFlow(t *testing.T) {
	app := integrations.FractalApp{ClientID: "stats-job", ClientSecret: integrations.NewSecret("s3cret"), Environment: integrations.EnvStaging}
	if err := app.Validate(); err != nil {
		t.Fatalf("stats-only settings refused: %v", err)
	}
	if _, err := app.StatsClient(); err != nil {
		t.Fatalf("StatsClient: %v", err)
	}
	_, err := app.Config()
	if !errors.Is(err, integrations.ErrMissing) || !strings.Contains(err.Error(), "fractal.redirect_uri") {
		t.Fatalf("Config without redirect URI: %v", err)
	}
}

// OnlySections: a program that needs the EKYC credential is not stopped by
// a half-set Fractal section in the same environment.
func TestLoadEnvOnlySections(t *testing.T) {
	env := map[string]string{
		"KYC_EKYC_CLIENT_ID":     "svc",
		"KYC_EKYC_CLIENT_SECRET": "s3cret",
		"KYC_FRACTAL_CLIENT_ID":  "stray", // no secret: an invalid Fractal section
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if _, err := integrations.LoadEnv(lookup); !errors.Is(err, integrations.ErrMissing) {
		t.Fatalf("all sections: err = %v, want the Fractal section refused", err)
	}
	s, err := integrations.LoadEnv(lookup, integrations.OnlySections(integrations.SectionEKYC))
	if err != nil {
		t.Fatalf("EKYC only: %v", err)
	}
	if s.EKYC == nil || s.EKYC.ClientID != "svc" || s.Fractal != nil || s.Incode != nil {
		t.Fatalf("settings = %+v", s)
	}
	if _, err := integrations.LoadEnv(lookup, integrations.OnlySections("kraken")); err == nil {
		t.Fatal("unknown section accepted")
	}
}
