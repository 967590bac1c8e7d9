package fractalidtest_test

// The fake exercised through the public SDK clients only: fractalid.Config
// (AuthCodeURL, ParseCallback, Exchange, TokenSource), fractalid.NewClient
// and Me, fractalid.NewStatsClient and webhooks.NewHandler.

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// fastRetries keeps retry tests quick: 2 retries, millisecond backoff.
var fastRetries = option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// memStore is a TokenStore that keeps every saved token.
type memStore struct {
	mu    sync.Mutex
	saved []*oauth2.Token
}

func (m *memStore) SaveToken(_ context.Context, tok *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
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

// expired returns a copy of tok that the token source will refresh.
func expired(tok *oauth2.Token) *oauth2.Token {
	c := *tok
	c.Expiry = time.Now().Add(-time.Minute)
	return &c
}

// login runs the authorization-code flow for user through the SDK:
// AuthCodeURL, the consent page approved, ParseCallback and Exchange.
func login(t *testing.T, srv *fractalidtest.Server, cfg *fractalid.Config, userID string) *oauth2.Token {
	t.Helper()
	const state = "state-123"
	authURL, err := cfg.AuthCodeURL(state)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := srv.Approve(authURL, userID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, cb.String(), nil), state)
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func newClient(t *testing.T, srv *fractalidtest.Server, ts oauth2.TokenSource, opts ...option.ClientOption) *fractalid.Client {
	t.Helper()
	c, err := fractalid.NewClient(ts, append([]option.ClientOption{fractalid.WithEnvironment(srv.Environment())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func meWith(t *testing.T, srv *fractalidtest.Server, tok *oauth2.Token, opts ...option.ClientOption) (*fractalid.User, error) {
	t.Helper()
	return newClient(t, srv, oauth2.StaticTokenSource(tok), opts...).Me(context.Background())
}

func TestOAuthRoundTrip(t *testing.T) {
	t.Parallel()
	// Client credentials only as parameters, the way the reference documents.
	srv := fractalidtest.NewServer(t, fractalidtest.WithClientAuth(fractalidtest.ClientAuthParams))
	u := srv.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: "ada@example.com"}},
		Details: map[string]any{"full_name": "Ada Lovelace", "date_of_birth": "1815-12-10"},
	})
	mustSet(t, u.SetCase("basic", fractalidtest.Approved))
	cfg := srv.Config(fractalid.ScopesFor(fractalid.ParseLevel("basic"), fractalid.WithContact(), fractalid.WithDetails())...)

	tok := login(t, srv, cfg, u.ID())
	if !strings.EqualFold(tok.TokenType, "bearer") || tok.RefreshToken == "" {
		t.Fatalf("token type %q, refresh token set: %v", tok.TokenType, tok.RefreshToken != "")
	}
	if got, want := fractalid.GrantedScopes(tok), cfg.Scopes; !slices.Equal(got, want) {
		t.Errorf("granted %v, want %v", got, want)
	}
	ts, err := cfg.TokenSource(tok, &memStore{})
	if err != nil {
		t.Fatal(err)
	}
	me, err := newClient(t, srv, ts).Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.UID != u.ID() || len(me.Emails) != 1 || me.Emails[0].Address != "ada@example.com" {
		t.Errorf("me = %v", me)
	}
	if !me.IsApproved(fractalid.ParseLevel("basic")) {
		t.Errorf("basic not approved: %v", me)
	}
	c := me.CaseFor(fractalid.ParseLevel("basic"))
	if c == nil || c.Details == nil || c.Details.FullName != "Ada Lovelace" || !c.IsJourneyCompleted() {
		t.Fatalf("basic case = %v", c)
	}
	// Scripted state changes show on the next call.
	mustSet(t, u.SetCase("basic", fractalidtest.Rejected))
	me, err = newClient(t, srv, ts).Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := me.CaseFor(fractalid.ParseLevel("basic")); c == nil || c.Outcome() != fractalid.StatusRejected {
		t.Errorf("after rejection: %v", c)
	}
}

func TestAuthorizeOutcomes(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t, fractalidtest.WithClient(fractalidtest.ClientApp{
		ID: "narrow", Secret: "s", RedirectURI: "https://app.example/cb", Scopes: []fractalid.Scope{fractalid.ScopeUID},
	}))
	u := srv.AddUser(fractalidtest.User{RefusedScopes: []fractalid.Scope{fractalid.ScopeContact}})
	const state = "st"
	callback := func(cfg *fractalid.Config, deny bool) (string, error) {
		authURL, err := cfg.AuthCodeURL(state)
		if err != nil {
			t.Fatal(err)
		}
		var cb *url.URL
		if deny {
			cb, err = srv.Deny(authURL)
		} else {
			cb, err = srv.Approve(authURL, u.ID())
		}
		if err != nil {
			return "", err
		}
		return cfg.ParseCallback(httptest.NewRequest(http.MethodGet, cb.String(), nil), state)
	}

	t.Run("deny gives access_denied", func(t *testing.T) {
		_, err := callback(srv.Config(), true)
		var ae *fractalid.AuthError
		if !errors.Is(err, fractalid.ErrAccessDenied) || !errors.As(err, &ae) || ae.Code != "access_denied" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("scope the client may not request gives invalid_scope", func(t *testing.T) {
		cfg := srv.Config(fractalid.ScopeContact)
		cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL = "narrow", "s", "https://app.example/cb"
		_, err := callback(cfg, false)
		var ae *fractalid.AuthError
		if !errors.As(err, &ae) || ae.Code != "invalid_scope" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unregistered redirect URI is not redirected", func(t *testing.T) {
		cfg := srv.Config()
		cfg.RedirectURL = "http://127.0.0.1/elsewhere"
		_, err := callback(cfg, false)
		var ae *fractalidtest.AuthError
		if !errors.As(err, &ae) || ae.Code != "invalid_redirect_uri" || ae.Redirect {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("refused scopes are not granted", func(t *testing.T) {
		cfg := srv.Config(fractalid.ScopeUID, fractalid.ScopeContact)
		tok := login(t, srv, cfg, u.ID())
		if got := fractalid.GrantedScopes(tok); !slices.Equal(got, []fractalid.Scope{fractalid.ScopeUID}) {
			t.Fatalf("granted %v", got)
		}
		me, err := meWith(t, srv, tok)
		if err != nil || me.UID != u.ID() || me.Emails != nil {
			t.Fatalf("me = %v, %v", me, err)
		}
	})
}

// TestConsentPageByHTTP drives the HTML consent form with plain HTTP, as a
// browser would: GET the page, read the form, POST the approve button.
func TestConsentPageByHTTP(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	srv.AddUser(fractalidtest.User{ID: "first"})
	second := srv.AddUser(fractalidtest.User{ID: "second"})
	mustSet(t, second.SetCase("plus", fractalidtest.Approved))
	cfg := srv.Config(fractalid.ScopeUID, fractalid.ScopePlus)
	const state = "s&t<a>te" // needs escaping in HTML and in the URL
	authURL, err := cfg.AuthCodeURL(state)
	if err != nil {
		t.Fatal(err)
	}
	hc := srv.HTTPClient()
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, id := range []string{`id="approve"`, `id="deny"`, `id="consent"`, `id="user_id"`} {
		if !strings.Contains(string(page), id) {
			t.Fatalf("page lacks %s:\n%s", id, page)
		}
	}
	action, form := parseForm(t, string(page))
	form.Set("user_id", "second") // pick the second user in the select
	form.Set("decision", "approve")
	resp, err = noRedirect.PostForm(srv.URL()+action, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("approve: status %d", resp.StatusCode)
	}
	cb := httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil)
	if !strings.HasPrefix(resp.Header.Get("Location"), cfg.RedirectURL+"?") {
		t.Fatalf("redirected to %q", resp.Header.Get("Location"))
	}
	code, err := cfg.ParseCallback(cb, state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	me, err := meWith(t, srv, tok)
	if err != nil || me.UID != "second" || !me.IsApproved(fractalid.ParseLevel("plus")) {
		t.Fatalf("me = %v, %v", me, err)
	}

	// The deny button.
	form.Set("decision", "deny")
	resp, err = noRedirect.PostForm(srv.URL()+action, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = cfg.ParseCallback(httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil), state)
	if !errors.Is(err, fractalid.ErrAccessDenied) {
		t.Fatalf("deny: %v", err)
	}
}

var (
	formRe   = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// parseForm reads the consent form's action and hidden fields.
func parseForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	v := url.Values{}
	for _, h := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), v
}

func TestAutoApproveFollowsRedirect(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t, fractalidtest.WithAutoApprove())
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	authURL, _ := cfg.AuthCodeURL("xyz")
	hc := *srv.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, err := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil), "xyz")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if me, err := meWith(t, srv, tok); err != nil || me.UID != u.ID() {
		t.Fatalf("me = %v, %v", me, err)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID, fractalid.ScopeBasic)
	first := login(t, srv, cfg, u.ID())

	// Refresh through the SDK's token source: a new refresh token, saved
	// before use, with the same scopes.
	store := &memStore{}
	ts, err := cfg.TokenSource(expired(first), store)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || store.last() != second {
		t.Fatal("refresh did not rotate and save the tokens")
	}
	if got := fractalid.GrantedScopes(second); !slices.Equal(got, cfg.Scopes) {
		t.Errorf("refreshed scopes %v, want %v", got, cfg.Scopes)
	}

	// Grace: until the new access token is used, the old refresh token
	// and the old access token still work.
	graceTS, _ := cfg.TokenSource(expired(first), &memStore{})
	if _, err := graceTS.Token(); err != nil {
		t.Fatalf("old refresh token refused before the new access token was used: %v", err)
	}
	if _, err := meWith(t, srv, first); err != nil {
		t.Fatalf("old access token refused before the new one was used: %v", err)
	}

	// First use of the new access token revokes the old tokens.
	if _, err := newClient(t, srv, ts).Me(ctx); err != nil {
		t.Fatal(err)
	}
	oldTS, _ := cfg.TokenSource(expired(first), &memStore{})
	_, err = oldTS.Token()
	var re *kyc.ReauthorizationRequiredError
	if !errors.As(err, &re) || !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Fatalf("old refresh token after rotation: %v, want ReauthorizationRequired", err)
	}
	if _, err := meWith(t, srv, first); !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("old access token after rotation: %v, want ErrUnauthorized", err)
	}
	// The rotated refresh token keeps working.
	if _, err := func() (*oauth2.Token, error) {
		ts, _ := cfg.TokenSource(expired(second), &memStore{})
		return ts.Token()
	}(); err != nil {
		t.Fatalf("refresh with the rotated token: %v", err)
	}
}

func TestRefreshRevokedImmediately(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t, fractalidtest.WithRefreshRevocation(fractalidtest.RevokeImmediately))
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	first := login(t, srv, cfg, u.ID())
	ts, _ := cfg.TokenSource(expired(first), &memStore{})
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	again, _ := cfg.TokenSource(expired(first), &memStore{})
	if _, err := again.Token(); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Fatalf("err = %v", err)
	}
}

func TestRevokedUserMustReauthorize(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	tok := login(t, srv, cfg, u.ID())
	srv.RevokeUser(u.ID())
	if _, err := meWith(t, srv, tok); !errors.Is(err, kyc.ErrUnauthorized) {
		t.Fatalf("Me: %v", err)
	}
	ts, _ := cfg.TokenSource(expired(tok), &memStore{})
	if _, err := ts.Token(); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Fatalf("refresh: %v", err)
	}
}

func TestCodeRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	code := func() string {
		authURL, _ := cfg.AuthCodeURL("s")
		cb, err := srv.Approve(authURL, u.ID())
		if err != nil {
			t.Fatal(err)
		}
		c, err := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, cb.String(), nil), "s")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	wantReauth := func(t *testing.T, err error) {
		t.Helper()
		var re *kyc.ReauthorizationRequiredError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want *ReauthorizationRequiredError (invalid_grant)", err)
		}
	}
	t.Run("reuse", func(t *testing.T) {
		c := code()
		if _, err := cfg.Exchange(ctx, c); err != nil {
			t.Fatal(err)
		}
		_, err := cfg.Exchange(ctx, c)
		wantReauth(t, err)
	})
	t.Run("wrong redirect URI at exchange", func(t *testing.T) {
		c := code()
		other := *cfg
		other.RedirectURL = "http://127.0.0.1/other"
		_, err := other.Exchange(ctx, c)
		wantReauth(t, err)
		// The code was not consumed by the failed attempt.
		if _, err := cfg.Exchange(ctx, c); err != nil {
			t.Fatalf("exchange with the right URI after a wrong one: %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		bad := *cfg
		bad.ClientSecret = "wrong"
		_, err := bad.Exchange(ctx, code())
		var te *kyc.TokenError
		if !errors.As(err, &te) || errors.Is(err, kyc.ErrReauthorizationRequired) {
			t.Fatalf("err = %v, want a *TokenError (invalid_client)", err)
		}
	})
}

func TestCodeExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	app := srv.DefaultClient()
	early, _ := srv.Authorize(app.ID, u.ID(), nil, "")
	late, _ := srv.Authorize(app.ID, u.ID(), nil, "")
	srv.Advance(fractalidtest.CodeTTL - time.Second)
	if _, err := cfg.Exchange(ctx, early); err != nil {
		t.Fatalf("code just before expiry: %v", err)
	}
	srv.Advance(time.Second)
	if _, err := cfg.Exchange(ctx, late); !errors.Is(err, kyc.ErrReauthorizationRequired) {
		t.Fatalf("code after 10 minutes: %v", err)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID())
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(fractalidtest.AccessTokenTTL - time.Second)
	if _, err := meWith(t, srv, tok); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Second)
	_, err = meWith(t, srv, tok)
	var ae *kyc.APIError
	if !errors.Is(err, kyc.ErrUnauthorized) || !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("expired token: %v", err)
	}
}

func TestScopeFiltering(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t, fractalidtest.WithoutAutoCases())
	u := srv.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: "a@example.com"}},
		Wallets: []fractalidtest.Wallet{{Currency: "eth", Address: "0xabc"}},
		Details: map[string]any{"full_name": "A B", "liveness": true},
	})
	mustSet(t, u.SetCase("basic", fractalidtest.Approved))
	mustSet(t, u.SetCase("liveness", fractalidtest.Pending))
	mustSet(t, u.SetCase("wallet-eth", fractalidtest.Approved))
	type want struct {
		uid, emails, wallets bool
		levels               []string
		details              []string // levels whose case has details
	}
	tests := []struct {
		name   string
		scopes []fractalid.Scope
		want   want
	}{
		{"default uid only", nil, want{uid: true}},
		{"contact only", []fractalid.Scope{fractalid.ScopeContact}, want{emails: true}},
		{"basic without details", []fractalid.Scope{fractalid.ScopeUID, fractalid.ScopeBasic}, want{uid: true, levels: []string{"basic"}}},
		{"basic with details", []fractalid.Scope{fractalid.ScopeBasic, fractalid.ScopeBasicDetails}, want{levels: []string{"basic"}, details: []string{"basic"}}},
		{"details scope alone shows no case", []fractalid.Scope{fractalid.ScopeBasicDetails}, want{}},
		{"liveness details but basic without", []fractalid.Scope{fractalid.ScopeBasic, fractalid.ScopeLiveness, fractalid.ScopeLivenessDetails},
			want{levels: []string{"basic", "liveness"}, details: []string{"liveness"}}},
		{"wallet add-on", []fractalid.Scope{fractalid.ScopeBasic, fractalid.ScopeWalletETH}, want{wallets: true, levels: []string{"basic", "wallet-eth"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := srv.IssueToken(u.ID(), tc.scopes...)
			if err != nil {
				t.Fatal(err)
			}
			me, err := meWith(t, srv, tok)
			if err != nil {
				t.Fatal(err)
			}
			var levels, details []string
			for _, c := range me.VerificationCases {
				levels = append(levels, c.RawLevel)
				if c.Details != nil {
					details = append(details, c.RawLevel)
				}
			}
			got := want{uid: me.UID != "", emails: me.Emails != nil, wallets: me.Wallets != nil, levels: levels, details: details}
			if got.uid != tc.want.uid || got.emails != tc.want.emails || got.wallets != tc.want.wallets ||
				!slices.Equal(got.levels, tc.want.levels) || !slices.Equal(got.details, tc.want.details) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestClientCredentialsTokenOnUsersMe(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	_, err := meWith(t, srv, srv.IssueClientToken())
	if !errors.Is(err, kyc.ErrForbidden) || !errors.Is(err, fractalid.ErrInsufficientScope) {
		t.Fatalf("err = %v", err)
	}
}

func newStats(t *testing.T, srv *fractalidtest.Server, secret string, opts ...option.ClientOption) *fractalid.StatsClient {
	t.Helper()
	app := srv.DefaultClient()
	if secret == "" {
		secret = app.Secret
	}
	sc, err := fractalid.NewStatsClient(append([]option.ClientOption{
		fractalid.WithEnvironment(srv.Environment()),
		fractalid.WithCredentials(app.ID, secret),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestStatsThroughClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t, fractalidtest.WithClientAuth(fractalidtest.ClientAuthParams))
	a := srv.AddUser(fractalidtest.User{Country: "US"})
	b := srv.AddUser(fractalidtest.User{Country: "DK"})
	mustSet(t, a.SetCase("basic", fractalidtest.Approved))
	mustSet(t, a.SetCase("liveness", fractalidtest.Contacted))
	mustSet(t, b.SetCase("basic", fractalidtest.Approved))
	sc := newStats(t, srv, "")

	total, err := sc.TotalVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total.Get(fractalid.StatusApproved) != 2 || total.Get(fractalid.StatusContacted) != 1 || len(total) != 2 {
		t.Errorf("total = %v (zero counts must be left out)", total)
	}
	byCountry, err := sc.CountryVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(byCountry["DK"]) != 1 || byCountry["DK"].Get(fractalid.StatusApproved) != 1 || byCountry["US"].Total() != 2 {
		t.Errorf("by country = %v", byCountry)
	}
	rows, err := sc.UserVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].UserID != a.ID() || rows[0].Status != fractalid.StatusApproved || rows[1].RawLevel != "liveness" {
		t.Errorf("rows = %v", rows)
	}
	// One client-credentials token for all three calls.
	if n := srv.Count(http.MethodPost, "/oauth/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}

	// Wrong credentials: invalid_client, a token error, no stats request.
	srv.ResetLog()
	_, err = newStats(t, srv, "wrong").TotalVerifications(ctx)
	if !errors.Is(err, kyc.ErrToken) || srv.Count(http.MethodGet, "/v2/stats/*") != 0 {
		t.Fatalf("wrong secret: %v", err)
	}
}

// TestFaults shows what a fractalid.Client sees for each fault kind on
// GET /v2/users/me, and what the server logged.
func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    kyctest.Fault
		opts     []option.ClientOption
		check    func(t *testing.T, err error)
		requests int
	}{
		{
			name:     "503 burst shorter than the retries",
			fault:    kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2},
			check:    wantNoError,
			requests: 3,
		},
		{
			name:  "503 burst longer than the retries",
			fault: kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 3},
			check: func(t *testing.T, err error) {
				var ae *kyc.APIError
				if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Attempts != 3 || !errors.Is(err, kyc.ErrServer) {
					t.Fatalf("err = %v", err)
				}
			},
			requests: 3,
		},
		{
			name:     "429 with Retry-After honoured",
			fault:    kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "1"},
			check:    wantNoError,
			requests: 2,
		},
		{
			name:  "HTML 502 page from a proxy",
			fault: kyctest.Fault{Kind: kyctest.FaultHTMLError, Times: 3},
			check: func(t *testing.T, err error) {
				var ae *kyc.APIError
				if !errors.As(err, &ae) || ae.StatusCode != 502 || !errors.Is(err, kyc.ErrServer) {
					t.Fatalf("err = %v", err)
				}
			},
			requests: 3,
		},
		{
			name:     "reset before read, once: retried",
			fault:    kyctest.Fault{Kind: kyctest.FaultResetBeforeRead},
			check:    wantNoError,
			requests: 2,
		},
		{
			name:  "reset before read, every attempt",
			fault: kyctest.Fault{Kind: kyctest.FaultResetBeforeRead, Times: 3},
			check: func(t *testing.T, err error) {
				var te *kyc.TransportError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want *TransportError", err)
				}
			},
			requests: 3,
		},
		{
			name:     "reset after read, once: a GET is retried",
			fault:    kyctest.Fault{Kind: kyctest.FaultResetAfterRead},
			check:    wantNoError,
			requests: 2,
		},
		{
			name:  "truncated body",
			fault: kyctest.Fault{Kind: kyctest.FaultTruncate, Times: 3},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, kyc.ErrDecode) {
					t.Fatalf("err = %v, want ErrDecode", err)
				}
			},
			requests: 1, // a 200 that does not decode is not retried
		},
		{
			name:  "oversized body",
			fault: kyctest.Fault{Kind: kyctest.FaultOversize, Size: 2 << 20},
			opts:  []option.ClientOption{option.WithMaxResponseBytes(1 << 20)},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, kyc.ErrResponseTooLarge) {
					t.Fatalf("err = %v, want ErrResponseTooLarge", err)
				}
			},
			requests: 1,
		},
		{
			name:  "hang past the deadline",
			fault: kyctest.Fault{Kind: kyctest.FaultHang},
			// Long enough for the connection to be made on a loaded
			// machine: the hang, not the dial, must run out the clock.
			opts: []option.ClientOption{option.WithTimeout(400 * time.Millisecond), option.NoRetries()},
			check: func(t *testing.T, err error) {
				var ne net.Error
				if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
					t.Fatalf("err = %v, want a timeout", err)
				}
			},
			requests: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fractalidtest.NewServer(t)
			u := srv.AddUser(fractalidtest.User{})
			tok, err := srv.IssueToken(u.ID())
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFault(http.MethodGet, "/v2/users/me", tc.fault)
			opts := append([]option.ClientOption{option.WithRetryPolicy(fastRetries)}, tc.opts...)
			me, err := meWith(t, srv, tok, opts...)
			if err != nil && me != nil {
				t.Errorf("a failed call returned a user: %v", me)
			}
			tc.check(t, err)
			if tc.fault.RetryAfter != "" {
				reqs := srv.Requests()
				if gap := reqs[len(reqs)-1].Time.Sub(reqs[0].Time); gap < 900*time.Millisecond {
					t.Errorf("retried after %v, before Retry-After", gap)
				}
			}
			if err == nil && me.UID != u.ID() {
				t.Errorf("me = %v", me)
			}
			n := srv.Count(http.MethodGet, "/v2/users/me")
			t.Logf("client saw %v after %d requests", err, n)
			if n != tc.requests {
				t.Errorf("%d requests logged, want %d: %v", n, tc.requests, srv.Requests())
			}
		})
	}
}

func wantNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v", err)
	}
}

// TestTokenEndpointFaults: token requests are POSTs, never retried once
// they reached the server.
func TestTokenEndpointFaults(t *testing.T) {
	t.Parallel()
	for _, f := range []kyctest.Fault{
		{Kind: kyctest.FaultStatus, Status: 503},
		{Kind: kyctest.FaultResetAfterRead},
		{Kind: kyctest.FaultHTMLError},
		{Kind: kyctest.FaultTruncate},
		{Kind: kyctest.FaultOversize, Size: 2 << 20},
	} {
		t.Run(f.Kind.String(), func(t *testing.T) {
			t.Parallel()
			srv := fractalidtest.NewServer(t)
			u := srv.AddUser(fractalidtest.User{})
			cfg := srv.Config()
			code, err := srv.Authorize(cfg.ClientID, u.ID(), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFault(http.MethodPost, "/oauth/token", f)
			_, err = cfg.Exchange(context.Background(), code)
			if !errors.Is(err, kyc.ErrToken) || errors.Is(err, kyc.ErrReauthorizationRequired) {
				t.Fatalf("err = %v, want a token error", err)
			}
			if n := srv.Count(http.MethodPost, "/oauth/token"); n != 1 {
				t.Errorf("%d token requests, want 1 (no retry of a POST)", n)
			}
		})
	}
}

func TestStatsFaults(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	a := srv.AddUser(fractalidtest.User{})
	mustSet(t, a.SetCase("basic", fractalidtest.Approved))
	sc := newStats(t, srv, "", option.WithRetryPolicy(fastRetries))
	srv.InjectFault(http.MethodGet, "/v2/stats/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2})
	total, err := sc.TotalVerifications(context.Background())
	if err != nil || total.Get(fractalid.StatusApproved) != 1 {
		t.Fatalf("total = %v, %v", total, err)
	}
	if n := srv.Count(http.MethodGet, "/v2/stats/total-verifications"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	srv.InjectFault(http.MethodGet, "/v2/stats/user-verifications", kyctest.Fault{Kind: kyctest.FaultTruncate, Times: 3})
	rows, err := sc.UserVerifications(context.Background())
	if !errors.Is(err, kyc.ErrDecode) || rows != nil {
		t.Fatalf("truncated rows: %v, %v", rows, err)
	}
}

// receiver is a webhooks.NewHandler on a loopback server that records the
// events its function saw.
type receiver struct {
	url   string
	mu    sync.Mutex
	seen  []*webhooks.Event
	calls atomic.Int32
}

func newReceiver(t *testing.T, v *webhooks.Verifier, opts ...webhooks.HandlerOption) *receiver {
	t.Helper()
	r := &receiver{}
	h := webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		r.calls.Add(1)
		r.mu.Lock()
		r.seen = append(r.seen, ev)
		r.mu.Unlock()
		return nil
	}, opts...)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	r.url = ts.URL
	return r
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	v, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(srv.DefaultClient().WebhookSecret))
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, v, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0)))
	at := time.Date(2020, 4, 2, 13, 35, 35, 0, time.UTC)
	events := []fractalidtest.Notification{
		fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, "u1", "basic", at),
		fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, "u1", "liveness", at.Add(time.Second)),
		fractalidtest.VerificationNotification(webhooks.EventVerificationRejected, "u2", "plus", at.Add(2*time.Second)),
		fractalidtest.EmailChangedNotification("u1", "new@example.com"),
		fractalidtest.CredentialSharedNotification("human", "cred", at),
	}
	ds, err := srv.SendWebhooks(ctx, rcv.url, events, fractalidtest.WithDuplicate(), fractalidtest.WithShuffle(7))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2*len(events) {
		t.Fatalf("%d deliveries, want %d", len(ds), 2*len(events))
	}
	var order []webhooks.EventType
	for _, d := range ds {
		if !d.OK() || len(d.Body) != 0 {
			t.Errorf("%v: body %q", d, d.Body)
		}
		order = append(order, d.Type)
	}
	if int(rcv.calls.Load()) != len(events) {
		t.Errorf("handler function called %d times, want %d (duplicates dropped)", rcv.calls.Load(), len(events))
	}
	// Shuffled: not the sent order with each duplicate next to its original.
	var straight []webhooks.EventType
	for _, e := range events {
		straight = append(straight, e.Type, e.Type)
	}
	if slices.Equal(order, straight) {
		t.Errorf("WithShuffle kept the order")
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, ev := range rcv.seen {
		if ev.Type == webhooks.EventEmailChanged && (ev.EmailChanged == nil || ev.EmailChanged.Email != "new@example.com") {
			t.Errorf("email_changed decoded as %v", ev)
		}
		if ev.Type == webhooks.EventVerificationRejected && (ev.Level() != "plus" || ev.Timestamp().Raw != "2020-04-02T13:35:37Z") {
			t.Errorf("verification_rejected decoded as %v", ev)
		}
	}
}

func TestWebhookSecretsPerType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := fractalidtest.ClientApp{
		ID: "app", Secret: "secret", RedirectURI: "https://app.example/cb",
		WebhookSecrets: map[webhooks.EventType]string{
			webhooks.EventVerificationApproved: "approved-secret",
			webhooks.EventEmailChanged:         "email-secret",
		},
	}
	srv := fractalidtest.NewServer(t, fractalidtest.WithClient(app))
	v, err := webhooks.NewVerifier(
		webhooks.WithSecret(webhooks.EventVerificationApproved, "approved-secret"),
		webhooks.WithSecret(webhooks.EventEmailChanged, "email-secret"),
	)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, v)
	approved := fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, "u", "basic", time.Now())
	tests := []struct {
		name   string
		n      fractalidtest.Notification
		opts   []fractalidtest.SendOption
		status int
	}{
		{"signed with the type's secret", approved, []fractalidtest.SendOption{fractalidtest.FromClient("app")}, 200},
		{"other type's secret", fractalidtest.EmailChangedNotification("u", "e@example.com"), []fractalidtest.SendOption{fractalidtest.FromClient("app")}, 200},
		{"bad signature", approved, []fractalidtest.SendOption{fractalidtest.FromClient("app"), fractalidtest.WithBadSignature()}, 401},
		{"no signature", approved, []fractalidtest.SendOption{fractalidtest.WithoutSignature()}, 401},
		{"default client's secret", approved, nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := srv.SendWebhook(ctx, rcv.url, tc.n, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if d.StatusCode != tc.status {
				t.Errorf("status %d (body %q), want %d", d.StatusCode, d.Body, tc.status)
			}
		})
	}
	// A type without a secret cannot be signed.
	_, err = srv.SendWebhook(ctx, rcv.url, fractalidtest.CredentialSharedNotification("h", "c", time.Now()), fractalidtest.FromClient("app"))
	if !errors.Is(err, webhooks.ErrNoSecret) {
		t.Errorf("err = %v, want ErrNoSecret", err)
	}
	if got := rcv.calls.Load(); got != 2 {
		t.Errorf("handler called %d times, want 2", got)
	}
}

func TestWebhookReceiverFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	n := fractalidtest.VerificationNotification(webhooks.EventVerificationContacted, "u", "basic", time.Now())
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	release := make(chan struct{})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) }) // runs before ts.Close

	d, err := srv.SendWebhook(ctx, ts.URL+"/redirect", n)
	if err != nil || d.StatusCode != http.StatusFound || d.OK() {
		t.Errorf("redirect: %v, %v (a 3xx is a failed delivery, never followed)", d, err)
	}
	d, err = srv.SendWebhook(ctx, ts.URL+"/slow", n, fractalidtest.WithDeliveryTimeout(50*time.Millisecond))
	if err == nil || d.OK() || d.Err == nil {
		t.Errorf("slow receiver: %v, %v", d, err)
	}
	ds, err := srv.SendWebhooks(ctx, ts.URL+"/missing", []fractalidtest.Notification{n, n}, fractalidtest.WithReverse())
	if err != nil || len(ds) != 2 || ds[0].StatusCode != 404 || !strings.Contains(string(ds[0].Body), "404") {
		t.Errorf("404 receiver: %v, %v", ds, err)
	}
}

func TestParallelServersAreIndependent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			srv := fractalidtest.NewServer(t)
			u := srv.AddUser(fractalidtest.User{})
			cfg := srv.Config()
			for range 5 {
				code, err := srv.Authorize(cfg.ClientID, u.ID(), nil, "")
				if err != nil {
					t.Error(err)
					return
				}
				tok, err := cfg.Exchange(context.Background(), code)
				if err != nil {
					t.Error(err)
					return
				}
				c, err := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(srv.Environment()))
				if err != nil {
					t.Error(err)
					return
				}
				if me, err := c.Me(context.Background()); err != nil || me.UID != u.ID() {
					t.Errorf("me = %v, %v", me, err)
				}
			}
		})
	}
	wg.Wait()
}

func TestLenientDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  fractalidtest.Option
	}{
		{"example shape: outcome in status, no credential", fractalidtest.WithCaseShape(fractalidtest.ExampleShape)},
		{"misspelt phones key", fractalidtest.WithMisspeltPhonesKey()},
		{"upper-case token type", fractalidtest.WithTokenType("BEARER", "bearer")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fractalidtest.NewServer(t, tc.opt)
			u := srv.AddUser(fractalidtest.User{Phones: []fractalidtest.Phone{{Number: "+4400000000000"}}})
			mustSet(t, u.SetCase("plus+selfie", fractalidtest.Approved))
			cfg := srv.Config(fractalid.ScopeContact, fractalid.ScopePlus, fractalid.ScopeSelfie)
			me, err := meWith(t, srv, login(t, srv, cfg, u.ID()))
			if err != nil {
				t.Fatal(err)
			}
			if !me.IsApproved(fractalid.ParseLevel("plus"), fractalid.ParseLevel("selfie")) {
				t.Errorf("not approved: %v", me)
			}
			if len(me.Phones) != 1 || me.Phones[0].Number != "+4400000000000" {
				t.Errorf("phones lost: %v", me)
			}
		})
	}
}

// TestConcurrentRefreshIsShared: many calls with an expired token through
// one token source make one refresh request.
func TestConcurrentRefreshIsShared(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	tok := login(t, srv, cfg, u.ID())
	store := &memStore{}
	ts, err := cfg.TokenSource(expired(tok), store)
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, srv, ts)
	srv.ResetLog()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := client.Me(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := srv.Count(http.MethodPost, "/oauth/token"); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
	if n := len(store.saved); n != 1 {
		t.Errorf("%d tokens saved, want 1", n)
	}
}

// TestServerSideExpiry: a token the server considers expired while the
// client's clock does not (clock skew, revocation) gets a 401; the clients
// refresh once and retry, as the reference advises.
func TestServerSideExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	cfg := srv.Config()
	ts, err := cfg.TokenSource(login(t, srv, cfg, u.ID()), &memStore{})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, srv, ts)
	sc := newStats(t, srv, "")
	if _, err := sc.TotalVerifications(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Advance(fractalidtest.AccessTokenTTL)
	srv.ResetLog()
	if _, err := client.Me(ctx); err != nil {
		t.Fatalf("Me after server-side expiry: %v", err)
	}
	if _, err := sc.TotalVerifications(ctx); err != nil {
		t.Fatalf("stats after server-side expiry: %v", err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.String())
	}
	want := []string{
		"GET /v2/users/me -> 401", "POST /oauth/token -> 200", "GET /v2/users/me -> 200",
		"GET /v2/stats/total-verifications -> 401", "POST /oauth/token -> 200", "GET /v2/stats/total-verifications -> 200",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests\n got %q\nwant %q", got, want)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t, fractalidtest.WithTLS())
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s", srv.URL())
	}
	u := srv.AddUser(fractalidtest.User{})
	tok := login(t, srv, srv.Config(), u.ID())
	me, err := meWith(t, srv, tok, option.WithHTTPClient(srv.HTTPClient()))
	if err != nil || me.UID != u.ID() {
		t.Fatalf("me = %v, %v", me, err)
	}
}
