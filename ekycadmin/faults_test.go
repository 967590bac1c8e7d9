package ekycadmin_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The fault matrix of the EKYC admin client: the GETs (UserStatus,
// ListSessions), the non-idempotent POST (CreateSession) and the
// client-credentials token endpoint, through the public client against
// ekycadmintest's fault injection. Each row asserts what the caller gets,
// how many requests the server saw and, for CreateSession, how many
// sessions exist: never more than one.

// faultRetries keeps the default budget (2 retries) with millisecond waits.
var faultRetries = option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 5 * time.Second}

// faultHook is a slog.Handler that closes done at the first attempt the
// client logs for a path starting with prefix (an attempt that got its
// reply: the client is about to wait before the next one).
type faultHook struct {
	prefix string
	once   sync.Once
	done   chan struct{}
}

func (h *faultHook) Enabled(context.Context, slog.Level) bool { return true }

func (h *faultHook) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" && strings.HasPrefix(a.Value.String(), h.prefix) {
			h.once.Do(func() { close(h.done) })
			return false
		}
		return true
	})
	return nil
}

func (h *faultHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *faultHook) WithGroup(string) slog.Handler      { return h }

type faultEnv struct {
	srv      *ekycadmintest.Server
	clientID string
	c        *ekycadmin.Client
}

func newFaultEnv(t *testing.T, opts ...option.ClientOption) *faultEnv {
	t.Helper()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("u"))
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	// A transport of its own, its idle connections closed at the end:
	// httptest servers of parallel tests close those of
	// http.DefaultTransport whenever they stop.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	base := []option.ClientOption{
		option.WithHTTPClient(&http.Client{Transport: tr}),
		option.WithBaseURL(srv.BaseURL()),
		ekycadmin.WithTokenURL(srv.TokenURL()),
		ekycadmin.WithCredentials(id, secret),
		option.WithRetryPolicy(faultRetries),
	}
	c, err := ekycadmin.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &faultEnv{srv: srv, clientID: id, c: c}
}

func faultAPIError(t *testing.T, err error) *kyc.APIError {
	t.Helper()
	var e *kyc.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *APIError", err, err)
	}
	return e
}

func wantTimeout(attempts int) func(t *testing.T, _ *faultEnv, err error) {
	return func(t *testing.T, _ *faultEnv, err error) {
		var te *kyc.TransportError
		if !errors.As(err, &te) || !te.Timeout() || te.Attempts != attempts {
			t.Fatalf("error %v (%T), want a timeout TransportError after %d attempts", err, err, attempts)
		}
	}
}

func wantTransport(t *testing.T, _ *faultEnv, err error) {
	var te *kyc.TransportError
	if !errors.As(err, &te) || te.Attempts != 1 {
		t.Fatalf("error %v (%T), want a TransportError after 1 attempt", err, err)
	}
}

func wantIs(target error) func(t *testing.T, _ *faultEnv, err error) {
	return func(t *testing.T, _ *faultEnv, err error) {
		if !errors.Is(err, target) {
			t.Fatalf("error %v (%T), want %v", err, err, target)
		}
	}
}

func wantAPI(status, attempts int, target error) func(t *testing.T, _ *faultEnv, err error) {
	return func(t *testing.T, _ *faultEnv, err error) {
		e := faultAPIError(t, err)
		if e.StatusCode != status || e.Attempts != attempts || !errors.Is(err, target) {
			t.Fatalf("status %d attempts %d: %v; want %d after %d, %v", e.StatusCode, e.Attempts, err, status, attempts, target)
		}
		if strings.Contains(err.Error(), "<") || strings.Contains(err.Error(), "nginx") {
			t.Fatalf("the error echoes the body: %q", err)
		}
	}
}

func wantTokenError(status int, code string) func(t *testing.T, _ *faultEnv, err error) {
	return func(t *testing.T, _ *faultEnv, err error) {
		var te *kyc.TokenError
		if !errors.As(err, &te) || !errors.Is(err, kyc.ErrToken) || te.StatusCode != status || te.Code != code || errors.Is(err, kyc.ErrReauthorizationRequired) {
			t.Fatalf("error %v (%T), want TokenError %d %q", err, err, status, code)
		}
	}
}

func TestEKYCFaultMatrix(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(2 * time.Second).Truncate(time.Second)
	date := at.UTC().Format(http.TimeFormat)
	const (
		callStatus = "status"
		callList   = "list"
		callCreate = "create"
	)
	tests := []struct {
		name string
		call string
		// tokenFault, when set, goes to the token endpoint instead of the call's path.
		tokenFault bool
		fault      kyctest.Fault
		opts       []option.ClientOption
		prepare    func(e *faultEnv)
		// cancel: the call's context is cancelled during the first backoff
		// (GET) or while the server holds the request (POST).
		cancel bool
		wantOK bool
		check  func(t *testing.T, e *faultEnv, err error)
		// requests to the call's path and to the token endpoint; sessions at the end.
		requests, tokens, sessions int
	}{
		// GET /ekyc/admin/{id}/status and GET /ekyc/admin.
		{name: "GET: 5xx burst shorter than the retry budget: success", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2}, wantOK: true, requests: 3, tokens: 1},
		{name: "GET: 5xx burst longer than the retry budget: APIError after 3 attempts", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3}, check: wantAPI(503, 3, kyc.ErrServer), requests: 3, tokens: 1},
		{name: "GET: 429 Retry-After in seconds: waited, then success", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"}, wantOK: true, requests: 2, tokens: 1,
			check: func(t *testing.T, e *faultEnv, _ error) {
				if first, second := faultGap(t, e.srv, ekycadmintest.StatusPath("u")); second.Sub(first) < 900*time.Millisecond {
					t.Fatalf("retried after %v, want about 1s", second.Sub(first))
				}
			}},
		{name: "GET: 429 Retry-After as an HTTP date: waited until then, then success", call: callList,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: date}, wantOK: true, requests: 2, tokens: 1,
			check: func(t *testing.T, e *faultEnv, _ error) {
				if _, second := faultGap(t, e.srv, ekycadmintest.PathList); second.Before(at.Add(-20 * time.Millisecond)) {
					t.Fatalf("retried at %v, before the Retry-After date %v", second, at)
				}
			}},
		{name: "GET: connection reset before the request is read: resent, success", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, wantOK: true, requests: 2, tokens: 1},
		{name: "GET: connection reset after the request is read: resent, success", call: callList,
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, wantOK: true, requests: 2, tokens: 1},
		{name: "GET: reply slower than the timeout every time: timeout after 3 attempts", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultHang, Times: 3}, opts: []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			check: wantTimeout(3), requests: 3, tokens: 1},
		{name: "GET: truncated JSON: DecodeError, no page", call: callList,
			prepare: func(e *faultEnv) { e.srv.AddSession("u", "") },
			fault:   kyctest.Fault{Kind: kyctest.FaultTruncate}, check: wantIs(kyc.ErrDecode), requests: 1, tokens: 1},
		{name: "GET: HTML error page: APIError after 3 attempts, page not in Error()", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502, Times: 3}, check: wantAPI(502, 3, kyc.ErrServer), requests: 3, tokens: 1},
		{name: "GET: body over the size cap: ErrResponseTooLarge, not retried", call: callList,
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10}, opts: []option.ClientOption{option.WithMaxResponseBytes(16 << 10)},
			check: wantIs(kyc.ErrResponseTooLarge), requests: 1, tokens: 1},
		{name: "GET: context cancelled mid-backoff: context.Canceled at once, one request", call: callStatus,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3}, cancel: true,
			opts:  []option.ClientOption{option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: 5 * time.Second, MaxWait: 5 * time.Second})},
			check: wantIs(context.Canceled), requests: 1, tokens: 1},

		// The token endpoint (POST, never resent once it may have arrived).
		{name: "token: 503: TokenError, one token request, no API call", call: callStatus, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503}, check: wantTokenError(503, ""), tokens: 1},
		{name: "token: reset before read: TokenError, one token request", call: callStatus, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, check: wantIs(kyc.ErrToken), tokens: 1},
		{name: "token: reset after read: TokenError, one token request", call: callStatus, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, check: wantIs(kyc.ErrToken), tokens: 1},
		{name: "token: invalid_client (revoked credential): TokenError", call: callStatus,
			prepare: func(e *faultEnv) { e.srv.RevokeClient(e.clientID) },
			check:   wantTokenError(401, "invalid_client"), tokens: 1},

		// POST /ekyc/admin/{id}/sessions: sent once, whatever happens.
		{name: "POST: 5xx: APIError, not retried, no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2}, check: wantAPI(503, 1, kyc.ErrServer), requests: 1, tokens: 1},
		{name: "POST: 429 Retry-After in seconds: APIError with RetryAfter, not retried", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"}, requests: 1, tokens: 1,
			check: func(t *testing.T, e *faultEnv, err error) {
				wantAPI(429, 1, kyc.ErrRateLimited)(t, e, err)
				if ra := faultAPIError(t, err).RetryAfter; ra != time.Second {
					t.Fatalf("RetryAfter %v, want 1s", ra)
				}
			}},
		{name: "POST: 429 Retry-After as an HTTP date: APIError with RetryAfter, not retried", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: date}, requests: 1, tokens: 1,
			check: func(t *testing.T, e *faultEnv, err error) {
				wantAPI(429, 1, kyc.ErrRateLimited)(t, e, err)
				if ra := faultAPIError(t, err).RetryAfter; ra <= 0 || ra > 3*time.Second {
					t.Fatalf("RetryAfter %v, want up to 2s", ra)
				}
			}},
		{name: "POST: reset before read: TransportError, no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, check: wantTransport, requests: 1, tokens: 1},
		{name: "POST: reset after read: TransportError, exactly one session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, check: wantTransport, requests: 1, tokens: 1, sessions: 1},
		{name: "POST: reply slower than the timeout: timeout, not resent, no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultHang}, opts: []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			check: wantTimeout(1), requests: 1, tokens: 1},
		{name: "POST: truncated JSON: DecodeError, no half session, exactly one session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate}, check: wantIs(kyc.ErrDecode), requests: 1, tokens: 1, sessions: 1},
		{name: "POST: HTML error page: APIError, page not in Error(), no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502}, check: wantAPI(502, 1, kyc.ErrServer), requests: 1, tokens: 1},
		{name: "POST: body over the size cap: ErrResponseTooLarge, no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10}, opts: []option.ClientOption{option.WithMaxResponseBytes(16 << 10)},
			check: wantIs(kyc.ErrResponseTooLarge), requests: 1, tokens: 1},
		{name: "POST: token endpoint down: TokenError, nothing sent, no session", call: callCreate, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503}, check: wantTokenError(503, ""), tokens: 1},
		{name: "POST: context cancelled while the server holds the request: context.Canceled, no session", call: callCreate,
			fault: kyctest.Fault{Kind: kyctest.FaultHang}, cancel: true, check: wantIs(context.Canceled), requests: 1, tokens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			var hook *faultHook
			if tt.cancel && tt.call != callCreate {
				hook = &faultHook{prefix: ekycadmintest.PathList, done: make(chan struct{})}
				opts = append(append([]option.ClientOption{}, opts...), option.WithLogger(slog.New(hook)))
			}
			e := newFaultEnv(t, opts...)
			if tt.prepare != nil {
				tt.prepare(e)
			}
			method, path := http.MethodGet, ekycadmintest.StatusPath("u")
			switch tt.call {
			case callList:
				path = ekycadmintest.PathList
			case callCreate:
				method, path = http.MethodPost, ekycadmintest.SessionsPath("u")
			}
			if tt.fault.Kind != kyctest.FaultNone {
				if tt.tokenFault {
					e.srv.InjectFault(http.MethodPost, ekycadmintest.PathToken, tt.fault)
				} else {
					e.srv.InjectFault(method, path, tt.fault)
				}
			}
			ctx := t.Context()
			if tt.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				go func() {
					if hook != nil {
						select {
						case <-hook.done:
						case <-ctx.Done():
							return
						}
						time.AfterFunc(50*time.Millisecond, cancel)
						return
					}
					// The POST is held by the server: cancel once it arrived.
					tick := time.NewTicker(time.Millisecond)
					defer tick.Stop()
					for e.srv.Count(method, path) == 0 {
						select {
						case <-tick.C:
						case <-ctx.Done():
							return
						}
					}
					cancel()
				}()
			}
			start := time.Now()
			var got bool
			var err error
			switch tt.call {
			case callStatus:
				var st *ekycadmin.UserStatus
				st, err = e.c.UserStatus(ctx, "u")
				got = st != nil
			case callList:
				var page []ekycadmin.UserSessions
				page, err = e.c.ListSessions(ctx, nil)
				got = page != nil
			case callCreate:
				var s *ekycadmin.Session
				s, err = e.c.CreateSession(ctx, "u", nil)
				got = s != nil
			}
			elapsed := time.Since(start)
			if tt.wantOK != (err == nil) || (err != nil && got) || (err == nil && !got) {
				t.Fatalf("result %v, error %v; want success %v (and no result with an error)", got, err, tt.wantOK)
			}
			if tt.check != nil {
				tt.check(t, e, err)
			}
			if tt.cancel && elapsed > 2*time.Second {
				t.Errorf("the cancelled call returned after %v, want promptly", elapsed)
			}
			if n := e.srv.Count(method, path); n != tt.requests {
				t.Errorf("the server saw %d %s %s, want %d", n, method, path, tt.requests)
			}
			if n := e.srv.Count(http.MethodPost, ekycadmintest.PathToken); n != tt.tokens {
				t.Errorf("the server saw %d token requests, want %d", n, tt.tokens)
			}
			if tt.call == callCreate {
				// Never a duplicate; exactly one when the server acted on the request.
				if n := e.srv.SessionCount("u"); n != tt.sessions || n > 1 {
					t.Errorf("%d sessions on the server, want %d", n, tt.sessions)
				}
			}
		})
	}
}

// faultGap is when the server saw the first and second request to path.
func faultGap(t *testing.T, srv *ekycadmintest.Server, path string) (first, second time.Time) {
	t.Helper()
	var seen []time.Time
	for _, r := range srv.Requests() {
		if r.Path == path {
			seen = append(seen, r.Time)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("%d requests to %s, want 2", len(seen), path)
	}
	return seen[0], seen[1]
}

// TestEKYCReusesOneConnection: the token request and 20 sequential calls,
// 400 and 404 replies included, share one kept-alive connection, so every
// body was drained and closed.
func TestEKYCReusesOneConnection(t *testing.T) {
	t.Parallel()
	e := newFaultEnv(t)
	e.srv.AddUser(ekycadmintest.User{ID: "nameless", BirthDate: "1990-01-01"})
	ctx := t.Context()
	for i := range 20 {
		var err error
		switch i % 4 {
		case 0:
			_, err = e.c.UserStatus(ctx, "u")
		case 1:
			_, err = e.c.UserSessions(ctx, "nobody")
			if !errors.Is(err, kyc.ErrNotFound) {
				t.Fatalf("call %d: %v, want 404", i, err)
			}
			err = nil
		case 2:
			_, err = e.c.CreateSession(ctx, "nameless", nil)
			if !errors.Is(err, kyc.ErrBadRequest) {
				t.Fatalf("call %d: %v, want 400", i, err)
			}
			err = nil
		case 3:
			_, err = e.c.ListSessions(ctx, nil)
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := e.srv.Count("", "/ekyc/admin*"); n != 20 {
		t.Errorf("%d API requests, want 20", n)
	}
	if n := e.srv.ConnectionCount(); n != 1 {
		t.Errorf("%d connections for a token request and 20 sequential calls, want 1", n)
	}
}
