package krakentest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/kyctest"
)

func TestOptionsAreChecked(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, o := range map[string]krakentest.Option{
		"client id":    krakentest.WithClientID(""),
		"P-256 key":    krakentest.WithPublicKey(&p256.PublicKey),
		"nil key":      krakentest.WithPublicKey(nil),
		"secret":       krakentest.WithWebhookSecret(""),
		"redirect":     krakentest.WithRedirectURL("/relative"),
		"clock":        krakentest.WithClock(nil),
		"no state":     krakentest.WithOutcome(krakentest.Outcome{}),
		"redirect frg": krakentest.WithRedirectURL("https://app.example/cb#x"),
	} {
		if s, err := krakentest.Start(o); err == nil {
			s.Close()
			t.Errorf("%s accepted", name)
		}
	}
}

// The hosted page is plain HTML a browser completes: a form, and a
// script that marks an embedded page.
func TestHostedPage(t *testing.T) {
	srv := krakentest.NewServer(t, krakentest.WithRedirectURL("https://app.example/kraken/return?x=1"))
	cfg := srv.Config()
	link, err := cfg.KYCURL("plus+liveness+idos", "st")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(page, `<form id="kyc" method="post" action="/kyc/complete">`) ||
		!strings.Contains(page, "window.parent !== window") || !strings.Contains(page, "plus&#43;liveness&#43;idos") {
		t.Fatalf("page %d:\n%s", resp.StatusCode, page)
	}
	// Completing it redirects to the registered URL, keeping its query.
	done, err := srv.Complete(context.Background(), link, krakentest.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	if done.RedirectURL.Host != "app.example" || done.RedirectURL.Query().Get("x") != "1" || done.RedirectURL.Query().Get("oneTimeToken") == "" ||
		done.RedirectURL.Query().Has("state") {
		t.Errorf("redirect %s", done.RedirectURL.Redacted())
	}
	// A journey completes once.
	form := url.Values{"journey": {"0123456789abcdef0123456789abcdef"}}
	resp, err = srv.HTTPClient().PostForm(srv.URL()+"/kyc/complete", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown journey: %d", resp.StatusCode)
	}
	// No token, a broken token.
	for _, u := range []string{srv.URL() + "/kyc", srv.URL() + "/kyc?token=a.b.c"} {
		resp, err := srv.HTTPClient().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("%s: 200", u)
		}
	}
	if len(srv.Refusals()) != 2 {
		t.Errorf("refusals %v", srv.Refusals())
	}
}

func TestPageErrorInRedirectMode(t *testing.T) {
	o := krakentest.DefaultOutcome()
	o.PageError = "cancelled"
	srv := krakentest.NewServer(t, krakentest.WithOutcome(o))
	cfg := srv.Config()
	link, _ := cfg.KYCURL("basic", "")
	done, err := srv.Complete(context.Background(), link, krakentest.Redirect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kraken.ParseRedirectQuery(done.RedirectURL.RawQuery, ""); err == nil {
		t.Error("a redirect without a token parsed")
	}
	if len(srv.Users()) != 0 {
		t.Error("a failed journey created a user")
	}
}

// Faults reach the API paths like the other fakes'.
func TestFaultInjection(t *testing.T) {
	srv := krakentest.NewServer(t)
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1", Times: 2})
	if srv.PendingFaults() != 2 {
		t.Fatal(srv.PendingFaults())
	}
	resp, err := srv.HTTPClient().Get(srv.URL() + "/public/kyc/u/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || srv.Count(http.MethodGet, "/public/kyc/*") != 1 {
		t.Errorf("status %d", resp.StatusCode)
	}
	srv.ClearFaults()
	srv.ResetLog()
	if srv.PendingFaults() != 0 || len(srv.Requests()) != 0 || srv.ConnectionCount() < 1 {
		t.Error("clear/reset")
	}
}
