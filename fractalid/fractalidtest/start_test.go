package fractalidtest_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// Start runs the fake outside a test (a demo program); Close stops it.
func TestStartOutsideATest(t *testing.T) {
	srv, err := fractalidtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID(), fractalid.ScopeUID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(srv.Environment()))
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil || me.UID != u.ID() {
		t.Fatalf("me = %v, err = %v", me, err)
	}
	srv.Close()
	srv.Close()
	if _, err := c.Me(context.Background()); err == nil {
		t.Fatal("the fake still answers after Close")
	}
}

// An application restricted to user scopes gets no statistics token.
func TestClientCredentialsHonourApplicationScopes(t *testing.T) {
	app := fractalidtest.ClientApp{ID: "no-stats", Secret: "s", RedirectURI: "http://127.0.0.1/cb", Scopes: []fractalid.Scope{fractalid.ScopeUID}}
	srv := fractalidtest.NewServer(t, fractalidtest.WithClient(app))
	stats, err := fractalid.NewStatsClient(fractalid.WithCredentials(app.ID, app.Secret), fractalid.WithEnvironment(srv.Environment()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = stats.TotalVerifications(context.Background())
	var te *kyc.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_scope" {
		t.Fatalf("err = %v", err)
	}
	def := srv.DefaultClient()
	ok, _ := fractalid.NewStatsClient(fractalid.WithCredentials(def.ID, def.Secret), fractalid.WithEnvironment(srv.Environment()))
	if _, err := ok.TotalVerifications(context.Background()); err != nil {
		t.Fatalf("default client: %v", err)
	}
}
