package fakeserver

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"
)

// TokenKind tells access tokens from refresh tokens.
type TokenKind int

// Token kinds.
const (
	// AccessToken is a bearer token for API calls.
	AccessToken TokenKind = iota + 1
	// RefreshToken is exchanged at a token endpoint for new tokens.
	RefreshToken
)

// TokenInfo is what an issuer knows about a token. It never holds the token.
type TokenInfo struct {
	// Kind is AccessToken or RefreshToken.
	Kind TokenKind
	// Subject is whom the token was issued to (a user or client id).
	Subject string
	// Scopes are the token's scopes (or permissions).
	Scopes []string
	// IssuedAt and ExpiresAt are by the issuer's clock; ExpiresAt is zero
	// for a token that does not expire.
	IssuedAt, ExpiresAt time.Time
	// Family groups a refresh token with every token rotated from it.
	Family string
}

// HasScope reports whether the token carries scope.
func (i TokenInfo) HasScope(scope string) bool { return slices.Contains(i.Scopes, scope) }

// ExpiresIn is the lifetime left at now, in whole seconds (0 for a token
// without expiry), as a token endpoint reports it in expires_in.
func (i TokenInfo) ExpiresIn(now time.Time) int64 {
	if i.ExpiresAt.IsZero() {
		return 0
	}
	return int64(i.ExpiresAt.Sub(now) / time.Second)
}

type tokenEntry struct {
	info    TokenInfo
	revoked bool
	used    bool // a refresh token already rotated
}

// Errors of RotateRefresh.
var (
	// ErrUnknownToken is returned for a token the issuer never issued, or
	// one that was revoked.
	ErrUnknownToken = errors.New("fakeserver: unknown or revoked token")
	// ErrTokenExpired is returned for an expired token.
	ErrTokenExpired = errors.New("fakeserver: token expired")
	// ErrTokenReused is returned when a refresh token that was already
	// rotated is presented again.
	ErrTokenReused = errors.New("fakeserver: refresh token already used")
)

// TokenIssuer issues opaque random tokens (32 random bytes, base64url) and
// remembers what they stand for. It is safe for concurrent use.
type TokenIssuer struct {
	now func() time.Time

	mu     sync.Mutex
	tokens map[string]*tokenEntry
}

// NewTokenIssuer returns an issuer reading time from now (time.Now if nil).
func NewTokenIssuer(now func() time.Time) *TokenIssuer {
	if now == nil {
		now = time.Now
	}
	return &TokenIssuer{now: now, tokens: make(map[string]*tokenEntry)}
}

// NewToken returns a fresh opaque token: 32 bytes from crypto/rand, base64url.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Issue issues an access token for subject with scopes, valid for ttl (no
// expiry when ttl <= 0).
func (ti *TokenIssuer) Issue(subject string, scopes []string, ttl time.Duration) string {
	return ti.issue(AccessToken, subject, scopes, ttl, "")
}

// IssueRefresh issues a refresh token that starts a new rotation family.
func (ti *TokenIssuer) IssueRefresh(subject string, scopes []string, ttl time.Duration) string {
	return ti.issue(RefreshToken, subject, scopes, ttl, NewToken())
}

func (ti *TokenIssuer) issue(kind TokenKind, subject string, scopes []string, ttl time.Duration, family string) string {
	tok := NewToken()
	now := ti.now()
	info := TokenInfo{Kind: kind, Subject: subject, Scopes: slices.Clone(scopes), IssuedAt: now, Family: family}
	if ttl > 0 {
		info.ExpiresAt = now.Add(ttl)
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.tokens[tok] = &tokenEntry{info: info}
	return tok
}

// Lookup returns what token stands for, if it is known, not revoked, not a
// rotated refresh token and not expired.
func (ti *TokenIssuer) Lookup(token string) (TokenInfo, bool) {
	info, err := ti.check(token)
	return info, err == nil
}

// Check is Lookup with the reason for a refusal: ErrUnknownToken,
// ErrTokenExpired or ErrTokenReused.
func (ti *TokenIssuer) Check(token string) (TokenInfo, error) { return ti.check(token) }

func (ti *TokenIssuer) check(token string) (TokenInfo, error) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	e, ok := ti.tokens[token]
	switch {
	case !ok || e.revoked:
		return TokenInfo{}, ErrUnknownToken
	case e.used:
		return TokenInfo{}, ErrTokenReused
	case !e.info.ExpiresAt.IsZero() && !ti.now().Before(e.info.ExpiresAt):
		return TokenInfo{}, ErrTokenExpired
	}
	return cloneInfo(e.info), nil
}

func cloneInfo(i TokenInfo) TokenInfo {
	i.Scopes = slices.Clone(i.Scopes)
	return i
}

// Revoke makes token unusable. Revoking a refresh token revokes its whole
// rotation family.
func (ti *TokenIssuer) Revoke(token string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	e, ok := ti.tokens[token]
	if !ok {
		return
	}
	e.revoked = true
	if e.info.Family != "" {
		ti.revokeFamilyLocked(e.info.Family)
	}
}

// RevokeSubject revokes every token issued to subject.
func (ti *TokenIssuer) RevokeSubject(subject string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	for _, e := range ti.tokens {
		if e.info.Subject == subject {
			e.revoked = true
		}
	}
}

func (ti *TokenIssuer) revokeFamilyLocked(family string) {
	for _, e := range ti.tokens {
		if e.info.Family == family {
			e.revoked = true
		}
	}
}

// RotateRefresh exchanges a refresh token for a new one of the same family,
// subject and scopes, valid for ttl; the old one stops working. Presenting
// an already rotated token again fails with ErrTokenReused; with
// revokeFamilyOnReuse the whole family is revoked too (refresh-token reuse
// detection as OAuth security best practice describes it).
func (ti *TokenIssuer) RotateRefresh(old string, ttl time.Duration, revokeFamilyOnReuse bool) (string, TokenInfo, error) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	e, ok := ti.tokens[old]
	switch {
	case !ok || e.revoked || e.info.Kind != RefreshToken:
		return "", TokenInfo{}, ErrUnknownToken
	case e.used:
		if revokeFamilyOnReuse {
			ti.revokeFamilyLocked(e.info.Family)
		}
		return "", TokenInfo{}, ErrTokenReused
	case !e.info.ExpiresAt.IsZero() && !ti.now().Before(e.info.ExpiresAt):
		return "", TokenInfo{}, ErrTokenExpired
	}
	e.used = true
	tok := NewToken()
	now := ti.now()
	info := TokenInfo{Kind: RefreshToken, Subject: e.info.Subject, Scopes: slices.Clone(e.info.Scopes), IssuedAt: now, Family: e.info.Family}
	if ttl > 0 {
		info.ExpiresAt = now.Add(ttl)
	}
	ti.tokens[tok] = &tokenEntry{info: info}
	return tok, cloneInfo(info), nil
}
