package ekycadmin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/option"
)

const testToken = "opaque-access-token-abc"

// recorded is one request the mock saw.
type recorded struct {
	Method, EscapedPath, RawQuery string
	Header                        http.Header
	Body                          []byte
}

// recorder collects requests; it is safe for concurrent use.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) add(req *http.Request) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Clone(), body})
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// respond records the request and answers with status and body.
func (r *recorder) respond(status int, body string, header ...string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		r.add(req)
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			resp.Header.Set(header[i], header[i+1])
		}
		return resp, nil
	}
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newMockClient returns a client on the default base URL whose requests go
// to a fresh httpmock transport, with a static token and no retries unless
// opts say otherwise.
func newMockClient(t *testing.T, opts ...option.ClientOption) (*ekycadmin.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []option.ClientOption{
		option.WithHTTPClient(&http.Client{Transport: mt}),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})),
		option.NoRetries(),
	}
	c, err := ekycadmin.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

const base = ekycadmin.DefaultBaseURL

func TestNewClientOptions(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})
	tests := []struct {
		name    string
		opts    []option.ClientOption
		wantErr bool
	}{
		{"token source", []option.ClientOption{option.WithTokenSource(ts)}, false},
		{"credentials", []option.ClientOption{ekycadmin.WithCredentials("id", "secret")}, false},
		{"no auth", nil, true},
		{"both auths", []option.ClientOption{option.WithTokenSource(ts), ekycadmin.WithCredentials("id", "secret")}, true},
		{"empty client id", []option.ClientOption{ekycadmin.WithCredentials(" ", "secret")}, true},
		{"empty secret", []option.ClientOption{ekycadmin.WithCredentials("id", "")}, true},
		{"nil token source", []option.ClientOption{option.WithTokenSource(nil)}, true},
		{"nil http client", []option.ClientOption{option.WithTokenSource(ts), option.WithHTTPClient(nil)}, true},
		{"plain http base", []option.ClientOption{option.WithTokenSource(ts), option.WithBaseURL("http://api.example.com")}, true},
		{"plain http base allowed", []option.ClientOption{option.WithTokenSource(ts), option.WithBaseURL("http://api.example.com"), option.WithInsecureHTTP()}, false},
		{"loopback http base", []option.ClientOption{option.WithTokenSource(ts), option.WithBaseURL("http://127.0.0.1:8080")}, false},
		{"base with query", []option.ClientOption{option.WithTokenSource(ts), option.WithBaseURL("https://api.example.com/?a=b")}, true},
		{"empty base", []option.ClientOption{option.WithTokenSource(ts), option.WithBaseURL("")}, true},
		{"plain http token URL", []option.ClientOption{ekycadmin.WithCredentials("id", "s"), ekycadmin.WithTokenURL("http://auth.example.com/token")}, true},
		{"empty token URL", []option.ClientOption{ekycadmin.WithCredentials("id", "s"), ekycadmin.WithTokenURL("")}, true},
		{"bad scope", []option.ClientOption{ekycadmin.WithCredentials("id", "s"), ekycadmin.WithScopes("a b")}, true},
		{"empty API key", []option.ClientOption{option.WithTokenSource(ts), ekycadmin.WithAPIKey("")}, true},
		{"API key with newline", []option.ClientOption{option.WithTokenSource(ts), ekycadmin.WithAPIKey("k\r\nX: y")}, true},
		{"negative timeout", []option.ClientOption{option.WithTokenSource(ts), option.WithTimeout(-time.Second)}, true},
		{"zero max bytes", []option.ClientOption{option.WithTokenSource(ts), option.WithMaxResponseBytes(0)}, true},
		{"bad retry policy", []option.ClientOption{option.WithTokenSource(ts), option.WithRetryPolicy(option.RetryPolicy{MaxRetries: -1})}, true},
		{"user agent with newline", []option.ClientOption{option.WithTokenSource(ts), option.WithUserAgent("a\nb")}, true},
		{"logger and nil option", []option.ClientOption{option.WithTokenSource(ts), nil, option.WithLogger(slog.New(slog.DiscardHandler))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ekycadmin.NewClient(tt.opts...)
			if tt.wantErr {
				if err == nil {
					t.Fatal("NewClient succeeded, want error")
				}
				if !errors.Is(err, kyc.ErrInvalidArgument) {
					t.Errorf("error %v does not match ErrInvalidArgument", err)
				}
				return
			}
			if err != nil || c == nil {
				t.Fatalf("NewClient: %v", err)
			}
		})
	}
}

func TestClientStringHidesSecrets(t *testing.T) {
	c, err := ekycadmin.NewClient(ekycadmin.WithCredentials("client-id-1", "top-secret-value"), ekycadmin.WithAPIKey("api-key-value"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "top-secret-value") || strings.Contains(s, "api-key-value") {
			t.Errorf("client prints a secret: %s", s)
		}
		if !strings.Contains(s, ekycadmin.DefaultBaseURL) {
			t.Errorf("client string %q lacks the base URL", s)
		}
	}
}

// TestClientCredentials checks the token request (Basic client auth,
// grant_type, default scope, default token URL), that the token is reused,
// that the API key goes to the API only, and the Bearer header.
func TestClientCredentials(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var tokenReqs, apiReqs recorder
	mt.RegisterResponder(http.MethodPost, ekycadmin.DefaultTokenURL,
		tokenReqs.respond(200, `{"access_token":"`+testToken+`","token_type":"bearer","expires_in":3600,"scope":"openid"}`))
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u1/status", apiReqs.respond(200, `{"total_sessions":0}`))

	c, err := ekycadmin.NewClient(ekycadmin.WithCredentials("svc-client", "svc-secret"),
		option.WithHTTPClient(&http.Client{Transport: mt}), ekycadmin.WithAPIKey("key-1"))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.UserStatus(t.Context(), "u1"); err != nil {
			t.Fatal(err)
		}
	}
	toks := tokenReqs.all()
	if len(toks) != 1 {
		t.Fatalf("token requests = %d, want 1 (token reused)", len(toks))
	}
	tr := toks[0]
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc-client:svc-secret"))
	if got := tr.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("token Authorization = %q, want %q", got, wantAuth)
	}
	form, err := url.ParseQuery(string(tr.Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("grant_type") != "client_credentials" || form.Get("scope") != "openid" {
		t.Errorf("token form = %v", form)
	}
	if form.Has("client_secret") || form.Has("client_id") {
		t.Errorf("client credentials sent in the form: %v", form)
	}
	if tr.Header.Get(ekycadmin.APIKeyHeader) != "" {
		t.Error("API key sent to the token endpoint")
	}
	for _, r := range apiReqs.all() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("API Authorization = %q", got)
		}
		if got := r.Header.Get(ekycadmin.APIKeyHeader); got != "key-1" {
			t.Errorf("X-API-Key = %q", got)
		}
	}
}

func TestClientCredentialsCustomURLAndScopes(t *testing.T) {
	mt := httpmock.NewMockTransport()
	var tokenReqs recorder
	mt.RegisterResponder(http.MethodPost, "https://hydra.example.com/oauth2/token",
		tokenReqs.respond(200, `{"access_token":"t2","token_type":"bearer","expires_in":60}`))
	mt.RegisterResponder(http.MethodGet, "https://api.example.com/v1/ekyc/admin/u1/status", httpmock.NewStringResponder(200, `{}`))
	c, err := ekycadmin.NewClient(ekycadmin.WithCredentials("a", "b"),
		ekycadmin.WithTokenURL("https://hydra.example.com/oauth2/token"), ekycadmin.WithScopes(),
		option.WithBaseURL("https://api.example.com/v1/"), option.WithHTTPClient(&http.Client{Transport: mt}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserStatus(t.Context(), "u1"); err != nil {
		t.Fatal(err)
	}
	toks := tokenReqs.all()
	if len(toks) != 1 {
		t.Fatalf("token requests = %d", len(toks))
	}
	if form, _ := url.ParseQuery(string(toks[0].Body)); form.Has("scope") {
		t.Errorf("scope sent although WithScopes() gave none: %v", form)
	}
}

// TestTokenEndpointFailure: a token endpoint 5xx is a *TokenError, sent
// once (a POST that reached the server is not retried), and the API is
// never called.
func TestTokenEndpointFailure(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		wantReauth bool
		wantCode   string
	}{
		{"server error", `oops`, 503, false, ""},
		{"invalid client", `{"error":"invalid_client","error_description":"bad secret s3cr3t"}`, 401, false, "invalid_client"},
		{"invalid grant", `{"error":"invalid_grant"}`, 400, true, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, ekycadmin.DefaultTokenURL, httpmock.NewStringResponder(tt.status, tt.body))
			c, err := ekycadmin.NewClient(ekycadmin.WithCredentials("svc", "s3cr3t"), option.WithHTTPClient(&http.Client{Transport: mt}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.UserStatus(t.Context(), "u1")
			if !errors.Is(err, kyc.ErrToken) {
				t.Fatalf("error %v does not match ErrToken", err)
			}
			var code string
			var te *kyc.TokenError
			var re *kyc.ReauthorizationRequiredError
			switch {
			case errors.As(err, &re):
				code = re.Code
			case errors.As(err, &te):
				code = te.Code
			default:
				t.Fatalf("error %T is neither a *TokenError nor a *ReauthorizationRequiredError", err)
			}
			if code != tt.wantCode {
				t.Errorf("Code = %q, want %q", code, tt.wantCode)
			}
			if got := errors.Is(err, kyc.ErrReauthorizationRequired); got != tt.wantReauth {
				t.Errorf("reauthorization = %v, want %v", got, tt.wantReauth)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error leaks the secret: %v", err)
			}
			if n := mt.GetTotalCallCount(); n != 1 {
				t.Errorf("requests = %d, want 1 token request and no API call", n)
			}
		})
	}
}

func TestListSessionsQueryEncoding(t *testing.T) {
	tests := []struct {
		name      string
		opts      *ekycadmin.ListOptions
		wantQuery url.Values
	}{
		{"nil options send no query", nil, url.Values{}},
		{"zero options send start=0", &ekycadmin.ListOptions{}, url.Values{"start": {"0"}}},
		{"explicit start=0 and limit", &ekycadmin.ListOptions{Start: 0, Limit: 10}, url.Values{"start": {"0"}, "limit": {"10"}}},
		{"offset", &ekycadmin.ListOptions{Start: 2048, Limit: 1024}, url.Values{"start": {"2048"}, "limit": {"1024"}}},
		{"max int32", &ekycadmin.ListOptions{Start: 1<<31 - 1, Limit: 1}, url.Values{"start": {"2147483647"}, "limit": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin", rec.respond(200, fixture(t, "list_page.json")))
			page, err := c.ListSessions(t.Context(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) != 3 || page[0].UserID != "user-1" || page[0].Sessions["k1"].ID != "s1" {
				t.Errorf("page = %v", page)
			}
			reqs := rec.all()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d", len(reqs))
			}
			got, _ := url.ParseQuery(reqs[0].RawQuery)
			if got.Encode() != tt.wantQuery.Encode() {
				t.Errorf("query = %q, want %q", got.Encode(), tt.wantQuery.Encode())
			}
			if reqs[0].EscapedPath != "/ekyc/admin" {
				t.Errorf("path = %q", reqs[0].EscapedPath)
			}
		})
	}
}

func TestListSessionsInvalidOptions(t *testing.T) {
	for _, o := range []ekycadmin.ListOptions{{Start: -1}, {Limit: -5}, {Start: 1 << 31}, {Limit: 1 << 31}} {
		c, mt := newMockClient(t)
		if _, err := c.ListSessions(t.Context(), &o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%+v: error %v, want ErrInvalidArgument", o, err)
		}
		if n := mt.GetTotalCallCount(); n != 0 {
			t.Errorf("%+v: %d requests sent", o, n)
		}
	}
}

func TestListSessionsEmptyAndNull(t *testing.T) {
	for _, body := range []string{`[]`, `null`} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin", httpmock.NewStringResponder(200, body))
		page, err := c.ListSessions(t.Context(), nil)
		if err != nil || page == nil || len(page) != 0 {
			t.Errorf("body %s: page %v (nil=%v), err %v; want empty non-nil page", body, page, page == nil, err)
		}
	}
}

func TestPathEscaping(t *testing.T) {
	tests := []struct {
		userID, wantPath string
	}{
		{"8c3f2a4e-1d2b-4c5a-9e7f-0a1b2c3d4e5f", "/ekyc/admin/8c3f2a4e-1d2b-4c5a-9e7f-0a1b2c3d4e5f"},
		{"a/b", "/ekyc/admin/a%2Fb"},
		{"..", "/ekyc/admin/%2E%2E"},
		{".", "/ekyc/admin/%2E"},
		{"../status", "/ekyc/admin/..%2Fstatus"},
		{"zoë 名前", "/ekyc/admin/zo%C3%AB%20%E5%90%8D%E5%89%8D"},
		{"a?b#c", "/ekyc/admin/a%3Fb%23c"},
		{"100%", "/ekyc/admin/100%25"},
	}
	type call struct {
		name, method, leaf string
		do                 func(*ekycadmin.Client, string) error
	}
	calls := []call{
		{"UserSessions", http.MethodGet, "/sessions", func(c *ekycadmin.Client, id string) error {
			_, err := c.UserSessions(t.Context(), id)
			return err
		}},
		{"CreateSession", http.MethodPost, "/sessions", func(c *ekycadmin.Client, id string) error {
			_, err := c.CreateSession(t.Context(), id, nil)
			return err
		}},
		{"UserStatus", http.MethodGet, "/status", func(c *ekycadmin.Client, id string) error {
			_, err := c.UserStatus(t.Context(), id)
			return err
		}},
	}
	for _, cl := range calls {
		for _, tt := range tests {
			t.Run(cl.name+"/"+tt.userID, func(t *testing.T) {
				c, mt := newMockClient(t)
				var rec recorder
				mt.RegisterNoResponder(rec.respond(200, `{}`))
				if err := cl.do(c, tt.userID); err != nil {
					t.Fatal(err)
				}
				reqs := rec.all()
				if len(reqs) != 1 {
					t.Fatalf("requests = %d", len(reqs))
				}
				if reqs[0].Method != cl.method || reqs[0].EscapedPath != tt.wantPath+cl.leaf {
					t.Errorf("sent %s %s, want %s %s", reqs[0].Method, reqs[0].EscapedPath, cl.method, tt.wantPath+cl.leaf)
				}
				if reqs[0].RawQuery != "" {
					t.Errorf("query %q sent", reqs[0].RawQuery)
				}
			})
		}
	}
}

func TestEmptyUserIDRefused(t *testing.T) {
	c, mt := newMockClient(t)
	_, err1 := c.UserSessions(t.Context(), "")
	_, err2 := c.CreateSession(t.Context(), "", &ekycadmin.CreateSessionRequest{})
	_, err3 := c.UserStatus(t.Context(), "")
	for i, err := range []error{err1, err2, err3} {
		if !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("call %d: error %v, want ErrInvalidArgument", i, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestUserSessions(t *testing.T) {
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/8c3f2a4e-1d2b-4c5a-9e7f-0a1b2c3d4e5f/sessions", rec.respond(200, fixture(t, "user_sessions.json")))
	us, err := c.UserSessions(t.Context(), "8c3f2a4e-1d2b-4c5a-9e7f-0a1b2c3d4e5f")
	if err != nil {
		t.Fatal(err)
	}
	if us.UserID != "8c3f2a4e-1d2b-4c5a-9e7f-0a1b2c3d4e5f" || len(us.Sessions) != 3 {
		t.Fatalf("got %v", us)
	}
	s := us.Sessions["a1b2c3d4-0000-4000-8000-000000000001"]
	if s.SessionToken != "eyJhbGciOiJIUzI1NiJ9.c2Vzc2lvbi10b2tlbi0x.sig1" || s.Status != ekycadmin.StatusSubmitted ||
		s.CreationDate != "2024-03-02T10:00:00.000+00:00" || s.ModifiedDate == "" || s.OriginalRequest == nil ||
		s.OriginalRequest.Callback != "https://app.example.com/kyc/done" || s.OriginalRequest.OrgID != "org-42" ||
		string(s.OriginalRequest.Extra["given_name"]) != `"Alice"` {
		t.Errorf("session decoded as %+v / %+v", s.ID, s.OriginalRequest)
	}
	sorted := us.Sorted()
	var ids []string
	for _, e := range sorted {
		ids = append(ids, e.Session.ID)
	}
	want := []string{"22222222-d3be-4b28-b028-a652feb060b5", "11111111-d3be-4b28-b028-a652feb060b5", "f04bdb47-d3be-4b28-b028-a652feb060b5"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("Sorted ids = %v, want %v (by creation_date, undated last)", ids, want)
	}
	if sorted[0].Key != "b2c3d4e5-0000-4000-8000-000000000002" {
		t.Errorf("Sorted key = %q", sorted[0].Key)
	}
	h := rec.all()[0].Header
	if h.Get("Authorization") != "Bearer "+testToken || !strings.HasPrefix(h.Get("User-Agent"), "kyc-go/") || h.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", h)
	}
}

func TestCreateSession(t *testing.T) {
	tests := []struct {
		name     string
		req      *ekycadmin.CreateSessionRequest
		wantBody string
	}{
		{"nil request sends an empty object", nil, `{}`},
		{"callback", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/kyc/done?x=1"}, `{"callback":"https://app.example.com/kyc/done?x=1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, base+"/ekyc/admin/user-1/sessions", rec.respond(200, fixture(t, "session_created.json")))
			s, err := c.CreateSession(t.Context(), "user-1", tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if s.ID != "f04bdb47-d3be-4b28-b028-a652feb060b5" || s.Status != ekycadmin.StatusCreated ||
				!strings.HasPrefix(s.URL, "https://alchemy.veriff.com/v/") || s.SessionToken == "" || s.CreationDate != "" || s.OriginalRequest != nil {
				t.Errorf("session = %+v", s)
			}
			r := rec.all()[0]
			if string(r.Body) != tt.wantBody {
				t.Errorf("body = %s, want %s", r.Body, tt.wantBody)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestCreateSessionInvalidCallback(t *testing.T) {
	for _, cb := range []string{"relative/path", "ftp://x.example.com/", "https://", "javascript:alert(1)", "http://[::1"} {
		c, mt := newMockClient(t)
		_, err := c.CreateSession(t.Context(), "u1", &ekycadmin.CreateSessionRequest{Callback: cb})
		if !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("callback %q: error %v", cb, err)
		}
		if mt.GetTotalCallCount() != 0 {
			t.Errorf("callback %q: request sent", cb)
		}
	}
}

func TestUserStatus(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u1/status", httpmock.NewStringResponder(200, fixture(t, "user_status.json")))
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u2/status", httpmock.NewStringResponder(200, fixture(t, "user_status_empty.json")))
	st, err := c.UserStatus(t.Context(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalSessions != 2 || st.Verification == nil || st.Verification.Reason == "" || st.Created == nil || st.Submitted == nil ||
		st.Started != nil || st.Success != nil || st.Rejected != nil || st.Expired != nil {
		t.Errorf("status = %+v", *st)
	}
	if !st.Outcome().IsApproved() || !st.Outcome().IsFinal() {
		t.Errorf("Outcome = %q, want approved", st.Outcome())
	}
	if tm, ok := st.Timestamp.Time(); !ok || !tm.Equal(time.Date(2024, 3, 2, 10, 6, 0, 123e6, time.UTC)) {
		t.Errorf("Timestamp.Time = %v %v", tm, ok)
	}
	empty, err := c.UserStatus(t.Context(), "u2")
	if err != nil {
		t.Fatal(err)
	}
	if empty.TotalSessions != 0 || empty.Verification != nil || empty.Outcome() != "" || empty.Outcome().IsFinal() || empty.Outcome().IsInProgress() {
		t.Errorf("empty status = %+v", *empty)
	}
}

// TestMalformedBodies: a truncated or malformed 2xx body gives (nil, err)
// matching ErrDecode, never a half-filled model.
func TestMalformedBodies(t *testing.T) {
	full := fixture(t, "user_sessions.json")
	tests := []struct{ name, body string }{
		{"truncated", full[:len(full)/2]},
		{"empty", ``},
		{"html", `<html>gateway</html>`},
		{"wrong type", `{"id": 42}`},
		{"trailing garbage", `{"id":"u"} {"id":"v"}`},
		{"sessions not a map", `{"id":"u","sessions":[1]}`},
		{"original_request field not a string", `{"id":"u","sessions":{"k":{"original_request":{"callback":7}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u/sessions", httpmock.NewStringResponder(200, tt.body))
			us, err := c.UserSessions(t.Context(), "u")
			if us != nil {
				t.Errorf("got a model %v with error %v", us, err)
			}
			if !errors.Is(err, kyc.ErrDecode) {
				t.Errorf("error %v does not match ErrDecode", err)
			}
			if strings.Contains(fmt.Sprint(err), "Alice") {
				t.Errorf("error leaks body: %v", err)
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	c, mt := newMockClient(t, option.WithMaxResponseBytes(64))
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin", httpmock.NewStringResponder(200, fixture(t, "list_page.json")))
	page, err := c.ListSessions(t.Context(), nil)
	if page != nil || !errors.Is(err, kyc.ErrResponseTooLarge) {
		t.Errorf("page %v, err %v; want ErrResponseTooLarge", page, err)
	}
}

// TestModelsPrintNoPII: String, %+v, %#v and slog output of every model
// print identifiers only.
func TestModelsPrintNoPII(t *testing.T) {
	var us ekycadmin.UserSessions
	if err := json.Unmarshal([]byte(fixture(t, "user_sessions.json")), &us); err != nil {
		t.Fatal(err)
	}
	var st ekycadmin.UserStatus
	if err := json.Unmarshal([]byte(fixture(t, "user_status.json")), &st); err != nil {
		t.Fatal(err)
	}
	s := us.Sessions["a1b2c3d4-0000-4000-8000-000000000001"]
	// slog resolves LogValue only on the logged value itself, and its JSON
	// handler encodes a plain slice or map with encoding/json: the models'
	// own collections (Sessions, Page) are named types that log safely.
	single := []any{us, &us, s, &s, *s.OriginalRequest, s.OriginalRequest, us.Sorted()[1], st, &st, *st.Verification, st.Verification,
		us.Sessions, ekycadmin.Page{us, us}}
	// fmt uses String inside plain slices and maps too.
	values := append(single, us.Sorted(), []ekycadmin.UserSessions{us}, map[string]ekycadmin.Session{"k": s})
	secrets := []string{"Alice", "1990-01-31", "sig1", "eyJ", "alchemy.veriff.com", "app.example.com", "Document and face match"}
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	for i, v := range values {
		if i < len(single) {
			logger.Info("value", "v", v)
		}
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(format, v)
			for _, secret := range secrets {
				if strings.Contains(out, secret) {
					t.Errorf("value %d with %s prints %q: %s", i, format, secret, out)
				}
			}
		}
	}
	for _, secret := range secrets {
		if strings.Contains(logBuf.String(), secret) {
			t.Errorf("log output contains %q: %s", secret, logBuf.String())
		}
	}
	if !strings.Contains(fmt.Sprint(s), "11111111-d3be-4b28-b028-a652feb060b5") || !strings.Contains(logBuf.String(), "org-42") {
		t.Error("ids missing from the output")
	}
}

func TestStatusHelpers(t *testing.T) {
	tests := []struct {
		s                                        ekycadmin.Status
		approved, declined, final, inProg, known bool
	}{
		{"approved", true, false, true, false, true},
		{"success", true, false, true, false, true},
		{"SUCCESS", true, false, true, false, true},
		{"declined", false, true, true, false, true},
		{"rejected", false, true, true, false, true},
		{"expired", false, false, true, false, true},
		{"abandoned", false, false, true, false, true},
		{"created", false, false, false, true, true},
		{"started", false, false, false, true, true},
		{"submitted", false, false, false, true, true},
		{"resubmission_requested", false, false, false, false, false},
		{"", false, false, false, false, false},
	}
	for _, tt := range tests {
		if tt.s.IsApproved() != tt.approved || tt.s.IsDeclined() != tt.declined || tt.s.IsFinal() != tt.final ||
			tt.s.IsInProgress() != tt.inProg || tt.s.IsKnown() != tt.known {
			t.Errorf("%q: approved=%v declined=%v final=%v inProgress=%v known=%v", tt.s,
				tt.s.IsApproved(), tt.s.IsDeclined(), tt.s.IsFinal(), tt.s.IsInProgress(), tt.s.IsKnown())
		}
	}
	// Unknown values survive decoding.
	var s ekycadmin.Session
	if err := json.Unmarshal([]byte(`{"status":"review"}`), &s); err != nil || s.Status != "review" {
		t.Errorf("unknown status decoded as %q, %v", s.Status, err)
	}
}

func TestTimestamp(t *testing.T) {
	want := time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in ekycadmin.Timestamp
		ok bool
	}{
		{"2024-03-02T10:00:00Z", true},
		{"2024-03-02T10:00:00.000+00:00", true},
		{"2024-03-02T11:00:00.000+0100", true},
		{"2024-03-02T10:00:00", true},
		{"2024-03-02 10:00:00", true},
		{"1709373600000", true},
		{"", false},
		{"yesterday", false},
	}
	for _, tt := range tests {
		got, ok := tt.in.Time()
		if ok != tt.ok || (ok && !got.Equal(want)) {
			t.Errorf("%q: %v %v", tt.in, got, ok)
		}
	}
}

func TestSortedStable(t *testing.T) {
	us := ekycadmin.UserSessions{Sessions: map[string]ekycadmin.Session{
		"k3": {ID: "b"}, "k1": {ID: "b"}, "k2": {ID: "a"},
		"k4": {ID: "z", CreationDate: "2024-01-02T00:00:00Z"},
		"k5": {ID: "y", CreationDate: "2024-01-01T23:00:00-02:00"}, // later than k4 in UTC
		"k6": {ID: "x", CreationDate: "not a date"},
	}}
	var keys []string
	for range 20 { // map order varies between runs; the result must not
		keys = keys[:0]
		for _, e := range us.Sorted() {
			keys = append(keys, e.Key)
		}
		if got := strings.Join(keys, ","); got != "k4,k5,k2,k1,k3,k6" {
			t.Fatalf("Sorted keys = %s", got)
		}
	}
	if got := (ekycadmin.UserSessions{}).Sorted(); len(got) != 0 {
		t.Errorf("empty Sorted = %v", got)
	}
}

func TestOriginalRequestRoundTrip(t *testing.T) {
	in := `{"callback":"https://a.example.com/","org_id":"o1","given_name":"Alice"}`
	var r ekycadmin.OriginalRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("round trip %s -> %s", in, out)
	}
	if err := json.Unmarshal([]byte(`{"callback":null}`), &r); err != nil || r.Callback != "" {
		t.Errorf("null callback: %v %q", err, r.Callback)
	}
}

func TestContextCanceled(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, base+"/ekyc/admin/u/status", httpmock.NewStringResponder(200, `{}`))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.UserStatus(ctx, "u")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
