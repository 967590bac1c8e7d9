package fractalid

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/option"
)

const meURL = "https://resource.fractal.test/v2/users/me"

func staticTS(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "bearer"})
}

func newMockClient(t *testing.T, opts ...option.ClientOption) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []option.ClientOption{WithEnvironment(testEnv), option.WithHTTPClient(&http.Client{Transport: mt}),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Millisecond})}
	c, err := NewClient(staticTS("SENTINEL-ACCESS-TOKEN"), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func TestMe(t *testing.T) {
	c, mt := newMockClient(t, option.WithUserAgent("my-app/1.0"))
	body := readFixture(t, "users_me_seed.json")
	var seen *http.Request
	mt.RegisterResponder(http.MethodGet, meURL, func(r *http.Request) (*http.Response, error) {
		seen = r
		resp := httpmock.NewBytesResponse(200, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	u, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != "b76ab44d-b71e-4d19-b6f9-f6e88cd73946" || len(u.Phones) != 1 || len(u.VerificationCases) != 3 {
		t.Errorf("user = %v", u)
	}
	if got := seen.Header.Get("Authorization"); got != "Bearer SENTINEL-ACCESS-TOKEN" {
		t.Errorf("Authorization = %q", got)
	}
	if ua := seen.Header.Get("User-Agent"); !strings.HasPrefix(ua, "kyc-go/") || !strings.HasSuffix(ua, " my-app/1.0") {
		t.Errorf("User-Agent = %q", ua)
	}
	if seen.Header.Get("Accept") != "application/json" || seen.Header.Get("Content-Type") != "application/json" || seen.Method != http.MethodGet || seen.Body != nil && seen.ContentLength > 0 {
		t.Errorf("request = %s %v", seen.Method, seen.Header)
	}
}

func TestMeErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		header   http.Header
		is       []error
		notIs    []error
		code     string
		message  string
		attempts int
	}{
		{name: "401 with WWW-Authenticate", status: 401, body: "",
			header: http.Header{"Www-Authenticate": {`Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token expired"`}},
			is:     []error{kyc.ErrUnauthorized}, notIs: []error{kyc.ErrForbidden}, code: "invalid_token", message: "The access token expired", attempts: 1},
		{name: "401 JSON", status: 401, body: `{"error":"invalid_token","error_description":"The access token was revoked"}`,
			is: []error{kyc.ErrUnauthorized}, code: "invalid_token", message: "The access token was revoked", attempts: 1},
		{name: "403 insufficient scope", status: 403, body: `{"error":"insufficient_scope","error_description":"missing contact:read"}`,
			is: []error{kyc.ErrForbidden, ErrInsufficientScope}, code: "insufficient_scope", attempts: 1},
		{name: "403 header only", status: 403, header: http.Header{"Www-Authenticate": {`Bearer error=insufficient_scope, scope="contact:read"`}},
			is: []error{kyc.ErrForbidden, ErrInsufficientScope}, code: "insufficient_scope", attempts: 1},
		{name: "404 non-JSON", status: 404, body: "<html>not found</html>", is: []error{kyc.ErrNotFound}, attempts: 1},
		{name: "error object ignored", status: 400, body: `{"error":{"nested":true}}`, is: []error{kyc.ErrBadRequest}, attempts: 1},
		{name: "junk code ignored", status: 400, body: `{"error":"has spaces in it"}`, is: []error{kyc.ErrBadRequest}, attempts: 1},
		{name: "message fallback", status: 422, body: `{"message":"nope"}`, is: []error{kyc.ErrBadRequest}, message: "nope", attempts: 1},
		{name: "500 not retried", status: 500, body: `{"error":"server_error"}`, is: []error{kyc.ErrServer}, code: "server_error", attempts: 1},
		{name: "503 retried", status: 503, body: "", is: []error{kyc.ErrServer}, attempts: 3},
		{name: "429 retried", status: 429, body: "", is: []error{kyc.ErrRateLimited}, attempts: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, meURL, func(*http.Request) (*http.Response, error) {
				resp := httpmock.NewStringResponse(tc.status, tc.body)
				for k, v := range tc.header {
					resp.Header[k] = v
				}
				return resp, nil
			})
			u, err := c.Me(context.Background())
			if u != nil || err == nil {
				t.Fatalf("got %v, %v", u, err)
			}
			var ae *kyc.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want *APIError, got %T", err)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			for _, target := range tc.notIs {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true", err, target)
				}
			}
			if ae.Code != tc.code || ae.StatusCode != tc.status || ae.Path != "/v2/users/me" || ae.Method != "GET" {
				t.Errorf("APIError = %+v", ae)
			}
			if tc.message != "" && ae.Message != tc.message {
				t.Errorf("message = %q", ae.Message)
			}
			if got := mt.GetTotalCallCount(); got != tc.attempts {
				t.Errorf("attempts = %d, want %d", got, tc.attempts)
			}
			if strings.Contains(err.Error(), "SENTINEL-ACCESS-TOKEN") || (tc.body != "" && strings.Contains(err.Error(), tc.body)) {
				t.Errorf("error leaks: %v", err)
			}
		})
	}
}

func TestMeDecodeFailures(t *testing.T) {
	full := readFixture(t, "users_me_all_details.json")
	for name, body := range map[string]string{
		"truncated":       string(full[:len(full)/2]),
		"html":            "<html>maintenance</html>",
		"trailing":        `{"uid":"x"} {"uid":"y"}`,
		"wrong type":      `{"uid":["x"]}`,
		"details array":   `{"verification_cases":[{"details":[1]}]}`,
		"empty":           "",
		"top-level array": "[]",
	} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, meURL, httpmock.NewStringResponder(200, body))
			u, err := c.Me(context.Background())
			if u != nil {
				t.Fatal("a half-decoded user was returned")
			}
			var de *kyc.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, kyc.ErrDecode) {
				t.Fatalf("want *DecodeError, got %v", err)
			}
			if strings.Contains(err.Error(), "sentinel-pii") || strings.Contains(err.Error(), "maintenance") {
				t.Errorf("error leaks body: %v", err)
			}
		})
	}
	c, mt := newMockClient(t, option.WithMaxResponseBytes(100))
	mt.RegisterResponder(http.MethodGet, meURL, httpmock.NewBytesResponder(200, full))
	if u, err := c.Me(context.Background()); u != nil || !errors.Is(err, kyc.ErrResponseTooLarge) {
		t.Errorf("over the cap: %v", err)
	}
}

func TestMeTransportAndContext(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, meURL, httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	_, err := c.Me(context.Background())
	var te *kyc.TransportError
	if !errors.As(err, &te) || mt.GetTotalCallCount() != 3 {
		t.Errorf("transport error: %v after %d calls", err, mt.GetTotalCallCount())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Me(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestNewClientOptions(t *testing.T) {
	ts := staticTS("x")
	for name, opts := range map[string][]option.ClientOption{
		"bad environment":  {WithEnvironment(Environment{})},
		"empty resource":   {option.WithBaseURL("")},
		"http resource":    {option.WithBaseURL("http://resource.example")},
		"nil http client":  {option.WithHTTPClient(nil)},
		"zero timeout":     {option.WithTimeout(0)},
		"bad retry policy": {option.WithRetryPolicy(option.RetryPolicy{MaxRetries: -1})},
		"zero max bytes":   {option.WithMaxResponseBytes(0)},
		"zero file bytes":  {WithMaxFileBytes(0)},
		"ua newline":       {option.WithUserAgent("a\nb")},
	} {
		if c, err := NewClient(ts, opts...); c != nil || err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewClient(nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("nil token source: %v", err)
	}
	if _, err := NewClient(ts, option.WithBaseURL("http://resource.example"), option.WithInsecureHTTP(), nil); err != nil {
		t.Errorf("insecure: %v", err)
	}
	c, err := NewClient(ts)
	if err != nil || c.api.BaseURL().String() != "https://resource.fractal.id" {
		t.Errorf("default must be production: %v", err)
	}
	c, mt := newMockClient(t, option.WithBaseURL("https://other.fractal.test/base"), option.WithTimeout(time.Second), WithMaxFileBytes(10), option.WithLogger(nil))
	mt.RegisterResponder(http.MethodGet, "https://other.fractal.test/base/v2/users/me", httpmock.NewStringResponder(200, `{"uid":"u"}`))
	if u, err := c.Me(context.Background()); err != nil || u.UID != "u" {
		t.Errorf("resource override: %v", err)
	}
	c2, err := c.ForToken(staticTS("second-user"))
	if err != nil {
		t.Fatal(err)
	}
	mt.RegisterResponder(http.MethodGet, "https://other.fractal.test/base/v2/users/me", func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(200, `{"uid":"`+r.Header.Get("Authorization")+`"}`), nil
	})
	if u, err := c2.Me(context.Background()); err != nil || u.UID != "Bearer second-user" {
		t.Errorf("ForToken: %v %v", u, err)
	}
	if _, err := c.ForToken(nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error("ForToken(nil)")
	}
}

func TestDownloadFile(t *testing.T) {
	const fileURL = "https://files.storage.test/uploads/passport.jpg?X-Amz-Expires=3600&X-Amz-Signature=SENTINEL-SIG"
	content := bytes.Repeat([]byte("0123456789"), 1000)
	t.Run("ok, no token to the storage host", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, "https://files.storage.test/uploads/passport.jpg", func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("Authorization") != "" {
				return httpmock.NewStringResponse(400, "token leaked to storage host"), nil
			}
			if r.URL.Query().Get("X-Amz-Signature") != "SENTINEL-SIG" {
				return httpmock.NewStringResponse(400, "query lost"), nil
			}
			return httpmock.NewBytesResponse(200, content), nil
		})
		var buf bytes.Buffer
		n, err := c.DownloadFile(context.Background(), fileURL, &buf)
		if err != nil || n != int64(len(content)) || !bytes.Equal(buf.Bytes(), content) {
			t.Fatalf("n=%d err=%v", n, err)
		}
	})
	t.Run("token to the resource host", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, "https://resource.fractal.test/files/1", func(r *http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(200, r.Header.Get("Authorization")), nil
		})
		var buf bytes.Buffer
		if _, err := c.DownloadFile(context.Background(), "https://resource.fractal.test/files/1", &buf); err != nil || buf.String() != "Bearer SENTINEL-ACCESS-TOKEN" {
			t.Errorf("got %q %v", buf.String(), err)
		}
	})
	for _, tc := range []struct {
		status  int
		body    string
		host    string
		expired bool
	}{
		{403, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`, "files.storage.test", true},
		{404, "", "files.storage.test", true},
		{410, "", "files.storage.test", true},
		{400, `<Error><Code>ExpiredToken</Code></Error>`, "files.storage.test", true},
		{400, `<Error><Code>InvalidArgument</Code></Error>`, "files.storage.test", false},
		{500, "", "files.storage.test", false},
		{403, "", "resource.fractal.test", false},
	} {
		c, mt := newMockClient(t, option.NoRetries())
		u := "https://" + tc.host + "/uploads/x.jpg"
		mt.RegisterResponder(http.MethodGet, u, httpmock.NewStringResponder(tc.status, tc.body))
		var buf bytes.Buffer
		n, err := c.DownloadFile(context.Background(), u+"?X-Amz-Signature=SENTINEL-SIG", &buf)
		var ae *kyc.APIError
		if n != 0 || buf.Len() != 0 || !errors.As(err, &ae) || ae.StatusCode != tc.status {
			t.Errorf("%d %s: n=%d err=%v", tc.status, tc.host, n, err)
			continue
		}
		if errors.Is(err, ErrFileURLExpired) != tc.expired {
			t.Errorf("%d %s %q: expired = %t, want %t", tc.status, tc.host, tc.body, !tc.expired, tc.expired)
		}
		if strings.Contains(err.Error(), "SENTINEL-SIG") {
			t.Errorf("error leaks the signature: %v", err)
		}
	}
	t.Run("cap", func(t *testing.T) {
		c, mt := newMockClient(t, WithMaxFileBytes(100))
		mt.RegisterResponder(http.MethodGet, "https://files.storage.test/big", httpmock.NewBytesResponder(200, content))
		var buf bytes.Buffer
		n, err := c.DownloadFile(context.Background(), "https://files.storage.test/big", &buf)
		if !errors.Is(err, kyc.ErrResponseTooLarge) || n != 100 {
			t.Errorf("n=%d err=%v", n, err)
		}
		mt.RegisterResponder(http.MethodGet, "https://files.storage.test/exact", httpmock.NewBytesResponder(200, content[:100]))
		if n, err := c.DownloadFile(context.Background(), "https://files.storage.test/exact", io.Discard); err != nil || n != 100 {
			t.Errorf("exactly at the cap: n=%d err=%v", n, err)
		}
	})
	t.Run("writer error", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, "https://files.storage.test/w", httpmock.NewBytesResponder(200, content))
		if _, err := c.DownloadFile(context.Background(), "https://files.storage.test/w", failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("writer error: %v", err)
		}
	})
	t.Run("arguments", func(t *testing.T) {
		c, _ := newMockClient(t)
		for _, u := range []string{"", "/relative", "ftp://x/y", "http://files.storage.test/x", "https://user:pw@files.storage.test/x", "%zz"} {
			if _, err := c.DownloadFile(context.Background(), u, io.Discard); !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Errorf("%q: %v", u, err)
			}
		}
		if _, err := c.DownloadFile(context.Background(), "https://files.storage.test/x", nil); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Error("nil writer")
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseAuthParams(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token expired"`: {"realm": "Doorkeeper", "error": "invalid_token", "error_description": "The access token expired"},
		`Bearer error=insufficient_scope,scope="a b"`:                                                    {"error": "insufficient_scope", "scope": "a b"},
		`Bearer error="a\"b"`:        {"error": `a"b`},
		`Bearer`:                     {},
		`Bearer =x`:                  {},
		`Bearer error="unterminated`: {"error": "unterminated"},
	} {
		got := parseAuthParams(in)
		if len(got) != len(want) {
			t.Errorf("%s: %v", in, got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", in, k, got[k], v)
			}
		}
	}
}

func TestMeRefreshesOnceAfter401(t *testing.T) {
	for _, tc := range []struct {
		name       string
		resp401    func() *http.Response
		refreshOK  bool
		wantCalls  int // calls to users/me
		wantErr    error
		wantSaves  int
		wantReauth bool
	}{
		{name: "invalid_token then ok", resp401: func() *http.Response {
			r := httpmock.NewStringResponse(401, "")
			r.Header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			return r
		}, refreshOK: true, wantCalls: 2, wantSaves: 1},
		{name: "bare 401 then ok", resp401: func() *http.Response { return httpmock.NewStringResponse(401, "") }, refreshOK: true, wantCalls: 2, wantSaves: 1},
		{name: "refresh refused", resp401: func() *http.Response { return httpmock.NewStringResponse(401, "") }, refreshOK: false, wantCalls: 1, wantErr: kyc.ErrReauthorizationRequired, wantReauth: true},
		{name: "other 401 code", resp401: func() *http.Response {
			return httpmock.NewStringResponse(401, `{"error":"unauthorized_client"}`)
		}, refreshOK: true, wantCalls: 1, wantErr: kyc.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refresh := "refresh-0"
			if !tc.refreshOK {
				refresh = "revoked"
			}
			ts := &tokenServer{refresh: refresh}
			mt := newTokenMock(ts)
			calls := 0
			mt.RegisterResponder(http.MethodGet, meURL, func(r *http.Request) (*http.Response, error) {
				calls++
				if r.Header.Get("Authorization") == "Bearer still-valid-locally" {
					return tc.resp401(), nil
				}
				return httpmock.NewStringResponse(200, `{"uid":"u1"}`), nil
			})
			cfg := testConfig(mt)
			store := &memStore{}
			src, err := cfg.TokenSource(&oauth2.Token{AccessToken: "still-valid-locally", RefreshToken: "refresh-0", Expiry: time.Now().Add(time.Hour)}, store)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewClient(src, WithEnvironment(testEnv), option.WithHTTPClient(&http.Client{Transport: mt}))
			if err != nil {
				t.Fatal(err)
			}
			u, err := c.Me(context.Background())
			if tc.wantErr == nil {
				if err != nil || u.UID != "u1" {
					t.Fatalf("Me: %v %v", u, err)
				}
			} else if !errors.Is(err, tc.wantErr) || u != nil {
				t.Fatalf("Me: %v, want %v", err, tc.wantErr)
			}
			var re *kyc.ReauthorizationRequiredError
			if errors.As(err, &re) != tc.wantReauth {
				t.Errorf("reauth error = %v", err)
			}
			if calls != tc.wantCalls || len(store.saved) != tc.wantSaves {
				t.Errorf("users/me calls %d (want %d), saves %d (want %d)", calls, tc.wantCalls, len(store.saved), tc.wantSaves)
			}
			// The next call uses the refreshed token without another refresh.
			if tc.wantErr == nil {
				if _, err := c.Me(context.Background()); err != nil || len(ts.forms) != 1 {
					t.Errorf("second call: %v, %d refreshes", err, len(ts.forms))
				}
			}
		})
	}
	// A plain token source is never refreshed: one call.
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, meURL, httpmock.NewStringResponder(401, ""))
	if _, err := c.Me(context.Background()); !errors.Is(err, kyc.ErrUnauthorized) || mt.GetTotalCallCount() != 1 {
		t.Errorf("static source: %v after %d calls", err, mt.GetTotalCallCount())
	}
}
