package fractalid_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/option"
)

const (
	statsTestClientID     = "app-id-123"
	statsTestClientSecret = "app-secret-very-secret-456"
	statsTestToken        = "OUuf_tJs-J2AAxjWr0JHvzFure5Eb7KMUQRO0jpqXWc"
	statsTokenURL         = "https://auth.fractal.id/oauth/token"
	statsResourceURL      = "https://resource.fractal.id"
)

// statsTokenReply is the documented client-credentials token response.
const statsTokenReply = `{"access_token":"` + statsTestToken + `","token_type":"Bearer","expires_in":7200,"scope":"client.stats:read","created_at":1554400723}`

func statsFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statsMock returns a mock transport answering the production token
// endpoint, and a client built on it with credentials.
func statsMock(t *testing.T, opts ...option.ClientOption) (*httpmock.MockTransport, *fractalid.StatsClient) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, statsTokenURL, httpmock.NewStringResponder(200, statsTokenReply).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
	base := []option.ClientOption{
		fractalid.WithCredentials(statsTestClientID, statsTestClientSecret),
		option.WithHTTPClient(&http.Client{Transport: mt}),
		option.NoRetries(),
	}
	c, err := fractalid.NewStatsClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return mt, c
}

// statsJSON answers with body after checking the Bearer token.
func statsJSON(t *testing.T, body []byte) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+statsTestToken {
			t.Errorf("Authorization = %q", got)
		}
		resp := httpmock.NewBytesResponse(200, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	}
}

func TestStatsTokenRequest(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var mu sync.Mutex
	var forms []string
	var headers []http.Header
	mt.RegisterResponder(http.MethodPost, statsTokenURL, func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		forms = append(forms, string(b))
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		resp := httpmock.NewStringResponse(200, statsTokenReply)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	mt.RegisterResponder(http.MethodGet, statsResourceURL+"/v2/stats/total-verifications", statsJSON(t, statsFixture(t, "stats_total.json")))
	c, err := fractalid.NewStatsClient(
		fractalid.WithCredentials(statsTestClientID, statsTestClientSecret),
		option.WithHTTPClient(&http.Client{Transport: mt}),
	)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.TotalVerifications(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(forms) != 1 {
		t.Fatalf("token requests = %d, want 1 (the token is reused)", len(forms))
	}
	const wantForm = "client_id=app-id-123&client_secret=app-secret-very-secret-456&grant_type=client_credentials&scope=client.stats%3Aread"
	if forms[0] != wantForm {
		t.Errorf("token form\n got %s\nwant %s", forms[0], wantForm)
	}
	h := headers[0]
	if got := h.Get("Authorization"); got != "" {
		t.Errorf("token request carries Authorization %q; credentials go in the body", got)
	}
	if got := h.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("token Content-Type = %q", got)
	}
	if got := mt.GetCallCountInfo()["GET "+statsResourceURL+"/v2/stats/total-verifications"]; got != 3 {
		t.Errorf("stats calls = %d, want 3", got)
	}
}

func TestStatsEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		fixture string
		call    func(context.Context, *fractalid.StatsClient) (any, error)
		want    any
	}{
		{
			name:    "total",
			path:    "/v2/stats/total-verifications",
			fixture: "stats_total.json",
			call: func(ctx context.Context, c *fractalid.StatsClient) (any, error) {
				return c.TotalVerifications(ctx)
			},
			want: fractalid.StatusCounts{"approved": 55, "contacted": 4, "rejected": 10, "pending": 7},
		},
		{
			name:    "country",
			path:    "/v2/stats/country-verifications",
			fixture: "stats_country.json",
			call: func(ctx context.Context, c *fractalid.StatsClient) (any, error) {
				return c.CountryVerifications(ctx)
			},
			want: map[string]fractalid.StatusCounts{
				"US": {"approved": 8, "contacted": 1, "rejected": 2, "pending": 3},
				"DK": {"approved": 12},
				"RO": {"approved": 3},
			},
		},
		{
			name:    "users with legacy levels",
			path:    "/v2/stats/user-verifications",
			fixture: "stats_users.json",
			call: func(ctx context.Context, c *fractalid.StatsClient) (any, error) {
				return c.UserVerifications(ctx)
			},
			want: []fractalid.UserVerification{
				{UserID: "320bfdaa-213e-41fb-8d77-ed98c415f01e", RawLevel: "v1", Status: fractalid.StatusApproved},
				{UserID: "320bfdaa-213e-41fb-8d77-ed98c415f01e", RawLevel: "light+selfie+wallet", Status: fractalid.StatusPending},
			},
		},
		{
			name:    "users with status field, expired and unknown status",
			path:    "/v2/stats/user-verifications",
			fixture: "stats_users_mixed.json",
			call: func(ctx context.Context, c *fractalid.StatsClient) (any, error) {
				rows, err := c.UserVerifications(ctx)
				if err != nil {
					return nil, err
				}
				return []fractalid.Status{rows[2].Status, rows[3].Status, rows[5].Status}, nil
			},
			want: []fractalid.Status{fractalid.StatusExpired, fractalid.StatusContacted, "on_hold"},
		},
		{
			name:    "empty total",
			path:    "/v2/stats/total-verifications",
			fixture: "",
			call: func(ctx context.Context, c *fractalid.StatsClient) (any, error) {
				return c.TotalVerifications(ctx)
			},
			want: fractalid.StatusCounts{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := statsMock(t)
			body := []byte("{}")
			if tt.fixture != "" {
				body = statsFixture(t, tt.fixture)
			}
			mt.RegisterResponder(http.MethodGet, statsResourceURL+tt.path, statsJSON(t, body))
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestStatusCounts(t *testing.T) {
	tests := []struct {
		name      string
		counts    fractalid.StatusCounts
		get       fractalid.Status
		wantGet   int
		wantTotal int
		wantOrder []fractalid.Status
	}{
		{"documented", fractalid.StatusCounts{"approved": 55, "contacted": 4, "rejected": 10, "pending": 7}, fractalid.StatusApproved, 55, 76,
			[]fractalid.Status{"approved", "rejected", "pending", "contacted"}},
		{"zero omitted", fractalid.StatusCounts{"approved": 12}, fractalid.StatusPending, 0, 12, []fractalid.Status{"approved"}},
		{"nil", nil, fractalid.StatusExpired, 0, 0, []fractalid.Status{}},
		{"future statuses kept", fractalid.StatusCounts{"zz_new": 1, "on_hold": 2, "expired": 3}, "on_hold", 2, 6,
			[]fractalid.Status{"expired", "on_hold", "zz_new"}},
		{"negative ignored", fractalid.StatusCounts{"approved": 3, "pending": -9}, "pending", -9, 3, []fractalid.Status{"approved", "pending"}},
		{"saturating total", fractalid.StatusCounts{"a": int(^uint(0) >> 1), "b": 5}, "b", 5, int(^uint(0) >> 1), []fractalid.Status{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.counts.Get(tt.get); got != tt.wantGet {
				t.Errorf("Get(%q) = %d, want %d", tt.get, got, tt.wantGet)
			}
			if got := tt.counts.Total(); got != tt.wantTotal {
				t.Errorf("Total() = %d, want %d", got, tt.wantTotal)
			}
			if got := tt.counts.Statuses(); !reflect.DeepEqual(got, tt.wantOrder) {
				t.Errorf("Statuses() = %q, want %q", got, tt.wantOrder)
			}
		})
	}
}

func TestUserVerificationLevel(t *testing.T) {
	tests := []struct {
		raw      string
		want     fractalid.Level
		base     fractalid.Item
		hasLight bool
	}{
		{"v1", fractalid.Level{fractalid.LevelV1}, fractalid.LevelV1, false},
		{"light+selfie+wallet", fractalid.Level{fractalid.LevelLight, fractalid.AddOnSelfie, fractalid.AddOnWallet}, fractalid.LevelLight, true},
		{"basic+liveness+wallet-eth", fractalid.Level{fractalid.LevelBasic, fractalid.AddOnLiveness, fractalid.AddOnWalletETH}, fractalid.LevelBasic, false},
		{"", nil, "", false},
	}
	for _, tt := range tests {
		v := fractalid.UserVerification{RawLevel: tt.raw}
		got := v.Level()
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Level(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		if got.Base() != tt.base {
			t.Errorf("Level(%q).Base() = %q, want %q", tt.raw, got.Base(), tt.base)
		}
		if got.Has(fractalid.LevelLight) != tt.hasLight {
			t.Errorf("Level(%q).Has(light) = %v", tt.raw, !tt.hasLight)
		}
	}
}

func TestStatsDecodeFailures(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
		call func(context.Context, *fractalid.StatsClient) (any, error)
	}{
		{"docs example with trailing comma", "/v2/stats/user-verifications", string(statsFixture(t, "stats_users_docs.json")),
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.UserVerifications(ctx) }},
		{"truncated array", "/v2/stats/user-verifications", `[{"user_id":"a","level":"basic","credential":"approved"},{"user_id":"b"`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.UserVerifications(ctx) }},
		{"old flat object", "/v2/stats/user-verifications", `{"320bfdaa":"approved"}`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.UserVerifications(ctx) }},
		{"string count", "/v2/stats/total-verifications", `{"approved":"55"}`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.TotalVerifications(ctx) }},
		{"trailing garbage", "/v2/stats/total-verifications", `{"approved":55} {"x":1}`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.TotalVerifications(ctx) }},
		{"html", "/v2/stats/country-verifications", `<html>maintenance</html>`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.CountryVerifications(ctx) }},
		{"truncated country", "/v2/stats/country-verifications", `{"US":{"approved":8},"DK":{"appr`,
			func(ctx context.Context, c *fractalid.StatsClient) (any, error) { return c.CountryVerifications(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := statsMock(t)
			mt.RegisterResponder(http.MethodGet, statsResourceURL+tt.path, httpmock.NewStringResponder(200, tt.body))
			got, err := tt.call(t.Context(), c)
			if !errors.Is(err, kyc.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
			if v := reflect.ValueOf(got); !v.IsNil() {
				t.Errorf("got half-filled result %#v with error", got)
			}
		})
	}
}

func TestStatsAPIErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		header   http.Header
		is       error
		wantCode string
		wantMsg  string
		notInErr string
	}{
		{"expired token", 401, `{"error":"invalid_token","error_description":"The access token expired"}`, nil,
			kyc.ErrUnauthorized, "invalid_token", "The access token expired", "expired"},
		{"missing scope in header", 403, ``, http.Header{"Www-Authenticate": {`Bearer realm="Doorkeeper", error="insufficient_scope", error_description="The request requires higher privileges"`}},
			fractalid.ErrInsufficientScope, "insufficient_scope", "The request requires higher privileges", "higher privileges"},
		{"missing scope reported as 401", 401, `{"error":"insufficient_scope"}`, nil,
			kyc.ErrForbidden, "insufficient_scope", "", ""},
		{"echoed input not kept as code", 400, `{"error":"unknown user \"bob@example.com\""}`, nil,
			kyc.ErrBadRequest, "", "", "example.com"},
		{"plain text 500", 500, `internal error for user@example.com`, nil,
			kyc.ErrServer, "", "", "example.com"},
		{"message field", 404, `{"message":"Not found"}`, nil,
			kyc.ErrNotFound, "", "Not found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := statsMock(t)
			mt.RegisterResponder(http.MethodGet, statsResourceURL+"/v2/stats/total-verifications", func(*http.Request) (*http.Response, error) {
				resp := httpmock.NewStringResponse(tt.status, tt.body)
				for k, v := range tt.header {
					resp.Header[k] = v
				}
				return resp, nil
			})
			got, err := c.TotalVerifications(t.Context())
			if got != nil {
				t.Errorf("result %v with error", got)
			}
			var apiErr *kyc.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %T %v, want *APIError", err, err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if apiErr.Code != tt.wantCode || apiErr.Message != tt.wantMsg {
				t.Errorf("Code, Message = %q, %q; want %q, %q", apiErr.Code, apiErr.Message, tt.wantCode, tt.wantMsg)
			}
			if apiErr.RequiredPermission != "client.stats:read" {
				t.Errorf("RequiredPermission = %q", apiErr.RequiredPermission)
			}
			if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
				t.Errorf("Error() %q leaks %q", err, tt.notInErr)
			}
			if strings.Contains(err.Error(), statsTestToken) {
				t.Errorf("Error() leaks the token")
			}
		})
	}
}

func TestStatsTokenErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		is       error
	}{
		{"invalid client", 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`, "invalid_client", kyc.ErrToken},
		{"invalid scope", 400, `{"error":"invalid_scope"}`, "invalid_scope", kyc.ErrToken},
		{"token endpoint down", 503, `<html>down</html>`, "", kyc.ErrToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, statsTokenURL, httpmock.NewStringResponder(tt.status, tt.body).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
			mt.RegisterResponder(http.MethodGet, statsResourceURL+"/v2/stats/total-verifications", httpmock.NewStringResponder(200, `{}`))
			c, err := fractalid.NewStatsClient(
				fractalid.WithCredentials(statsTestClientID, statsTestClientSecret),
				option.WithHTTPClient(&http.Client{Transport: mt}),
				option.NoRetries(),
			)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.TotalVerifications(t.Context())
			var te *kyc.TokenError
			if !errors.As(err, &te) || !errors.Is(err, tt.is) {
				t.Fatalf("err = %T %v, want *TokenError", err, err)
			}
			if te.Code != tt.wantCode || te.StatusCode != tt.status {
				t.Errorf("Code, StatusCode = %q, %d", te.Code, te.StatusCode)
			}
			for _, secret := range []string{statsTestClientSecret, "Client authentication failed"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
					t.Errorf("error leaks %q: %v", secret, err)
				}
			}
			if n := mt.GetCallCountInfo()["GET "+statsResourceURL+"/v2/stats/total-verifications"]; n != 0 {
				t.Errorf("stats endpoint called %d times without a token", n)
			}
		})
	}
}

func TestNewStatsClientOptions(t *testing.T) {
	creds := fractalid.WithCredentials("id", statsTestClientSecret)
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})
	tests := []struct {
		name    string
		opts    []option.ClientOption
		wantErr bool
	}{
		{"credentials", []option.ClientOption{creds}, false},
		{"token source", []option.ClientOption{option.WithTokenSource(ts)}, false},
		{"staging", []option.ClientOption{creds, fractalid.WithEnvironment(fractalid.Staging)}, false},
		{"all core options", []option.ClientOption{creds, option.WithTimeout(time.Second), option.WithMaxResponseBytes(1 << 20),
			option.WithLogger(nil), option.WithUserAgent("backoffice/1.0"), option.WithRetryPolicy(option.DefaultRetryPolicy())}, false},
		{"loopback http", []option.ClientOption{creds, fractalid.WithEnvironment(fractalid.Environment{AuthURL: "http://127.0.0.1:1", ResourceURL: "http://127.0.0.1:1"})}, false},
		{"no auth", nil, true},
		{"both auths", []option.ClientOption{creds, option.WithTokenSource(ts)}, true},
		{"empty client id", []option.ClientOption{fractalid.WithCredentials(" ", "secret")}, true},
		{"empty secret", []option.ClientOption{fractalid.WithCredentials("id", "")}, true},
		{"nil token source", []option.ClientOption{option.WithTokenSource(nil)}, true},
		{"nil http client", []option.ClientOption{creds, option.WithHTTPClient(nil)}, true},
		{"empty environment", []option.ClientOption{creds, fractalid.WithEnvironment(fractalid.Environment{})}, true},
		{"plain http resource", []option.ClientOption{creds, option.WithBaseURL("http://resource.example.com")}, true},
		{"plain http token endpoint", []option.ClientOption{creds, fractalid.WithEnvironment(fractalid.Environment{AuthURL: "http://auth.example.com", ResourceURL: "https://r.example.com"})}, true},
		{"insecure allowed", []option.ClientOption{creds, option.WithInsecureHTTP(), fractalid.WithEnvironment(fractalid.Environment{AuthURL: "http://auth.example.com", ResourceURL: "http://r.example.com"})}, false},
		{"base URL with query", []option.ClientOption{creds, option.WithBaseURL("https://r.example.com/?x=1")}, true},
		{"empty base URL", []option.ClientOption{creds, option.WithBaseURL("")}, true},
		{"zero timeout", []option.ClientOption{creds, option.WithTimeout(0)}, true},
		{"bad retry policy", []option.ClientOption{creds, option.WithRetryPolicy(option.RetryPolicy{MaxRetries: -1})}, true},
		{"zero max bytes", []option.ClientOption{creds, option.WithMaxResponseBytes(0)}, true},
		{"user agent with newline", []option.ClientOption{creds, option.WithUserAgent("a\r\nX: y")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fractalid.NewStatsClient(tt.opts...)
			if tt.wantErr {
				if err == nil || !errors.Is(err, kyc.ErrInvalidArgument) {
					t.Fatalf("err = %v, want ErrInvalidArgument", err)
				}
				if c != nil {
					t.Error("client returned with error")
				}
				if strings.Contains(err.Error(), statsTestClientSecret) {
					t.Errorf("error mentions the secret: %v", err)
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestStatsClientDoesNotPrintSecrets(t *testing.T) {
	c, err := fractalid.NewStatsClient(fractalid.WithCredentials(statsTestClientID, statsTestClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, c)
		if strings.Contains(out, statsTestClientSecret) {
			t.Errorf("%s prints the secret: %s", f, out)
		}
		if !strings.Contains(out, "resource.fractal.id") {
			t.Errorf("%s = %q, want the resource host", f, out)
		}
	}
}

// TestStatsTestServer runs the client against a loopback server of its own
// (the fractalidtest fake does not serve the stats endpoints yet): tokens
// live one second and are renewed past half their lifetime, so the second
// call, 600ms later, fetches a new one after the previous call's context
// was cancelled; a 503 on GET is retried.
func TestStatsTestServer(t *testing.T) {
	var tokens, stats atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("scope") != "client.stats:read" ||
			r.PostFormValue("client_id") != statsTestClientID || r.PostFormValue("client_secret") != statsTestClientSecret {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		n := tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		// expires_in 1: the client renews the token after half a second.
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": 1, "scope": "client.stats:read"})
	})
	mux.HandleFunc("GET /v2/stats/total-verifications", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			w.WriteHeader(401)
			return
		}
		if stats.Add(1) == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(statsFixture(t, "stats_total.json"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	c, err := fractalid.NewStatsClient(
		fractalid.WithCredentials(statsTestClientID, statsTestClientSecret),
		fractalid.WithEnvironment(fractalid.Environment{Name: "test", AuthURL: srv.URL, ResourceURL: srv.URL}),
		option.WithHTTPClient(srv.Client()),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx1, cancel := context.WithCancel(t.Context())
	if _, err := c.TotalVerifications(ctx1); err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(600 * time.Millisecond)
	got, err := c.TotalVerifications(t.Context())
	if err != nil {
		t.Fatalf("second call after the first context was cancelled: %v", err)
	}
	if got.Get(fractalid.StatusApproved) != 55 || got.Total() != 76 {
		t.Errorf("got %v", got)
	}
	if tokens.Load() != 2 || stats.Load() != 3 {
		t.Errorf("tokens, stats requests = %d, %d; want 2, 3", tokens.Load(), stats.Load())
	}
}

func FuzzStatsDecode(f *testing.F) {
	for _, name := range []string{"stats_total.json", "stats_country.json", "stats_users.json", "stats_users_docs.json", "stats_users_mixed.json"} {
		f.Add(statsFixture(f, name))
	}
	f.Add([]byte(`[{"user_id":1}]`))
	f.Add([]byte(`{"approved":9223372036854775807,"pending":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var total fractalid.StatusCounts
		if json.Unmarshal(data, &total) == nil {
			if len(total.Statuses()) != len(total) {
				t.Fatalf("Statuses() lost keys")
			}
			sum, saturated := 0, false
			for _, s := range total.Statuses() {
				if n := total.Get(s); n > 0 {
					if sum > math.MaxInt-n {
						saturated = true
					}
					sum += n
				}
			}
			if got := total.Total(); got < 0 || (!saturated && got != sum) || (saturated && got != math.MaxInt) {
				t.Fatalf("Total() = %d, sum of positive counts %d (saturated %v)", got, sum, saturated)
			}
		}
		var country map[string]fractalid.StatusCounts
		_ = json.Unmarshal(data, &country)
		var rows []fractalid.UserVerification
		if json.Unmarshal(data, &rows) == nil {
			for _, r := range rows {
				if l := r.Level(); len(l) > 0 && strings.Contains(l.String(), "++") {
					t.Fatalf("Level(%q) kept an empty item", r.RawLevel)
				}
			}
		}
	})
}
