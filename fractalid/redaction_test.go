package fractalid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/kycgo/kyc/option"
)

// sentinelEmail is the address in users_me_all_details.json; like
// sentinelSecret it must never appear in any output of the package.
const sentinelEmail = "sentinel-pii@example.test"

// outputs renders v with every fmt verb a developer might use.
func outputs(v any) []string {
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out = append(out, fmt.Sprintf(verb, v))
	}
	return out
}

func assertNoLeak(t *testing.T, what string, outs ...string) {
	t.Helper()
	leaks := []string{sentinelSecret, sentinelEmail, "SENTINEL-ACCESS-TOKEN", "value of full_name", "1967-08-16", "+4400000000000", "0x2003", "SENTINEL-CODE"}
	for _, o := range outs {
		for _, l := range leaks {
			if strings.Contains(o, l) {
				t.Errorf("%s leaks %q: %s", what, l, o)
			}
		}
	}
}

func TestConfigRedaction(t *testing.T) {
	c := testConfig(nil)
	outs := outputs(c)
	outs = append(outs, outputs(&c)...)
	outs = append(outs, fmt.Sprintf("%v", struct{ Fractal Config }{c}), fmt.Sprintf("%+v", []Config{c}))
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(js))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("config", "cfg", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("config", "cfg", c)
	outs = append(outs, buf.String())
	assertNoLeak(t, "Config", outs...)
	for _, o := range outs[:2] {
		if !strings.Contains(o, redacted) || !strings.Contains(o, testClientID) {
			t.Errorf("redacted output should show the client ID and %s: %s", redacted, o)
		}
	}
	if !strings.Contains(buf.String(), redacted) {
		t.Errorf("slog output: %s", buf.String())
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil || back["client_secret"] != redacted {
		t.Errorf("json = %s", js)
	}
	empty := Config{}
	if strings.Contains(empty.String(), redacted) {
		t.Error("an empty secret should not print as redacted")
	}
}

func TestModelRedaction(t *testing.T) {
	u := decodeFixture(t, "users_me_all_details.json")
	c := u.VerificationCases[0]
	d := c.Details
	var outs []string
	for _, v := range []any{*u, u, c, &c, *d, d, u.Emails[0], u.Emails, u.Phones[0], u.Wallets[0], u.Wallets, u.VerificationCases} {
		outs = append(outs, outputs(v)...)
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	logger.Debug("user", "user", u, "case", c, "details", d, "email", u.Emails[0], "wallet", u.Wallets[0], "phone", u.Phones[0])
	slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("user", "user", *u)
	outs = append(outs, buf.String())
	assertNoLeak(t, "model", outs...)

	s := u.String()
	for _, want := range []string{u.UID, "plus+liveness+selfie+sow+ssn:approved", "emails=1"} {
		if !strings.Contains(s, want) {
			t.Errorf("User.String() = %s, want it to contain %s", s, want)
		}
	}
	if got := c.String(); !strings.Contains(got, "id=case-1") || !strings.Contains(got, "status=done") || !strings.Contains(got, "credential=approved") {
		t.Errorf("case = %s", got)
	}
	if got := d.String(); got != "fractalid.Details{keys=89 files=52 extra=0}" {
		t.Errorf("details = %s", got)
	}
	if !strings.Contains(buf.String(), `"uid":"`+u.UID+`","verification_cases":["case-1 plus+liveness+selfie+sow+ssn:approved"]`) {
		t.Errorf("slog user = %s", buf.String())
	}
	// Values from the network are quoted and capped, never printed raw.
	weird := VerificationCase{RawLevel: "basic\nforged=1" + strings.Repeat("x", 100), Status: "a b"}
	if got := weird.String(); strings.Contains(got, "\n") || strings.Contains(got, strings.Repeat("x", 60)) || !strings.Contains(got, `status="a b"`) {
		t.Errorf("weird case = %s", got)
	}
}

// TestNoSecretInErrorsOrLogs runs the OAuth and resource flows, with
// failures that carry the sentinels in their bodies, and checks every
// error string and every debug log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	var errs []error

	// Token endpoint failures echoing the secret.
	ts := &tokenServer{failWith: "invalid_client"}
	cfg := testConfig(newTokenMock(ts))
	cfg.Logger = logger
	_, err := cfg.Exchange(ctx, "SENTINEL-CODE-1")
	errs = append(errs, err)
	ts.failWith = "invalid_grant"
	_, err = cfg.Exchange(ctx, "SENTINEL-CODE-2")
	errs = append(errs, err)
	src, _ := cfg.TokenSource(expired("SENTINEL-ACCESS-TOKEN", "r"), &memStore{})
	_, err = src.Token()
	errs = append(errs, err)

	// Callback errors whose description carries the sentinels.
	_, err = cfg.ParseCallback(callbackRequest("error=access_denied&error_description="+sentinelEmail+"+"+sentinelSecret+"&state=s"), "s")
	errs = append(errs, err)
	_, err = cfg.ParseCallback(callbackRequest("code=SENTINEL-CODE-3&state="+sentinelSecret), "other")
	errs = append(errs, err)

	// Resource errors whose bodies carry the sentinels.
	mt := httpmock.NewMockTransport()
	c, err := NewClient(staticTS("SENTINEL-ACCESS-TOKEN"), WithEnvironment(testEnv), option.WithHTTPClient(&http.Client{Transport: mt}), option.WithLogger(logger), option.NoRetries())
	if err != nil {
		t.Fatal(err)
	}
	full := readFixture(t, "users_me_all_details.json")
	for _, r := range []httpmock.Responder{
		httpmock.NewStringResponder(400, `{"error":"invalid_request","error_description":"bad email `+sentinelEmail+`"}`),
		httpmock.NewStringResponder(403, `{"error":"insufficient_scope","error_description":"`+sentinelSecret+`"}`),
		httpmock.NewBytesResponder(200, full[:len(full)-40]), // truncated
		httpmock.NewStringResponder(200, `{"uid":"x","emails":[{"address":"`+sentinelEmail+`","source_type":5}]}`),
		httpmock.NewBytesResponder(200, full),
	} {
		mt.RegisterResponder(http.MethodGet, meURL, r)
		u, err := c.Me(ctx)
		if err != nil {
			errs = append(errs, err)
		} else {
			logger.Debug("fetched", "user", u)
			_ = fmt.Sprint(u)
		}
	}
	mt.RegisterResponder(http.MethodGet, "https://files.storage.test/f", httpmock.NewStringResponder(403, sentinelEmail))
	_, err = c.DownloadFile(ctx, "https://files.storage.test/f?sig="+sentinelSecret, &bytes.Buffer{})
	errs = append(errs, err)

	if logs.Len() == 0 {
		t.Fatal("nothing was logged at debug level")
	}
	var outs []string
	for i, e := range errs {
		if e == nil {
			t.Fatalf("flow %d did not fail", i)
		}
		outs = append(outs, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%v", e))
		var ae *AuthError
		if errors.As(e, &ae) && !strings.Contains(ae.Description, sentinelEmail) {
			t.Error("the description stays available to the caller")
		}
	}
	outs = append(outs, logs.String())
	assertNoLeak(t, "errors and logs", outs...)
}

func TestAuthErrorAndReportPrinting(t *testing.T) {
	ae := &AuthError{Code: "access_denied", Description: "user " + sentinelEmail + " refused", URI: "https://example.test/?e=" + sentinelEmail}
	r := Report{ReportID: "r-1", ReportType: "wallet", Address: "0x2003ab", Raw: []byte(`{"address":"0x2003ab"}`)}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "err", ae, "report", r, "ptr", &r)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "report", r)
	outs := append([]string{fmt.Sprintf("%v %+v %#v %s %q", ae, ae, ae, ae, ae)}, outputs(r)...)
	outs = append(outs, outputs(&r)...)
	outs = append(outs, buf.String())
	assertNoLeak(t, "AuthError and Report", outs...)
	if got := fmt.Sprintf("%#v", ae); got != `&fractalid.AuthError{Code:"access_denied"}` {
		t.Errorf("%%#v = %s", got)
	}
	if got := r.String(); got != "fractalid.Report{id=r-1 type=wallet}" {
		t.Errorf("String = %s", got)
	}
}
