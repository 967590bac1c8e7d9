package incode_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The fault matrix of the Incode client: RequestNewOnboarding (B2B, Bearer
// token) and StartOnboarding (API key), both POSTs that create a session,
// and the client-credentials token endpoint, through the public client
// against incodetest's fault injection. Each row asserts what the caller
// gets, how many requests the server saw and how many sessions it created:
// never more than one, exactly one when it acted on the request.

const tokenPath = "/oauth2/token"

// faultRetries would retry quickly; POSTs that reached the server are
// never retried whatever the policy, which is what the rows check.
var faultRetries = option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: 5 * time.Second}

// newFaultClient points a client at srv with a transport of its own, whose
// idle connections are closed when the test ends.
func newFaultClient(t *testing.T, srv *incodetest.Server, opts ...option.ClientOption) *incode.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	base := append(srv.ClientOptions(), option.WithHTTPClient(&http.Client{Transport: tr}), option.WithRetryPolicy(faultRetries))
	c, err := incode.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func faultCheckIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		if !errors.Is(err, target) {
			t.Fatalf("error %v (%T), want %v", err, err, target)
		}
	}
}

func faultCheckAPI(status int, target error, retryAfter time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var e *kyc.APIError
		if !errors.As(err, &e) || e.StatusCode != status || e.Attempts != 1 || !errors.Is(err, target) {
			t.Fatalf("error %v (%T), want APIError %d after 1 attempt matching %v", err, err, status, target)
		}
		if retryAfter > 0 && (e.RetryAfter <= 0 || e.RetryAfter > retryAfter) {
			t.Fatalf("RetryAfter %v, want up to %v", e.RetryAfter, retryAfter)
		}
		if strings.Contains(err.Error(), "<") || strings.Contains(err.Error(), "nginx") {
			t.Fatalf("the error echoes the body: %q", err)
		}
	}
}

func faultCheckTransport(timeout bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var te *kyc.TransportError
		if !errors.As(err, &te) || te.Attempts != 1 || te.Timeout() != timeout {
			t.Fatalf("error %v (%T), want a TransportError after 1 attempt (timeout %v)", err, err, timeout)
		}
	}
}

func faultCheckToken(status int, code string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var te *kyc.TokenError
		if !errors.As(err, &te) || !errors.Is(err, kyc.ErrToken) || te.StatusCode != status || te.Code != code {
			t.Fatalf("error %v (%T), want TokenError %d %q", err, err, status, code)
		}
	}
}

// createCall is one of the two creating calls.
type createCall struct {
	name, path string
	do         func(ctx context.Context, c *incode.Client) (bool, error)
	created    func(srv *incodetest.Server) int
}

var createCalls = []createCall{
	{
		name: "RequestNewOnboarding", path: incode.RequestNewPath,
		do: func(ctx context.Context, c *incode.Client) (bool, error) {
			l, err := c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com"})
			return l != nil, err
		},
		created: func(srv *incodetest.Server) int { return len(srv.Onboardings()) },
	},
	{
		name: "StartOnboarding", path: incode.StartPath,
		do: func(ctx context.Context, c *incode.Client) (bool, error) {
			s, err := c.StartOnboarding(ctx, &incode.StartRequest{CountryCode: "ALL"})
			return s != nil, err
		},
		created: func(srv *incodetest.Server) int { return len(srv.Sessions()) },
	},
}

func TestIncodeFaultMatrix(t *testing.T) {
	t.Parallel()
	// Far enough ahead that a loaded machine still sees it in the future.
	date := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	rows := []struct {
		name string
		// b2bOnly rows concern the token, which StartOnboarding does not use.
		b2bOnly    bool
		tokenFault bool
		fault      kyctest.Fault
		opts       []option.ClientOption
		// badSecret configures a wrong client secret.
		badSecret bool
		// cancel cancels the call once the server holds the request.
		cancel bool
		check  func(*testing.T, error)
		// requests to the call's path and to the token endpoint (B2B only),
		// sessions created.
		requests, tokens, created int
	}{
		{name: "5xx burst: APIError, not retried (POST), nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2}, check: faultCheckAPI(503, kyc.ErrServer, 0), requests: 1, tokens: 1},
		{name: "429 Retry-After in seconds: APIError with RetryAfter, not retried",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"}, check: faultCheckAPI(429, kyc.ErrRateLimited, time.Second), requests: 1, tokens: 1},
		{name: "429 Retry-After as an HTTP date: APIError with RetryAfter, not retried",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: date}, check: faultCheckAPI(429, kyc.ErrRateLimited, 21*time.Second), requests: 1, tokens: 1},
		{name: "reset before the request is read: TransportError, nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, check: faultCheckTransport(false), requests: 1, tokens: 1},
		{name: "reset after the request is read: TransportError, exactly one created",
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, check: faultCheckTransport(false), requests: 1, tokens: 1, created: 1},
		{name: "reply slower than the timeout: timeout, not resent, nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultHang}, opts: []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			check: faultCheckTransport(true), requests: 1, tokens: 1},
		{name: "truncated JSON: DecodeError, no half result, exactly one created",
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate}, check: faultCheckIs(kyc.ErrDecode), requests: 1, tokens: 1, created: 1},
		{name: "HTML error page: APIError, page not in Error(), nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502}, check: faultCheckAPI(502, kyc.ErrServer, 0), requests: 1, tokens: 1},
		{name: "body over the size cap: ErrResponseTooLarge, nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10}, opts: []option.ClientOption{option.WithMaxResponseBytes(16 << 10)},
			check: faultCheckIs(kyc.ErrResponseTooLarge), requests: 1, tokens: 1},
		{name: "context cancelled while the server holds the request: context.Canceled, nothing created",
			fault: kyctest.Fault{Kind: kyctest.FaultHang}, cancel: true, check: faultCheckIs(context.Canceled), requests: 1, tokens: 1},
		{name: "token endpoint 503: TokenError, one token request, nothing sent", b2bOnly: true, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503}, check: faultCheckToken(503, ""), tokens: 1},
		{name: "token endpoint resets before reading: TokenError, one token request", b2bOnly: true, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead}, check: faultCheckIs(kyc.ErrToken), tokens: 1},
		{name: "token reply lost after the token was issued: TokenError, one token request", b2bOnly: true, tokenFault: true,
			fault: kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, check: faultCheckIs(kyc.ErrToken), tokens: 1},
		{name: "invalid_client (wrong secret): TokenError, not a re-authorization", b2bOnly: true, badSecret: true,
			check: func(t *testing.T, err error) {
				faultCheckToken(401, "invalid_client")(t, err)
				if errors.Is(err, kyc.ErrReauthorizationRequired) {
					t.Fatalf("invalid_client matched ErrReauthorizationRequired: %v", err)
				}
			}, tokens: 1},
	}
	for _, call := range createCalls {
		for _, tt := range rows {
			if tt.b2bOnly && call.path != incode.RequestNewPath {
				continue
			}
			t.Run(call.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				srv := incodetest.NewServer(t)
				opts := tt.opts
				if tt.badSecret {
					opts = append(append([]option.ClientOption{}, opts...), incode.WithClientCredentials(srv.ClientID(), "not-the-secret"))
				}
				c := newFaultClient(t, srv, opts...)
				if tt.fault.Kind != kyctest.FaultNone {
					if tt.tokenFault {
						srv.InjectFault(http.MethodPost, tokenPath, tt.fault)
					} else {
						srv.InjectFault(http.MethodPost, call.path, tt.fault)
					}
				}
				ctx := t.Context()
				if tt.cancel {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					defer cancel()
					go func() {
						tick := time.NewTicker(time.Millisecond)
						defer tick.Stop()
						for srv.Count(http.MethodPost, call.path) == 0 {
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
				got, err := call.do(ctx, c)
				if err == nil || got {
					t.Fatalf("result %v, error %v; want an error and no result", got, err)
				}
				tt.check(t, err)
				if tt.cancel && time.Since(start) > 2*time.Second {
					t.Errorf("the cancelled call returned after %v, want promptly", time.Since(start))
				}
				if n := srv.Count(http.MethodPost, call.path); n != tt.requests {
					t.Errorf("the server saw %d POST %s, want %d", n, call.path, tt.requests)
				}
				wantTokens := tt.tokens
				if call.path != incode.RequestNewPath {
					wantTokens = 0 // the API key alone authenticates /omni/start
				}
				if n := srv.Count(http.MethodPost, tokenPath); n != wantTokens {
					t.Errorf("the server saw %d token requests, want %d", n, wantTokens)
				}
				if n := call.created(srv); n != tt.created || n > 1 {
					t.Errorf("%d sessions created on the server, want %d", n, tt.created)
				}
			})
		}
	}
}

// incodeHook closes done at the first attempt the client logs for path.
type incodeHook struct {
	path string
	once sync.Once
	done chan struct{}
}

func (h *incodeHook) Enabled(context.Context, slog.Level) bool { return true }

func (h *incodeHook) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" && a.Value.String() == h.path {
			h.once.Do(func() { close(h.done) })
			return false
		}
		return true
	})
	return nil
}

func (h *incodeHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *incodeHook) WithGroup(string) slog.Handler      { return h }

// TestIncodeCancelMidBackoff: a POST is retried only when it never left the
// machine (the connection was refused), so that is the one backoff an
// Incode call can be in. Cancelling there returns context.Canceled at once.
// Nothing reached any server.
func TestIncodeCancelMidBackoff(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	hook := &incodeHook{path: incode.StartPath, done: make(chan struct{})}
	c := newFaultClient(t, srv,
		option.WithBaseURL(refused),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: 5 * time.Second, MaxWait: 5 * time.Second}),
		option.WithLogger(slog.New(hook)),
	)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-hook.done:
			time.AfterFunc(50*time.Millisecond, cancel)
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	s, err := c.StartOnboarding(ctx, &incode.StartRequest{})
	if s != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("StartOnboarding = %v, %v; want context.Canceled", s, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want promptly", d)
	}
	if n := srv.Count("", "*"); n != 0 {
		t.Errorf("the fake saw %d requests, want 0", n)
	}
}

// TestIncodeReusesOneConnection: the token request and 20 sequential calls,
// 400 replies in Incode's error shape included, share one kept-alive
// connection, so every body was drained and closed.
func TestIncodeReusesOneConnection(t *testing.T) {
	t.Parallel()
	srv := incodetest.NewServer(t)
	c := newFaultClient(t, srv)
	ctx := t.Context()
	for i := range 20 {
		var err error
		switch i % 4 {
		case 0:
			_, err = c.StartOnboarding(ctx, &incode.StartRequest{CountryCode: "ALL"})
		case 1:
			_, err = c.StartOnboarding(ctx, &incode.StartRequest{ConfigurationID: "000000000000000000000000"})
			if !errors.Is(err, kyc.ErrBadRequest) {
				t.Fatalf("call %d: %v, want 400", i, err)
			}
			err = nil
		case 2:
			_, err = c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com"})
		case 3:
			_, err = c.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: "ada@example.com", Notification: &incode.Notification{Type: incode.NotifySMS}})
			if !errors.Is(err, kyc.ErrBadRequest) {
				t.Fatalf("call %d: %v, want 400", i, err)
			}
			err = nil
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := srv.Count(http.MethodPost, "/omni/*"); n != 20 {
		t.Errorf("%d API requests, want 20", n)
	}
	if n := srv.ConnectionCount(); n != 1 {
		t.Errorf("%d connections for a token request and 20 sequential calls, want 1", n)
	}
}
