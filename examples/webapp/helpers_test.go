package main

import (
	"bytes"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/internal/leakcheck"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// testEnv is the fake Fractal ID and the app served on 127.0.0.1, with a
// browser-like client: a cookie jar and no automatic redirects, so each hop
// is checked.
type testEnv struct {
	t      *testing.T
	fake   *fractalidtest.Server
	app    *app
	base   string // the app's base URL
	client *http.Client
	jar    *cookiejar.Jar
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestEnv(t *testing.T, opts ...fractalidtest.Option) *testEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil) // listens already: its port goes into the redirect URI
	base := "http://" + ts.Listener.Addr().String()
	reg := fractalidtest.ClientApp{ID: "webapp-test", Secret: "webapp-test-secret", RedirectURI: base + "/callback"}
	fake := fractalidtest.NewServer(t, append([]fractalidtest.Option{fractalidtest.WithClient(reg)}, opts...)...)
	logs := &syncBuffer{}
	a, err := newApp(appConfig{
		Fractal: fractalid.Config{ClientID: reg.ID, ClientSecret: reg.Secret, RedirectURL: reg.RedirectURI, Environment: fake.Environment()},
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = a
	ts.Start()
	t.Cleanup(ts.Close)
	e := &testEnv{t: t, fake: fake, app: a, base: base, logs: logs}
	e.client, e.jar = newBrowserClient(t)
	return e
}

func newBrowserClient(t *testing.T) (*http.Client, *cookiejar.Jar) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, jar
}

// demoUser adds a user with personal data (which must never reach a page)
// and sets its cases.
func (e *testEnv) demoUser(cases map[string]fractalidtest.State, refused ...fractalid.Scope) *fractalidtest.FakeUser {
	e.t.Helper()
	u := e.fake.AddUser(fractalidtest.User{
		Emails:        []fractalidtest.Email{{Address: "ada.lovelace@example.com"}},
		Details:       map[string]any{"full_name": "Ada Lovelace", "date_of_birth": "1815-12-10", "liveness": true},
		RefusedScopes: refused,
	})
	for level, st := range cases {
		if err := u.SetCase(level, st); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

type page struct {
	status int
	header http.Header
	body   string
	res    *http.Response
}

func do(t *testing.T, c *http.Client, method, rawURL string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(b), res: res}
}

// location returns the redirect target of p, resolved against its request.
func (p page) location(t *testing.T) string {
	t.Helper()
	if p.status < 300 || p.status > 399 {
		t.Fatalf("status %d, want a redirect; body:\n%s", p.status, p.body)
	}
	u, err := p.res.Location()
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// text is the page's text without tags, spaces collapsed.
func (p page) text() string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(p.body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login posts the home page's form and returns the authorization URL.
func (e *testEnv) login() string {
	e.t.Helper()
	p := do(e.t, e.client, http.MethodPost, e.base+"/login", url.Values{})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("POST /login: status %d", p.status)
	}
	return p.location(e.t)
}

var (
	hiddenRE   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	selectedRE = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	buttonRE   = regexp.MustCompile(`<button type="submit" id="([^"]*)" name="([^"]*)" value="([^"]*)">`)
	formRE     = regexp.MustCompile(`<form id="consent" method="post" action="([^"]*)">`)
)

// consent opens the fake's consent page at authURL and submits its form
// with the button of this id ("approve" or "deny"), as a browser would. It
// returns where the fake redirects: the app's callback.
func consent(t *testing.T, c *http.Client, authURL, button string) string {
	t.Helper()
	p := do(t, c, http.MethodGet, authURL, nil)
	if p.status != http.StatusOK {
		t.Fatalf("consent page: status %d:\n%s", p.status, p.body)
	}
	fm := formRE.FindStringSubmatch(p.body)
	if fm == nil {
		t.Fatalf("no consent form in:\n%s", p.body)
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if m := selectedRE.FindStringSubmatch(p.body); m != nil {
		form.Set("user_id", html.UnescapeString(m[1]))
	}
	found := false
	for _, m := range buttonRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == button {
			form.Set(m[2], m[3])
			found = true
		}
	}
	if !found {
		t.Fatalf("no %q button on the consent page", button)
	}
	base, _ := url.Parse(authURL)
	action, err := base.Parse(html.UnescapeString(fm[1]))
	if err != nil {
		t.Fatal(err)
	}
	res := do(t, c, http.MethodPost, action.String(), form)
	if res.status != http.StatusFound {
		t.Fatalf("consent %s: status %d:\n%s", button, res.status, res.body)
	}
	return res.location(t)
}

// signIn runs the whole flow and returns the status page.
func (e *testEnv) signIn() page {
	e.t.Helper()
	cb := consent(e.t, e.client, e.login(), "approve")
	p := do(e.t, e.client, http.MethodGet, cb, nil)
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("callback: status %d:\n%s", p.status, p.text())
	}
	if got := p.location(e.t); got != e.base+"/status" {
		e.t.Fatalf("callback redirects to %s", got)
	}
	return do(e.t, e.client, http.MethodGet, e.base+"/status", nil)
}
