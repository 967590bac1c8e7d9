package ekycadmintest_test

import (
	"context"
	"testing"
	"time"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/option"
)

// Start runs the fake outside a test (a demo program); Close stops it.
func TestStartOutsideATest(t *testing.T) {
	srv, err := ekycadmintest.Start()
	if err != nil {
		t.Fatal(err)
	}
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	c, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
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

// The client renews a token a minute before it expires, but never earlier
// than half its lifetime: 30-second and hour-long tokens each serve three
// calls; a 2-second token is renewed after one second.
func TestTokenRenewedAMinuteEarly(t *testing.T) {
	for _, tc := range []struct {
		ttl   time.Duration
		pause time.Duration // before the last call
		want  int
	}{{30 * time.Second, 0, 1}, {time.Hour, 0, 1}, {2 * time.Second, 1100 * time.Millisecond, 2}} {
		srv := ekycadmintest.NewServer(t, ekycadmintest.WithTokenTTL(tc.ttl))
		c := srv.Client()
		for i := range 3 {
			if i == 2 {
				time.Sleep(tc.pause)
			}
			if _, err := c.UserStatus(context.Background(), "u"); err != nil {
				t.Fatal(err)
			}
		}
		if n := srv.Count("POST", ekycadmintest.PathToken); n != tc.want {
			t.Errorf("ttl %v: %d token requests, want %d", tc.ttl, n, tc.want)
		}
	}
}
