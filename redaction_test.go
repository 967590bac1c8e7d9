package kyc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/integrations"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// Sentinel values the test chooses. Every one of them, and every token or
// credential a fake generates, must stay out of error strings, fmt output
// of errors, configurations, clients and models, and log lines.
const (
	// Credentials and secrets.
	sFractalSecret       = "sntl-fractal-client-secret-7f3a91"
	sFractalHookSecret   = "sntl-fractal-webhook-secret-2b9c44"
	sFractalHookEmail    = "sntl-fractal-webhook-secret-email-c0e1"
	sFractalHookPrevious = "sntl-fractal-webhook-secret-old-61d0"
	sKrakenSecret        = "sntl-kraken-webhook-secret-8a2e07"
	sEKYCAPIKey          = "sntl-ekyc-api-key-5be310"
	sIncodeAPIKey        = "sntl-incode-api-key-d44c02"
	sIncodeSecret        = "sntl-incode-client-secret-93f1aa"
	sIncodeHookValue     = "sntl-incode-webhook-header-0b7f55"
	sIncodeExecPassword  = "sntl-incode-executive-password-6a11fe"
	sIncodeExecEmail     = "exec.sntl@incode-dashboard.example.test"
	sWrongSecret         = "sntl-wrong-client-secret-17c2e8"
	// OAuth values.
	sState        = "sntl-oauth-state-5d1e8f"
	sOtherState   = "sntl-oauth-state-forged-aa01"
	sAuthCode     = "sntl-auth-code-4c8b2d"
	sAccessToken  = "sntl-access-token-9e2f36"
	sRefreshToken = "sntl-refresh-token-1a7d0c"
	sFileSig      = "sntl-file-url-signature-3f0a7b"
	// Personal data.
	sEmail       = "zelda.sntl+kyc@example.test"
	sNewEmail    = "zelda.sntl.new@example.test"
	sPhone       = "+4915550123987"
	sFullName    = "Zelda Sentinelova"
	sDOB         = "1961-07-23"
	sDocNumber   = "SNTLDOC-7731-XQ"
	sAddress     = "77 Sentinel Lane, Leakville"
	sBirthPlace  = "Sentinelburg-on-Leak"
	sWallet      = "0x5e171e15e171e15e171e15e171e15e171e15e1"
	sGivenName   = "Quillonette"
	sFamilyName  = "Sentinelberg"
	sBirthDate   = "1983-11-29"
	sChildBirth  = "2019-04-17"
	sLoginHint   = "login.hint.sntl@corp.example.test"
	sNotifyEmail = "notify.sntl@corp.example.test"
	sNotifyPhone = "+15550198765"
	sKrakenNote  = "sntl passport of Zelda expired"
)

// sentinelNames names the chosen sentinels in failure messages.
var sentinelNames = map[string]string{
	sFractalSecret: "Fractal client secret", sFractalHookSecret: "Fractal webhook secret",
	sFractalHookEmail: "Fractal email_changed webhook secret", sFractalHookPrevious: "previous Fractal webhook secret",
	sKrakenSecret: "Kraken webhook secret", sEKYCAPIKey: "EKYC API key", sIncodeAPIKey: "Incode API key",
	sIncodeSecret: "Incode client secret", sIncodeHookValue: "Incode webhook header value",
	sIncodeExecPassword: "Incode executive password", sIncodeExecEmail: "Incode executive e-mail",
	sWrongSecret: "wrong client secret", sState: "OAuth state", sOtherState: "forged OAuth state",
	sAuthCode: "authorization code", sAccessToken: "access token", sRefreshToken: "refresh token",
	sFileSig: "file URL signature", sEmail: "email", sNewEmail: "new email", sPhone: "phone",
	sFullName: "full name", sDOB: "date of birth", sDocNumber: "document number", sAddress: "address",
	sBirthPlace: "place of birth", sWallet: "wallet address", sGivenName: "EKYC given name",
	sFamilyName: "EKYC family name", sBirthDate: "EKYC birth date", sChildBirth: "EKYC underage birth date",
	sLoginHint: "Incode login hint", sNotifyEmail: "Incode notification email",
	sNotifyPhone: "Incode notification phone", sKrakenNote: "Kraken note",
}

// fast retries keep failure paths quick while still retrying.
var fastRetries = option.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Second}

// TestNoSecretOrPersonalDataLeaks configures every client with sentinel
// secrets, tokens and personal data, drives success and failure paths with
// a Debug logger (JSON and text handlers), and checks that no sentinel
// appears in any error, any fmt rendering of errors, configurations,
// clients and models, or any log line.
func TestNoSecretOrPersonalDataLeaks(t *testing.T) {
	scenarios := []struct {
		name string
		// logs says whether the scenario drives clients that must log.
		logs bool
		run  func(t *testing.T, h *harness)
		// captured names secrets a fake chose that must have been added
		// to the sentinel set while the scenario ran.
		captured []string
	}{
		{name: "fractalid/oauth round trip, Me, refresh on 401, download", logs: true, run: fractalOAuthSuccess,
			captured: []string{"exchanged access token", "exchanged refresh token", "stored refresh token", "refresh token issued", "bearer token sent", "authorization code issued"}},
		{name: "fractalid/callback refusals, embedded journey messages, PKCE", logs: false, run: fractalCallbackRefusals,
			captured: []string{"embedded authorization code", "PKCE verifier", "PKCE authorization code"}},
		{name: "fractalid/token endpoint refusals", logs: true, run: fractalTokenRefusals,
			captured: []string{"form refresh_token", "form code"}},
		{name: "fractalid/Me failures", logs: true, run: fractalMeFailures,
			captured: []string{"fake-issued access token", "bearer token sent"}},
		{name: "fractalid/stats client and CSV export", logs: true, run: fractalStats,
			captured: []string{"access token issued", "bearer token sent"}},
		{name: "webhooks/verifier and handler", logs: true, run: fractalWebhooks,
			captured: []string{"webhook signature", "Kraken signature"}},
		{name: "ekycadmin/sessions and status", logs: true, run: ekycSuccess,
			captured: []string{"EKYC client secret", "Basic-auth client secret", "access token issued", "EKYC session token", "EKYC session URL"}},
		{name: "ekycadmin/refusals and faults", logs: true, run: ekycFailures,
			captured: []string{"EKYC static token", "bearer token sent"}},
		{name: "integrations/settings from env and builders", logs: true, run: integrationsBuilders,
			captured: []string{"EKYC client secret", "bearer token sent", "onboarding link URL"}},
		{name: "integrations/invalid settings", logs: false, run: integrationsInvalid},
		{name: "incode/onboarding and webhooks", logs: true, run: incodeSuccess,
			captured: []string{"Incode session token", "Incode access token", "onboarding link URL", "bearer token sent"}},
		{name: "incode/refusals and faults", logs: true, run: incodeFailures,
			captured: []string{"access token issued"}},
		{name: "fractalid/credentials proofs, verification and refusals", logs: true, run: credentialsProofs},
		{name: "incode/hosted flow: link, status, score, OCR, decision, approve", logs: true, run: incodeHostedFlow,
			captured: []string{"Incode session token", "hosted onboarding URL", "Incode executive token", "Incode customer token", "OCR birth date"}},
		{name: "incode/hosted flow refusals and faults", logs: true, run: incodeHostedFailures,
			captured: []string{"Incode session token"}},
		{name: "models decoded from payloads with personal data", logs: false, run: decodedModels},
		{name: "fractalid/kraken link, return, exchange, data, webhooks and refusals", logs: true, run: krakenFlow,
			captured: []string{"bearer token sent", "Kraken one-time token", "Kraken link token"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s := newSentinelSet()
			for v, name := range sentinelNames {
				s.add(t, name, v)
			}
			h := &harness{recorder: newRecorder(t, s), ctx: context.Background()}
			sc.run(t, h)
			for _, name := range sc.captured {
				if !s.has(name) {
					t.Errorf("no %s was captured into the sentinel set", name)
				}
			}
			if h.errs == 0 && h.models == 0 {
				t.Fatal("the scenario recorded nothing")
			}
			if sc.logs && h.logs.String() == "" {
				t.Error("the clients logged nothing at debug level")
			}
			h.check()
			t.Logf("checked %d errors, %d values, %d log lines against %d sentinels", h.errs, h.models,
				strings.Count(h.logs.String(), "\n"), len(s.needles()))
		})
	}
}

// TestRedactionHarnessFindsLeaks makes sure the checks of
// TestNoSecretOrPersonalDataLeaks are not vacuous: a sentinel in each
// encoding, in a rendering or in a log line, is reported with its name and
// place, and text without sentinels is not.
func TestRedactionHarnessFindsLeaks(t *testing.T) {
	s := newSentinelSet()
	s.add(t, "email", sEmail)
	s.addDynamic("issued token", "tok/+=abc123")
	r := newRecorder(t, s)
	r.record("as-is", "user "+sEmail)
	r.record("query", "https://x.test/?e="+url.QueryEscape(sEmail))
	r.record("json", `{"t":"tok/+=abc123"}`)
	r.record("clean", "user u-1 approved")
	r.value("slice", []string{"a", "tok/+=abc123"})
	r.logger.Debug("call", "hint", sEmail)
	got := r.findings()
	for _, want := range []string{
		`"email" (as-is) leaked in as-is`,
		`"email" (URL-query-escaped) leaked in query`,
		`"issued token" (as-is) leaked in json`,
		`"issued token" (as-is) leaked in slice[1] through slog`,
		`"email" (as-is) leaked in client log line 1`,
		`"email" (as-is) leaked in client log line 2`,
	} {
		if !slices.ContainsFunc(got, func(f string) bool { return strings.Contains(f, want) }) {
			t.Errorf("no finding %s in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if slices.ContainsFunc(got, func(f string) bool { return strings.Contains(f, "leaked in clean") }) {
		t.Errorf("false positive: %s", strings.Join(got, "\n"))
	}
	js, _ := json.Marshal("<" + sEmail + ">")
	s.add(t, "html", "<"+sEmail+">")
	r.record("json-escaped", string(js))
	if got := r.findings(); !slices.ContainsFunc(got, func(f string) bool { return strings.Contains(f, `"html" (JSON-escaped) leaked in json-escaped`) }) {
		t.Errorf("JSON-escaped form not found:\n%s", strings.Join(got, "\n"))
	}
}

// harness is one scenario's recorder, with the context its calls use.
type harness struct {
	*recorder
	ctx context.Context
}

// capture returns an *http.Client that reaches base's server and adds the
// secrets crossing the wire to the sentinel set.
func (h *harness) capture(base *http.Client) *http.Client {
	return captureClient(base, h.s)
}

// redirectingServer returns the URL of a loopback server that answers
// every request with a redirect (302 for GET, 307 otherwise) to another
// origin whose path and query hold personal data.
func redirectingServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusTemporaryRedirect
		if r.Method == http.MethodGet {
			status = http.StatusFound
		}
		target := "http://localhost:1/people/" + url.PathEscape(sFullName) + "?email=" + url.QueryEscape(sEmail) + "&dob=" + sDOB
		http.Redirect(w, r, target, status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ---------------------------------------------------------------- Fractal ID

const fractalAppID = "redaction-app"

// fractalServer starts the fake with an application holding the sentinel
// secrets and a user holding the sentinel personal data.
func fractalServer(t *testing.T, h *harness) (*fractalidtest.Server, *fractalidtest.FakeUser) {
	srv := fractalidtest.NewServer(t, fractalidtest.WithClient(fractalidtest.ClientApp{
		ID: fractalAppID, Secret: sFractalSecret, RedirectURI: "http://127.0.0.1/callback",
		WebhookSecrets: map[webhooks.EventType]string{webhooks.EventEmailChanged: sFractalHookEmail},
		WebhookSecret:  sFractalHookSecret,
	}))
	h.s.addDynamic("default fake client secret", srv.DefaultClient().Secret)
	u := srv.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: sEmail}},
		Phones:  []fractalidtest.Phone{{Number: sPhone}},
		Wallets: []fractalidtest.Wallet{{Address: sWallet, Currency: "eth", Verified: true}},
		Country: "DE",
		Details: map[string]any{
			"full_name":                          sFullName,
			"date_of_birth":                      sDOB,
			"place_of_birth":                     sBirthPlace,
			"identification_document_number":     sDocNumber,
			"identification_document_country":    "DE",
			"identification_document_type":       "passport",
			"identification_document_front_file": srv.URL() + "/files/front.png?X-Amz-Signature=" + sFileSig,
			"residential_address":                sAddress,
			"residential_address_country":        "DE",
			"wallet_address":                     sWallet,
		},
	})
	if err := u.SetCase("plus", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}
	if err := u.SetCase("wallet-eth", fractalidtest.Pending); err != nil {
		t.Fatal(err)
	}
	return srv, u
}

func fractalScopes() []fractalid.Scope {
	return fractalid.ScopesFor(fractalid.ParseLevel("plus+wallet-eth"), fractalid.WithDetails(), fractalid.WithContact())
}

func fractalConfig(srv *fractalidtest.Server, h *harness, secret string) fractalid.Config {
	return fractalid.Config{
		ClientID: fractalAppID, ClientSecret: secret, RedirectURL: "http://127.0.0.1/callback",
		Scopes: fractalScopes(), Environment: srv.Environment(),
		HTTPClient: h.capture(srv.HTTPClient()), Logger: h.logger,
	}
}

func fractalClient(t *testing.T, srv *fractalidtest.Server, h *harness, ts oauth2.TokenSource) *fractalid.Client {
	c, err := fractalid.NewClient(ts, fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(h.capture(srv.HTTPClient())), option.WithLogger(h.logger),
		option.WithRetryPolicy(fastRetries))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tokenStore records every token it is handed as a sentinel.
func tokenStore(h *harness) fractalid.TokenStore {
	return fractalid.TokenStoreFunc(func(_ context.Context, tok *oauth2.Token) error {
		h.s.addDynamic("stored access token", tok.AccessToken)
		h.s.addDynamic("stored refresh token", tok.RefreshToken)
		return nil
	})
}

// authorize runs AuthCodeURL, the fake's consent and ParseCallback and
// returns the code (added to the sentinels).
func authorize(t *testing.T, srv *fractalidtest.Server, h *harness, cfg fractalid.Config, userID string) string {
	authURL, err := cfg.AuthCodeURL(sState, fractalid.WithEnsureWallet(sWallet))
	h.ok("AuthCodeURL", err)
	cb, err := srv.Approve(authURL, userID)
	h.ok("Approve", err)
	h.s.addDynamic("authorization code issued", cb.Query().Get("code"))
	code, err := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, cb.String(), nil), sState)
	h.ok("ParseCallback", err)
	return code
}

func fractalOAuthSuccess(t *testing.T, h *harness) {
	srv, u := fractalServer(t, h)
	cfg := fractalConfig(srv, h, sFractalSecret)
	h.value("fractalid.Config", cfg)
	h.value("*fractalid.Config", &cfg)

	code := authorize(t, srv, h, cfg, u.ID())
	tok, err := cfg.Exchange(h.ctx, code)
	h.ok("Exchange", err)
	h.s.addDynamic("exchanged access token", tok.AccessToken)
	h.s.addDynamic("exchanged refresh token", tok.RefreshToken)
	ts, err := cfg.TokenSource(tok, tokenStore(h))
	h.ok("TokenSource", err)
	c := fractalClient(t, srv, h, ts)
	h.value("fractalid.Client", c)

	user, err := c.Me(h.ctx)
	h.ok("Me", err)
	if len(user.Emails) != 1 || user.Emails[0].Address != sEmail || len(user.Wallets) != 1 {
		t.Fatalf("the fake did not return the sentinel data: %d emails, %d wallets", len(user.Emails), len(user.Wallets))
	}
	recordUser(h, "Me", user)

	// The access token expires on the server: the 401 forces a refresh
	// (handed to the store) and one retry.
	srv.Advance(3 * time.Hour)
	user, err = c.Me(h.ctx)
	h.ok("Me after refresh", err)
	recordUser(h, "Me after refresh", user)

	// A file URL whose signature the storage host refuses, and one whose
	// host cannot be reached.
	for where, fileURL := range map[string]string{
		"DownloadFile 404":         srv.URL() + "/files/front.png?X-Amz-Signature=" + sFileSig,
		"DownloadFile unreachable": "http://127.0.0.1:1/front.png?X-Amz-Signature=" + sFileSig + "&email=" + url.QueryEscape(sEmail),
	} {
		_, err = c.DownloadFile(h.ctx, fileURL, io.Discard)
		h.failed(where, err)
	}
}

// recordUser records a user and every model it holds.
func recordUser(h *harness, where string, u *fractalid.User) {
	h.value(where+" *User", u)
	h.value(where+" User", *u)
	h.value(where+" Emails", u.Emails)
	h.value(where+" Phones", u.Phones)
	h.value(where+" Wallets", u.Wallets)
	h.value(where+" VerificationCases", u.VerificationCases)
	for i, c := range u.VerificationCases {
		h.value(where+" case "+c.RawLevel, u.VerificationCases[i])
		if c.Details != nil {
			h.value(where+" Details of "+c.RawLevel, *c.Details)
			h.value(where+" *Details of "+c.RawLevel, c.Details)
		}
	}
}

func fractalCallbackRefusals(t *testing.T, h *harness) {
	srv, _ := fractalServer(t, h)
	cfg := fractalConfig(srv, h, sFractalSecret)
	parse := func(where string, q url.Values, want error) {
		_, err := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, "http://127.0.0.1/callback?"+q.Encode(), nil), sState)
		h.failed(where, err)
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", where, err, want)
		}
	}
	parse("callback state mismatch", url.Values{"code": {sAuthCode}, "state": {sOtherState}}, fractalid.ErrStateMismatch)
	parse("callback state missing", url.Values{"code": {sAuthCode}}, fractalid.ErrStateMismatch)
	parse("callback state repeated", url.Values{"code": {sAuthCode}, "state": {sState, sOtherState}}, fractalid.ErrStateMismatch)
	parse("callback access_denied", url.Values{"error": {"access_denied"}, "state": {sState},
		"error_description": {"user " + sEmail + " (" + sFullName + ") refused"}, "error_uri": {"https://example.test/?e=" + sEmail}}, fractalid.ErrAccessDenied)
	parse("callback code and error", url.Values{"error": {"server_error"}, "code": {sAuthCode}, "state": {sState}}, fractalid.ErrAuthorizationFailed)
	parse("callback without code", url.Values{"state": {sState}}, fractalid.ErrMissingCode)

	// The fake's own denial.
	authURL, err := cfg.AuthCodeURL(sState)
	h.ok("AuthCodeURL", err)
	cb, err := srv.Deny(authURL)
	h.ok("Deny", err)
	_, err = cfg.ParseCallback(httptest.NewRequest(http.MethodGet, cb.String(), nil), sState)
	h.failed("callback denied on the consent page", err)
	_, err = cfg.AuthCodeURL("")
	h.failed("AuthCodeURL without state", err)

	// The embedded journey's messages: codes, states and free-text errors
	// never reach an error, a message's printed form or a log line.
	embed := func(where, data string) {
		msg, err := cfg.ParseEmbedMessage([]byte(data), sState)
		if err != nil {
			h.failed(where, err)
			var ae *fractalid.AuthError
			if errors.As(err, &ae) {
				h.value(where+" AuthError", *ae)
			}
			return
		}
		h.value(where, msg)
		h.value(where+" value", *msg)
	}
	embed("embed completion", `{"code":"`+sAuthCode+`","state":"`+sState+`","sub1":"`+sAuthCode+`"}`)
	embed("embed forged state", `{"code":"`+sAuthCode+`","state":"`+sOtherState+`"}`)
	embed("embed error text", `{"error":"`+sFullName+` `+sEmail+`","state":"`+sState+`"}`)
	embed("embed error object", `{"error":{"code":"rejected","message":"`+sEmail+`","dob":"`+sDOB+`"}}`)
	embed("embed error code field", `{"error":true,"code":"`+sAuthCode+`"}`)
	embed("embed window request", `{"open":"https://wallet.example.test/?code=`+sAuthCode+`&email=`+url.QueryEscape(sEmail)+`","target":"_blank","features":"`+sEmail+`"}`)
	embed("embed code not a string", `{"code":["`+sAuthCode+`"],"state":"`+sState+`"}`)
	data, err := srv.ApproveEmbedded(authURL, "")
	h.ok("ApproveEmbedded", err)
	var m map[string]string
	h.ok("embedded message", json.Unmarshal(data, &m))
	h.s.addDynamic("embedded authorization code", m["code"])
	embed("embed message from the fake", string(data))

	// PKCE: the verifier is a secret too.
	verifier := fractalid.GenerateVerifier()
	h.s.addDynamic("PKCE verifier", verifier)
	pkceURL, err := cfg.AuthCodeURL(sState, fractalid.WithPKCE(verifier))
	h.ok("AuthCodeURL with PKCE", err)
	cb, err = srv.Approve(pkceURL, "")
	h.ok("Approve with PKCE", err)
	h.s.addDynamic("PKCE authorization code", cb.Query().Get("code"))
	_, err = cfg.Exchange(h.ctx, cb.Query().Get("code"))
	h.failed("Exchange without the verifier", err)
	_, err = cfg.ExchangeWithVerifier(h.ctx, cb.Query().Get("code"), fractalid.GenerateVerifier())
	h.failed("Exchange with a wrong verifier", err)
	_, err = cfg.ExchangeWithVerifier(h.ctx, cb.Query().Get("code"), verifier+" ")
	h.failed("Exchange with a malformed verifier", err)
}

func fractalTokenRefusals(t *testing.T, h *harness) {
	srv, u := fractalServer(t, h)
	cfg := fractalConfig(srv, h, sFractalSecret)

	_, err := cfg.Exchange(h.ctx, sAuthCode)
	h.failed("Exchange of an unknown code (invalid_grant)", err)
	if !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("unknown code: %v", err)
	}
	code := authorize(t, srv, h, cfg, u.ID())
	_, err = fractalConfig(srv, h, sWrongSecret).Exchange(h.ctx, code)
	h.failed("Exchange with a wrong client secret (invalid_client)", err)
	if !errors.Is(err, kyc.ErrToken) {
		t.Errorf("wrong secret: %v", err)
	}
	echo := `{"error":"server_error","error_description":"secret ` + sFractalSecret + ` code ` + code + ` for ` + sEmail + `"}`
	for _, f := range []struct {
		where string
		fault kyctest.Fault
	}{
		{"token endpoint 500 echoing the request", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: echo, ContentType: "application/json"}},
		{"token endpoint 400 echoing the request", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: echo, ContentType: "application/json"}},
		{"token endpoint HTML error", kyctest.Fault{Kind: kyctest.FaultHTMLError}},
		{"token endpoint truncated reply", kyctest.Fault{Kind: kyctest.FaultTruncate}},
	} {
		srv.InjectFault(http.MethodPost, "/oauth/token", f.fault)
		_, err = cfg.Exchange(h.ctx, code)
		h.failed("Exchange: "+f.where, err)
	}

	// Refresh refused: the user revoked the application.
	code = authorize(t, srv, h, cfg, u.ID())
	tok, err := cfg.Exchange(h.ctx, code)
	h.ok("Exchange", err)
	srv.RevokeUser(u.ID())
	tok.Expiry = time.Now().Add(-time.Minute)
	ts, err := cfg.TokenSource(tok, tokenStore(h))
	h.ok("TokenSource", err)
	_, err = ts.Token()
	h.failed("refresh after revocation (invalid_grant)", err)
	_, err = fractalClient(t, srv, h, ts).Me(h.ctx)
	h.failed("Me after revocation", err)
	if !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("Me after revocation: %v", err)
	}
	// A sentinel refresh token of our own.
	ts, err = cfg.TokenSource(&oauth2.Token{AccessToken: sAccessToken, RefreshToken: sRefreshToken, Expiry: time.Now().Add(-time.Minute)}, tokenStore(h))
	h.ok("TokenSource", err)
	_, err = ts.Token()
	h.failed("refresh with an unknown refresh token", err)
}

func fractalMeFailures(t *testing.T, h *harness) {
	srv, u := fractalServer(t, h)
	tok, err := srv.IssueToken(u.ID(), fractalScopes()...)
	h.ok("IssueToken", err)
	h.s.addDynamic("fake-issued access token", tok.AccessToken)
	h.s.addDynamic("fake-issued refresh token", tok.RefreshToken)
	c := fractalClient(t, srv, h, oauth2.StaticTokenSource(tok))
	echo := func(code string) string {
		return `{"error":"` + code + `","error_description":"token ` + tok.AccessToken + ` of ` + sEmail + ` / ` + sFullName + `"}`
	}
	for _, f := range []struct {
		where string
		fault kyctest.Fault
		want  error
	}{
		{"400 echoing personal data", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: echo("invalid_request"), ContentType: "application/json"}, kyc.ErrBadRequest},
		{"403 insufficient_scope", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 403, Body: echo("insufficient_scope"), ContentType: "application/json"}, fractalid.ErrInsufficientScope},
		{"404", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 404, Body: echo("not_found"), ContentType: "application/json"}, kyc.ErrNotFound},
		{"500 with a plain-text body", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: "panic: user " + sEmail + " dob " + sDOB, ContentType: "text/plain"}, kyc.ErrServer},
		{"503 twice (retried)", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Body: echo("unavailable"), Times: 2}, kyc.ErrServer},
		{"truncated body", kyctest.Fault{Kind: kyctest.FaultTruncate}, kyc.ErrDecode},
		{"HTML error page", kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 500}, kyc.ErrServer},
		{"reset after read", kyctest.Fault{Kind: kyctest.FaultResetAfterRead, Times: 6}, nil},
	} {
		srv.InjectFault(http.MethodGet, "/v2/users/me", f.fault)
		_, err := c.Me(h.ctx)
		h.failed("Me: "+f.where, err)
		if f.want != nil && !errors.Is(err, f.want) {
			t.Errorf("Me: %s: got %v, want %v", f.where, err, f.want)
		}
		srv.ClearFaults()
	}
	small, err := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(h.capture(srv.HTTPClient())), option.WithLogger(h.logger), option.WithMaxResponseBytes(64))
	h.ok("NewClient", err)
	_, err = small.Me(h.ctx)
	h.failed("Me: body over the size cap", err)

	// 401: the token is revoked (a static source cannot refresh).
	srv.RevokeToken(tok.AccessToken)
	_, err = c.Me(h.ctx)
	h.failed("Me: 401 revoked token", err)
	if !errors.Is(err, kyc.ErrUnauthorized) {
		t.Errorf("revoked token: %v", err)
	}
	_, err = fractalClient(t, srv, h, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: sAccessToken})).Me(h.ctx)
	h.failed("Me: 401 unknown sentinel token", err)
}

func fractalStats(t *testing.T, h *harness) {
	srv, _ := fractalServer(t, h)
	newStats := func(secret string) *fractalid.StatsClient {
		c, err := fractalid.NewStatsClient(fractalid.WithEnvironment(srv.Environment()),
			fractalid.WithCredentials(fractalAppID, secret), option.WithHTTPClient(h.capture(srv.HTTPClient())),
			option.WithLogger(h.logger), option.WithRetryPolicy(fastRetries))
		h.ok("NewStatsClient", err)
		return c
	}
	c := newStats(sFractalSecret)
	h.value("StatsClient", c)
	total, err := c.TotalVerifications(h.ctx)
	h.ok("TotalVerifications", err)
	h.value("StatusCounts", total)
	byCountry, err := c.CountryVerifications(h.ctx)
	h.ok("CountryVerifications", err)
	h.value("country counts", byCountry)
	rows, err := c.UserVerifications(h.ctx)
	h.ok("UserVerifications", err)
	h.value("UserVerifications", rows)
	var csv bytes.Buffer
	h.ok("ExportUserVerifications", c.ExportUserVerifications(h.ctx, &csv, []fractalid.ExportOption{fractalid.WithLevelColumns()}))
	h.record("exported CSV", csv.String())

	_, err = newStats(sWrongSecret).TotalVerifications(h.ctx)
	h.failed("stats with a wrong secret (invalid_client)", err)
	for _, f := range []struct {
		where, path string
		fault       kyctest.Fault
	}{
		{"token endpoint 500", "/oauth/token", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: `{"error":"server_error","error_description":"` + sFractalSecret + `"}`}},
		{"403", "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 403, Body: `{"error":"insufficient_scope","error_description":"` + sEmail + `"}`}},
		{"500", "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: sFullName}},
		{"truncated", "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultTruncate}},
		{"HTML error", "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultHTMLError, Times: 2}},
	} {
		srv.InjectFault("", f.path, f.fault)
		fresh := newStats(sFractalSecret)
		_, err := fresh.UserVerifications(h.ctx)
		h.failed("UserVerifications: "+f.where, err)
		srv.ClearFaults()
	}
	srv.InjectFault(http.MethodGet, "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultTruncate})
	csv.Reset()
	h.failed("ExportUserVerifications truncated", c.ExportUserVerifications(h.ctx, &csv, nil))
}

// ------------------------------------------------------------------ webhooks

func fractalWebhooks(t *testing.T, h *harness) {
	srv, u := fractalServer(t, h)
	v, err := webhooks.NewVerifier(
		webhooks.WithSecret(webhooks.EventEmailChanged, sFractalHookEmail, sFractalHookPrevious),
		webhooks.WithDefaultSecrets(sFractalHookSecret), webhooks.WithMaxPayloadSize(4<<10))
	h.ok("NewVerifier", err)
	h.value("Verifier", v)
	var events []*webhooks.Event
	handler := webhooks.NewHandler(v, func(_ context.Context, e *webhooks.Event) error {
		events = append(events, e)
		if e.Type == webhooks.EventVerificationRejected {
			return errors.New("processing failed for user " + e.UserID())
		}
		return nil
	}, webhooks.WithLogger(h.logger), webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)), webhooks.WithMaxBodySize(4<<10))
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)

	deliver := func(where string, n fractalidtest.Notification, opts ...fractalidtest.SendOption) {
		d, err := srv.SendWebhook(h.ctx, hs.URL, n, append(opts, fractalidtest.FromClient(fractalAppID))...)
		h.ok(where, err)
		h.s.addDynamic("webhook signature", d.Signature)
		h.record(where+": handler reply", string(d.Body))
		h.record(where+": delivery", d.String())
	}
	now := time.Now()
	deliver("email_changed", fractalidtest.EmailChangedNotification(u.ID(), sNewEmail))
	deliver("email_changed again (duplicate)", fractalidtest.EmailChangedNotification(u.ID(), sNewEmail))
	deliver("verification_approved", fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, u.ID(), "plus", now))
	deliver("verification_rejected (function fails)", fractalidtest.VerificationNotification(webhooks.EventVerificationRejected, u.ID(), "plus", now))
	deliver("bad signature", fractalidtest.EmailChangedNotification(u.ID(), sNewEmail), fractalidtest.WithBadSignature())
	deliver("no signature", fractalidtest.EmailChangedNotification(u.ID(), sNewEmail), fractalidtest.WithoutSignature())
	deliver("signed with the client secret", fractalidtest.EmailChangedNotification(u.ID(), sNewEmail), fractalidtest.WithSecret(sFractalSecret))
	if len(events) != 3 {
		t.Errorf("handler ran %d times, want 3", len(events))
	}
	for i, e := range events {
		h.value("delivered Event "+string(e.Type), e)
		h.value("delivered Event value "+string(e.Type), *events[i])
		if e.EmailChanged != nil {
			h.value("EmailChangedData", *e.EmailChanged)
		}
	}

	// Bodies the fake does not send: malformed but correctly signed,
	// malformed signature header, oversized, wrong method.
	post := func(where string, body []byte, sigs ...string) {
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		for _, s := range sigs {
			req.Header.Add(webhooks.SignatureHeader, s)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code < 400 {
			t.Errorf("%s: status %d", where, rec.Code)
		}
		h.record(where+": handler reply", rec.Body.String())
		_, err := v.VerifyRequest(httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body)))
		h.failed(where+": VerifyRequest without header", err)
		sig := ""
		if len(sigs) > 0 {
			sig = sigs[0]
		}
		_, err = v.Verify(body, sig)
		h.failed(where+": Verify", err)
	}
	bad := []byte(`{"type":"email_changed","data":{"user_id":"u","email":"` + sEmail + `"` + strings.Repeat(" ", 3))
	post("signed malformed body", bad, webhooks.Sign(bad, sFractalHookEmail))
	h.s.addDynamic("webhook signature", webhooks.Sign(bad, sFractalHookEmail))
	post("malformed signature", bad, "sha1="+sFractalHookSecret)
	post("signature repeated", bad, webhooks.Sign(bad, sFractalHookEmail), webhooks.Sign(bad, sFractalHookEmail))
	big := []byte(`{"type":"email_changed","data":{"email":"` + sEmail + `","pad":"` + strings.Repeat("x", 5000) + `"}}`)
	post("oversized body", big, webhooks.Sign(big, sFractalHookEmail))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/hook?email="+url.QueryEscape(sEmail), nil))
	h.record("GET on the handler: reply", rec.Body.String())

	_, err = webhooks.NewVerifier(webhooks.WithSecret(webhooks.EventEmailChanged, ""))
	h.failed("NewVerifier with an empty secret", err)
	h.failed("Verify with the wrong secret", webhooks.Verify(bad, webhooks.Sign(bad, sWrongSecret), sFractalHookSecret))

	// Kraken: the note is personal data.
	kv, err := webhooks.NewVerifier(webhooks.WithKrakenScheme(), webhooks.WithDefaultSecrets(sKrakenSecret))
	h.ok("NewVerifier Kraken", err)
	h.value("Kraken Verifier", kv)
	kb := []byte(`{"id":"kraken-user-1","status":"rejected","note":"` + sKrakenNote + `"}`)
	ksig := webhooks.SignKraken(kb, sKrakenSecret)
	h.s.addDynamic("Kraken signature", ksig)
	ke, err := kv.Verify(kb, ksig)
	h.ok("Kraken Verify", err)
	h.value("Kraken Event", ke)
	_, err = kv.Verify(kb, webhooks.SignKraken(kb, sWrongSecret))
	h.failed("Kraken Verify with the wrong secret", err)
	_, err = kv.Verify(kb, ksig[:20])
	h.failed("Kraken Verify with a short signature", err)
}

// ---------------------------------------------------------------- EKYC admin

// ekycServer starts the fake with identities holding the sentinel names and
// birth dates: one valid, one underage, one without a family name, one
// without a birth date.
func ekycServer(t *testing.T, opts ...ekycadmintest.Option) *ekycadmintest.Server {
	srv := ekycadmintest.NewServer(t, opts...)
	srv.AddUser(ekycadmintest.User{ID: "user-ok", GivenName: sGivenName, FamilyName: sFamilyName, BirthDate: sBirthDate, Gender: "F"})
	srv.AddUser(ekycadmintest.User{ID: "user-child", GivenName: sGivenName, FamilyName: sFamilyName, BirthDate: sChildBirth})
	srv.AddUser(ekycadmintest.User{ID: "user-noname", GivenName: sGivenName, BirthDate: sBirthDate})
	srv.AddUser(ekycadmintest.User{ID: "user-nobirth", GivenName: sGivenName, FamilyName: sFamilyName})
	return srv
}

func ekycClient(t *testing.T, h *harness, srv *ekycadmintest.Server, perms []ekycadmintest.Permission, opts ...option.ClientOption) *ekycadmin.Client {
	id, secret := srv.Credentials(perms...)
	h.s.addDynamic("EKYC client secret", secret)
	base := []option.ClientOption{
		option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(id, secret), ekycadmin.WithAPIKey(sEKYCAPIKey),
		option.WithHTTPClient(h.capture(nil)), option.WithLogger(h.logger),
		option.WithRetryPolicy(ekycadmintest.FastRetries()),
	}
	c, err := ekycadmin.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ekycSuccess(t *testing.T, h *harness) {
	srv := ekycServer(t)
	c := ekycClient(t, h, srv, ekycadmintest.AllPermissions())
	h.value("ekycadmin.Client", c)
	sess, err := c.CreateSession(h.ctx, "user-ok", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.test/done?case=42"})
	h.ok("CreateSession", err)
	h.s.addDynamic("EKYC session token", sess.SessionToken)
	h.s.addDynamic("EKYC session URL", sess.URL)
	h.value("Session", sess)
	h.value("Session value", *sess)
	second, err := c.CreateSession(h.ctx, "user-ok", nil)
	h.ok("CreateSession", err)
	h.s.addDynamic("EKYC session token", second.SessionToken)
	h.s.addDynamic("EKYC session URL", second.URL)
	h.ok("SetSessionStatus", srv.SetSessionStatus("user-ok", second.ID, ekycadmin.StatusSubmitted))

	page, err := c.ListSessions(h.ctx, &ekycadmin.ListOptions{Limit: 10})
	h.ok("ListSessions", err)
	for _, us := range page {
		h.value("listed UserSessions", us)
		for _, e := range us.Sorted() {
			h.value("SessionEntry", e)
		}
	}
	for us, err := range c.AllSessions(h.ctx, &ekycadmin.ListOptions{Limit: 1}) {
		h.ok("AllSessions", err)
		h.value("AllSessions item", us)
	}
	us, err := c.UserSessions(h.ctx, "user-ok")
	h.ok("UserSessions", err)
	h.value("*UserSessions", us)
	st, err := c.UserStatus(h.ctx, "user-ok")
	h.ok("UserStatus", err)
	h.value("UserStatus pending", st)
	h.ok("Decide", srv.Decide("user-ok", sess.ID, ekycadmin.StatusDeclined, "document of "+sGivenName+" "+sFamilyName+" born "+sBirthDate+" expired"))
	st, err = c.UserStatus(h.ctx, "user-ok")
	h.ok("UserStatus", err)
	if st.Verification == nil || !strings.Contains(st.Verification.Reason, sFamilyName) {
		t.Fatalf("the verdict reason did not come back: %+v", st.Verification)
	}
	h.value("UserStatus decided", st)
	h.value("UserStatus decided value", *st)
	h.value("Verification", *st.Verification)
}

func ekycFailures(t *testing.T, h *harness) {
	srv := ekycServer(t)
	all := ekycadmintest.AllPermissions()
	c := ekycClient(t, h, srv, all)
	want := func(where string, err error, target error) {
		t.Helper()
		h.failed(where, err)
		if !errors.Is(err, target) {
			t.Errorf("%s: got %v, want %v", where, err, target)
		}
	}

	// An API that redirects elsewhere, with personal data in the target's
	// path and query: the refusal names the target host only.
	redirector := redirectingServer(t)
	_, err := ekycClient(t, h, srv, all, option.WithBaseURL(redirector)).UserStatus(h.ctx, "user-ok")
	want("UserStatus 302 to another origin", err, kyc.ErrRedirectRefused)
	_, err = ekycClient(t, h, srv, all, option.WithBaseURL(redirector)).CreateSession(h.ctx, "user-ok", nil)
	want("CreateSession 307 to another origin", err, kyc.ErrRedirectRefused)
	_, err = c.CreateSession(h.ctx, "user-child", nil)
	want("CreateSession 400 underage", err, ekycadmin.ErrUnderage)
	_, err = c.CreateSession(h.ctx, "user-noname", nil)
	want("CreateSession 400 missing family name", err, ekycadmin.ErrInvalidName)
	_, err = c.CreateSession(h.ctx, "user-nobirth", nil)
	want("CreateSession 400 missing birth date", err, ekycadmin.ErrInvalidBirthDate)
	_, err = c.CreateSession(h.ctx, "user-unknown", nil)
	want("CreateSession unknown identity", err, kyc.ErrServer)
	_, err = c.UserSessions(h.ctx, "user-ok")
	want("UserSessions 404 no sessions", err, ekycadmin.ErrNoSessions)
	_, err = c.CreateSession(h.ctx, "", nil)
	want("CreateSession empty user", err, kyc.ErrInvalidArgument)
	_, err = c.CreateSession(h.ctx, "user-ok", &ekycadmin.CreateSessionRequest{Callback: "not a url " + sEmail})
	want("CreateSession bad callback", err, kyc.ErrInvalidArgument)

	listOnly := ekycClient(t, h, srv, []ekycadmintest.Permission{ekycadmintest.PermissionList})
	_, err = listOnly.CreateSession(h.ctx, "user-ok", nil)
	want("CreateSession 401 missing_permissions", err, kyc.ErrForbidden)
	for _, d := range []struct {
		where  string
		denial ekycadmintest.PermissionDenial
	}{{"403 Spring body", ekycadmintest.DenyForbidden}, {"500 AccessDeniedException", ekycadmintest.DenyAccessDenied500}} {
		other := ekycServer(t, ekycadmintest.WithPermissionDenial(d.denial))
		_, err = ekycClient(t, h, other, nil).UserStatus(h.ctx, "user-ok")
		want("UserStatus "+d.where, err, kyc.ErrForbidden)
	}

	body := `{"status":500,"error":{"reason":"Identity service failure","id":"e-1"},"message":"identity ` + sGivenName + ` ` + sFamilyName +
		` born ` + sBirthDate + `, key ` + sEKYCAPIKey + `"}`
	for _, f := range []struct {
		where, method, path string
		fault               kyctest.Fault
		call                func() error
	}{
		{"CreateSession 500 echoing the identity", http.MethodPost, ekycadmintest.SessionsPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: body, ContentType: "application/json"},
			func() error { _, err := c.CreateSession(h.ctx, "user-ok", nil); return err }},
		{"CreateSession reset after the server created it", http.MethodPost, ekycadmintest.SessionsPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			func() error { _, err := c.CreateSession(h.ctx, "user-ok", nil); return err }},
		{"ListSessions truncated", http.MethodGet, ekycadmintest.PathList,
			kyctest.Fault{Kind: kyctest.FaultTruncate},
			func() error { _, err := c.ListSessions(h.ctx, nil); return err }},
		{"UserStatus HTML error", http.MethodGet, ekycadmintest.StatusPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 500},
			func() error { _, err := c.UserStatus(h.ctx, "user-ok"); return err }},
		{"UserStatus 400 echoing the identity", http.MethodGet, ekycadmintest.StatusPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: body, ContentType: "application/json"},
			func() error { _, err := c.UserStatus(h.ctx, "user-ok"); return err }},
		{"CreateSession 400 reason echoing the identity", http.MethodPost, ekycadmintest.SessionsPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, ContentType: "application/json",
				Body: `{"status":400,"error":{"id":"` + sEmail + `","reason":"Person ` + sGivenName + ` ` + sFamilyName + ` <` + sEmail + `> born ` + sBirthDate + ` cannot be verified."}}`},
			func() error { _, err := c.CreateSession(h.ctx, "user-ok", nil); return err }},
		{"CreateSession 400 reason that is an e-mail address", http.MethodPost, ekycadmintest.SessionsPath("user-ok"),
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, ContentType: "application/json",
				Body: `{"status":400,"error":{"reason":"` + sEmail + `"}}`},
			func() error { _, err := c.CreateSession(h.ctx, "user-ok", nil); return err }},
		{"AllSessions 503 burst", http.MethodGet, ekycadmintest.PathList,
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Body: body, Times: 3},
			func() error {
				for _, err := range c.AllSessions(h.ctx, nil) {
					if err != nil {
						return err
					}
				}
				return nil
			}},
		{"token endpoint 500", http.MethodPost, ekycadmintest.PathToken,
			kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: body},
			func() error {
				_, err := ekycClient(t, h, srv, all).UserStatus(h.ctx, "user-ok")
				return err
			}},
		{"token endpoint HTML error", http.MethodPost, ekycadmintest.PathToken,
			kyctest.Fault{Kind: kyctest.FaultHTMLError},
			func() error {
				_, err := ekycClient(t, h, srv, all).UserStatus(h.ctx, "user-ok")
				return err
			}},
	} {
		srv.InjectFault(f.method, f.path, f.fault)
		h.failed(f.where, f.call())
		srv.ClearFaults()
	}

	// Token refusals: a revoked credential, a wrong secret, a revoked token.
	id, _ := srv.Credentials(all...)
	wrong, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(id, sWrongSecret), option.WithHTTPClient(h.capture(nil)), option.WithLogger(h.logger))
	h.ok("NewClient", err)
	_, err = wrong.ListSessions(h.ctx, nil)
	want("token refused: wrong secret", err, kyc.ErrToken)
	revokedID, revokedSecret := srv.Credentials(all...)
	h.s.addDynamic("EKYC client secret", revokedSecret)
	srv.RevokeClient(revokedID)
	revoked, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(revokedID, revokedSecret), option.WithHTTPClient(h.capture(nil)), option.WithLogger(h.logger))
	h.ok("NewClient", err)
	_, err = revoked.ListSessions(h.ctx, nil)
	want("token refused: revoked client", err, kyc.ErrToken)
	tok := srv.Token(all...)
	h.s.addDynamic("EKYC static token", tok)
	srv.RevokeToken(tok)
	static, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})),
		ekycadmin.WithAPIKey(sEKYCAPIKey), option.WithHTTPClient(h.capture(nil)), option.WithLogger(h.logger))
	h.ok("NewClient", err)
	_, err = static.UserStatus(h.ctx, "user-ok")
	want("401 invalid_token", err, kyc.ErrUnauthorized)
	_, err = ekycadmin.NewClient(ekycadmin.WithCredentials(id, sWrongSecret), option.WithBaseURL("http://example.test/?key="+sEKYCAPIKey))
	h.failed("NewClient with an insecure base URL", err)
	// Credentials pasted into the URLs: refused, or at least never printed.
	withUserInfo, err := ekycadmin.NewClient(ekycadmin.WithCredentials(id, sWrongSecret),
		option.WithBaseURL("http://svc:"+sEKYCAPIKey+"@127.0.0.1:1/"), ekycadmin.WithTokenURL("http://svc:"+sEKYCAPIKey+"@127.0.0.1:1/token"),
		option.NoRetries(), option.WithLogger(h.logger))
	if err != nil {
		h.failed("NewClient with user info in the URLs", err)
	} else {
		h.value("client with user info in the URLs", withUserInfo)
		_, err = withUserInfo.UserStatus(h.ctx, "user-ok")
		h.failed("UserStatus through URLs with user info", err)
	}
}

// -------------------------------------------------------------- integrations

func integrationsBuilders(t *testing.T, h *harness) {
	fsrv, fu := fractalServer(t, h)
	esrv := ekycServer(t)
	eid, esecret := esrv.Credentials(ekycadmintest.AllPermissions()...)
	h.s.addDynamic("EKYC client secret", esecret)
	isrv := incodetest.NewServer(t, incodetest.WithAPIKey(sIncodeAPIKey), incodetest.WithClientCredentials("incode-client", sIncodeSecret),
		incodetest.WithExecutive(sIncodeExecEmail, sIncodeExecPassword))
	env := map[string]string{
		integrations.EnvFractalClientID:                       fractalAppID,
		integrations.EnvFractalClientSecret:                   sFractalSecret,
		integrations.EnvFractalRedirectURI:                    "http://127.0.0.1/callback",
		integrations.EnvFractalFrontendURL:                    fsrv.URL(),
		integrations.EnvFractalAuthURL:                        fsrv.URL(),
		integrations.EnvFractalResourceURL:                    fsrv.URL(),
		integrations.EnvFractalWebhookSecret:                  sFractalHookSecret,
		integrations.EnvFractalWebhookSecretPrevious:          sFractalHookPrevious,
		integrations.FractalWebhookSecretEnv("email_changed"): sFractalHookEmail,
		integrations.EnvIncodeAPIKey:                          sIncodeAPIKey,
		integrations.EnvIncodeClientID:                        "incode-client",
		integrations.EnvIncodeClientSecret:                    sIncodeSecret,
		integrations.EnvIncodeIntegrationID:                   isrv.IntegrationID(),
		integrations.EnvIncodeConfigurationID:                 isrv.ConfigurationID(),
		integrations.EnvIncodeAPIURL:                          isrv.URL(),
		integrations.EnvIncodeAuthURL:                         isrv.URL(),
		integrations.EnvIncodeWebhookHeaderName:               "x-incode-secret",
		integrations.EnvIncodeWebhookHeaderValue:              sIncodeHookValue,
		integrations.EnvIncodeExecutiveEmail:                  sIncodeExecEmail,
		integrations.EnvIncodeExecutivePassword:               sIncodeExecPassword,
		integrations.EnvEKYCClientID:                          eid,
		integrations.EnvEKYCClientSecret:                      esecret,
		integrations.EnvEKYCTokenURL:                          esrv.TokenURL(),
		integrations.EnvEKYCBaseURL:                           esrv.BaseURL(),
		integrations.EnvEKYCAPIKey:                            sEKYCAPIKey,
		integrations.EnvEKYCPermissions:                       "ekyc.session.list,ekyc.session.get,ekyc.session.create",
	}
	set, err := integrations.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	h.ok("LoadEnv", err)
	h.value("Settings", set)
	h.value("Settings value", *set)
	h.value("FractalApp", *set.Fractal)
	h.value("IncodeIntegration", *set.Incode)
	h.value("EKYCCredential", *set.EKYC)
	h.value("webhook secrets", set.Fractal.WebhookSecrets)
	h.value("client secret", set.Fractal.ClientSecret)
	if set.Fractal.ClientSecret.Reveal() != sFractalSecret {
		t.Fatal("the client secret was not loaded")
	}

	cfg, err := set.Fractal.Config(fractalScopes()...)
	h.ok("FractalApp.Config", err)
	cfg.HTTPClient, cfg.Logger = h.capture(fsrv.HTTPClient()), h.logger
	h.value("built fractalid.Config", cfg)
	tok, err := cfg.Exchange(h.ctx, authorize(t, fsrv, h, cfg, fu.ID()))
	h.ok("Exchange", err)
	h.s.addDynamic("exchanged access token", tok.AccessToken)
	h.s.addDynamic("exchanged refresh token", tok.RefreshToken)
	v, err := set.Fractal.Verifier()
	h.ok("FractalApp.Verifier", err)
	h.value("built Verifier", v)
	stats, err := set.Fractal.StatsClient(option.WithHTTPClient(h.capture(fsrv.HTTPClient())), option.WithLogger(h.logger))
	h.ok("FractalApp.StatsClient", err)
	h.value("built StatsClient", stats)
	_, err = stats.TotalVerifications(h.ctx)
	h.ok("TotalVerifications", err)

	ec, err := set.EKYC.Client(option.WithHTTPClient(h.capture(nil)), option.WithLogger(h.logger))
	h.ok("EKYCCredential.Client", err)
	h.value("built ekycadmin.Client", ec)
	_, err = ec.ListSessions(h.ctx, nil)
	h.ok("ListSessions", err)

	ic, err := set.Incode.Client(option.WithHTTPClient(h.capture(isrv.HTTPClient())), option.WithLogger(h.logger))
	h.ok("IncodeIntegration.Client", err)
	h.value("built incode.Client", ic)
	link, err := ic.RequestNewOnboarding(h.ctx, &incode.OnboardingRequest{LoginHint: sLoginHint})
	h.ok("RequestNewOnboarding", err)
	h.s.addDynamic("onboarding link URL", link.URL)
	h.value("OnboardingLink", link)
	_, err = ic.OnboardingStatus(h.ctx, incode.ByInterviewID(link.InterviewID))
	h.ok("OnboardingStatus with the executive login from the settings", err)

	req := httptest.NewRequest(http.MethodPost, "/incode", strings.NewReader(`{}`))
	req.Header.Set("x-incode-secret", sWrongSecret)
	h.failed("IncodeIntegration.VerifyWebhook with a wrong value", set.Incode.VerifyWebhook(req))
}

func integrationsInvalid(t *testing.T, h *harness) {
	// Misconfigurations: secrets with stray whitespace or control
	// characters, credentials in URL user info and query strings, a state
	// and a token pasted into the redirect URI.
	bad := integrations.Settings{
		Fractal: &integrations.FractalApp{
			ClientID:     "app id with spaces",
			ClientSecret: integrations.NewSecret(sFractalSecret + " \t"),
			RedirectURI:  "http://example.test/callback?state=" + sState + "#" + sAccessToken,
			Environment:  "sandbox",
			AuthURL:      "https://admin:" + sWrongSecret + "@auth.example.test",
			WebhookSecrets: map[string][]integrations.Secret{
				"email_changed": {integrations.NewSecret("bad\n" + sFractalHookEmail)},
			},
		},
		Incode: &integrations.IncodeIntegration{
			APIKey:             integrations.NewSecret(sIncodeAPIKey + "\x00"),
			APIURL:             "https://api.example.test/?key=" + sIncodeAPIKey,
			ClientID:           "incode-client",
			ClientSecret:       integrations.NewSecret(" " + sIncodeSecret),
			WebhookHeaderName:  "bad header name",
			WebhookHeaderValue: integrations.NewSecret(sIncodeHookValue + "\r\n"),
		},
		EKYC: &integrations.EKYCCredential{
			ClientID: "ekyc", ClientSecret: integrations.NewSecret(sWrongSecret + "\n"),
			TokenURL: "http://token.example.test/?secret=" + sWrongSecret,
			BaseURL:  "https://svc:" + sEKYCAPIKey + "@gateway.example.test/?api_key=" + sEKYCAPIKey,
			APIKey:   integrations.NewSecret(sEKYCAPIKey + " "),
		},
	}
	h.value("invalid Settings", bad)
	err := bad.Validate()
	h.failed("Settings.Validate", err)
	var ve *integrations.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) < 5 {
		t.Fatalf("want a ValidationError with many problems, got %v", err)
	}
	for _, p := range ve.Problems {
		h.value("Problem "+p.Field, p)
	}
	h.failed("FractalApp.Validate", bad.Fractal.Validate())
	h.failed("IncodeIntegration.Validate", bad.Incode.Validate())
	h.failed("EKYCCredential.Validate", bad.EKYC.Validate())
	_, err = bad.Fractal.Config()
	h.failed("FractalApp.Config", err)
	_, err = bad.Incode.Client(option.WithLogger(h.logger))
	h.failed("IncodeIntegration.Client", err)
	_, err = bad.EKYC.Client(option.WithLogger(h.logger))
	h.failed("EKYCCredential.Client", err)

	env := map[string]string{
		integrations.EnvFractalClientSecret: sFractalSecret,
		integrations.EnvFractalRedirectURI:  "https://example.test/cb#" + sState,
		integrations.EnvEKYCClientSecret:    sWrongSecret,
		integrations.EnvEKYCBaseURL:         "http://" + sEKYCAPIKey + ".example.test",
		integrations.EnvIncodeAPIKey:        sIncodeAPIKey + "\n",
	}
	_, err = integrations.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	h.failed("LoadEnv", err)
	for where, file := range map[string]string{
		"Load truncated":          `{"fractal":{"client_id":"a","client_secret":"` + sFractalSecret,
		"Load wrong type":         `{"fractal":{"client_id":"a","client_secret":["` + sFractalSecret + `"]}}`,
		"Load unknown member":     `{"fractal":{"client_id":"a","clientsecret":"` + sFractalSecret + `"}}`,
		"Load placeholder":        `{"ekyc":{"client_id":"a","client_secret":"[redacted]","api_key":"` + sEKYCAPIKey + `"}}`,
		"Load invalid values":     `{"incode":{"api_key":"` + sIncodeAPIKey + ` x","api_url":"http://` + sIncodeSecret + `.example.test"}}`,
		"Load trailing garbage":   `{"ekyc":{"client_id":"a","client_secret":"` + sWrongSecret + `"}} ` + sEmail,
		"Load syntax in a secret": `{"incode":{"api_key":"` + sIncodeAPIKey + "\x01" + `"}}`,
	} {
		_, err := integrations.Load(strings.NewReader(file))
		h.failed(where, err)
	}
}

// --------------------------------------------------------------------- Incode

func incodeServer(t *testing.T) *incodetest.Server {
	return incodetest.NewServer(t, incodetest.WithAPIKey(sIncodeAPIKey), incodetest.WithClientCredentials("incode-client", sIncodeSecret))
}

func incodeClient(t *testing.T, h *harness, srv *incodetest.Server, opts ...option.ClientOption) *incode.Client {
	base := append(srv.ClientOptions(), option.WithHTTPClient(h.capture(srv.HTTPClient())),
		option.WithLogger(h.logger), option.NoRetries())
	c, err := incode.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func onboardingRequest() *incode.OnboardingRequest {
	return &incode.OnboardingRequest{
		LoginHint:           sLoginHint,
		Notification:        &incode.Notification{Type: incode.NotifyEmailAndSMS, Email: sNotifyEmail, Phone: sNotifyPhone},
		LinkLifetimeMinutes: 60,
		ExternalCustomerID:  "customer-42",
	}
}

func incodeSuccess(t *testing.T, h *harness) {
	srv := incodeServer(t)
	c := incodeClient(t, h, srv)
	h.value("incode.Client", c)
	req := onboardingRequest()
	h.value("OnboardingRequest", req)
	h.value("Notification", *req.Notification)
	link, err := c.RequestNewOnboarding(h.ctx, req)
	h.ok("RequestNewOnboarding", err)
	h.s.addDynamic("onboarding link URL", link.URL)
	h.value("*OnboardingLink", link)
	h.value("OnboardingLink", *link)
	if got := srv.Onboardings(); len(got) != 1 || got[0].LoginHint != sLoginHint {
		t.Fatalf("onboardings = %v", got)
	}
	sess, err := c.StartOnboarding(h.ctx, &incode.StartRequest{ExternalCustomerID: "customer-42", CustomFields: map[string]string{"email": sEmail}})
	h.ok("StartOnboarding", err)
	h.s.addDynamic("Incode session token", sess.Token.Reveal())
	h.value("*incode.Session", sess)
	h.value("incode.Session", *sess)
	ts, err := c.TokenSource().Token()
	h.ok("TokenSource", err)
	h.s.addDynamic("Incode access token", ts.AccessToken)

	var hooks []*incode.Webhook
	handler, err := incode.NewWebhookHandler("x-incode-secret", incode.NewSecret(sIncodeHookValue), func(_ context.Context, w *incode.Webhook) error {
		hooks = append(hooks, w)
		return nil
	})
	h.ok("NewWebhookHandler", err)
	for _, body := range []string{
		`{"eventType":"SESSION_SUCCEEDED","interviewId":"` + link.InterviewID + `","loginHint":"` + sLoginHint + `","identityId":"id-1"}`,
		`{"interviewId":"` + sess.InterviewID + `","onboardingStatus":"ONBOARDING_FINISHED","externalId":"customer-42","email":"` + sEmail + `"}`,
		`{"event":"verification.succeeded","verificationId":"v-1","user":{"email":"` + sEmail + `","name":"` + sFullName + `"}}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/incode", strings.NewReader(body))
		r.Header.Set("x-incode-secret", sIncodeHookValue)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Errorf("webhook status %d", rec.Code)
		}
		h.record("Incode webhook reply", rec.Body.String())
	}
	for _, w := range hooks {
		h.value("incode.Webhook", w)
		if w.Session != nil {
			h.value("SessionEvent", *w.Session)
		}
	}
}

func incodeFailures(t *testing.T, h *harness) {
	srv := incodeServer(t)
	c := incodeClient(t, h, srv)
	want := func(where string, err error, target error) {
		t.Helper()
		h.failed(where, err)
		if target != nil && !errors.Is(err, target) {
			t.Errorf("%s: got %v, want %v", where, err, target)
		}
	}
	_, err := incodeClient(t, h, srv, option.WithBaseURL(redirectingServer(t))).RequestNewOnboarding(h.ctx, onboardingRequest())
	want("RequestNewOnboarding 307 to another origin", err, kyc.ErrRedirectRefused)
	_, err = incodeClient(t, h, srv, incode.WithAPIKey(sWrongSecret)).StartOnboarding(h.ctx, &incode.StartRequest{})
	want("StartOnboarding 403 wrong API key", err, kyc.ErrForbidden)
	_, err = incodeClient(t, h, srv, incode.WithClientCredentials("incode-client", sWrongSecret)).RequestNewOnboarding(h.ctx, onboardingRequest())
	want("RequestNewOnboarding token refused", err, kyc.ErrToken)
	missing := onboardingRequest()
	missing.Notification = &incode.Notification{Type: incode.NotifySMS, Email: sNotifyEmail}
	_, err = c.RequestNewOnboarding(h.ctx, missing)
	want("RequestNewOnboarding 400 validation", err, kyc.ErrBadRequest)
	_, err = c.StartOnboarding(h.ctx, &incode.StartRequest{InterviewID: "0123456789abcdef01234567", CustomFields: map[string]string{"name": sFullName}})
	want("StartOnboarding 404 unknown interview", err, kyc.ErrNotFound)
	_, err = c.RequestNewOnboarding(h.ctx, &incode.OnboardingRequest{Notification: &incode.Notification{Type: incode.NotifyEmail, Email: sNotifyEmail}})
	want("RequestNewOnboarding without login hint", err, nil)

	echo := func(status int) string {
		return `{"timestamp":1700000000000,"status":` + strconv.Itoa(status) + `,"error":"Refused","message":"loginHint ` + sLoginHint +
			` phone ` + sNotifyPhone + ` key ` + sIncodeAPIKey + `","path":"/omni/b2b/onboarding/request-new"}`
	}
	for _, f := range []struct {
		where string
		path  string
		fault kyctest.Fault
	}{
		{"400 echoing the request", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: echo(400), ContentType: "application/json"}},
		{"403 echoing the request", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 403, Body: echo(403), ContentType: "application/json"}},
		{"500 echoing the request", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: echo(500), ContentType: "application/json"}},
		{"truncated reply", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultTruncate}},
		{"HTML error", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultHTMLError}},
		{"reset after the server created it", incode.RequestNewPath, kyctest.Fault{Kind: kyctest.FaultResetAfterRead}},
		{"token endpoint 500", incode.TokenPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: echo(500)}},
		{"token endpoint HTML error", incode.TokenPath, kyctest.Fault{Kind: kyctest.FaultHTMLError}},
	} {
		srv.InjectFault(http.MethodPost, f.path, f.fault)
		_, err := incodeClient(t, h, srv).RequestNewOnboarding(h.ctx, onboardingRequest())
		h.failed("RequestNewOnboarding: "+f.where, err)
		srv.ClearFaults()
	}
	srv.InjectFault(http.MethodPost, incode.StartPath, kyctest.Fault{Kind: kyctest.FaultTruncate})
	_, err = c.StartOnboarding(h.ctx, &incode.StartRequest{})
	want("StartOnboarding truncated", err, kyc.ErrDecode)

	// Revoked tokens: the next B2B call gets a 401.
	_, err = c.RequestNewOnboarding(h.ctx, onboardingRequest())
	h.ok("RequestNewOnboarding", err)
	srv.RevokeTokens()
	_, err = c.RequestNewOnboarding(h.ctx, onboardingRequest())
	want("RequestNewOnboarding 401 revoked token", err, nil)

	handler, err := incode.NewWebhookHandler("x-incode-secret", incode.NewSecret(sIncodeHookValue), func(context.Context, *incode.Webhook) error {
		return errors.New("must not run")
	})
	h.ok("NewWebhookHandler", err)
	for _, w := range []struct {
		where, body, header string
	}{
		{"webhook with a wrong header value", `{"interviewId":"x","email":"` + sEmail + `"}`, sWrongSecret},
		{"webhook with a near-miss header value", `{}`, sIncodeHookValue + "x"},
		{"webhook with a malformed body", `["` + sEmail + `"`, sIncodeHookValue},
	} {
		r := httptest.NewRequest(http.MethodPost, "/incode", strings.NewReader(w.body))
		r.Header.Set("x-incode-secret", w.header)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		if rec.Code < 400 {
			t.Errorf("%s: status %d", w.where, rec.Code)
		}
		h.record(w.where+": reply", rec.Body.String())
		h.failed(w.where+": VerifyHeader", incodeVerify(r, w.body))
	}
	_, err = incode.ParseWebhook([]byte(`{"loginHint":"` + sLoginHint))
	h.failed("ParseWebhook malformed", err)
	_, err = incode.NewClient(incode.WithAPIKey(sIncodeAPIKey), option.WithBaseURL("http://api.example.test/?key="+sIncodeAPIKey))
	h.failed("NewClient with an insecure URL", err)
}

// incodeFlowServer is a fake whose executive login is the sentinel one.
func incodeFlowServer(t *testing.T) *incodetest.Server {
	return incodetest.NewServer(t, incodetest.WithAPIKey(sIncodeAPIKey), incodetest.WithClientCredentials("incode-client", sIncodeSecret),
		incodetest.WithExecutive(sIncodeExecEmail, sIncodeExecPassword))
}

// sentinelOCR is OCR data holding the sentinel personal data.
func sentinelOCR(birthMillis int64) map[string]any {
	return map[string]any{
		"name": map[string]any{"fullName": sFullName, "firstName": sGivenName, "givenName": sGivenName,
			"paternalLastName": sFamilyName, "machineReadableFullName": sFullName},
		"address":        sAddress,
		"addressFields":  map[string]any{"street": sAddress, "city": sBirthPlace, "postalCode": "99999"},
		"checkedAddress": sAddress,
		"birthDate":      birthMillis,
		"documentNumber": sDocNumber,
		"personalNumber": sDocNumber,
		"gender":         "F",
		"issuingCountry": "DEU",
		"typeOfId":       "Passport",
	}
}

func incodeHostedFlow(t *testing.T, h *harness) {
	srv := incodeFlowServer(t)
	c := incodeClient(t, h, srv)
	h.value("incode.Client", c)
	hosted, err := c.StartHostedOnboarding(h.ctx, &incode.StartRequest{ExternalCustomerID: "customer-42",
		RedirectionURL: "https://app.example.test/back?email=" + url.QueryEscape(sEmail), CustomFields: map[string]string{"email": sEmail}})
	h.ok("StartHostedOnboarding", err)
	h.s.addDynamic("Incode session token", hosted.Token.Reveal())
	h.s.addDynamic("hosted onboarding URL", hosted.URL)
	h.value("*incode.HostedOnboarding", hosted)
	h.value("incode.HostedOnboarding", *hosted)
	h.value("incode.Target", hosted.Target())
	h.value("incode.Target by token", incode.BySessionToken(hosted.Token))
	birth, err := time.Parse(time.DateOnly, sBirthDate)
	h.ok("birth date", err)
	h.s.addDynamic("OCR birth date", strconv.FormatInt(birth.UnixMilli(), 10))
	if err := srv.SetOCRData(hosted.InterviewID, sentinelOCR(birth.UnixMilli())); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Finish(hosted.InterviewID); err != nil {
		t.Fatal(err)
	}
	tok, err := c.ExecutiveTokenSource().Token()
	h.ok("ExecutiveTokenSource", err)
	h.s.addDynamic("Incode executive token", tok.AccessToken)
	for _, tg := range []incode.Target{hosted.Target(), incode.ByInterviewID(hosted.InterviewID)} {
		st, err := c.OnboardingStatus(h.ctx, tg)
		h.ok("OnboardingStatus", err)
		h.value("OnboardingStatus", st)
		score, err := c.Score(h.ctx, tg)
		h.ok("Score", err)
		h.value("*incode.Score", score)
		h.value("incode.Score", *score)
		ocr, err := c.OCRData(h.ctx, tg)
		h.ok("OCRData", err)
		if ocr.Name.FullName != sFullName || ocr.DocumentNumber != sDocNumber || ocr.BirthDate.Time().Format(time.DateOnly) != sBirthDate {
			t.Fatalf("the fake did not return the sentinel OCR data")
		}
		h.value("*incode.OCRData", ocr)
		h.value("incode.OCRData", *ocr)
		h.value("incode.OCRName", ocr.Name)
		h.value("incode.OCRAddress", ocr.AddressFields)
		h.value("incode.Date", ocr.BirthDate.Time().IsZero())
		d, err := c.Decide(h.ctx, tg)
		h.ok("Decide", err)
		h.value("incode.Decision", d)
	}
	a, err := c.Approve(h.ctx, incode.ByInterviewID(hosted.InterviewID))
	h.ok("Approve", err)
	h.s.addDynamic("Incode customer token", a.Token.Reveal())
	h.value("*incode.Approval", a)
	h.value("incode.Approval", *a)
	fin, err := c.FinishStatus(h.ctx, hosted.Token)
	h.ok("FinishStatus", err)
	h.value("*incode.FinishResult", fin)
	h.value("incode.FinishResult", *fin)
	closed, err := c.CloseSession(h.ctx, hosted.Token)
	h.ok("CloseSession", err)
	h.value("*incode.SessionState", closed)
	h.value("incode.SessionState", *closed)
	link, err := c.OnboardingURL(h.ctx, hosted.Token, "")
	h.ok("OnboardingURL", err)
	h.s.addDynamic("second onboarding URL", link)
}

func incodeHostedFailures(t *testing.T, h *harness) {
	srv := incodeFlowServer(t)
	c := incodeClient(t, h, srv)
	sess, err := c.StartOnboarding(h.ctx, &incode.StartRequest{ExternalCustomerID: "customer-42"})
	h.ok("StartOnboarding", err)
	h.s.addDynamic("Incode session token", sess.Token.Reveal())
	if err := srv.SetOCRData(sess.InterviewID, sentinelOCR(-4857292800000)); err != nil {
		t.Fatal(err)
	}
	bad := incodeClient(t, h, srv, incode.WithExecutiveLogin(sIncodeExecEmail, incode.NewSecret(sWrongSecret)))
	for range 2 {
		_, err = bad.Score(h.ctx, incode.ByInterviewID(sess.InterviewID))
		h.failed("Score with a refused executive login", err)
	}
	_, err = c.OCRData(h.ctx, incode.BySessionToken(incode.NewSecret(sWrongSecret)))
	h.failed("OCRData with a wrong session token", err)
	_, err = c.OnboardingURL(h.ctx, incode.NewSecret(sWrongSecret+"\r\n"), "")
	h.failed("OnboardingURL with a malformed token", err)
	_, err = incodeClient(t, h, srv, incode.WithAPIKey(sWrongSecret)).OCRData(h.ctx, sess.Target())
	h.failed("OCRData with a wrong API key", err)
	_, err = c.Approve(h.ctx, sess.Target())
	h.failed("Approve before the flow finished", err)
	echo := `{"timestamp":1700000000000,"status":4019,"error":"` + sFullName + `","message":"token ` + sess.Token.Reveal() +
		` password ` + sIncodeExecPassword + ` doc ` + sDocNumber + `","path":"/omni/get/ocr-data"}`
	for _, f := range []struct {
		where, method, path string
		fault               kyctest.Fault
	}{
		{"OCR 400 echoing secrets", http.MethodGet, incode.OCRDataPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 400, Body: echo}},
		{"OCR truncated", http.MethodGet, incode.OCRDataPath, kyctest.Fault{Kind: kyctest.FaultTruncate}},
		{"login 500 echoing the password", http.MethodPost, incode.ExecutiveLoginPath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500, Body: echo}},
		{"approve 403 echoing", http.MethodPost, incode.ApprovePath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 403, Body: echo}},
	} {
		if _, err := srv.Finish(sess.InterviewID); err != nil && !errors.Is(err, incodetest.ErrFlowEnded) {
			t.Fatal(err)
		}
		srv.InjectFault(f.method, f.path, f.fault)
		fresh := incodeClient(t, h, srv)
		_, err := fresh.OCRData(h.ctx, incode.ByInterviewID(sess.InterviewID))
		if f.path == incode.ApprovePath {
			h.ok("OCRData", err)
			_, err = fresh.Approve(h.ctx, incode.ByInterviewID(sess.InterviewID))
		}
		h.failed(f.where, err)
		srv.ClearFaults()
	}
	_, err = incode.ParseScore([]byte(`["` + sFullName + `"]`))
	h.failed("ParseScore of a non-object", err)
	_, err = incode.ParseApproval([]byte(`{"token":"` + sess.Token.Reveal() + `"}`))
	h.failed("ParseApproval without success", err)
	_, err = incode.NewClient(incode.WithAPIKey(sIncodeAPIKey), incode.WithExecutiveLogin(sIncodeExecEmail, incode.Secret{}))
	h.failed("NewClient with an empty executive password", err)
}

// incodeVerify checks a webhook request's header, or parses its body when
// the header matches.
func incodeVerify(r *http.Request, body string) error {
	if err := incode.VerifyHeader(r, "x-incode-secret", incode.NewSecret(sIncodeHookValue)); err != nil {
		return err
	}
	_, err := incode.ParseWebhook([]byte(body))
	return err
}

// ----------------------------------------------------------- decoded models

// decodedModels decodes payload shapes the fakes do not produce (undocumented
// extra fields, verdict reasons, raw webhook data) and checks that the
// printing paths of the models stay free of the personal data they hold.
func decodedModels(t *testing.T, h *harness) {
	decode := func(where, js string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(js), v); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		h.value(where, v)
	}
	var u fractalid.User
	decode("fractalid.User", `{"uid":"u-1","emails":[{"address":"`+sEmail+`","source_type":"registration"}],"phones:":[{"number":"`+sPhone+`"}],
		"wallets":[{"id":"w-1","address":"`+sWallet+`","currency":"eth","verified":true}],
		"verification_cases":[{"id":"c-1","level":"plus+liveness","status":"done","credential":"approved","journey_completed":true,
		"details":{"full_name":"`+sFullName+`","date_of_birth":"`+sDOB+`","identification_document_number":"`+sDocNumber+`",
		"residential_address":"`+sAddress+`","place_of_birth":"`+sBirthPlace+`","wallet_address":"`+sWallet+`",
		"unknown_key":"`+sEmail+`","date_of_issue_bad":{"x":"`+sNewEmail+`"}},
		"report":{"address":"`+sWallet+`","report_id":"r-1"}}]}`, &u)
	recordUser(h, "decoded", &u)
	h.value("Report", u.VerificationCases[0].Report) //nolint:staticcheck // the deprecated report still prints safely

	// Unknown keys holding personal data at every level land in the Extra
	// maps, which print as counts only.
	var ux fractalid.User
	decode("fractalid.User with unknown keys", `{"uid":"u-2","person":{"full_name":"`+sFullName+`"},"`+sEmail+`":"`+sDOB+`",
		"emails":[{"address":"`+sEmail+`","backup":"`+sNewEmail+`"}],"phones":[{"number":"`+sPhone+`","owner":"`+sFullName+`"}],
		"wallets":[{"address":"`+sWallet+`","label":"`+sFullName+`"}],
		"verification_cases":[{"level":"basic","status":"pending","journey_completed":false,"reviewer_note":"`+sFullName+` `+sDocNumber+`","`+sAddress+`":1}]}`, &ux)
	if len(ux.Extra) != 2 || len(ux.VerificationCases[0].Extra) != 2 || len(ux.Emails[0].Extra) != 1 || len(ux.Phones[0].Extra) != 1 || len(ux.Wallets[0].Extra) != 1 {
		t.Fatalf("unknown keys were not kept")
	}
	recordUser(h, "decoded with unknown keys", &ux)
	for i := range ux.Emails {
		h.value("Email with unknown keys", ux.Emails[i])
	}
	for i := range ux.Phones {
		h.value("Phone with unknown keys", ux.Phones[i])
	}
	for i := range ux.Wallets {
		h.value("Wallet with unknown keys", ux.Wallets[i])
	}

	var us ekycadmin.UserSessions
	decode("ekycadmin.UserSessions", `{"id":"user-1","sessions":{"k-1":{"sessionToken":"`+sAccessToken+`","url":"https://veriff.example.test/v/`+sRefreshToken+`",
		"id":"s-1","status":"declined","original_request":{"callback":"https://app.example.test/cb","org_id":"org-1",
		"person":{"givenName":"`+sGivenName+`","lastName":"`+sFamilyName+`","dateOfBirth":"`+sBirthDate+`"}}}}}`, &us)
	for _, e := range us.Sorted() {
		h.value("SessionEntry", e)
		h.value("Session", e.Session)
		h.value("OriginalRequest", *e.Session.OriginalRequest)
	}
	var st ekycadmin.UserStatus
	decode("ekycadmin.UserStatus", `{"timestamp":"2026-01-01T00:00:00Z","total_sessions":1,
		"verification":{"status":"declined","reason":"`+sFullName+` `+sDocNumber+`"},
		"submitted":{"sessionToken":"`+sAccessToken+`","url":"https://veriff.example.test/`+sRefreshToken+`","id":"s-2","status":"submitted"}}`, &st)
	h.value("Verification", *st.Verification)

	for _, body := range []string{
		`{"type":"email_changed","data":{"user_id":"u-1","email":"` + sEmail + `"}}`,
		`{"type":"verification_approved","data":{"user_id":"u-1","level":"basic","timestamp":"2020-04-02T13:35:35Z","name":"` + sFullName + `"}}`,
		`{"type":"some_future_type","data":{"user_id":"u-1","email":"` + sEmail + `","dob":"` + sDOB + `"}}`,
		`{"type":"credential_shared","data":{"idos_human_id":"h-1","credential_id":"c-1","shared_at":"2024-01-01T00:00:00Z","email":"` + sEmail + `"}}`,
	} {
		e, err := webhooks.Parse([]byte(body))
		h.ok("webhooks.Parse", err)
		h.value("webhooks.Event "+string(e.Type), e)
		h.value("webhooks.Event value "+string(e.Type), *e)
	}
	ke, err := webhooks.ParseKraken([]byte(`{"id":"k-1","status":"rejected","note":"` + sKrakenNote + `"}`))
	h.ok("ParseKraken", err)
	h.value("Kraken Event", ke)
	h.value("KrakenData", *ke.Kraken)

	var link incode.OnboardingLink
	link.InterviewID, link.URL = "i-1", "https://incode.example.test/"+sRefreshToken
	link.Raw = json.RawMessage(`{"interviewId":"i-1","loginHint":"` + sLoginHint + `"}`)
	h.value("OnboardingLink", link)
	w, err := incode.ParseWebhook([]byte(`{"eventType":"SESSION_FAILED","interviewId":"i-1","loginHint":"` + sLoginHint + `","identityId":"x","phone":"` + sNotifyPhone + `"}`))
	h.ok("ParseWebhook", err)
	h.value("incode.Webhook", w)
	h.value("incode.SessionEvent", *w.Session)
	h.value("incode.Error", &incode.Error{Status: 400, Reason: "Bad Request", Message: "loginHint " + sLoginHint, Path: incode.RequestNewPath})
	h.value("APIError", &kyc.APIError{StatusCode: 400, Method: "POST", Path: "/x", Message: sFullName, Body: []byte(sEmail)})
}
