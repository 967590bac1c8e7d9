package ekycadmintest_test

import (
	"context"
	"testing"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
)

// Start runs the fake outside a test (a demo program); Close stops it.
func TestStartOutsideATest(t *testing.T) {
	srv, err := ekycadmintest.Start()
	if err != nil {
		t.Fatal(err)
	}
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	c, err := ekycadmin.NewClient(ekycadmin.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSessions(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv.Close() // harmless twice
	if _, err := c.ListSessions(context.Background(), nil); err == nil {
		t.Fatal("the fake still answers after Close")
	}
}
