package fractalid_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The fault matrix of the user API (GET /v2/users/me) and of the token
// refresh behind Config.TokenSource, driven through the public client
// against fractalidtest's fault injection. Each row asserts what the caller
// gets and how many requests the server saw.

const (
	mePath    = "/v2/users/me"
	tokenPath = "/oauth/token"
)

// fastRetries keeps the default retry budget (2 retries) with waits of a
// few milliseconds; a Retry-After of up to 5s is honoured.
var fastRetries = option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 5 * time.Second}

// slowRetries waits long enough between attempts for a test to cancel
// the context while the client is waiting.
var slowRetries = option.RetryPolicy{MaxRetries: 2, MinWait: 5 * time.Second, MaxWait: 5 * time.Second, MaxRetryAfter: 5 * time.Second}

// attemptHook is a slog.Handler that closes done at the first record the
// client logs for a path starting with prefix, which it does when an
// attempt has its reply: the client is then deciding whether, and how
// long, to wait before the next attempt.
type attemptHook struct {
	prefix string
	once   sync.Once
	done   chan struct{}
}

func newAttemptHook(prefix string) *attemptHook {
	return &attemptHook{prefix: prefix, done: make(chan struct{})}
}

func (h *attemptHook) Enabled(context.Context, slog.Level) bool { return true }

func (h *attemptHook) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" && strings.HasPrefix(a.Value.String(), h.prefix) {
			h.once.Do(func() { close(h.done) })
			return false
		}
		return true
	})
	return nil
}

func (h *attemptHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *attemptHook) WithGroup(string) slog.Handler      { return h }

// cancelInBackoff cancels the returned context shortly after the first
// attempt got its reply, while the client waits before retrying.
func cancelInBackoff(t *testing.T, h *attemptHook) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go func() {
		select {
		case <-h.done:
			time.AfterFunc(50*time.Millisecond, cancel)
		case <-ctx.Done():
		}
	}()
	return ctx
}

// htmlPageEchoed reports whether an error string carries any of the HTML
// error page.
func htmlPageEchoed(err error) bool {
	s := err.Error()
	return strings.Contains(s, "<") || strings.Contains(s, "nginx") || strings.Contains(s, "<html>")
}

// retryAfterDate returns an HTTP date about two seconds ahead, rounded
// down to the second as the header format requires.
func retryAfterDate() (string, time.Time) {
	at := time.Now().Add(2 * time.Second).Truncate(time.Second)
	return at.UTC().Format(http.TimeFormat), at
}

// gap is the time between the server's first and second request to path.
func gap(t *testing.T, reqs []kyctest.Request, path string) (first, second time.Time) {
	t.Helper()
	var seen []time.Time
	for _, r := range reqs {
		if r.Path == path {
			seen = append(seen, r.Time)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("%d requests to %s, want 2", len(seen), path)
	}
	return seen[0], seen[1]
}

// meEnv is one fake, one user and a client whose token source comes from
// Config.TokenSource.
type meEnv struct {
	srv    *fractalidtest.Server
	user   *fractalidtest.FakeUser
	tok    *oauth2.Token
	client *fractalid.Client
}

// newMeEnv starts a fake with one user and builds a client. With expired,
// the client's token has expired so the first call refreshes it.
func newMeEnv(t *testing.T, expired bool, opts ...option.ClientOption) *meEnv {
	t.Helper()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID(), fractalid.ScopeUID)
	if err != nil {
		t.Fatal(err)
	}
	if expired {
		tok.Expiry = time.Now().Add(-time.Minute)
	}
	cfg := srv.Config(fractalid.ScopeUID)
	cfg.HTTPClient = srv.HTTPClient()
	ts, err := cfg.TokenSource(tok, fractalid.TokenStoreFunc(func(context.Context, *oauth2.Token) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	base := []option.ClientOption{
		fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(srv.HTTPClient()),
		option.WithRetryPolicy(fastRetries),
	}
	c, err := fractalid.NewClient(ts, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &meEnv{srv: srv, user: u, tok: tok, client: c}
}

func apiErrorOf(t *testing.T, err error) *kyc.APIError {
	t.Helper()
	var e *kyc.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *APIError", err, err)
	}
	return e
}

func TestMeFaultMatrix(t *testing.T) {
	t.Parallel()
	date, dateAt := retryAfterDate()
	tests := []struct {
		name string
		// expired makes the first call refresh the token.
		expired bool
		// method and path receive the fault (default GET /v2/users/me).
		method, path string
		fault        kyctest.Fault
		opts         []option.ClientOption
		// prepare runs after setup, before the call.
		prepare func(e *meEnv)
		// hook, when set, is installed as the client's logger and the
		// call's context is cancelled during the first backoff.
		hook bool
		// wantOK: the call succeeds; else check looks at the error.
		wantOK bool
		check  func(t *testing.T, e *meEnv, err error)
		// requests the server saw.
		meRequests, tokenRequests int
	}{
		{
			name:   "5xx burst shorter than the retry budget: success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2},
			wantOK: true, meRequests: 3,
		},
		{
			name:  "5xx burst longer than the retry budget: APIError after 3 attempts",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3},
			check: func(t *testing.T, _ *meEnv, err error) {
				ae := apiErrorOf(t, err)
				if ae.StatusCode != 503 || ae.Attempts != 3 || !errors.Is(err, kyc.ErrServer) {
					t.Fatalf("status %d attempts %d: %v", ae.StatusCode, ae.Attempts, err)
				}
			},
			meRequests: 3,
		},
		{
			name:   "429 Retry-After in seconds: waited, then success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"},
			wantOK: true, meRequests: 2,
			check: func(t *testing.T, e *meEnv, _ error) {
				first, second := gap(t, e.srv.Requests(), mePath)
				if d := second.Sub(first); d < 900*time.Millisecond {
					t.Fatalf("retried after %v, want about 1s", d)
				}
			},
		},
		{
			name:   "429 Retry-After as an HTTP date: waited until then, then success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: date},
			wantOK: true, meRequests: 2,
			check: func(t *testing.T, e *meEnv, _ error) {
				if _, second := gap(t, e.srv.Requests(), mePath); second.Before(dateAt.Add(-20 * time.Millisecond)) {
					t.Fatalf("retried at %v, before the Retry-After date %v", second, dateAt)
				}
			},
		},
		{
			name:   "connection reset before the request is read: resent, success",
			fault:  kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			wantOK: true, meRequests: 2,
		},
		{
			name:   "connection reset after the request is read: resent (GET), success",
			fault:  kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			wantOK: true, meRequests: 2,
		},
		{
			name:   "reply slower than the timeout once: resent, success",
			fault:  kyctest.Fault{Kind: kyctest.FaultHang},
			opts:   []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			wantOK: true, meRequests: 2,
		},
		{
			name:  "reply slower than the timeout every time: TransportError timeout after 3 attempts",
			fault: kyctest.Fault{Kind: kyctest.FaultHang, Times: 3},
			opts:  []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			check: func(t *testing.T, _ *meEnv, err error) {
				var te *kyc.TransportError
				if !errors.As(err, &te) || !te.Timeout() || te.Attempts != 3 {
					t.Fatalf("error %v (%T), want a timeout TransportError after 3 attempts", err, err)
				}
			},
			meRequests: 3,
		},
		{
			name:  "truncated JSON: DecodeError, no user",
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate},
			check: func(t *testing.T, _ *meEnv, err error) {
				var de *kyc.DecodeError
				if !errors.As(err, &de) || !errors.Is(err, kyc.ErrDecode) || de.StatusCode != 200 {
					t.Fatalf("error %v (%T), want DecodeError", err, err)
				}
			},
			meRequests: 1,
		},
		{
			name:  "HTML error page from a proxy: APIError, page not in Error()",
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502, Times: 3},
			check: func(t *testing.T, _ *meEnv, err error) {
				ae := apiErrorOf(t, err)
				if ae.StatusCode != 502 || ae.Attempts != 3 || !errors.Is(err, kyc.ErrServer) || htmlPageEchoed(err) {
					t.Fatalf("status %d attempts %d: %q", ae.StatusCode, ae.Attempts, err)
				}
			},
			meRequests: 3,
		},
		{
			name:  "body over the size cap: ErrResponseTooLarge, not retried",
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10},
			opts:  []option.ClientOption{option.WithMaxResponseBytes(16 << 10)},
			check: func(t *testing.T, _ *meEnv, err error) {
				if !errors.Is(err, kyc.ErrResponseTooLarge) {
					t.Fatalf("error %v (%T), want ErrResponseTooLarge", err, err)
				}
			},
			meRequests: 1,
		},
		{
			name:    "token endpoint answers 503: TokenError, one token request, no API call",
			expired: true, method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503},
			check: func(t *testing.T, _ *meEnv, err error) {
				var te *kyc.TokenError
				if !errors.As(err, &te) || te.StatusCode != 503 || !errors.Is(err, kyc.ErrToken) || errors.Is(err, kyc.ErrReauthorizationRequired) {
					t.Fatalf("error %v (%T), want TokenError 503", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:    "token endpoint resets before reading: TokenError, one token request",
			expired: true, method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			check: func(t *testing.T, _ *meEnv, err error) {
				var te *kyc.TokenError
				if !errors.As(err, &te) || !errors.Is(err, kyc.ErrToken) {
					t.Fatalf("error %v (%T), want TokenError", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:    "token reply lost after the refresh was made: TokenError; the next call refreshes again",
			expired: true, method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			check: func(t *testing.T, e *meEnv, err error) {
				if !errors.Is(err, kyc.ErrToken) || errors.Is(err, kyc.ErrReauthorizationRequired) {
					t.Fatalf("error %v (%T), want TokenError", err, err)
				}
				// The old refresh token still works until the new access
				// token is used, so the user is not locked out.
				if _, err := e.client.Me(t.Context()); err != nil {
					t.Fatalf("the call after the lost reply: %v", err)
				}
			},
			// First call: one token request, no API call; the second call: one of each.
			meRequests: 1, tokenRequests: 2,
		},
		{
			name:    "invalid_grant on refresh: ReauthorizationRequiredError, not asked again",
			expired: true,
			prepare: func(e *meEnv) { e.srv.RevokeToken(e.tok.RefreshToken) },
			check: func(t *testing.T, e *meEnv, err error) {
				var re *kyc.ReauthorizationRequiredError
				if !errors.As(err, &re) || !errors.Is(err, kyc.ErrReauthorizationRequired) || !errors.Is(err, kyc.ErrToken) {
					t.Fatalf("error %v (%T), want ReauthorizationRequiredError", err, err)
				}
				// The refusal is final: the next call fails without a token request.
				if _, err := e.client.Me(t.Context()); !errors.Is(err, kyc.ErrReauthorizationRequired) {
					t.Fatalf("second call: %v", err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:    "401 on a revoked user, refresh refused: ReauthorizationRequiredError",
			prepare: func(e *meEnv) { e.srv.RevokeUser(e.user.ID()) },
			check: func(t *testing.T, _ *meEnv, err error) {
				if !errors.Is(err, kyc.ErrReauthorizationRequired) || !errors.Is(err, kyc.ErrUnauthorized) {
					t.Fatalf("error %v (%T), want ReauthorizationRequiredError", err, err)
				}
			},
			meRequests: 1, tokenRequests: 1,
		},
		{
			name:  "context cancelled mid-backoff: context.Canceled at once, one request",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3},
			opts:  []option.ClientOption{option.WithRetryPolicy(slowRetries)},
			hook:  true,
			check: func(t *testing.T, _ *meEnv, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v (%T), want context.Canceled", err, err)
				}
			},
			meRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			opts := tt.opts
			var hook *attemptHook
			if tt.hook {
				hook = newAttemptHook(mePath)
				opts = append(append([]option.ClientOption{}, opts...), option.WithLogger(slog.New(hook)))
			}
			e := newMeEnv(t, tt.expired, opts...)
			if hook != nil {
				ctx = cancelInBackoff(t, hook)
			}
			if tt.prepare != nil {
				tt.prepare(e)
			}
			if tt.fault.Kind != kyctest.FaultNone {
				method, path := tt.method, tt.path
				if path == "" {
					method, path = http.MethodGet, mePath
				}
				e.srv.InjectFault(method, path, tt.fault)
			}
			start := time.Now()
			u, err := e.client.Me(ctx)
			elapsed := time.Since(start)
			if tt.wantOK {
				if err != nil || u == nil || u.UID != e.user.ID() {
					t.Fatalf("Me = %v, %v; want the user", u, err)
				}
			} else {
				if err == nil || u != nil {
					t.Fatalf("Me = %v, %v; want an error and no user", u, err)
				}
			}
			if tt.check != nil {
				tt.check(t, e, err)
			}
			if hook != nil && elapsed > 2*time.Second {
				t.Errorf("the cancelled call returned after %v, want promptly", elapsed)
			}
			if n := e.srv.Count(http.MethodGet, mePath); n != tt.meRequests {
				t.Errorf("the server saw %d GET %s, want %d", n, mePath, tt.meRequests)
			}
			if n := e.srv.Count(http.MethodPost, tokenPath); n != tt.tokenRequests {
				t.Errorf("the server saw %d token requests, want %d", n, tt.tokenRequests)
			}
		})
	}
}

// TestMeReusesOneConnection: sequential calls, error replies and retried
// 503s with 4 KiB bodies included, run over one kept-alive connection, so
// every body was drained and closed.
func TestMeReusesOneConnection(t *testing.T) {
	t.Parallel()
	e := newMeEnv(t, false)
	errBody := `{"error":"not_found","error_description":"` + strings.Repeat("x", 4<<10) + `"}`
	for i := range 20 {
		switch i % 4 {
		case 1:
			e.srv.InjectFault(http.MethodGet, mePath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 404, Body: errBody})
		case 2:
			// A retried 503 with a body larger than the retry engine reads.
			e.srv.InjectFault(http.MethodGet, mePath, kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Body: errBody})
		case 3:
			e.srv.InjectFault(http.MethodGet, mePath, kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 403})
		}
		u, err := e.client.Me(t.Context())
		switch i % 4 {
		case 1:
			if !errors.Is(err, kyc.ErrNotFound) {
				t.Fatalf("call %d: %v, want 404", i, err)
			}
		case 3:
			if !errors.Is(err, kyc.ErrForbidden) {
				t.Fatalf("call %d: %v, want 403", i, err)
			}
		default:
			if err != nil || u == nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	}
	if n := e.srv.Count(http.MethodGet, mePath); n != 25 {
		t.Errorf("%d requests, want 25 (20 calls, 5 retries)", n)
	}
	if n := e.srv.ConnectionCount(); n != 1 {
		t.Errorf("%d connections for 20 sequential calls, want 1", n)
	}
}
