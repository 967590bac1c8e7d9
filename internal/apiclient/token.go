package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
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

// ContextTokenSource is a token source that can be bounded by a context.
// The client's cache fetches through TokenContext when its source has it,
// with a context of its own (never a caller's), bounded by the fetch
// timeout; ClientCredentialsSource implements it.
type ContextTokenSource interface {
	oauth2.TokenSource
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// tokenFetchTimeout bounds one token fetch shared by the waiting calls:
// two per-attempt timeouts, room for the token client's own retry of a
// request that never left the machine.
func tokenFetchTimeout(cfg config) time.Duration { return 2 * cfg.timeout }

// errEmptyToken is a token source answering with neither error nor token.
var errEmptyToken = errors.New("the token source returned no access token")

// cachingSource caches a token until it is within the refresh margin of
// its expiry, shares one fetch among concurrent callers and can drop a
// token the server refused.
//
// The fetch runs in its own goroutine, detached from every caller's
// context and bounded by timeout; callers wait for it or for their own
// context, whichever ends first, so a cancelled call returns at once while
// the fetch goes on for the others. The mutex is never held during a fetch.
type cachingSource struct {
	base    oauth2.TokenSource
	margin  time.Duration
	timeout time.Duration
	now     func() time.Time

	// auth is the Authorization header value of the last token used.
	auth atomic.Pointer[authValue]

	mu      sync.Mutex
	tok     *oauth2.Token
	fetched time.Time   // when tok arrived
	flight  *tokenFetch // the fetch under way, if any
}

// authValue is the Authorization header of one token.
type authValue struct {
	tok *oauth2.Token
	val []string
}

// authHeader returns the Authorization header value for tok, as
// tok.SetAuthHeader would set it, made once per token. Its capacity is its
// length, so an append copies it.
func (s *cachingSource) authHeader(tok *oauth2.Token) []string {
	if a := s.auth.Load(); a != nil && a.tok == tok {
		return a.val
	}
	a := &authValue{tok: tok, val: []string{tok.Type() + " " + tok.AccessToken}[:1:1]}
	s.auth.Store(a)
	return a.val
}

// tokenFetch is one fetch; done is closed when tok and err are set.
type tokenFetch struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// newCachingSource takes the arguments of NewTokenCache.
func newCachingSource(base oauth2.TokenSource, margin, timeout time.Duration, now func() time.Time) *cachingSource {
	if timeout <= 0 {
		timeout = tokenFetchTimeout(config{timeout: DefaultTimeout})
	}
	if now == nil {
		now = time.Now
	}
	return &cachingSource{base: base, margin: margin, timeout: timeout, now: now}
}

// TokenCache is the client's token cache for a source that a vendor
// package runs itself (Incode's executive login): the token is reused
// until the margin before its expiry, one fetch is shared by every caller,
// runs detached from their contexts and bounded by the timeout, and each
// caller waits for it or for its own context.
type TokenCache struct{ s *cachingSource }

// NewTokenCache caches tokens of base. timeout bounds one fetch (zero:
// twice DefaultTimeout); now is the clock the margin is read on (nil:
// time.Now).
func NewTokenCache(base oauth2.TokenSource, margin, timeout time.Duration, now func() time.Time) *TokenCache {
	return &TokenCache{newCachingSource(base, margin, timeout, now)}
}

// Token returns a fresh token, waiting for a fetch or for ctx to end.
func (c *TokenCache) Token(ctx context.Context) (*oauth2.Token, error) { return c.s.token(ctx) }

// Invalidate drops the cached token if it is still access, and tells base
// if it caches too (TokenInvalidator).
func (c *TokenCache) Invalidate(access string) { c.s.invalidate(access) }

// Token returns the cached token while it is fresh, else a new one. It
// waits as long as the fetch takes (at most the fetch timeout).
func (s *cachingSource) Token() (*oauth2.Token, error) {
	return s.token(context.Background())
}

// token returns the cached token while it is fresh, else waits for a
// fetch (starting one if none is under way) or for ctx to end.
func (s *cachingSource) token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	if s.freshLocked() {
		tok := s.tok
		s.mu.Unlock()
		return tok, nil
	}
	f := s.flight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		s.flight = f
		go s.fetch(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// freshLocked reports whether the cached token may be used: it has an
// access token and more than the margin left before its expiry. The
// margin is capped at half the token's lifetime (counted from when it
// arrived), so a short-lived token is still reused: with a one-minute
// margin, a 60-second token is used for 30 seconds, not refetched on
// every call.
func (s *cachingSource) freshLocked() bool {
	if s.tok == nil || s.tok.AccessToken == "" {
		return false
	}
	if s.tok.Expiry.IsZero() {
		return true
	}
	margin := min(s.margin, s.tok.Expiry.Sub(s.fetched)/2)
	return s.tok.Expiry.Sub(s.now()) > margin
}

// fetch gets a token from base, stores it and wakes the waiters.
func (s *cachingSource) fetch(f *tokenFetch) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	tok, err := fetchToken(ctx, s.base)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		tok, err = nil, errEmptyToken
	}
	s.mu.Lock()
	if err == nil {
		s.tok, s.fetched = tok, s.now()
	}
	s.flight = nil
	s.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
}

// fetchToken calls base bounded by ctx: through TokenContext when base
// has it; otherwise base.Token runs in a goroutine of its own, and when ctx
// ends first the fetch fails with ctx's error (the goroutine ends when
// base returns, bounded by base's own HTTP client).
func fetchToken(ctx context.Context, base oauth2.TokenSource) (*oauth2.Token, error) {
	if cs, ok := base.(ContextTokenSource); ok {
		return cs.TokenContext(ctx)
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := base.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("token fetch: %w", ctx.Err())
	}
}

// invalidate drops the cached token if it is still access, and tells a
// base source that caches too.
func (s *cachingSource) invalidate(access string) {
	s.mu.Lock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.tok = nil
	}
	s.mu.Unlock()
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
// token HTTP client, never a request context). A Client caches it, and
// bounds each fetch through its TokenContext method.
func ClientCredentialsSource(ctx context.Context, cfg *clientcredentials.Config) oauth2.TokenSource {
	return &clientCredentialsSource{ctx: ctx, cfg: cfg}
}

type clientCredentialsSource struct {
	ctx context.Context
	cfg *clientcredentials.Config
}

// Token fetches a token with the source's long-lived context.
func (s *clientCredentialsSource) Token() (*oauth2.Token, error) { return s.cfg.Token(s.ctx) }

// TokenContext fetches a token with the values (the token HTTP client) of
// the source's context and the deadline and cancellation of both.
func (s *clientCredentialsSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	fctx, cancel := FetchContext(s.ctx, ctx)
	defer cancel()
	return s.cfg.Token(fctx)
}

// FetchContext returns a context for one token fetch: the values of long
// (a source's long-lived context, carrying the token HTTP client) with the
// deadline and cancellation of both long and ctx. Token sources use it to
// implement ContextTokenSource.
func FetchContext(long, ctx context.Context) (context.Context, context.CancelFunc) {
	merged, cancel := context.WithCancel(long)
	cancelDeadline := context.CancelFunc(func() {})
	if d, ok := ctx.Deadline(); ok {
		merged, cancelDeadline = context.WithDeadline(merged, d)
	}
	stop := context.AfterFunc(ctx, cancel)
	return merged, func() {
		stop()
		cancelDeadline()
		cancel()
	}
}

// WrapTokenError turns an error from a token source into a *kyc.TokenError or,
// for invalid_grant, a *kyc.ReauthorizationRequiredError. Errors that already
// are one of those are returned unchanged.
func WrapTokenError(err error) error {
	if err == nil {
		return nil
	}
	var re *kyc.ReauthorizationRequiredError
	var te *kyc.TokenError
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
		t := kyc.TokenError{Code: code, StatusCode: status, Err: err}
		if code == "invalid_grant" {
			return &kyc.ReauthorizationRequiredError{TokenError: t}
		}
		return &t
	}
	return &kyc.TokenError{Err: err}
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
