package fractalidtest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// approve runs the consent page for authURL and returns the code.
func approve(t *testing.T, srv *fractalidtest.Server, authURL string) string {
	t.Helper()
	cb, err := srv.Approve(authURL, "")
	if err != nil {
		t.Fatal(err)
	}
	code := cb.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", cb.Redacted())
	}
	return code
}

// rawToken posts a token request by hand and returns the status, the
// error code of the body and the WWW-Authenticate header.
func rawToken(t *testing.T, srv *fractalidtest.Server, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := srv.HTTPClient().PostForm(srv.URL()+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error, resp.Header.Get("WWW-Authenticate")
}

// PKCE as stock Doorkeeper enforces it, against the raw endpoint: 400
// invalid_request without a verifier, 400 invalid_grant with a wrong one,
// 200 with the right one; a verifier for a code issued without a challenge
// is refused with 400 invalid_grant.
func TestPKCEEnforcedAsDoorkeeper(t *testing.T) {
	srv := fractalidtest.NewServer(t)
	srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID)
	verifier := fractalid.GenerateVerifier()
	base := url.Values{"grant_type": {"authorization_code"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}, "redirect_uri": {cfg.RedirectURL}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	authURL, err := cfg.AuthCodeURL("st", fractalid.WithPKCE(verifier))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("code_challenge") == "" || strings.Contains(authURL, verifier) {
		t.Fatalf("authorization URL lacks the S256 challenge (or leaks the verifier)")
	}
	code := approve(t, srv, authURL)

	for _, tc := range []struct {
		name     string
		form     url.Values
		status   int
		errCode  string
		wantBody bool
	}{
		{"no verifier", with("code", code), 400, "invalid_request", true},
		{"wrong verifier", with("code", code, "code_verifier", fractalid.GenerateVerifier()), 400, "invalid_grant", true},
		{"right verifier", with("code", code, "code_verifier", verifier), 200, "", false},
		{"code already used", with("code", code, "code_verifier", verifier), 400, "invalid_grant", true},
	} {
		status, ec, challenge := rawToken(t, srv, tc.form)
		if status != tc.status || ec != tc.errCode {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, ec, tc.status, tc.errCode)
		}
		if tc.wantBody {
			want := `Bearer realm="Doorkeeper", error="` + tc.errCode + `"`
			if !strings.HasPrefix(challenge, want) || !strings.Contains(challenge, "error_description=") {
				t.Errorf("%s: WWW-Authenticate %q, want it to start with %s", tc.name, challenge, want)
			}
		} else if challenge != "" {
			t.Errorf("%s: WWW-Authenticate on success: %q", tc.name, challenge)
		}
	}

	// A verifier sent for a code issued without a challenge: invalid_grant,
	// which is why the SDK's PKCE is opt-in.
	plainURL, _ := cfg.AuthCodeURL("st")
	plainCode := approve(t, srv, plainURL)
	if status, ec, _ := rawToken(t, srv, with("code", plainCode, "code_verifier", verifier)); status != 400 || ec != "invalid_grant" {
		t.Errorf("verifier without challenge: %d %q, want 400 invalid_grant", status, ec)
	}
	// The code was not spent by the refused attempt: without a verifier it works.
	if status, ec, _ := rawToken(t, srv, with("code", plainCode)); status != 200 {
		t.Errorf("no-challenge code without verifier: %d %q", status, ec)
	}

	// A challenge without a method (or with an unknown one) is refused at
	// the authorization page.
	bad := strings.Replace(authURL, "code_challenge_method=S256", "code_challenge_method=S512", 1)
	cb, err := srv.Approve(bad, "")
	if err != nil || cb.Query().Get("error") != "invalid_request" {
		t.Errorf("unknown challenge method: %v %v", cb, err)
	}
}

// The same cases through the SDK: Exchange and ExchangeWithVerifier.
func TestPKCEThroughTheSDK(t *testing.T) {
	srv := fractalidtest.NewServer(t)
	srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID)
	ctx := context.Background()
	verifier := fractalid.GenerateVerifier()
	pkceURL, _ := cfg.AuthCodeURL("st", fractalid.WithPKCE(verifier))

	// No verifier: invalid_request (a *TokenError, not a re-authorization).
	code := approve(t, srv, pkceURL)
	_, err := cfg.Exchange(ctx, code)
	var te *kyc.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_request" || errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("exchange without verifier: %v", err)
	}
	// Wrong verifier: invalid_grant.
	if _, err := cfg.ExchangeWithVerifier(ctx, code, fractalid.GenerateVerifier()); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("wrong verifier: %v", err)
	}
	// Right verifier: a token.
	tok, err := cfg.ExchangeWithVerifier(ctx, code, verifier)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("right verifier: %v", err)
	}
	// A verifier for a code issued without a challenge: refused.
	plainURL, _ := cfg.AuthCodeURL("st")
	plainCode := approve(t, srv, plainURL)
	if _, err := cfg.ExchangeWithVerifier(ctx, plainCode, verifier); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("verifier without challenge: %v", err)
	}
	// The default flow is unchanged: no challenge in the URL, no verifier sent.
	if strings.Contains(plainURL, "code_challenge") {
		t.Errorf("default URL carries a challenge")
	}
	if _, err := cfg.Exchange(ctx, plainCode); err != nil {
		t.Errorf("default exchange: %v", err)
	}
	// Invalid verifiers are refused before anything is sent.
	for _, v := range []string{"", "short", strings.Repeat("a", 129), strings.Repeat("a", 42) + " "} {
		if _, err := cfg.AuthCodeURL("st", fractalid.WithPKCE(v)); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("WithPKCE(%q): %v", v, err)
		}
		if _, err := cfg.ExchangeWithVerifier(ctx, "code", v); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("ExchangeWithVerifier(%q): %v", v, err)
		}
	}
}

// Token errors carry Doorkeeper's WWW-Authenticate header by default (on
// 401 and 400), and none with WithoutTokenErrorChallenge.
func TestTokenErrorChallenge(t *testing.T) {
	for _, off := range []bool{false, true} {
		var opts []fractalidtest.Option
		if off {
			opts = append(opts, fractalidtest.WithoutTokenErrorChallenge())
		}
		srv := fractalidtest.NewServer(t, opts...)
		cfg := srv.Config()
		for _, tc := range []struct {
			form   url.Values
			status int
			code   string
		}{
			{url.Values{"grant_type": {"authorization_code"}, "client_id": {cfg.ClientID}, "client_secret": {"wrong"}, "code": {"x"}, "redirect_uri": {cfg.RedirectURL}}, 401, "invalid_client"},
			{url.Values{"grant_type": {"authorization_code"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}, "code": {"x"}, "redirect_uri": {cfg.RedirectURL}}, 400, "invalid_grant"},
			{url.Values{"grant_type": {"password"}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}}, 400, "unsupported_grant_type"},
		} {
			status, ec, h := rawToken(t, srv, tc.form)
			if status != tc.status || ec != tc.code {
				t.Errorf("%d %q, want %d %q", status, ec, tc.status, tc.code)
			}
			switch {
			case !off && !strings.HasPrefix(h, `Bearer realm="Doorkeeper", error="`+tc.code+`", error_description="`):
				t.Errorf("%s: WWW-Authenticate %q", tc.code, h)
			case off && tc.status == 400 && h != "":
				t.Errorf("%s with the option: WWW-Authenticate %q", tc.code, h)
			}
		}
	}
}

// Under WithTLS the certificate is available as PEM and in a file, and a
// client that trusts only that PEM reaches the server.
func TestTLSCertificatePEM(t *testing.T) {
	plain := fractalidtest.NewServer(t)
	if plain.CertificatePEM() != nil || plain.CertificateFile() != "" {
		t.Error("a plain HTTP server has no certificate")
	}
	srv, err := fractalidtest.Start(fractalidtest.WithTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pemBytes := srv.CertificatePEM()
	if !strings.HasPrefix(string(pemBytes), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("CertificatePEM = %.40q", pemBytes)
	}
	file, err := os.ReadFile(srv.CertificateFile())
	if err != nil || string(file) != string(pemBytes) {
		t.Fatalf("certificate file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(file) {
		t.Fatal("the PEM does not parse")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(srv.URL() + "/v2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401 (no token)", resp.StatusCode)
	}
	path := srv.CertificateFile()
	srv.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("certificate file left behind after Close: %v", err)
	}
}

// The consent page acts as the embedded journey when framed: the decision
// is answered with a page posting the documented message to the parent
// window (target: the redirect URI's origin), not with a redirect.
func TestConsentPageEmbeddedMode(t *testing.T) {
	for _, tc := range []struct {
		mode   fractalidtest.EmbedMode
		framed bool
		embed  bool
	}{
		{fractalidtest.EmbedAuto, true, true},
		{fractalidtest.EmbedAuto, false, false},
		{fractalidtest.EmbedAlways, false, true},
		{fractalidtest.EmbedNever, true, false},
	} {
		srv := fractalidtest.NewServer(t, fractalidtest.WithEmbedMode(tc.mode))
		u := srv.AddUser(fractalidtest.User{})
		cfg := srv.Config(fractalid.ScopeUID)
		authURL, _ := cfg.AuthCodeURL("st-1")
		q, _ := url.Parse(authURL)
		form := q.Query()
		for _, decision := range []string{"approve", "deny"} {
			form.Set("decision", decision)
			form.Set("user_id", u.ID())
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/authorize", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.framed {
				req.Header.Set("Sec-Fetch-Dest", "iframe")
			}
			hc := srv.HTTPClient()
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body strings.Builder
			_, _ = io.Copy(&body, resp.Body)
			_ = resp.Body.Close()
			if !tc.embed {
				if resp.StatusCode != http.StatusFound {
					t.Errorf("mode %d framed %v %s: status %d, want a redirect", tc.mode, tc.framed, decision, resp.StatusCode)
				}
				continue
			}
			b := body.String()
			if resp.StatusCode != http.StatusOK || !strings.Contains(b, "window.parent.postMessage(") || !strings.Contains(b, `"http://127.0.0.1"`) {
				t.Fatalf("mode %d %s: %d %s", tc.mode, decision, resp.StatusCode, b)
			}
			if decision == "approve" && (!strings.Contains(b, `"code":`) || !strings.Contains(b, `"sub1":`) || !strings.Contains(b, `"state":"st-1"`)) {
				t.Errorf("approval message: %s", b)
			}
			if decision == "deny" && !strings.Contains(b, `"error":"access_denied"`) {
				t.Errorf("denial message: %s", b)
			}
		}
	}
	if _, err := fractalidtest.Start(fractalidtest.WithEmbedMode(7)); err == nil {
		t.Error("an unknown mode must be refused")
	}
}
