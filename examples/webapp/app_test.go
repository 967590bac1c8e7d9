package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

func TestFlowApproved(t *testing.T) {
	e := newTestEnv(t)
	u := e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})

	// Home page: the button posts to /login.
	home := do(t, e.client, http.MethodGet, e.base+"/", nil)
	if home.status != http.StatusOK || !strings.Contains(home.body, `<form method="post" action="/login">`) ||
		!strings.Contains(home.text(), "Verify with Fractal") {
		t.Fatalf("home: status %d:\n%s", home.status, home.body)
	}

	// /login: state cookie and redirect to the authorization page.
	lp := do(t, e.client, http.MethodPost, e.base+"/login", url.Values{})
	if lp.status != http.StatusSeeOther {
		t.Fatalf("login: status %d", lp.status)
	}
	sc := cookieNamed(lp.res.Cookies(), stateCookie)
	if sc == nil {
		t.Fatal("login set no state cookie")
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/callback" || sc.MaxAge != 600 || sc.Secure {
		t.Errorf("state cookie = %+v, want HttpOnly, SameSite=Lax, Path=/callback, Max-Age=600, not Secure on http", sc)
	}
	if len(sc.Value) < 43 {
		t.Errorf("state has %d characters, want at least 43 (32 random bytes)", len(sc.Value))
	}
	authURL := lp.location(t)
	au, _ := url.Parse(authURL)
	q := au.Query()
	if !strings.HasPrefix(authURL, e.fake.URL()+"/authorize?") || q.Get("state") != sc.Value ||
		q.Get("client_id") != "webapp-test" || q.Get("redirect_uri") != e.base+"/callback" {
		t.Fatalf("authorization URL %s", authURL)
	}
	scopes := fractalid.ParseScopes(q.Get("scope"))
	for _, want := range []fractalid.Scope{fractalid.ScopeUID, fractalid.ScopeBasic, fractalid.ScopeBasicDetails, fractalid.ScopeLiveness, fractalid.ScopeLivenessDetails} {
		if !slices.Contains(scopes, want) {
			t.Errorf("scope %q not requested (got %v)", want, scopes)
		}
	}

	// The user approves; the fake sends the browser to the callback.
	cb := consent(t, e.client, authURL, "approve")
	cbu, _ := url.Parse(cb)
	if cbu.Path != "/callback" || cbu.Query().Get("code") == "" || cbu.Query().Get("state") != sc.Value {
		t.Fatalf("callback URL %s", cb)
	}
	code := cbu.Query().Get("code")

	cp := do(t, e.client, http.MethodGet, cb, nil)
	if cp.status != http.StatusSeeOther || cp.location(t) != e.base+"/status" {
		t.Fatalf("callback: status %d:\n%s", cp.status, cp.text())
	}
	if c := cookieNamed(cp.res.Cookies(), stateCookie); c == nil || c.MaxAge >= 0 || c.Path != "/callback" {
		t.Errorf("callback did not delete the state cookie: %+v", c)
	}
	ss := cookieNamed(cp.res.Cookies(), sessionCookie)
	if ss == nil || !ss.HttpOnly || ss.SameSite != http.SameSiteLaxMode || ss.Path != "/" || ss.MaxAge != 3600 || len(ss.Value) < 43 {
		t.Fatalf("session cookie = %+v", ss)
	}

	st := do(t, e.client, http.MethodGet, e.base+"/status", nil)
	if st.status != http.StatusOK {
		t.Fatalf("status: %d", st.status)
	}
	text := st.text()
	for _, want := range []string{"Status: approved (basic+liveness)", "Level Outcome basic+liveness approved"} {
		if !strings.Contains(text, want) {
			t.Errorf("status page lacks %q:\n%s", want, text)
		}
	}
	// Nothing personal on the page or in the logs; no code or state either.
	for _, secret := range []string{"Ada", "Lovelace", "1815", "ada.lovelace", u.ID(), code, sc.Value} {
		if strings.Contains(st.body, secret) || strings.Contains(e.logs.String(), secret) {
			t.Errorf("%q appears on the status page or in the logs", secret)
		}
	}
	if got := st.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}

	// The session holds the uid and the status only.
	s, ok := e.app.sessions.get(ss.Value)
	if !ok || s.UID != u.ID() || s.Status != statusApproved || s.Level != "basic+liveness" || len(s.Missing) != 0 ||
		!slices.Equal(s.Cases, []caseView{{"basic+liveness", "approved"}}) {
		t.Errorf("session = %+v", s)
	}
	if n := e.fake.Count(http.MethodPost, "/oauth/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if n := e.fake.Count(http.MethodGet, "/v2/users/me"); n != 1 {
		t.Errorf("%d users/me requests, want 1", n)
	}

	// Home now links to the status; logout ends the session.
	if h := do(t, e.client, http.MethodGet, e.base+"/", nil); !strings.Contains(h.body, `href="/status"`) {
		t.Error("home page of a signed-in user has no link to the status")
	}
	lo := do(t, e.client, http.MethodPost, e.base+"/logout", url.Values{})
	if lo.status != http.StatusSeeOther || lo.location(t) != e.base+"/" {
		t.Fatalf("logout: %d", lo.status)
	}
	if _, ok := e.app.sessions.get(ss.Value); ok {
		t.Error("session still stored after logout")
	}
	if p := do(t, e.client, http.MethodGet, e.base+"/status", nil); p.status != http.StatusSeeOther || p.location(t) != e.base+"/" {
		t.Errorf("status after logout: %d", p.status)
	}
}

func TestStatusOutcomes(t *testing.T) {
	S := fractalidtest.Approved
	tests := []struct {
		name    string
		opts    []fractalidtest.Option
		cases   map[string]fractalidtest.State
		refused []fractalid.Scope
		want    string
		table   string // expected text of the cases table (or its placeholder)
	}{
		{"combined case approved", nil, map[string]fractalidtest.State{"basic+liveness": S}, nil,
			"Status: approved (basic+liveness)", "basic+liveness approved"},
		{"example shape", []fractalidtest.Option{fractalidtest.WithCaseShape(fractalidtest.ExampleShape)},
			map[string]fractalidtest.State{"basic+liveness": S}, nil, "Status: approved (basic+liveness)", "basic+liveness approved"},
		{"per-item cases approved", nil, map[string]fractalidtest.State{"basic": S, "liveness": S}, nil,
			"Status: approved (basic+liveness)", "approved"},
		{"liveness pending", nil, map[string]fractalidtest.State{"basic": S, "liveness": fractalidtest.Pending}, nil,
			"Status: pending (basic+liveness)", "liveness pending"},
		{"contacted", nil, map[string]fractalidtest.State{"basic+liveness": fractalidtest.Contacted}, nil,
			"Status: pending (basic+liveness)", "basic+liveness pending"},
		{"basic rejected", nil, map[string]fractalidtest.State{"basic": fractalidtest.Rejected, "liveness": S}, nil,
			"Status: rejected (basic+liveness)", "basic rejected"},
		{"expired", nil, map[string]fractalidtest.State{"basic+liveness": fractalidtest.Expired}, nil,
			"Status: expired (basic+liveness)", "basic+liveness expired"},
		{"new user: cases opened on authorization", nil, nil, nil,
			"Status: pending (basic+liveness)", "pending"},
		{"new user without cases", []fractalidtest.Option{fractalidtest.WithoutAutoCases()}, nil, nil,
			"Status: pending (basic+liveness)", "No verification case was shared."},
		{"liveness scope refused", nil, map[string]fractalidtest.State{"basic": S, "liveness": S}, []fractalid.Scope{fractalid.ScopeLiveness},
			"Status: not shared (basic+liveness)", "You did not share: liveness."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.opts...)
			e.demoUser(tt.cases, tt.refused...)
			p := e.signIn()
			text := p.text()
			if !strings.Contains(text, tt.want) || !strings.Contains(text, tt.table) {
				t.Errorf("status page:\n%s\nwant %q and %q", text, tt.want, tt.table)
			}
			if strings.Contains(p.body, "Ada") {
				t.Error("personal data on the status page")
			}
		})
	}
}

func TestDeniedConsent(t *testing.T) {
	e := newTestEnv(t)
	e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
	cb := consent(t, e.client, e.login(), "deny")
	if q := mustParse(t, cb).Query(); q.Get("error") != "access_denied" {
		t.Fatalf("deny redirects to %s", cb)
	}
	p := do(t, e.client, http.MethodGet, cb, nil)
	if p.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403", p.status)
	}
	if !strings.Contains(p.text(), "Verification not shared") || !strings.Contains(p.text(), "You chose not to share") {
		t.Errorf("page:\n%s", p.text())
	}
	// The vendor's description is not echoed.
	if strings.Contains(p.body, "resource owner") {
		t.Error("error_description shown to the user")
	}
	if c := cookieNamed(p.res.Cookies(), stateCookie); c == nil || c.MaxAge >= 0 {
		t.Error("state cookie not deleted")
	}
	if cookieNamed(p.res.Cookies(), sessionCookie) != nil || e.app.sessions.len() != 0 {
		t.Error("a session was opened")
	}
	if n := e.fake.Count(http.MethodPost, "/oauth/token"); n != 0 {
		t.Errorf("%d token requests after a refusal", n)
	}
}

func TestCallbackRejected(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes the callback URL or the browser's cookies.
		tamper     func(e *testEnv, cb *url.URL) *url.URL
		wantStatus int
		wantTitle  string
	}{
		{"state cookie from another sign-in", func(e *testEnv, cb *url.URL) *url.URL {
			e.jar.SetCookies(cb, []*http.Cookie{{Name: stateCookie, Value: "state-of-another-sign-in", Path: "/callback"}})
			return cb
		}, http.StatusBadRequest, "This sign-in does not match"},
		{"state parameter changed", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Set("state", q.Get("state")+"x")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadRequest, "This sign-in does not match"},
		{"state parameter removed", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Del("state")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadRequest, "This sign-in does not match"},
		{"state parameter repeated", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Add("state", q.Get("state"))
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadRequest, "This sign-in does not match"},
		{"state cookie missing", func(e *testEnv, cb *url.URL) *url.URL {
			e.client, e.jar = newBrowserClient(e.t) // another browser
			return cb
		}, http.StatusBadRequest, "Your sign-in expired"},
		{"state cookie empty", func(e *testEnv, cb *url.URL) *url.URL {
			e.jar.SetCookies(cb, []*http.Cookie{{Name: stateCookie, Value: "", Path: "/callback"}})
			return cb
		}, http.StatusBadRequest, "Your sign-in expired"},
		{"code removed", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Del("code")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadRequest, "Sign-in failed"},
		{"code unknown to the server", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Set("code", "not-a-code")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadRequest, "Your sign-in expired"},
		{"server error", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Del("code")
			q.Set("error", "temporarily_unavailable")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusServiceUnavailable, "Fractal ID is unavailable"},
		{"invalid scope", func(_ *testEnv, cb *url.URL) *url.URL {
			q := cb.Query()
			q.Del("code")
			q.Set("error", "invalid_scope")
			cb.RawQuery = q.Encode()
			return cb
		}, http.StatusBadGateway, "Sign-in failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
			cb := mustParse(t, consent(t, e.client, e.login(), "approve"))
			code := cb.Query().Get("code")
			p := do(t, e.client, http.MethodGet, tt.tamper(e, cb).String(), nil)
			if p.status != tt.wantStatus || !strings.Contains(p.text(), tt.wantTitle) {
				t.Fatalf("status %d, want %d with %q:\n%s", p.status, tt.wantStatus, tt.wantTitle, p.text())
			}
			if cookieNamed(p.res.Cookies(), sessionCookie) != nil || e.app.sessions.len() != 0 {
				t.Error("a session was opened")
			}
			if c := cookieNamed(p.res.Cookies(), stateCookie); c == nil || c.MaxAge >= 0 {
				t.Error("state cookie not deleted")
			}
			if strings.Contains(e.logs.String(), code) {
				t.Error("the authorization code was logged")
			}
		})
	}
}

// TestStateMismatchSendsNoCode: a callback whose state does not match is
// refused before the code is exchanged.
func TestStateMismatchSendsNoCode(t *testing.T) {
	e := newTestEnv(t)
	e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
	cb := mustParse(t, consent(t, e.client, e.login(), "approve"))
	e.jar.SetCookies(cb, []*http.Cookie{{Name: stateCookie, Value: "another", Path: "/callback"}})
	if p := do(t, e.client, http.MethodGet, cb.String(), nil); p.status != http.StatusBadRequest {
		t.Fatalf("status %d", p.status)
	}
	if n := e.fake.Count(http.MethodPost, "/oauth/token"); n != 0 {
		t.Errorf("%d token requests for a mismatched state", n)
	}
}

// TestCallbackReplay: the state cookie is single use, and a code is too.
func TestCallbackReplay(t *testing.T) {
	e := newTestEnv(t)
	e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
	authURL := e.login()
	state := mustParse(t, authURL).Query().Get("state")
	cb := consent(t, e.client, authURL, "approve")
	if p := do(t, e.client, http.MethodGet, cb, nil); p.status != http.StatusSeeOther {
		t.Fatalf("first callback: %d", p.status)
	}
	// Same URL again: the state cookie is gone.
	if p := do(t, e.client, http.MethodGet, cb, nil); p.status != http.StatusBadRequest || !strings.Contains(p.text(), "Your sign-in expired") {
		t.Fatalf("replay: %d %s", p.status, p.text())
	}
	// Even with the state cookie put back, the code was used.
	e.jar.SetCookies(mustParse(t, cb), []*http.Cookie{{Name: stateCookie, Value: state, Path: "/callback"}})
	p := do(t, e.client, http.MethodGet, cb, nil)
	if p.status != http.StatusBadRequest || !strings.Contains(p.text(), "already used or has expired") {
		t.Fatalf("code replay: %d %s", p.status, p.text())
	}
	if e.app.sessions.len() != 1 {
		t.Errorf("%d sessions, want the first one only", e.app.sessions.len())
	}
}

func TestSignInAgainReplacesSession(t *testing.T) {
	e := newTestEnv(t)
	e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
	e.signIn()
	first := cookieNamed(e.jar.Cookies(mustParse(t, e.base+"/")), sessionCookie)
	e.signIn()
	second := cookieNamed(e.jar.Cookies(mustParse(t, e.base+"/")), sessionCookie)
	if first == nil || second == nil || first.Value == second.Value {
		t.Fatal("a second sign-in kept the session id")
	}
	if _, ok := e.app.sessions.get(first.Value); ok || e.app.sessions.len() != 1 {
		t.Error("the old session was not dropped")
	}
}

func TestFractalFailures(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		fault  kyctest.Fault
	}{
		{"token endpoint 500", http.MethodPost, "/oauth/token", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500}},
		{"token endpoint HTML error page", http.MethodPost, "/oauth/token", kyctest.Fault{Kind: kyctest.FaultHTMLError}},
		{"users/me 500", http.MethodGet, "/v2/users/me", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 500}},
		{"users/me truncated", http.MethodGet, "/v2/users/me", kyctest.Fault{Kind: kyctest.FaultTruncate, Times: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.demoUser(map[string]fractalidtest.State{"basic+liveness": fractalidtest.Approved})
			cb := consent(t, e.client, e.login(), "approve")
			e.fake.InjectFault(tt.method, tt.path, tt.fault)
			p := do(t, e.client, http.MethodGet, cb, nil)
			if p.status != http.StatusBadGateway || !strings.Contains(p.text(), "Fractal ID is unavailable") {
				t.Fatalf("status %d:\n%s", p.status, p.text())
			}
			if e.app.sessions.len() != 0 {
				t.Error("a session was opened")
			}
			if strings.Contains(p.body, "Ada") || strings.Contains(e.logs.String(), "Ada") {
				t.Error("personal data on the error page or in the logs")
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodGet, "/login", http.StatusMethodNotAllowed},
		{http.MethodPost, "/callback", http.StatusMethodNotAllowed},
		{http.MethodGet, "/status", http.StatusSeeOther},
		{http.MethodGet, "/logout", http.StatusMethodNotAllowed},
		{http.MethodGet, "/style.css", http.StatusOK},
		{http.MethodGet, "/nothing", http.StatusNotFound},
	}
	for _, tt := range tests {
		p := do(t, e.client, tt.method, e.base+tt.path, nil)
		if p.status != tt.want {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, p.status, tt.want)
		}
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self' "+e.fake.URL()) {
			t.Errorf("%s %s: CSP %q", tt.method, tt.path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s: headers %v", tt.method, tt.path, p.header)
		}
	}
	// A session cookie the store does not know is no session.
	e.jar.SetCookies(mustParse(t, e.base+"/"), []*http.Cookie{{Name: sessionCookie, Value: "forged", Path: "/"}})
	if p := do(t, e.client, http.MethodGet, e.base+"/status", nil); p.status != http.StatusSeeOther {
		t.Errorf("forged session: status %d", p.status)
	}
}

// TestHTTPSAppSetsSecureCookies builds the authorization URL only: no
// request leaves the process.
func TestHTTPSAppSetsSecureCookies(t *testing.T) {
	a, err := newApp(appConfig{Fractal: fractalid.Config{
		ClientID: "id", ClientSecret: "secret", RedirectURL: "https://shop.example.test/kyc/callback", Environment: fractalid.Staging,
	}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "https://shop.example.test/login", nil))
	res := rec.Result()
	c := cookieNamed(res.Cookies(), stateCookie)
	if c == nil || !c.Secure || c.Path != "/kyc/callback" {
		t.Fatalf("state cookie %+v", c)
	}
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, fractalid.Staging.AuthorizeURL()+"?") {
		t.Errorf("Location %s", loc)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+fractalid.Staging.FrontendURL) {
		t.Errorf("CSP %q", csp)
	}
	// The callback is served on the redirect URL's path.
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://shop.example.test/kyc/callback?state=x&code=y", nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Your sign-in expired") {
		t.Errorf("callback without cookie: %d", rec.Code)
	}
}

// A Config without an Environment runs against Production: the embedded
// page accepts messages from Production's journey origin and frames its
// authorization page.
func TestZeroEnvironmentEmbedsProduction(t *testing.T) {
	a, err := newApp(appConfig{Fractal: fractalid.Config{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://shop.example.test/kyc/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.embedOrigin != "https://app.fractal.id" {
		t.Errorf("embed origin %q, want https://app.fractal.id", a.embedOrigin)
	}
	if !strings.HasSuffix(a.embedCSP, "frame-src https://app.fractal.id") {
		t.Errorf("embed CSP %q", a.embedCSP)
	}
}

func TestNewAppRejectsBadConfig(t *testing.T) {
	good := fractalid.Config{ClientID: "id", ClientSecret: "s", RedirectURL: "http://127.0.0.1:8080/callback", Environment: fractalid.Staging}
	tests := []struct {
		name string
		edit func(*appConfig)
	}{
		{"no client id", func(c *appConfig) { c.Fractal.ClientID = "" }},
		{"no redirect URL", func(c *appConfig) { c.Fractal.RedirectURL = "" }},
		{"redirect URL without path", func(c *appConfig) { c.Fractal.RedirectURL = "http://127.0.0.1:8080" }},
		{"plain http redirect URL off loopback", func(c *appConfig) { c.Fractal.RedirectURL = "http://shop.example.test/callback" }},
		{"bad environment", func(c *appConfig) { c.Fractal.Environment = fractalid.Environment{Name: "x", FrontendURL: "ftp://x"} }},
		{"bad client option", func(c *appConfig) { c.ClientOptions = []option.ClientOption{option.WithTimeout(-1)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := appConfig{Fractal: good}
			tt.edit(&c)
			if _, err := newApp(c); err == nil {
				t.Fatal("newApp accepted it")
			}
		})
	}
	if _, err := newApp(appConfig{Fractal: good}); err != nil {
		t.Fatalf("good config: %v", err)
	}
}

func TestSessionStore(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	st := newSessionStore(time.Hour, 2, func() time.Time { return now })
	a, err := st.create(&session{UID: "a", Status: statusApproved})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.create(&session{UID: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.create(&session{UID: "c"}); err != errTooManySessions {
		t.Fatalf("third session in a store of 2: %v", err)
	}
	if s, ok := st.get(a); !ok || s.UID != "a" || s.String() != "session{uid=a status=approved}" {
		t.Fatalf("get = %v %v", s, ok)
	}
	now = now.Add(time.Hour)
	// The store is full of expired sessions: they make room.
	if _, err := st.create(&session{UID: "c"}); err != nil {
		t.Fatalf("create after expiry: %v", err)
	}
	if st.len() != 1 {
		t.Errorf("%d sessions, want 1 (expired ones dropped)", st.len())
	}
	if _, ok := st.get(a); ok {
		t.Error("expired session returned")
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
