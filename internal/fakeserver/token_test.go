package fakeserver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/kyctest"
)

func TestTokenIssuer(t *testing.T) {
	t.Parallel()
	clk := kyctest.NewClock(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	ti := NewTokenIssuer(clk.Now)
	tok := ti.Issue("client-1", []string{"a", "b"}, time.Hour)
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not 32 bytes of base64url", tok)
	}
	if tok == ti.Issue("client-1", nil, time.Hour) {
		t.Fatal("two tokens are equal")
	}
	info, ok := ti.Lookup(tok)
	if !ok || info.Kind != AccessToken || info.Subject != "client-1" || !info.HasScope("b") || info.HasScope("c") || info.ExpiresIn(clk.Now()) != 3600 {
		t.Fatalf("lookup %+v %v", info, ok)
	}
	info.Scopes[0] = "mutated"
	if again, _ := ti.Lookup(tok); again.Scopes[0] != "a" {
		t.Fatal("Lookup exposes the issuer's memory")
	}
	clk.Advance(time.Hour - time.Second)
	if _, ok := ti.Lookup(tok); !ok {
		t.Fatal("token expired early")
	}
	clk.Advance(time.Second)
	if _, err := ti.Check(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	forever := ti.Issue("c", nil, 0)
	clk.Advance(1000 * time.Hour)
	if info, ok := ti.Lookup(forever); !ok || info.ExpiresIn(clk.Now()) != 0 {
		t.Fatal("a token without ttl expired")
	}
	ti.Revoke(forever)
	if _, err := ti.Check(forever); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, ok := ti.Lookup("nope"); ok {
		t.Fatal("unknown token accepted")
	}
	a, b := ti.Issue("s1", nil, 0), ti.Issue("s2", nil, 0)
	ti.RevokeSubject("s1")
	if _, ok := ti.Lookup(a); ok {
		t.Fatal("RevokeSubject kept the subject's token")
	}
	if _, ok := ti.Lookup(b); !ok {
		t.Fatal("RevokeSubject revoked another subject's token")
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		revokeOnReuse bool
		newStillValid bool
	}{
		{"reuse refused, family kept", false, true},
		{"reuse revokes the family", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ti := NewTokenIssuer(nil)
			r1 := ti.IssueRefresh("user", []string{"s"}, time.Hour)
			r2, info, err := ti.RotateRefresh(r1, time.Hour, tt.revokeOnReuse)
			if err != nil || info.Kind != RefreshToken || info.Subject != "user" || r2 == r1 {
				t.Fatalf("rotate: %v %+v", err, info)
			}
			if _, _, err := ti.RotateRefresh(r1, time.Hour, tt.revokeOnReuse); !errors.Is(err, ErrTokenReused) {
				t.Fatalf("reuse: %v", err)
			}
			wantErr := ErrTokenReused
			if tt.revokeOnReuse {
				wantErr = ErrUnknownToken
			}
			if _, err := ti.Check(r1); !errors.Is(err, wantErr) {
				t.Fatalf("check of a rotated token: %v", err)
			}
			if _, ok := ti.Lookup(r2); ok != tt.newStillValid {
				t.Fatalf("new token valid %v, want %v", ok, tt.newStillValid)
			}
			access := ti.Issue("user", nil, time.Hour)
			if _, _, err := ti.RotateRefresh(access, time.Hour, false); !errors.Is(err, ErrUnknownToken) {
				t.Fatalf("an access token was rotated: %v", err)
			}
		})
	}
}

func TestRefreshExpiryAndFamilyRevoke(t *testing.T) {
	t.Parallel()
	clk := kyctest.NewClock(time.Unix(0, 0))
	ti := NewTokenIssuer(clk.Now)
	r1 := ti.IssueRefresh("u", nil, time.Minute)
	r2, _, err := ti.RotateRefresh(r1, time.Minute, false)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, _, err := ti.RotateRefresh(r2, time.Minute, false); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired refresh: %v", err)
	}
	r3 := ti.IssueRefresh("u", nil, 0)
	r4, _, _ := ti.RotateRefresh(r3, 0, false)
	ti.Revoke(r3)
	if _, ok := ti.Lookup(r4); ok {
		t.Fatal("revoking a refresh token kept its family")
	}
}
