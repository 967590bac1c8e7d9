package incode_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/option"
)

const (
	mockAPI  = "https://api.incode.test"
	mockAuth = "https://auth.incode.test"
	apiKey   = "key-SENTINEL-5f1"
	clientID = "client-42"
	cSecret  = "secret-SENTINEL-a9"
)

// recorded is one request the mock transport saw.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) record(req *http.Request) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.Header.Clone(), body})
	r.mu.Unlock()
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// newMock returns a client on a mock transport: a token endpoint and the
// responders the test registers.
func newMock(t *testing.T, opts ...option.ClientOption) (*incode.Client, *httpmock.MockTransport, *recorder) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	rec := &recorder{}
	mt.RegisterResponder(http.MethodPost, mockAuth+"/oauth2/token", func(req *http.Request) (*http.Response, error) {
		rec.record(req)
		return httpmock.NewStringResponse(200, `{"access_token":"tok-SENTINEL","token_type":"Bearer","expires_in":3600}`), nil
	})
	base := []option.ClientOption{
		incode.WithEnvironment(incode.Environment{Name: "mock", APIURL: mockAPI, AuthURL: mockAuth}),
		option.WithHTTPClient(&http.Client{Transport: mt}),
		incode.WithAPIKey(apiKey),
		incode.WithClientCredentials(clientID, cSecret),
		incode.WithIntegrationID("int-7"),
		incode.WithConfigurationID("cfg-3"),
	}
	c, err := incode.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt, rec
}

func jsonReply(rec *recorder, status int, body string) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		rec.record(req)
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	}
}

func headerNames(h http.Header) []string {
	var names []string
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func TestRequestNewOnboardingWire(t *testing.T) {
	c, mt, rec := newMock(t)
	mt.RegisterResponder(http.MethodPost, mockAPI+"/omni/b2b/onboarding/request-new",
		jsonReply(rec, 200, `{"interviewId":"66a1b2c3d4e5f60718293a4b","url":"https://onboarding.test/abc","extra":1}`))

	link, err := c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{
		LoginHint:           "ada@example.com",
		Notification:        &incode.Notification{Type: incode.NotifyEmailAndSMS, Email: "ada@home.example", Phone: "+15550100"},
		LinkLifetimeMinutes: 60,
		ExternalCustomerID:  "ticket-9",
	})
	if err != nil {
		t.Fatal(err)
	}
	if link.InterviewID != "66a1b2c3d4e5f60718293a4b" || link.URL != "https://onboarding.test/abc" || !strings.Contains(string(link.Raw), `"extra":1`) {
		t.Fatalf("link = %+v raw %s", link, link.Raw)
	}
	reqs := rec.all()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want token + request-new", len(reqs))
	}

	// Token request: form body with the credentials, scope openid, no Basic header.
	tok := reqs[0]
	form, err := url.ParseQuery(string(tok.body))
	if err != nil {
		t.Fatal(err)
	}
	wantForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}, "client_id": {clientID}, "client_secret": {cSecret}}
	if form.Encode() != wantForm.Encode() {
		t.Errorf("token form = %v, want %v", form, wantForm)
	}
	if tok.header.Get("Authorization") != "" || tok.header.Get("X-Api-Key") != "" {
		t.Errorf("token request carries Authorization or x-api-key: %v", headerNames(tok.header))
	}
	if ct := tok.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("token Content-Type = %q", ct)
	}

	// request-new: exactly the documented headers.
	r := reqs[1]
	if got, want := headerNames(r.header), []string{"Accept", "Api-Version", "Authorization", "Content-Type", "User-Agent", "X-Api-Key"}; !slices.Equal(got, want) {
		t.Errorf("headers = %v, want %v", got, want)
	}
	for k, want := range map[string]string{"Authorization": "Bearer tok-SENTINEL", "X-Api-Key": apiKey, "Api-Version": "1.0", "Content-Type": "application/json"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"integrationReference":  "int-7",
		"loginHint":             "ada@example.com",
		"notification":          map[string]any{"type": "EMAIL_AND_SMS", "email": "ada@home.example", "phone": "+15550100"},
		"linkValidityInMinutes": float64(60),
		"externalCustomerId":    "ticket-9",
	}
	gotJSON, _ := json.Marshal(body)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("body = %s\nwant   %s", gotJSON, wantJSON)
	}
	if s := link.String(); strings.Contains(s, "onboarding.test") {
		t.Errorf("String prints the URL: %s", s)
	}
}

func TestLinkLifetimeField(t *testing.T) {
	tests := []struct {
		name      string
		opts      []option.ClientOption
		req       incode.OnboardingRequest
		wantField string // "" = no lifetime member
	}{
		{"default", nil, incode.OnboardingRequest{LinkLifetimeMinutes: 30}, incode.LinkValidityField},
		{"client option", []option.ClientOption{incode.WithLinkLifetimeField(incode.LinkExpiryField)}, incode.OnboardingRequest{LinkLifetimeMinutes: 30}, incode.LinkExpiryField},
		{"per request", nil, incode.OnboardingRequest{LinkLifetimeMinutes: 30, LinkLifetimeField: "validForMinutes"}, "validForMinutes"},
		{"zero is left out", nil, incode.OnboardingRequest{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, rec := newMock(t, tt.opts...)
			mt.RegisterResponder(http.MethodPost, mockAPI+"/omni/b2b/onboarding/request-new", jsonReply(rec, 200, `{"interviewId":"i","url":"u"}`))
			tt.req.LoginHint = "a@b.example"
			if _, err := c.RequestNewOnboarding(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			var body map[string]json.RawMessage
			_ = json.Unmarshal(rec.all()[1].body, &body)
			for _, f := range []string{incode.LinkValidityField, incode.LinkExpiryField, "validForMinutes"} {
				_, has := body[f]
				if has != (f == tt.wantField) {
					t.Errorf("member %s present = %v (body %s)", f, has, rec.all()[1].body)
				}
			}
		})
	}
}

func TestRequestNewOnboardingInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts []option.ClientOption
		req  *incode.OnboardingRequest
	}{
		{"nil", nil, nil},
		{"no login hint", nil, &incode.OnboardingRequest{}},
		{"notification without type", nil, &incode.OnboardingRequest{LoginHint: "a@b", Notification: &incode.Notification{Email: "a@b"}}},
		{"negative lifetime", nil, &incode.OnboardingRequest{LoginHint: "a@b", LinkLifetimeMinutes: -1}},
		{"bad lifetime field", nil, &incode.OnboardingRequest{LoginHint: "a@b", LinkLifetimeMinutes: 5, LinkLifetimeField: "a b"}},
		{"lifetime field collides", nil, &incode.OnboardingRequest{LoginHint: "a@b", LinkLifetimeMinutes: 5, LinkLifetimeField: "loginHint"}},
		{"reference with space", nil, &incode.OnboardingRequest{LoginHint: "a@b", IntegrationReference: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, rec := newMock(t, tt.opts...)
			_, err := c.RequestNewOnboarding(context.Background(), tt.req)
			if !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(rec.all()); n != 0 {
				t.Errorf("%d requests sent for an invalid request", n)
			}
		})
	}
}

func TestRequestNewOnboardingNeedsCredentials(t *testing.T) {
	c, err := incode.NewClient(incode.WithAPIKey("k"), incode.WithIntegrationID("i"))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenSource() != nil {
		t.Error("TokenSource without credentials")
	}
	_, err = c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{LoginHint: "a@b"})
	if !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewClientOptions(t *testing.T) {
	tests := []struct {
		name string
		opts []option.ClientOption
		ok   bool
	}{
		{"no api key", nil, false},
		{"api key only", []option.ClientOption{incode.WithAPIKey("k")}, true},
		{"empty key", []option.ClientOption{incode.WithAPIKey(" ")}, false},
		{"key with newline", []option.ClientOption{incode.WithAPIKey("k\n")}, false},
		{"http api url", []option.ClientOption{incode.WithAPIKey("k"), option.WithBaseURL("http://example.com")}, false},
		{"http loopback", []option.ClientOption{incode.WithAPIKey("k"), option.WithBaseURL("http://127.0.0.1:1")}, true},
		{"insecure allowed", []option.ClientOption{incode.WithAPIKey("k"), option.WithInsecureHTTP(), option.WithBaseURL("http://example.com")}, true},
		{"http token url", []option.ClientOption{incode.WithAPIKey("k"), incode.WithClientCredentials("a", "b"), incode.WithTokenURL("http://example.com/t")}, false},
		{"both auth", []option.ClientOption{incode.WithAPIKey("k"), incode.WithClientCredentials("a", "b"), option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"}))}, false},
		{"empty creds", []option.ClientOption{incode.WithAPIKey("k"), incode.WithClientCredentials("", "b")}, false},
		{"bad integration id", []option.ClientOption{incode.WithAPIKey("k"), incode.WithIntegrationID("a\tb")}, false},
		{"bad field", []option.ClientOption{incode.WithAPIKey("k"), incode.WithLinkLifetimeField("x-y")}, false},
		{"bad timeout", []option.ClientOption{incode.WithAPIKey("k"), option.WithTimeout(-1)}, false},
		{"bad env", []option.ClientOption{incode.WithAPIKey("k"), incode.WithEnvironment(incode.Environment{})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := incode.NewClient(tt.opts...)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, kyc.ErrInvalidArgument) {
					t.Errorf("err %v is not ErrInvalidArgument", err)
				}
				if strings.Contains(err.Error(), "SENTINEL") {
					t.Errorf("err leaks: %v", err)
				}
				return
			}
			if strings.Contains(c.String(), "k") && strings.Contains(c.String(), "key") {
				t.Errorf("String = %s", c)
			}
		})
	}
}

func TestStartOnboardingWire(t *testing.T) {
	c, mt, rec := newMock(t)
	mt.RegisterResponder(http.MethodPost, mockAPI+"/omni/start", jsonReply(rec, 200, `{
		"token":"sess-SENTINEL","interviewId":"66a1b2c3d4e5f60718293a4b","interviewCode":"ABC123",
		"flowType":"flow","clientId":"org","env":"demo","existingSession":false,
		"idCaptureTimeout":16,"idCaptureRetries":"3","selfieCaptureTimeout":16,"selfieCaptureRetries":3,"curpValidationRetries":3}`))
	s, err := c.StartOnboarding(context.Background(), &incode.StartRequest{CountryCode: "ALL", Language: "en-US", CustomFields: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Token.Reveal() != "sess-SENTINEL" || s.InterviewID != "66a1b2c3d4e5f60718293a4b" || s.InterviewCode != "ABC123" || s.IDCaptureRetries != 3 || s.Env != "demo" {
		t.Fatalf("session = %#v", s)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests (a token request for /omni/start?)", len(reqs))
	}
	r := reqs[0]
	if got, want := headerNames(r.header), []string{"Accept", "Api-Version", "Content-Type", "User-Agent", "X-Api-Key"}; !slices.Equal(got, want) {
		t.Errorf("headers = %v, want %v", got, want)
	}
	if got, want := string(r.body), `{"configurationId":"cfg-3","countryCode":"ALL","language":"en-US","customFields":{"a":"b"}}`; got != want {
		t.Errorf("body = %s\nwant   %s", got, want)
	}
	for _, out := range []string{s.String(), s.GoString()} {
		if strings.Contains(out, "SENTINEL") {
			t.Errorf("session prints its token: %s", out)
		}
	}
	b, _ := json.Marshal(s)
	if strings.Contains(string(b), "SENTINEL") {
		t.Errorf("json leaks the token: %s", b)
	}
}

func TestStartOnboardingNeedsConfiguration(t *testing.T) {
	c, err := incode.NewClient(incode.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartOnboarding(context.Background(), nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeFailures(t *testing.T) {
	tests := []struct {
		name, path, body string
	}{
		{"no url", "/omni/b2b/onboarding/request-new", `{"interviewId":"x"}`},
		{"null url", "/omni/b2b/onboarding/request-new", `{"interviewId":"x","url":null}`},
		{"array", "/omni/b2b/onboarding/request-new", `[]`},
		{"wrong type", "/omni/b2b/onboarding/request-new", `{"interviewId":5,"url":"u"}`},
		{"truncated", "/omni/b2b/onboarding/request-new", `{"interviewId":"x","url":"u`},
		{"no token", "/omni/start", `{"interviewId":"x"}`},
		{"placeholder token", "/omni/start", `{"interviewId":"x","token":"[redacted]"}`},
		{"html", "/omni/start", `<html>ok</html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, rec := newMock(t)
			mt.RegisterResponder(http.MethodPost, mockAPI+tt.path, jsonReply(rec, 200, tt.body))
			var err error
			if tt.path == "/omni/start" {
				var s *incode.Session
				s, err = c.StartOnboarding(context.Background(), nil)
				if s != nil {
					t.Errorf("half-filled session %v", s)
				}
			} else {
				var l *incode.OnboardingLink
				l, err = c.RequestNewOnboarding(context.Background(), &incode.OnboardingRequest{LoginHint: "a@b"})
				if l != nil {
					t.Errorf("half-filled link %v", l)
				}
			}
			if !errors.Is(err, kyc.ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
		})
	}
}

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantIncode bool
		sentinel   error
		check      func(t *testing.T, e *incode.Error)
	}{
		{"validation 400", 400, `{"timestamp":1714557600123,"status":400,"error":"Bad Request","message":"loginHint ada@example.com invalid","path":"/omni/b2b/onboarding/request-new"}`, true, kyc.ErrBadRequest,
			func(t *testing.T, e *incode.Error) {
				if e.Status != 400 || e.Reason != "Bad Request" || e.Path != "/omni/b2b/onboarding/request-new" || e.Timestamp.UnixMilli() != 1714557600123 || !strings.Contains(e.Message, "loginHint") {
					t.Errorf("fields = %+v", e)
				}
			}},
		{"401 string timestamp", 401, `{"timestamp":"2024-05-01T10:00:00.123+0000","status":401,"error":"Unauthorized","message":"bad key","path":"/omni/start"}`, true, kyc.ErrUnauthorized,
			func(t *testing.T, e *incode.Error) {
				if e.Timestamp.IsZero() || e.Timestamp.Year() != 2024 {
					t.Errorf("timestamp = %v", e.Timestamp)
				}
			}},
		{"500 message only", 500, `{"message":"boom"}`, true, kyc.ErrServer, nil},
		{"status as string", 404, `{"status":"404","error":"Not Found"}`, true, kyc.ErrNotFound,
			func(t *testing.T, e *incode.Error) {
				if e.Status != 404 {
					t.Errorf("status = %d", e.Status)
				}
			}},
		{"html 502", 502, `<html><body>Bad gateway</body></html>`, false, kyc.ErrServer, nil},
		{"other json", 403, `{"code":"nope"}`, false, kyc.ErrForbidden, nil},
		{"empty", 429, ``, false, kyc.ErrRateLimited, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt, rec := newMock(t, option.NoRetries())
			mt.RegisterResponder(http.MethodPost, mockAPI+"/omni/start", jsonReply(rec, tt.status, tt.body))
			_, err := c.StartOnboarding(context.Background(), nil)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			var apiErr *kyc.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("no *APIError with status %d in %v", tt.status, err)
			}
			var ie *incode.Error
			if errors.As(err, &ie) != tt.wantIncode {
				t.Fatalf("errors.As(*incode.Error) = %v, want %v", !tt.wantIncode, tt.wantIncode)
			}
			if strings.Contains(err.Error(), "ada@example.com") || strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), apiKey) {
				t.Errorf("Error() leaks the message or key: %s", err)
			}
			if ie != nil && tt.check != nil {
				tt.check(t, ie)
			}
		})
	}
}

// Without expires_in, a token is reused for FallbackTokenLifetime and then
// fetched again.
func TestTokenFallbackLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		n := 0
		mt.RegisterResponder(http.MethodPost, mockAuth+"/oauth2/token", func(req *http.Request) (*http.Response, error) {
			n++
			return httpmock.NewStringResponse(200, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer"}`, n)), nil
		})
		c, err := incode.NewClient(
			incode.WithEnvironment(incode.Environment{APIURL: mockAPI, AuthURL: mockAuth}),
			option.WithHTTPClient(&http.Client{Transport: mt}),
			incode.WithAPIKey(apiKey), incode.WithClientCredentials(clientID, cSecret))
		if err != nil {
			t.Fatal(err)
		}
		ts := c.TokenSource()
		first, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if first.Expiry.IsZero() {
			t.Fatal("no fallback expiry")
		}
		again, _ := ts.Token()
		time.Sleep(incode.FallbackTokenLifetime)
		later, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if again.AccessToken != "tok-1" || later.AccessToken != "tok-2" || n != 2 {
			t.Errorf("tokens %s, %s after %d requests; want tok-1 reused, then tok-2", again.AccessToken, later.AccessToken, n)
		}
	})
}

func TestTokenErrorsAreTyped(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, mockAuth+"/oauth2/token", httpmock.NewStringResponder(401, `{"error":"invalid_client","error_description":"cSecret-SENTINEL"}`))
	c, err := incode.NewClient(
		incode.WithEnvironment(incode.Environment{APIURL: mockAPI, AuthURL: mockAuth}),
		option.WithHTTPClient(&http.Client{Transport: mt}),
		incode.WithAPIKey(apiKey), incode.WithClientCredentials(clientID, cSecret))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TokenSource().Token()
	var te *kyc.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "SENTINEL") {
		t.Errorf("token error leaks: %v", err)
	}
}
