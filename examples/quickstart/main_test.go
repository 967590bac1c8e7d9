package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
)

// TestQuickstartFake runs the README's first command in-process: every
// step against the embedded fakes, and checks what it prints.
func TestQuickstartFake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, func(string) string { return "" }); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"using the embedded fake servers",
		"/authorize?client_id=",
		"state matches",
		"approved for basic+liveness: true",
		"new refresh token was handed to the store (1 save)",
		"handler answered 200",
		"refused with 401",
		"outcome \"approved\" (final: true)",
		"total verifications: 2 (approved 2",
		"steps passed.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// Personal data of the fake user never reaches the output.
	for _, pii := range []string{"ada@example.com", "Ada Lovelace", "1990-12-10"} {
		if strings.Contains(text, pii) {
			t.Errorf("output shows personal data %q", pii)
		}
	}
}

// TestQuickstartRealMode runs the real-services path with the environment
// pointing at the fakes: the same code that runs against staging.
func TestQuickstartRealMode(t *testing.T) {
	fractal := fractalidtest.NewServer(t)
	user := fractal.AddUser(fractalidtest.User{})
	if err := user.SetCase("basic", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}
	if err := user.SetCase("liveness", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}
	app := fractal.DefaultClient()
	level := fractalid.ParseLevel("basic+liveness")
	code, err := fractal.Authorize(app.ID, user.ID(), fractalid.ScopesFor(level, fractalid.WithContact()), "")
	if err != nil {
		t.Fatal(err)
	}
	ekyc := ekycadmintest.NewServer(t)
	ekyc.AddUser(ekycadmintest.ValidUser("user-1"))
	ekyc.AddSession("user-1", ekycadmin.StatusStarted)
	ekycID, ekycSecret := ekyc.Credentials(ekycadmintest.AllPermissions()...)
	inc := incodetest.NewServer(t)
	ienv := inc.Environment()

	env := map[string]string{
		"KYC_FRACTAL_CLIENT_ID":       app.ID,
		"KYC_FRACTAL_CLIENT_SECRET":   app.Secret,
		"KYC_FRACTAL_REDIRECT_URI":    app.RedirectURI,
		"KYC_FRACTAL_FRONTEND_URL":    fractal.URL(),
		"KYC_FRACTAL_AUTH_URL":        fractal.URL(),
		"KYC_FRACTAL_RESOURCE_URL":    fractal.URL(),
		"KYC_FRACTAL_WEBHOOK_SECRET":  app.WebhookSecret,
		"KYC_FRACTAL_AUTH_CODE":       code,
		"KYC_EKYC_CLIENT_ID":          ekycID,
		"KYC_EKYC_CLIENT_SECRET":      ekycSecret,
		"KYC_EKYC_TOKEN_URL":          ekyc.TokenURL(),
		"KYC_EKYC_BASE_URL":           ekyc.BaseURL(),
		"KYC_INCODE_API_KEY":          inc.APIKey(),
		"KYC_INCODE_CONFIGURATION_ID": inc.ConfigurationID(),
		"KYC_INCODE_INTEGRATION_ID":   inc.IntegrationID(),
		"KYC_INCODE_CLIENT_ID":        inc.ClientID(),
		"KYC_INCODE_CLIENT_SECRET":    inc.ClientSecret(),
		"KYC_INCODE_API_URL":          ienv.APIURL,
		"KYC_INCODE_AUTH_URL":         ienv.AuthURL,
		"KYC_INCODE_LOGIN_HINT":       "new.hire@example.com",
	}
	var out bytes.Buffer
	if err := run(t.Context(), &out, func(k string) string { return env[k] }); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"using the REAL staging",
		"/authorize?client_id=",
		"approved for basic+liveness: true",
		"test event signed with your webhook secret was verified",
		"first user's status",
		"listed 1 user(s)",
		"total verifications: 2",
		"onboarding requested",
		"All 6 steps done.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if ekyc.TotalSessions() != 1 {
		t.Errorf("the real mode created EKYC sessions: %d", ekyc.TotalSessions())
	}
	for _, secret := range []string{app.Secret, ekycSecret, inc.ClientSecret(), inc.APIKey(), code, app.WebhookSecret} {
		if strings.Contains(text, secret) {
			t.Errorf("output shows a secret")
		}
	}

	// Missing settings are reported by name, without values.
	out.Reset()
	err = run(t.Context(), &out, func(k string) string {
		if k == "KYC_FRACTAL_CLIENT_ID" {
			return "only-the-id"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "KYC_FRACTAL_CLIENT_SECRET") {
		t.Fatalf("err = %v", err)
	}
}

// TestHelp: -h prints the usage and is not an error; anything else on the
// command line is.
func TestHelp(t *testing.T) {
	var errOut bytes.Buffer
	if err := parseArgs([]string{"-h"}, &errOut); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "usage: quickstart") {
		t.Errorf("-h: %v\n%s", err, errOut.String())
	}
	if err := parseArgs(nil, &errOut); err != nil {
		t.Errorf("no arguments: %v", err)
	}
	for _, args := range [][]string{{"-x"}, {"extra"}} {
		if err := parseArgs(args, &errOut); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v", args, err)
		}
	}
}
