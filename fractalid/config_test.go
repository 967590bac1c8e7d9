package fractalid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/option"
)

const (
	testClientID = "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd"
	// sentinelSecret must never appear in any output.
	sentinelSecret = "SENTINEL-SECRET-7f3a9c"
	testRedirect   = "https://demo.staging.sandbox.fractal.id/api/callback"
)

var testEnv = Environment{
	Name:        "test",
	FrontendURL: "https://app.fractal.test",
	AuthURL:     "https://auth.fractal.test",
	ResourceURL: "https://resource.fractal.test",
}

func testConfig(mt http.RoundTripper) Config {
	c := Config{
		ClientID:     testClientID,
		ClientSecret: sentinelSecret,
		RedirectURL:  testRedirect,
		Scopes:       ScopesFor(ParseLevel("basic+liveness"), WithContact(), WithDetails()),
		Environment:  testEnv,
	}
	if mt != nil {
		c.HTTPClient = &http.Client{Transport: mt}
	}
	return c
}

func TestAuthCodeURL(t *testing.T) {
	c := testConfig(nil)
	got, err := c.AuthCodeURL("st4te")
	if err != nil {
		t.Fatal(err)
	}
	want := "https://app.fractal.test/authorize?client_id=" + testClientID +
		"&redirect_uri=https%3A%2F%2Fdemo.staging.sandbox.fractal.id%2Fapi%2Fcallback&response_type=code" +
		"&scope=uid%3Aread%20contact%3Aread%20verification.basic%3Aread%20verification.basic.details%3Aread%20verification.liveness%3Aread%20verification.liveness.details%3Aread" +
		"&state=st4te"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if q.Get("scope") != JoinScopes(c.Scopes) || q.Get("state") != "st4te" || q.Get("response_type") != "code" || len(q) != 5 {
		t.Errorf("query = %v", q)
	}
	if strings.Contains(got, sentinelSecret) || strings.Contains(got, "+") {
		t.Error("secret in the URL, or spaces not encoded as %20")
	}

	got, err = c.AuthCodeURL("a b&c=d", WithEnsureWallet("0x2003"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(got)
	if u.Query().Get("state") != "a b&c=d" || u.Query().Get("ensure_wallet") != "0x2003" || !strings.HasSuffix(got, "&state=a%20b%26c%3Dd&ensure_wallet=0x2003") {
		t.Errorf("got %s", got)
	}

	c.Scopes = nil
	got, _ = c.AuthCodeURL("s")
	if strings.Contains(got, "scope=") {
		t.Errorf("no scopes must leave scope out (server default uid:read): %s", got)
	}

	zeroEnv := testConfig(nil)
	zeroEnv.Environment = Environment{}
	if got, _ := zeroEnv.AuthCodeURL("s"); !strings.HasPrefix(got, "https://app.fractal.id/authorize?") {
		t.Errorf("zero Environment must mean Production: %s", got)
	}

	for name, tc := range map[string]struct {
		mutate func(*Config)
		state  string
		opts   []AuthOption
	}{
		"empty state":       {func(*Config) {}, "", nil},
		"no client id":      {func(c *Config) { c.ClientID = "" }, "s", nil},
		"no redirect":       {func(c *Config) { c.RedirectURL = "" }, "s", nil},
		"http redirect":     {func(c *Config) { c.RedirectURL = "http://example.com/cb" }, "s", nil},
		"relative redirect": {func(c *Config) { c.RedirectURL = "/cb" }, "s", nil},
		"fragment":          {func(c *Config) { c.RedirectURL = "https://example.com/cb#x" }, "s", nil},
		"bad env":           {func(c *Config) { c.Environment = Environment{FrontendURL: "x"} }, "s", nil},
		"scope with space":  {func(c *Config) { c.Scopes = []Scope{"a b"} }, "s", nil},
		"empty scope":       {func(c *Config) { c.Scopes = []Scope{""} }, "s", nil},
		"empty wallet":      {func(*Config) {}, "s", []AuthOption{WithEnsureWallet("")}},
		"wallet with space": {func(*Config) {}, "s", []AuthOption{WithEnsureWallet("0x 1")}},
	} {
		c := testConfig(nil)
		tc.mutate(&c)
		if got, err := c.AuthCodeURL(tc.state, tc.opts...); err == nil || !errors.Is(err, kyc.ErrInvalidArgument) || got != "" {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
	loop := testConfig(nil)
	loop.RedirectURL = "http://127.0.0.1:8080/cb?x=1"
	if _, err := loop.AuthCodeURL("s"); err != nil {
		t.Errorf("loopback http redirect: %v", err)
	}
}

func callbackRequest(query string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "https://demo.example/api/callback?"+query, nil)
}

func TestParseCallback(t *testing.T) {
	const state = "expected-state-0123"
	const code = "SENTINEL-CODE-abc"
	c := testConfig(nil)
	for _, tc := range []struct {
		name     string
		query    string
		want     string
		is       []error
		authCode string
	}{
		{name: "ok", query: "code=" + code + "&state=" + state, want: code},
		{name: "missing state", query: "code=" + code, is: []error{ErrStateMismatch}},
		{name: "empty state", query: "code=" + code + "&state=", is: []error{ErrStateMismatch}},
		{name: "wrong state", query: "code=" + code + "&state=other", is: []error{ErrStateMismatch}},
		{name: "prefix state", query: "code=" + code + "&state=" + state[:5], is: []error{ErrStateMismatch}},
		{name: "two states", query: "code=" + code + "&state=" + state + "&state=" + state, is: []error{ErrStateMismatch}},
		{name: "state checked before error", query: "error=access_denied&state=evil", is: []error{ErrStateMismatch}},
		{name: "access denied", query: "error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request.&state=" + state,
			is: []error{ErrAuthorizationFailed, ErrAccessDenied}, authCode: "access_denied"},
		{name: "invalid scope", query: "error=invalid_scope&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "invalid_scope"},
		{name: "server error", query: "error=server_error&error_uri=https%3A%2F%2Fx&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "server_error"},
		{name: "temporarily unavailable", query: "error=temporarily_unavailable&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "temporarily_unavailable"},
		{name: "error wins over code", query: "error=unauthorized_client&code=" + code + "&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "unauthorized_client"},
		{name: "junk error code", query: "error=%22%3Cscript%3E+x&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "invalid_error_code"},
		{name: "empty error", query: "error=&state=" + state, is: []error{ErrAuthorizationFailed}, authCode: "invalid_error_code"},
		{name: "missing code", query: "state=" + state, is: []error{ErrMissingCode}},
		{name: "empty code", query: "code=&state=" + state, is: []error{ErrMissingCode}},
		{name: "two codes", query: "code=a&code=b&state=" + state, is: []error{ErrMissingCode}},
		{name: "malformed pair ignored", query: "x=%zz&code=" + code + "&state=" + state, want: code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.ParseCallback(callbackRequest(tc.query), state)
			if got != tc.want {
				t.Errorf("code = %q, want %q", got, tc.want)
			}
			if len(tc.is) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			for _, leak := range []string{state, code, "other", "resource owner", "script"} {
				if strings.Contains(err.Error(), leak) || strings.Contains(fmt.Sprintf("%+v", err), leak) {
					t.Errorf("error %q leaks %q", err, leak)
				}
			}
			var ae *AuthError
			if tc.authCode != "" {
				if !errors.As(err, &ae) || ae.Code != tc.authCode {
					t.Fatalf("want *AuthError %q, got %#v", tc.authCode, err)
				}
				if tc.name == "access denied" && ae.Description != "The resource owner or authorization server denied the request." {
					t.Errorf("description = %q", ae.Description)
				}
				if tc.name == "server error" && (!ae.TemporarilyUnavailable() || ae.URI != "https://x") {
					t.Errorf("server_error: %+v", ae)
				}
			} else if errors.As(err, &ae) {
				t.Errorf("unexpected *AuthError %v", err)
			}
			var sm *StateMismatchError
			if errors.Is(err, ErrStateMismatch) && !errors.As(err, &sm) {
				t.Error("state mismatch must be a *StateMismatchError")
			}
		})
	}
	if _, err := c.ParseCallback(callbackRequest("code=a&state=x"), ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty wantState: %v", err)
	}
	if _, err := c.ParseCallback(nil, "x"); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("nil request: %v", err)
	}
	long := strings.Repeat("é", 600)
	_, err := c.ParseCallback(callbackRequest("error=access_denied&error_description="+url.QueryEscape(long)+"&state="+state), state)
	var ae *AuthError
	if !errors.As(err, &ae) || len(ae.Description) > 512 || !strings.HasPrefix(long, ae.Description) {
		t.Errorf("description not capped on a rune boundary: %d bytes", len(ae.Description))
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, q := range []string{
		"code=abc&state=s1",
		"error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request.&state=s1",
		"state=s1",
		"code=a&code=b&state=s1",
		"state=s1&state=s1&code=x",
		"error=%ZZ&state=s1",
		";;&&==",
	} {
		f.Add(q, "s1")
	}
	c := testConfig(nil)
	f.Fuzz(func(t *testing.T, rawQuery, want string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/cb", RawQuery: rawQuery}}
		code, err := c.ParseCallback(r, want)
		if err == nil {
			q, _ := url.ParseQuery(rawQuery)
			if want == "" || q.Get("state") != want || code == "" || q.Get("code") != code || q.Has("error") {
				t.Fatalf("accepted %q with state %q: code %q", rawQuery, want, code)
			}
			return
		}
		if code != "" {
			t.Fatal("code returned with an error")
		}
		if want != "" && len(want) > 3 && strings.Contains(err.Error(), want) {
			t.Fatalf("error %q echoes the state", err)
		}
	})
}

// tokenServer is an httpmock responder of the token endpoint that records
// the requests and rotates refresh tokens.
type tokenServer struct {
	mu       sync.Mutex
	forms    []url.Values
	headers  []http.Header
	refresh  string // the currently valid refresh token
	n        int
	delay    time.Duration
	tokType  string
	failWith string // OAuth error code to answer with
}

func (s *tokenServer) respond(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	s.forms = append(s.forms, form)
	s.headers = append(s.headers, req.Header.Clone())
	s.n++
	n := s.n
	fail := s.failWith
	s.mu.Unlock()
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if fail != "" {
		return httpmock.NewStringResponse(400, `{"error":"`+fail+`","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. `+sentinelSecret+`"}`), nil
	}
	if form.Get("grant_type") == "refresh_token" {
		s.mu.Lock()
		ok := form.Get("refresh_token") == s.refresh
		s.mu.Unlock()
		if !ok {
			return httpmock.NewStringResponse(400, `{"error":"invalid_grant"}`), nil
		}
	}
	tt := s.tokType
	if tt == "" {
		tt = "bearer"
	}
	rt := fmt.Sprintf("refresh-%d", n)
	s.mu.Lock()
	s.refresh = rt
	s.mu.Unlock()
	resp := httpmock.NewStringResponse(200, fmt.Sprintf(`{"access_token":"access-%d","token_type":%q,"expires_in":7200,"refresh_token":%q,"scope":"uid:read verification.basic:read","created_at":1543585106}`, n, tt, rt))
	resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	return resp, nil
}

func newTokenMock(s *tokenServer) *httpmock.MockTransport {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, testEnv.TokenURL(), s.respond)
	return mt
}

func TestExchange(t *testing.T) {
	for _, tt := range []string{"bearer", "Bearer"} {
		t.Run(tt, func(t *testing.T) {
			ts := &tokenServer{tokType: tt}
			c := testConfig(newTokenMock(ts))
			c.RedirectURL = testRedirect + "?lang=en"
			tok, err := c.Exchange(context.Background(), "the-code")
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" || tok.Type() != "Bearer" || !tok.Valid() {
				t.Errorf("token = %+v", tok)
			}
			if time.Until(tok.Expiry) < 7000*time.Second {
				t.Errorf("expiry = %v", tok.Expiry)
			}
			if got := GrantedScopes(tok); JoinScopes(got) != "uid:read verification.basic:read" {
				t.Errorf("granted scopes = %q", got)
			}
			if created, _ := tok.Extra("created_at").(float64); created != 1543585106 {
				t.Errorf("created_at = %v", tok.Extra("created_at"))
			}
			f := ts.forms[0]
			want := url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {"the-code"},
				"client_id":     {testClientID},
				"client_secret": {sentinelSecret},
				"redirect_uri":  {testRedirect},
			}
			if f.Encode() != want.Encode() {
				t.Errorf("form = %v", f)
			}
			h := ts.headers[0]
			if h.Get("Authorization") != "" || !strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
				t.Errorf("headers = %v", h)
			}
		})
	}
	if GrantedScopes(nil) != nil || GrantedScopes(&oauth2.Token{}) != nil {
		t.Error("GrantedScopes of a token without scope")
	}
}

func TestExchangeErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		fail   string
		is     error
		reauth bool
	}{
		{"invalid_grant", "invalid_grant", kyc.ErrReauthorizationRequired, true},
		{"invalid_client", "invalid_client", kyc.ErrToken, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &tokenServer{failWith: tc.fail}
			c := testConfig(newTokenMock(ts))
			tok, err := c.Exchange(ctx, "SENTINEL-CODE-xyz")
			if tok != nil || !errors.Is(err, tc.is) {
				t.Fatalf("got %v, %v", tok, err)
			}
			var re *kyc.ReauthorizationRequiredError
			if errors.As(err, &re) != tc.reauth {
				t.Errorf("reauth = %t for %v", !tc.reauth, err)
			}
			var te *kyc.TokenError
			if !tc.reauth && (!errors.As(err, &te) || te.Code != tc.fail || te.StatusCode != 400) {
				t.Errorf("token error = %#v", err)
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(s, sentinelSecret) || strings.Contains(s, "SENTINEL-CODE") {
					t.Errorf("error leaks: %s", s)
				}
			}
		})
	}
	c := testConfig(newTokenMock(&tokenServer{}))
	if _, err := c.Exchange(ctx, ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("empty code: %v", err)
	}
	bad := c
	bad.ClientID = ""
	if _, err := bad.Exchange(ctx, "x"); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("no client id: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Exchange(cctx, "x"); !errors.Is(err, context.Canceled) || !errors.Is(err, kyc.ErrToken) {
		t.Errorf("canceled: %v", err)
	}
	// A token endpoint that is down.
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, testEnv.TokenURL(), httpmock.NewStringResponder(503, "<html>down</html>"))
	if _, err := testConfig(mt).Exchange(ctx, "x"); !errors.Is(err, kyc.ErrToken) || errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Errorf("503: %v", err)
	}
}

// memStore is a TokenStore that records saved tokens.
type memStore struct {
	mu    sync.Mutex
	saved []*oauth2.Token
	fail  error
}

func (m *memStore) SaveToken(ctx context.Context, tok *oauth2.Token) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.saved = append(m.saved, tok)
	return nil
}

func (m *memStore) last() *oauth2.Token {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.saved) == 0 {
		return nil
	}
	return m.saved[len(m.saved)-1]
}

func expired(access, refresh string) *oauth2.Token {
	return &oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "bearer", Expiry: time.Now().Add(-time.Minute)}
}

func TestTokenSourceRotation(t *testing.T) {
	ts := &tokenServer{refresh: "refresh-0"}
	c := testConfig(newTokenMock(ts))
	store := &memStore{}

	valid := &oauth2.Token{AccessToken: "still-valid", RefreshToken: "refresh-0", Expiry: time.Now().Add(time.Hour)}
	src, err := c.TokenSource(valid, store)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(); err != nil || tok.AccessToken != "still-valid" || len(ts.forms) != 0 || store.last() != nil {
		t.Fatalf("a valid token must be returned as is: %v %v", tok, err)
	}

	src, _ = c.TokenSource(expired("old", "refresh-0"), store)
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" || store.last() != tok {
		t.Fatalf("first refresh: %+v, saved %+v", tok, store.last())
	}
	f := ts.forms[0]
	if f.Get("grant_type") != "refresh_token" || f.Get("refresh_token") != "refresh-0" || f.Get("client_id") != testClientID || f.Get("client_secret") != sentinelSecret {
		t.Errorf("refresh form = %v", f)
	}
	// Cached until it expires.
	if again, _ := src.Token(); again != tok || len(ts.forms) != 1 {
		t.Error("valid token must be reused")
	}
	// Force expiry: the next refresh uses the rotated refresh token.
	tok.Expiry = time.Now().Add(-time.Minute)
	tok2, err := src.Token()
	if err != nil || tok2.RefreshToken != "refresh-2" || ts.forms[1].Get("refresh_token") != "refresh-1" || store.last() != tok2 {
		t.Fatalf("second refresh: %+v %v", tok2, err)
	}
	if len(store.saved) != 2 {
		t.Errorf("saved %d tokens, want 2", len(store.saved))
	}
}

func TestTokenSourceConcurrentRefreshOnce(t *testing.T) {
	ts := &tokenServer{refresh: "refresh-0", delay: 20 * time.Millisecond}
	c := testConfig(newTokenMock(ts))
	store := &memStore{}
	src, err := c.TokenSource(expired("old", "refresh-0"), store)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var fails atomic.Int32
	for range 16 {
		wg.Go(func() {
			if tok, err := src.Token(); err != nil || tok.AccessToken != "access-1" {
				fails.Add(1)
			}
		})
	}
	wg.Wait()
	if fails.Load() != 0 || len(ts.forms) != 1 || len(store.saved) != 1 {
		t.Errorf("fails %d, refreshes %d, saves %d; want 0, 1, 1", fails.Load(), len(ts.forms), len(store.saved))
	}
}

func TestTokenSourceInvalidGrant(t *testing.T) {
	ts := &tokenServer{refresh: "someone-else-rotated-it"}
	c := testConfig(newTokenMock(ts))
	src, _ := c.TokenSource(expired("old", "refresh-0"), &memStore{})
	_, err := src.Token()
	var re *kyc.ReauthorizationRequiredError
	if !errors.As(err, &re) || !errors.Is(err, kyc.ErrReauthorizationRequired) || !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("want *ReauthorizationRequiredError, got %#v", err)
	}
	// Terminal: no more requests.
	if _, err2 := src.Token(); !errors.Is(err2, kyc.ErrReauthorizationRequired) || len(ts.forms) != 1 {
		t.Errorf("second call: %v after %d requests", err2, len(ts.forms))
	}
	// Through a Client, Me returns the same typed error.
	cl, err := NewClient(src, WithEnvironment(testEnv), option.WithHTTPClient(&http.Client{Transport: httpmock.NewMockTransport()}))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := cl.Me(context.Background()); u != nil || !errors.As(err, &re) {
		t.Errorf("Me: %v", err)
	}
}

func TestTokenSourceStoreFailure(t *testing.T) {
	ts := &tokenServer{refresh: "refresh-0"}
	c := testConfig(newTokenMock(ts))
	store := &memStore{fail: errors.New("database is down")}
	src, _ := c.TokenSource(expired("old", "refresh-0"), store)
	if _, err := src.Token(); !errors.Is(err, kyc.ErrToken) || !strings.Contains(err.Error(), "database is down") {
		t.Fatalf("store failure: %v", err)
	}
	// The refreshed token was not handed out; the next call saves it
	// without refreshing again.
	store.mu.Lock()
	store.fail = nil
	store.mu.Unlock()
	tok, err := src.Token()
	if err != nil || tok.AccessToken != "access-1" || len(ts.forms) != 1 || store.last() != tok {
		t.Fatalf("retry save: %v %v, %d refreshes", tok, err, len(ts.forms))
	}
}

func TestTokenSourceArguments(t *testing.T) {
	c := testConfig(nil)
	store := TokenStoreFunc(func(context.Context, *oauth2.Token) error { return nil })
	for name, f := range map[string]func() (oauth2.TokenSource, error){
		"nil token":   func() (oauth2.TokenSource, error) { return c.TokenSource(nil, store) },
		"empty token": func() (oauth2.TokenSource, error) { return c.TokenSource(&oauth2.Token{}, store) },
		"nil store":   func() (oauth2.TokenSource, error) { return c.TokenSource(&oauth2.Token{RefreshToken: "r"}, nil) },
		"no client": func() (oauth2.TokenSource, error) {
			c2 := c
			c2.ClientID = ""
			return c2.TokenSource(&oauth2.Token{RefreshToken: "r"}, store)
		},
		"bad env": func() (oauth2.TokenSource, error) {
			c2 := c
			c2.Environment = Environment{AuthURL: "x"}
			return c2.TokenSource(&oauth2.Token{RefreshToken: "r"}, store)
		},
	} {
		if src, err := f(); src != nil || !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v %v", name, src, err)
		}
	}
	src, _ := c.TokenSource(expired("a", ""), store)
	if _, err := src.Token(); !errors.Is(err, kyc.ErrToken) {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{ClientID: "id", ClientSecret: "SENTINEL-SECRET", RedirectURL: "https://app.example.com/cb", Scopes: []Scope{ScopeUID}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, c := range map[string]Config{
		"no client id":      {RedirectURL: "https://app.example.com/cb"},
		"no redirect":       {ClientID: "id"},
		"http redirect":     {ClientID: "id", RedirectURL: "http://app.example.com/cb"},
		"fragment":          {ClientID: "id", RedirectURL: "https://app.example.com/cb#x"},
		"scope with space":  {ClientID: "id", RedirectURL: "https://app.example.com/cb", Scopes: []Scope{"a b"}},
		"bad environment":   {ClientID: "id", RedirectURL: "https://app.example.com/cb", Environment: Environment{Name: "x", FrontendURL: "ftp://x"}},
		"relative redirect": {ClientID: "id", RedirectURL: "/cb"},
	} {
		c.ClientSecret = "SENTINEL-SECRET"
		err := c.Validate()
		if !errors.Is(err, kyc.ErrInvalidArgument) || strings.Contains(err.Error(), "SENTINEL") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
