package kraken_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
)

func p521(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// completeOnce runs a journey and returns its one-time token.
func completeOnce(t *testing.T, srv *krakentest.Server) string {
	t.Helper()
	cfg := srv.Config()
	link, err := cfg.KYCURL(kraken.LevelBasic, "")
	if err != nil {
		t.Fatal(err)
	}
	done, err := srv.Complete(context.Background(), link, krakentest.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kraken.ParseRedirectQuery(done.RedirectURL.RawQuery, "")
	if err != nil {
		t.Fatal(err)
	}
	return r.OneTimeToken
}

func lastRefusal(t *testing.T, srv *krakentest.Server) string {
	t.Helper()
	rs := srv.Refusals()
	if len(rs) == 0 {
		t.Fatal("the fake refused nothing")
	}
	return rs[len(rs)-1].Reason
}

// callWith sends GET path with a hand-made Bearer token.
func callWith(t *testing.T, srv *krakentest.Server, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFakeRefusesTokenFromAnotherKey(t *testing.T) {
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	other, _ := kraken.NewPrivateKey(p521(t))
	cfg := srv.Config()
	cfg.Key = other
	c, err := kraken.NewClient(cfg, srv.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Session(context.Background(), ott)
	var ae *kyc.APIError
	if !errors.Is(err, kyc.ErrUnauthorized) || !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	if r := lastRefusal(t, srv); !strings.Contains(r, "signature does not verify") {
		t.Errorf("refusal %q", r)
	}
	// The one 401 was tried once more with a fresh token, then given up.
	if ae.Attempts != 2 || srv.Count(http.MethodGet, "/public/kyc/token/*") != 2 {
		t.Errorf("attempts %d, requests %d", ae.Attempts, srv.Count(http.MethodGet, "/public/kyc/token/*"))
	}
	// The token was not consumed by the refused calls.
	if _, err := newClient(t, srv).Session(context.Background(), ott); err != nil {
		t.Fatalf("the right key after refusals: %v", err)
	}
	// A KYC link signed with the other key is refused by the page.
	link, _ := cfg.KYCURL(kraken.LevelBasic, "")
	if _, err := srv.Complete(context.Background(), link, krakentest.Redirect); err == nil {
		t.Fatal("page accepted a link signed with another key")
	}
	if r := lastRefusal(t, srv); !strings.Contains(r, "signature does not verify") {
		t.Errorf("refusal %q", r)
	}
}

func TestFakeRefusesOtherAlgorithms(t *testing.T) {
	srv := krakentest.NewServer(t)
	now := srv.Now()
	claims := jwt.MapClaims{"api": true, "clientId": srv.ClientID(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	es256, _ := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(p256)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString([]byte("secret"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	good, _ := jwt.NewWithClaims(jwt.SigningMethodES512, claims).SignedString(p521Of(t, srv))
	for name, tok := range map[string]string{"ES256": es256, "HS512": hs512, "none": none} {
		if code := callWith(t, srv, "/public/kyc/nobody/status", tok); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d", name, code)
		}
		if r := lastRefusal(t, srv); r != "alg is not ES512" {
			t.Errorf("%s: refusal %q", name, r)
		}
	}
	// The same claims signed ES512 with the registered key pass the check
	// (and the unknown user gives 404).
	if code := callWith(t, srv, "/public/kyc/nobody/status", good); code != http.StatusNotFound {
		t.Errorf("ES512: status %d", code)
	}
	// A KYC link token is not an API token, and the reverse.
	link := jwt.MapClaims{"kyc": true, "clientId": srv.ClientID(), "level": "basic", "iat": now.Unix()}
	linkTok, _ := jwt.NewWithClaims(jwt.SigningMethodES512, link).SignedString(p521Of(t, srv))
	if code := callWith(t, srv, "/public/kyc/nobody/status", linkTok); code != http.StatusUnauthorized {
		t.Errorf("link token as API token: %d", code)
	}
	// Another client id.
	claims["clientId"] = "someone-else"
	other, _ := jwt.NewWithClaims(jwt.SigningMethodES512, claims).SignedString(p521Of(t, srv))
	if code := callWith(t, srv, "/public/kyc/nobody/status", other); code != http.StatusUnauthorized {
		t.Errorf("other client: %d", code)
	}
	if r := lastRefusal(t, srv); !strings.Contains(r, "clientId") {
		t.Errorf("refusal %q", r)
	}
}

// p521Of returns the fake's generated key.
func p521Of(t *testing.T, srv *krakentest.Server) *ecdsa.PrivateKey {
	t.Helper()
	k := srv.SigningKey()
	if k == nil {
		t.Fatal("no generated key")
	}
	return k
}

func TestFakeRefusesExpTooFarAhead(t *testing.T) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := krakentest.NewServer(t, krakentest.WithClock(func() time.Time { return clock }))
	ott := completeOnce(t, srv)
	// Our clock one second ahead of the fake's, lifetime at the 600 s
	// maximum: exp is 601 s ahead for the fake.
	cfg := srv.Config()
	cfg.Now = func() time.Time { return srv.Now().Add(time.Second) }
	c, err := kraken.NewClient(cfg, append(srv.ClientOptions(), kraken.WithTokenLifetime(kraken.MaxTokenLifetime))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Session(context.Background(), ott); !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if r := lastRefusal(t, srv); r != "exp more than 600 s ahead" {
		t.Errorf("refusal %q", r)
	}
	// The default lifetime (300 s) leaves room for that skew.
	c, _ = kraken.NewClient(cfg, srv.ClientOptions()...)
	if _, err := c.Session(context.Background(), ott); err != nil {
		t.Fatal(err)
	}
	// A hand-made token with exp 601 s ahead, and one already expired.
	for _, d := range []time.Duration{601 * time.Second, -time.Second} {
		claims := jwt.MapClaims{"api": true, "clientId": srv.ClientID(), "iat": clock.Unix(), "exp": clock.Add(d).Unix()}
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodES512, claims).SignedString(p521Of(t, srv))
		if code := callWith(t, srv, "/public/kyc/nobody/status", tok); code != http.StatusUnauthorized {
			t.Errorf("exp %s: status %d", d, code)
		}
	}
	if _, err := kraken.NewClient(cfg, kraken.WithTokenLifetime(601*time.Second)); err == nil {
		t.Error("a 601 s lifetime was accepted")
	}
}

func TestFakeRefusesReusedOneTimeToken(t *testing.T) {
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	c := newClient(t, srv)
	if _, err := c.Session(context.Background(), ott); err != nil {
		t.Fatal(err)
	}
	_, err := c.Session(context.Background(), ott)
	var ae *kyc.APIError
	if !errors.Is(err, kyc.ErrNotFound) || !errors.As(err, &ae) {
		t.Fatalf("reuse: %v", err)
	}
	if strings.Contains(err.Error(), ott) || strings.Contains(ae.Path, ott) || !strings.Contains(ae.Path, "[redacted]") {
		t.Errorf("error shows the one-time token: %v (path %q)", err, ae.Path)
	}
	if ae.Code != "Not Found" {
		t.Errorf("code %q", ae.Code)
	}
	if _, err := c.Session(context.Background(), "never-issued-one-time-token"); !errors.Is(err, kyc.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
}
