package fractalidtest_test

import (
	"context"
	"testing"

	"golang.org/x/oauth2"

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
