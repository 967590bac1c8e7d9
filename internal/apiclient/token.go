package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TokenInvalidator is implemented by token sources that cache tokens
// themselves: after a 401 that the renew rule blames on the token, the
// client calls InvalidateToken with the refused access token so the next
// Token call fetches (or refreshes to) a new one.
type TokenInvalidator interface {
	InvalidateToken(access string)
}

// defaultRefreshMargin is oauth2.ReuseTokenSource's expiry margin.
const defaultRefreshMargin = 10 * time.Second

// cachingSource caches a token until it is within margin of its expiry,
// shares one fetch among concurrent callers and can drop a token the
// server refused.
type cachingSource struct {
	mu     sync.Mutex
	base   oauth2.TokenSource
	margin time.Duration
	tok    *oauth2.Token
}

func newCachingSource(base oauth2.TokenSource, margin time.Duration) *cachingSource {
	return &cachingSource{base: base, margin: margin}
}

// Token returns the cached token while it is fresh, else a new one from base.
func (s *cachingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > s.margin) {
		return s.tok, nil
	}
	tok, err := s.base.Token()
	if err != nil {
		return nil, err
	}
	s.tok = tok
	return tok, nil
}

// invalidate drops the cached token if it is still access, and tells a
// base source that caches too.
func (s *cachingSource) invalidate(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.tok = nil
	}
	if inv, ok := s.base.(TokenInvalidator); ok {
		inv.InvalidateToken(access)
	}
}

// TokenSourceFunc adapts a function to oauth2.TokenSource.
type TokenSourceFunc func() (*oauth2.Token, error)

// Token calls f.
func (f TokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// ClientCredentialsSource returns a non-caching source that fetches a new
// token from cfg on every call, with ctx (a long-lived context carrying the
// token HTTP client, never a request context). A Client caches it.
func ClientCredentialsSource(ctx context.Context, cfg *clientcredentials.Config) oauth2.TokenSource {
	return TokenSourceFunc(func() (*oauth2.Token, error) { return cfg.Token(ctx) })
}

// WrapTokenError turns an error from a token source into a *TokenError or,
// for invalid_grant, a *ReauthorizationRequiredError. Errors that already
// are one of those are returned unchanged.
func WrapTokenError(err error) error {
	if err == nil {
		return nil
	}
	var re *ReauthorizationRequiredError
	var te *TokenError
	if errors.As(err, &re) {
		return re
	}
	if errors.As(err, &te) {
		return te
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		status := 0
		if rerr.Response != nil {
			status = rerr.Response.StatusCode
		}
		code := rerr.ErrorCode
		if code == "" {
			code = oauthErrorCode(rerr.Body)
		}
		t := TokenError{Code: code, StatusCode: status, Err: err}
		if code == "invalid_grant" {
			return &ReauthorizationRequiredError{TokenError: t}
		}
		return &t
	}
	return &TokenError{Err: err}
}

func oauthErrorCode(body []byte) string {
	var v struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Error) < 64 {
		return v.Error
	}
	return ""
}
