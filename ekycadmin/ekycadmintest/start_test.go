package ekycadmintest_test

import (
	"context"
	"testing"
	"time"

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

// The client renews a token a minute before it expires: with 30-second
// tokens every call fetches a new one; with hour-long tokens one suffices.
func TestTokenRenewedAMinuteEarly(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want int
	}{{30 * time.Second, 3}, {time.Hour, 1}} {
		srv := ekycadmintest.NewServer(t, ekycadmintest.WithTokenTTL(tc.ttl))
		c := srv.Client()
		for range 3 {
			if _, err := c.UserStatus(context.Background(), "u"); err != nil {
				t.Fatal(err)
			}
		}
		if n := srv.Count("POST", ekycadmintest.PathToken); n != tc.want {
			t.Errorf("ttl %v: %d token requests, want %d", tc.ttl, n, tc.want)
		}
	}
}
