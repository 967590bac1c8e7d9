package incode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// ExecutiveLoginPath is the executive (admin) login endpoint. It is not
// under /0/.
const ExecutiveLoginPath = "/executive/log-in"

// Executive token timing. Incode documents a 24 h lifetime ("the TTL value
// of these tokens defaults to 24 hours") and no refresh: the client logs in
// again before the token runs out.
const (
	// DefaultExecutiveTokenLifetime is the lifetime assumed for an
	// executive token, counted from the login reply.
	DefaultExecutiveTokenLifetime = 24 * time.Hour
	// DefaultExecutiveRenewMargin is how long before the assumed expiry the
	// client logs in again.
	DefaultExecutiveRenewMargin = time.Hour
)

// ErrExecutiveLoginRefused is matched by the error of every call that
// needs the executive token after Incode refused the login (400, 401 or
// 403: a wrong e-mail, password or API key). The login is not tried again
// until Client.ResetExecutiveLogin: repeating a refused password can lock
// the Dashboard account.
var ErrExecutiveLoginRefused = errors.New("incode: executive login refused")

// WithExecutiveLogin sets the Dashboard e-mail and password of an executive
// (admin) user of the same environment. The client logs in with them
// (POST /executive/log-in with x-api-key) when a call needs the executive
// token: reading a session by interview id (OnboardingStatus, Score,
// OCRData with ByInterviewID) and Approve. The token is cached and renewed
// DefaultExecutiveRenewMargin before its assumed 24 h lifetime ends; a
// refused login is never repeated on its own (see ErrExecutiveLoginRefused).
//
// Reading a session with its own session token (BySessionToken) needs no
// password at all; prefer it when you keep the token.
func WithExecutiveLogin(email string, password Secret) option.ClientOption {
	return vendorOption("WithExecutiveLogin", func(s *settings) error {
		if strings.TrimSpace(email) == "" || password.IsZero() {
			return errors.New("executive e-mail and password are required")
		}
		if strings.ContainsAny(email, "\r\n") {
			return errors.New("executive e-mail must not contain line breaks")
		}
		s.execEmail, s.execPassword = email, password
		return nil
	})
}

// WithExecutiveTokenSource takes executive tokens from ts instead of
// logging in (for a token shared between processes, say). The token's
// AccessToken is sent in X-Incode-Hardware-Id; a token without Expiry is
// used until Incode refuses it.
func WithExecutiveTokenSource(ts oauth2.TokenSource) option.ClientOption {
	return vendorOption("WithExecutiveTokenSource", func(s *settings) error {
		if ts == nil {
			return errors.New("nil executive token source")
		}
		s.execTS = ts
		return nil
	})
}

// WithExecutiveTokenTiming replaces the assumed executive token lifetime
// (default DefaultExecutiveTokenLifetime) and how long before its end a new
// login happens (default DefaultExecutiveRenewMargin). The login reply
// carries no lifetime, so these are the client's assumptions.
func WithExecutiveTokenTiming(lifetime, renewMargin time.Duration) option.ClientOption {
	return vendorOption("WithExecutiveTokenTiming", func(s *settings) error {
		if lifetime < time.Minute || lifetime > 30*24*time.Hour {
			return errors.New("executive token lifetime must be between 1m and 720h")
		}
		if renewMargin < 0 || renewMargin >= lifetime {
			return errors.New("executive renew margin must be between 0 and the lifetime")
		}
		s.execLifetime, s.execMargin = lifetime, renewMargin
		return nil
	})
}

// ExecutiveTokenSource returns a source of the client's executive tokens
// (cached, renewed before expiry; logins use a background context and the
// client's timeout), or nil when the client has no executive credentials.
// Its tokens are credentials: never print AccessToken.
func (c *Client) ExecutiveTokenSource() oauth2.TokenSource {
	if c.exec == nil {
		return nil
	}
	return oauth2TokenSource{c.exec}
}

// ResetExecutiveLogin lets the next call try the executive login again
// after Incode refused it (ErrExecutiveLoginRefused), for example once the
// password was corrected in the Dashboard.
func (c *Client) ResetExecutiveLogin() {
	if c.exec != nil {
		c.exec.reset()
	}
}

type oauth2TokenSource struct{ e *executiveSource }

func (s oauth2TokenSource) Token() (*oauth2.Token, error) { return s.e.token(context.Background()) }

// InvalidateToken drops the cached token if it is still access, so that a
// client given this source (WithExecutiveTokenSource) that sees it refused
// makes the owner log in again on the next call.
func (s oauth2TokenSource) InvalidateToken(access string) { s.e.invalidate(access) }

// executiveSource caches the executive token and renews it before expiry
// with the core's token cache: one login (or external fetch) at a time,
// shared by every waiting call, detached from their contexts and bounded
// by the client's token fetch timeout; each call waits for it or for its
// own context. A refused login is remembered.
type executiveSource struct {
	cache *apiclient.TokenCache
	login *executiveLogin // nil with an external source
}

func newExecutiveSource(base oauth2.TokenSource, login *executiveLogin, margin, timeout time.Duration, now func() time.Time) *executiveSource {
	return &executiveSource{cache: apiclient.NewTokenCache(base, margin, timeout, now), login: login}
}

// external reports a source given with WithExecutiveTokenSource.
func (e *executiveSource) external() bool { return e.login == nil }

// token returns a token with more than margin left, logging in if needed.
func (e *executiveSource) token(ctx context.Context) (*oauth2.Token, error) {
	tok, err := e.cache.Token(ctx)
	if err != nil && e.external() && ctx.Err() == nil {
		return nil, apiclient.WrapTokenError(err)
	}
	return tok, err
}

// invalidate drops the cached token if it is still access, and tells an
// external source that caches (another client's ExecutiveTokenSource).
func (e *executiveSource) invalidate(access string) { e.cache.Invalidate(access) }

func (e *executiveSource) reset() {
	if e.login != nil {
		e.login.mu.Lock()
		e.login.refused = nil
		e.login.mu.Unlock()
	}
}

// executiveLogin is the token source behind executiveSource: POST
// /executive/log-in, or the refusal it remembers.
type executiveLogin struct {
	api      *apiclient.Client
	email    string
	password Secret
	lifetime time.Duration
	now      func() time.Time

	mu      sync.Mutex
	refused error
}

// Token logs in on a background context.
func (l *executiveLogin) Token() (*oauth2.Token, error) { return l.TokenContext(context.Background()) }

// TokenContext logs in bounded by ctx, unless an earlier login was
// refused: that refusal is returned until reset.
func (l *executiveLogin) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	l.mu.Lock()
	refused := l.refused
	l.mu.Unlock()
	if refused != nil {
		return nil, refused
	}
	tok, err := l.logIn(ctx)
	if err != nil && refusedLogin(err) {
		err = &ExecutiveLoginError{Err: err}
		l.mu.Lock()
		l.refused = err
		l.mu.Unlock()
	}
	return tok, err
}

func (l *executiveLogin) logIn(ctx context.Context) (*oauth2.Token, error) {
	body := struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}{l.email, l.password.Reveal()}
	var out struct {
		Token Secret `json:"token"`
	}
	resp, err := l.api.Do(ctx, &apiclient.Request{Method: http.MethodPost, Path: ExecutiveLoginPath, Body: &body,
		Operation: "incode.ExecutiveLogin", Route: ExecutiveLoginPath}, &out)
	if err != nil {
		return nil, err
	}
	if out.Token.IsZero() {
		return nil, decodeFailure(http.MethodPost, ExecutiveLoginPath, resp, errors.New("reply has no token"))
	}
	return &oauth2.Token{AccessToken: out.Token.Reveal(), TokenType: "executive", Expiry: l.now().Add(l.lifetime)}, nil
}

// refusedLogin reports a login Incode refused for its credentials.
func refusedLogin(err error) bool {
	var a *kyc.APIError
	if !errors.As(err, &a) {
		return false
	}
	switch a.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}

// ExecutiveLoginError is a refused executive login. It matches
// ErrExecutiveLoginRefused and wraps Incode's reply (an *Error or
// *kyc.APIError, so kyc.ErrUnauthorized or kyc.ErrForbidden match too). It never
// prints the e-mail or the password.
type ExecutiveLoginError struct {
	// Err is the refusal.
	Err error
}

// Error implements error.
func (e *ExecutiveLoginError) Error() string {
	return fmt.Sprintf("incode: executive login refused (not retried until ResetExecutiveLogin): %v", e.Err)
}

// Unwrap returns the refusal.
func (e *ExecutiveLoginError) Unwrap() error { return e.Err }

// Is matches ErrExecutiveLoginRefused.
func (e *ExecutiveLoginError) Is(target error) bool { return target == ErrExecutiveLoginRefused }
