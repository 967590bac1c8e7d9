package fractalid_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// The fault matrix of the statistics client (GET /v2/stats/*) and of its
// client-credentials token endpoint, through the public StatsClient
// against fractalidtest. Helpers (attemptHook, retryAfterDate, gap, ...)
// are in faults_test.go.

const (
	statsTotal = "/v2/stats/total-verifications"
	statsUsers = "/v2/stats/user-verifications"
)

// newStatsEnv starts a fake with one approved user and a stats client
// with its credentials (or secret, when not empty).
func newStatsEnv(t *testing.T, secret string, opts ...option.ClientOption) (*fractalidtest.Server, *fractalid.StatsClient) {
	t.Helper()
	srv := fractalidtest.NewServer(t)
	if err := srv.AddUser(fractalidtest.User{Country: "US"}).SetCase("basic", fractalidtest.Approved); err != nil {
		t.Fatal(err)
	}
	app := srv.DefaultClient()
	if secret == "" {
		secret = app.Secret
	}
	base := []option.ClientOption{
		fractalid.WithCredentials(app.ID, secret),
		fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(srv.HTTPClient()),
		option.WithRetryPolicy(fastRetries),
	}
	c, err := fractalid.NewStatsClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestStatsFaultMatrix(t *testing.T) {
	t.Parallel()
	date, dateAt := retryAfterDate()
	tests := []struct {
		name string
		// users calls UserVerifications instead of TotalVerifications.
		users bool
		// method and path receive the fault (default GET on the called endpoint).
		method, path string
		fault        kyctest.Fault
		secret       string
		opts         []option.ClientOption
		hook         bool
		wantOK       bool
		check        func(t *testing.T, srv *fractalidtest.Server, err error)
		// requests the server saw.
		statsRequests, tokenRequests int
	}{
		{
			name:   "5xx burst shorter than the retry budget: success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 502, Times: 2},
			wantOK: true, statsRequests: 3, tokenRequests: 1,
		},
		{
			name:  "5xx burst longer than the retry budget: APIError after 3 attempts",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				ae := apiErrorOf(t, err)
				if ae.StatusCode != 503 || ae.Attempts != 3 || !errors.Is(err, kyc.ErrServer) {
					t.Fatalf("status %d attempts %d: %v", ae.StatusCode, ae.Attempts, err)
				}
			},
			statsRequests: 3, tokenRequests: 1,
		},
		{
			name:   "429 Retry-After in seconds: waited, then success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"},
			wantOK: true, statsRequests: 2, tokenRequests: 1,
			check: func(t *testing.T, srv *fractalidtest.Server, _ error) {
				if first, second := gap(t, srv.Requests(), statsTotal); second.Sub(first) < 900*time.Millisecond {
					t.Fatalf("retried after %v, want about 1s", second.Sub(first))
				}
			},
		},
		{
			name:   "429 Retry-After as an HTTP date: waited until then, then success",
			fault:  kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: date},
			wantOK: true, statsRequests: 2, tokenRequests: 1,
			check: func(t *testing.T, srv *fractalidtest.Server, _ error) {
				if _, second := gap(t, srv.Requests(), statsTotal); second.Before(dateAt.Add(-20 * time.Millisecond)) {
					t.Fatalf("retried at %v, before the Retry-After date %v", second, dateAt)
				}
			},
		},
		{
			name:   "connection reset before the request is read: resent, success",
			fault:  kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			wantOK: true, statsRequests: 2, tokenRequests: 1,
		},
		{
			name:   "connection reset after the request is read: resent (GET), success",
			users:  true,
			fault:  kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			wantOK: true, statsRequests: 2, tokenRequests: 1,
		},
		{
			name:  "reply slower than the timeout every time: TransportError timeout after 3 attempts",
			fault: kyctest.Fault{Kind: kyctest.FaultHang, Times: 3},
			opts:  []option.ClientOption{option.WithTimeout(150 * time.Millisecond)},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				var te *kyc.TransportError
				if !errors.As(err, &te) || !te.Timeout() || te.Attempts != 3 {
					t.Fatalf("error %v (%T), want a timeout TransportError after 3 attempts", err, err)
				}
			},
			statsRequests: 3, tokenRequests: 1,
		},
		{
			name:  "truncated JSON (TotalVerifications): DecodeError, no counts",
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, kyc.ErrDecode) {
					t.Fatalf("error %v (%T), want ErrDecode", err, err)
				}
			},
			statsRequests: 1, tokenRequests: 1,
		},
		{
			name:  "truncated JSON (UserVerifications): DecodeError, no rows",
			users: true,
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, kyc.ErrDecode) {
					t.Fatalf("error %v (%T), want ErrDecode", err, err)
				}
			},
			statsRequests: 1, tokenRequests: 1,
		},
		{
			name:  "HTML error page from a proxy: APIError, page not in Error()",
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 504, Times: 3},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				ae := apiErrorOf(t, err)
				if ae.StatusCode != 504 || ae.Attempts != 3 || !errors.Is(err, kyc.ErrServer) || htmlPageEchoed(err) {
					t.Fatalf("status %d attempts %d: %q", ae.StatusCode, ae.Attempts, err)
				}
			},
			statsRequests: 3, tokenRequests: 1,
		},
		{
			name:  "body over the size cap (UserVerifications): ErrResponseTooLarge, not retried",
			users: true,
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 64 << 10},
			opts:  []option.ClientOption{option.WithMaxResponseBytes(16 << 10)},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, kyc.ErrResponseTooLarge) {
					t.Fatalf("error %v (%T), want ErrResponseTooLarge", err, err)
				}
			},
			statsRequests: 1, tokenRequests: 1,
		},
		{
			name:   "token endpoint answers 503: TokenError, one token request, no stats call",
			method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				var te *kyc.TokenError
				if !errors.As(err, &te) || te.StatusCode != 503 || !errors.Is(err, kyc.ErrToken) {
					t.Fatalf("error %v (%T), want TokenError 503", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:   "token endpoint resets before reading: TokenError, one token request",
			method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, kyc.ErrToken) {
					t.Fatalf("error %v (%T), want TokenError", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:   "token endpoint truncates its reply: TokenError, one token request",
			method: http.MethodPost, path: tokenPath,
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate},
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, kyc.ErrToken) {
					t.Fatalf("error %v (%T), want TokenError", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:   "invalid_client (wrong secret): TokenError, not a re-authorization",
			secret: "not-the-secret",
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				var te *kyc.TokenError
				if !errors.As(err, &te) || te.Code != "invalid_client" || errors.Is(err, kyc.ErrReauthorizationRequired) {
					t.Fatalf("error %v (%T), want TokenError invalid_client", err, err)
				}
			},
			tokenRequests: 1,
		},
		{
			name:  "context cancelled mid-backoff: context.Canceled at once, one request",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3},
			opts:  []option.ClientOption{option.WithRetryPolicy(slowRetries)},
			hook:  true,
			check: func(t *testing.T, _ *fractalidtest.Server, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v (%T), want context.Canceled", err, err)
				}
			},
			statsRequests: 1, tokenRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			opts := tt.opts
			var hook *attemptHook
			if tt.hook {
				hook = newAttemptHook("/v2/stats/")
				opts = append(append([]option.ClientOption{}, opts...), option.WithLogger(slog.New(hook)))
			}
			srv, c := newStatsEnv(t, tt.secret, opts...)
			if hook != nil {
				ctx = cancelInBackoff(t, hook)
			}
			endpoint := statsTotal
			if tt.users {
				endpoint = statsUsers
			}
			if tt.fault.Kind != kyctest.FaultNone {
				method, path := tt.method, tt.path
				if path == "" {
					method, path = http.MethodGet, endpoint
				}
				srv.InjectFault(method, path, tt.fault)
			}
			var got any
			var err error
			start := time.Now()
			if tt.users {
				var rows []fractalid.UserVerification
				rows, err = c.UserVerifications(ctx)
				if rows != nil {
					got = rows
				}
			} else {
				var counts fractalid.StatusCounts
				counts, err = c.TotalVerifications(ctx)
				if counts != nil {
					got = counts
				}
			}
			elapsed := time.Since(start)
			if tt.wantOK != (err == nil) || tt.wantOK != (got != nil) {
				t.Fatalf("result %v, error %v; want success %v", got, err, tt.wantOK)
			}
			if tt.check != nil {
				tt.check(t, srv, err)
			}
			if tt.hook && elapsed > 2*time.Second {
				t.Errorf("the cancelled call returned after %v, want promptly", elapsed)
			}
			if n := srv.Count(http.MethodGet, "/v2/stats/*"); n != tt.statsRequests {
				t.Errorf("the server saw %d stats requests, want %d", n, tt.statsRequests)
			}
			if n := srv.Count(http.MethodPost, tokenPath); n != tt.tokenRequests {
				t.Errorf("the server saw %d token requests, want %d", n, tt.tokenRequests)
			}
		})
	}
}

// TestStatsReusesOneConnection: the token request and sequential calls,
// error replies included, share one kept-alive connection.
func TestStatsReusesOneConnection(t *testing.T) {
	t.Parallel()
	srv, c := newStatsEnv(t, "")
	errBody := `{"error":"insufficient_scope","error_description":"` + strings.Repeat("x", 4<<10) + `"}`
	for i := range 20 {
		if i%2 == 1 {
			srv.InjectFault(http.MethodGet, "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 403, Body: errBody})
		}
		var err error
		if i%3 == 0 {
			_, err = c.UserVerifications(t.Context())
		} else {
			_, err = c.TotalVerifications(t.Context())
		}
		if (i%2 == 1) != errors.Is(err, kyc.ErrForbidden) || (i%2 == 0 && err != nil) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := srv.Count(http.MethodGet, "/v2/stats/*"); n != 20 {
		t.Errorf("%d requests, want 20", n)
	}
	if n := srv.ConnectionCount(); n != 1 {
		t.Errorf("%d connections for a token request and 20 sequential calls, want 1", n)
	}
}
