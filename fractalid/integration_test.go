package fractalid_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/option"
)

// TestFlowAgainstFake runs the public API end to end against the
// in-process fake: authorize, callback, exchange, Me, refresh rotation
// with a store, and re-authorization after the refresh token is revoked.
func TestFlowAgainstFake(t *testing.T) {
	srv := fractalidtest.NewServer(t, fractalidtest.WithMisspeltPhonesKey())
	ctx := context.Background()
	cfg := srv.Config(fractalid.ScopesFor(fractalid.ParseLevel("basic+liveness"), fractalid.WithContact(), fractalid.WithDetails())...)

	user := srv.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: "ana@example.test", SourceType: "registration"}},
		Phones:  []fractalidtest.Phone{{Number: "+4400000000000"}},
		Details: map[string]any{"full_name": "Ana Example", "date_of_birth": "1990-02-03", "liveness": true, "future_key": 1},
	})
	if err := srv.SetCase(user.ID(), "basic", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}

	authURL, err := cfg.AuthCodeURL("state-1")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := srv.Approve(authURL, "")
	if err != nil {
		t.Fatal(err)
	}
	code, err := cfg.ParseCallback(httptest.NewRequest("GET", cb.String(), nil), "state-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(fractalid.GrantedScopes(tok)) == 0 {
		t.Error("no granted scopes")
	}
	if _, err := cfg.Exchange(ctx, code); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("reused code: %v", err)
	}

	var mu sync.Mutex
	var saved []*oauth2.Token
	store := fractalid.TokenStoreFunc(func(_ context.Context, t *oauth2.Token) error {
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, t)
		return nil
	})
	ts, err := cfg.TokenSource(tok, store)
	if err != nil {
		t.Fatal(err)
	}
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(srv.Environment()), option.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	u, err := client.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != user.ID() || len(u.Emails) != 1 || len(u.Phones) != 1 || !u.IsApproved(fractalid.ParseLevel("basic")) {
		t.Errorf("user = %v", u)
	}
	if c := u.CaseFor(fractalid.ParseLevel("basic")); c == nil || c.Details == nil || c.Details.FullName != "Ana Example" || c.Details.DateOfBirth.String() != "1990-02-03" {
		t.Errorf("basic case = %v", c)
	}

	// After expiry the source refreshes once and saves the rotated token.
	srv.Advance(3 * time.Hour)
	if _, err := client.Me(ctx); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	mu.Lock()
	if len(saved) != 1 || saved[0].RefreshToken == tok.RefreshToken {
		t.Errorf("saved %d tokens; rotation expected", len(saved))
	}
	mu.Unlock()

	// Denied authorization.
	authURL, _ = cfg.AuthCodeURL("state-2")
	cb, err = srv.Deny(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.ParseCallback(httptest.NewRequest("GET", cb.String(), nil), "state-2"); !errors.Is(err, fractalid.ErrAccessDenied) {
		t.Errorf("deny: %v", err)
	}
}
