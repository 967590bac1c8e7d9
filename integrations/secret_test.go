package integrations_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/kycgo/kyc/integrations"
)

// sentinel is a secret value that must never appear in any output.
const sentinel = "SeNtInEl-7f3a9c"

// holder has a Secret in an exported and an unexported field.
type holder struct {
	Key    integrations.Secret
	hidden integrations.Secret
	List   []integrations.Secret
	ByType map[string][]integrations.Secret
	Ptr    *integrations.Secret
}

func sentinelSettings() *integrations.Settings {
	s := integrations.NewSecret(sentinel)
	return &integrations.Settings{
		Fractal: &integrations.FractalApp{
			ClientID: "app", ClientSecret: s, RedirectURI: "https://app.example/cb",
			WebhookSecrets:        map[string][]integrations.Secret{"verification_approved": {s, s}},
			WebhookDefaultSecrets: []integrations.Secret{s},
		},
		Incode: &integrations.IncodeIntegration{APIKey: s, IntegrationID: "int", ClientID: "cid", ClientSecret: s, WebhookHeaderName: "x-incode-secret", WebhookHeaderValue: s},
		EKYC:   &integrations.EKYCCredential{ClientID: "ek", ClientSecret: s, APIKey: s},
	}
}

// outputs renders v through every printing path.
func outputs(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%T", "%p"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	var jb, tb bytes.Buffer
	slog.New(slog.NewJSONHandler(&jb, nil)).Info("msg", "v", v)
	slog.New(slog.NewTextHandler(&tb, nil)).Info("msg", "v", v)
	out["slog json"] = jb.String()
	out["slog text"] = tb.String()
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	}
	return out
}

func assertNoSentinel(t *testing.T, name string, outs map[string]string) {
	t.Helper()
	hexed := fmt.Sprintf("%x", sentinel)
	for path, s := range outs {
		if strings.Contains(s, sentinel) || strings.Contains(strings.ToLower(s), hexed) || strings.Contains(s, sentinel[:8]) {
			t.Errorf("%s through %s leaks the secret: %s", name, path, s)
		}
	}
}

func TestSecretRedactionEverywhere(t *testing.T) {
	s := integrations.NewSecret(sentinel)
	settings := sentinelSettings()
	h := holder{Key: s, hidden: s, List: []integrations.Secret{s}, ByType: map[string][]integrations.Secret{"t": {s}}, Ptr: &s}
	values := map[string]any{
		"Secret":                   s,
		"*Secret":                  &s,
		"[]Secret":                 []integrations.Secret{s, s},
		"holder":                   h,
		"*holder":                  &h,
		"*Settings":                settings,
		"Settings":                 *settings,
		"FractalApp":               *settings.Fractal,
		"*FractalApp":              settings.Fractal,
		"IncodeIntegration":        *settings.Incode,
		"EKYCCredential":           *settings.EKYC,
		"anonymous struct":         struct{ A, b integrations.Secret }{s, s},
		"map of secrets":           map[string]integrations.Secret{"k": s},
		"slog.LogValuer of secret": s.LogValue(),
	}
	for name, v := range values {
		assertNoSentinel(t, name, outputs(t, v))
	}
	// Marshalled settings hold the placeholder in every secret field.
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"[redacted]"`); n != 9 {
		t.Errorf("%d placeholders in %s, want 9", n, b)
	}
	if txt, _ := s.MarshalText(); string(txt) != "[redacted]" {
		t.Errorf("MarshalText = %s", txt)
	}
	if s.Reveal() != sentinel {
		t.Error("Reveal lost the value")
	}
}

func TestSecretFormats(t *testing.T) {
	s := integrations.NewSecret(sentinel)
	var empty integrations.Secret
	tests := []struct{ format, want, wantEmpty string }{
		{"%v", "[redacted]", "[empty]"},
		{"%s", "[redacted]", "[empty]"},
		{"%q", `"[redacted]"`, `"[empty]"`},
		{"%#v", "[redacted]", "[empty]"},
		{"%x", "[redacted]", "[empty]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf(tt.format, s); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.format, got, tt.want)
		}
		if got := fmt.Sprintf(tt.format, empty); got != tt.wantEmpty {
			t.Errorf("empty %s = %s, want %s", tt.format, got, tt.wantEmpty)
		}
	}
	if s.String() != "[redacted]" || s.GoString() != "[redacted]" || empty.String() != "[empty]" {
		t.Error("String/GoString")
	}
	if b, _ := json.Marshal(empty); string(b) != `""` {
		t.Errorf("empty JSON = %s", b)
	}
	if b, _ := json.Marshal(struct {
		S integrations.Secret `json:"s,omitzero"`
	}{}); string(b) != `{}` {
		t.Errorf("omitzero = %s", b)
	}
	if !empty.IsZero() || s.IsZero() || s.Len() != len(sentinel) {
		t.Error("IsZero/Len")
	}
}

func TestSecretUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{`"` + sentinel + `"`, sentinel, nil},
		{`"a\/b\u00e9"`, "a/bé", nil},
		{`null`, "", nil},
		{`""`, "", nil},
		{`"[redacted]"`, "", integrations.ErrSecretPlaceholder},
		{`5`, "", errors.New("any")},
		{`"unterminated`, "", errors.New("any")},
	}
	for _, tt := range tests {
		var s integrations.Secret
		err := s.UnmarshalJSON([]byte(tt.in))
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.wantErr != nil && err == nil:
			t.Errorf("%s: no error", tt.in)
		case tt.wantErr == integrations.ErrSecretPlaceholder && !errors.Is(err, tt.wantErr):
			t.Errorf("%s: %v", tt.in, err)
		case err == nil && s.Reveal() != tt.want:
			t.Errorf("%s: got %q", tt.in, s.Reveal())
		}
		if err != nil && strings.Contains(err.Error(), sentinel) {
			t.Errorf("error leaks: %v", err)
		}
	}
	var s integrations.Secret
	if err := s.UnmarshalText([]byte(sentinel)); err != nil || s.Reveal() != sentinel {
		t.Error("UnmarshalText")
	}
}

func TestSecretEqual(t *testing.T) {
	a, b, c := integrations.NewSecret("abc"), integrations.NewSecret("abc"), integrations.NewSecret("abd")
	if !a.Equal(b) || a.Equal(c) || a.Equal(integrations.Secret{}) || !(integrations.Secret{}).Equal(integrations.NewSecret("")) {
		t.Error("Equal")
	}
}

func TestEKYCCredentialPrintsURLsWithoutCredentials(t *testing.T) {
	const key = "key-in-the-url-31f"
	c := integrations.EKYCCredential{ClientID: "ekyc", BaseURL: "https://svc:" + key + "@gateway.example/api?api_key=" + key + "#" + key}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cred", "c", c)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String(), integrations.Settings{EKYC: &c}.String()} {
		if strings.Contains(out, key) || strings.Contains(out, "svc") || !strings.Contains(out, "https://gateway.example/api") {
			t.Errorf("output = %s", out)
		}
	}
	bad := integrations.EKYCCredential{ClientID: "ekyc", BaseURL: "https://svc:" + key + "@gateway.example/%zz"}
	if out := bad.String(); strings.Contains(out, key) {
		t.Errorf("unparseable URL printed: %s", out)
	}
}
