package fractalidtest_test

// Wire-level checks: the exact JSON and status codes the fake sends, read
// with plain net/http. The behaviour as the SDK sees it is in
// client_test.go.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

func get(t *testing.T, srv *fractalidtest.Server, path, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func postForm(t *testing.T, srv *fractalidtest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.HTTPClient().PostForm(srv.URL()+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

// canon re-encodes JSON so that two documents compare independently of
// spacing and key order.
func canon(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func newShapeUser(srv *fractalidtest.Server) *fractalidtest.FakeUser {
	return srv.AddUser(fractalidtest.User{
		ID:      "b76ab44d-b71e-4d19-b6f9-f6e88cd73946",
		Emails:  []fractalidtest.Email{{Address: "example@frctls.com"}},
		Phones:  []fractalidtest.Phone{{Number: "+44000000000"}},
		Wallets: []fractalidtest.Wallet{{ID: "w1", Currency: "eth", Address: "0x2003"}, {ID: "w2", Currency: "btc", Address: "bc1q"}},
		Details: map[string]any{
			"full_name":                   "David Muller",
			"date_of_birth":               "1967-08-16",
			"place_of_birth":              "Berlin",
			"residential_address_country": "DE",
			"liveness":                    true,
			"sow_type":                    "salary",
		},
	})
}

func TestWireUsersMeShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []fractalidtest.Option
		scopes []fractalid.Scope
		want   string
	}{
		{
			name:   "uid only",
			scopes: []fractalid.Scope{fractalid.ScopeUID},
			want:   `{"uid":"b76ab44d-b71e-4d19-b6f9-f6e88cd73946"}`,
		},
		{
			name:   "contact without uid",
			scopes: []fractalid.Scope{fractalid.ScopeContact},
			want:   `{"emails":[{"address":"example@frctls.com","source_type":"registration"}],"phones":[{"number":"+44000000000"}]}`,
		},
		{
			name:   "misspelt phones key",
			opts:   []fractalidtest.Option{fractalidtest.WithMisspeltPhonesKey()},
			scopes: []fractalid.Scope{fractalid.ScopeContact},
			want:   `{"emails":[{"address":"example@frctls.com","source_type":"registration"}],"phones:":[{"number":"+44000000000"}]}`,
		},
		{
			name:   "basic without details",
			scopes: []fractalid.Scope{fractalid.ScopeBasic},
			want:   `{"verification_cases":[{"id":"ID","level":"basic","journey_completed":true,"status":"done","credential":"approved"}]}`,
		},
		{
			name:   "basic with details: only basic's keys",
			scopes: []fractalid.Scope{fractalid.ScopeBasic, fractalid.ScopeBasicDetails},
			want: `{"verification_cases":[{"id":"ID","level":"basic","journey_completed":true,"status":"done","credential":"approved",` +
				`"details":{"date_of_birth":"1967-08-16","full_name":"David Muller"}}]}`,
		},
		{
			name:   "plus details: plus keys, pending plus+selfie hidden without selfie scope",
			scopes: []fractalid.Scope{fractalid.ScopePlus, fractalid.ScopePlusDetails},
			want: `{"verification_cases":[{"id":"ID","level":"plus","journey_completed":true,"status":"contacted","credential":"pending",` +
				`"details":{"date_of_birth":"1967-08-16","full_name":"David Muller","place_of_birth":"Berlin","residential_address_country":"DE"}}]}`,
		},
		{
			name:   "example shape",
			opts:   []fractalidtest.Option{fractalidtest.WithCaseShape(fractalidtest.ExampleShape)},
			scopes: []fractalid.Scope{fractalid.ScopePlus, fractalid.ScopeSelfie, fractalid.ScopeSelfieDetails},
			want:   `{"verification_cases":[{"level":"plus","status":"contacted"},{"level":"plus+selfie","status":"pending","details":null}]}`,
		},
		{
			name:   "wallet add-on shows matching wallets only",
			scopes: []fractalid.Scope{fractalid.ScopeWalletETH},
			want: `{"wallets":[{"id":"w1","address":"0x2003","currency":"eth","verified":false}],` +
				`"verification_cases":[{"id":"ID","level":"wallet-eth","journey_completed":false,"status":"pending","credential":"pending"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fractalidtest.NewServer(t, append(tc.opts, fractalidtest.WithoutAutoCases())...)
			u := newShapeUser(srv)
			mustSet(t, u.SetCase("basic", fractalidtest.Approved))
			mustSet(t, u.SetCase("plus", fractalidtest.Contacted))
			mustSet(t, u.SetCase("plus+selfie", fractalidtest.Pending))
			mustSet(t, u.SetCase("wallet-eth", fractalidtest.Pending, fractalidtest.JourneyIncomplete()))
			tok, err := srv.IssueToken(u.ID(), tc.scopes...)
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := get(t, srv, "/v2/users/me", tok.AccessToken)
			if status != http.StatusOK {
				t.Fatalf("status %d, body %s", status, body)
			}
			// Case ids are random: replace them before comparing.
			var doc map[string]any
			_ = json.Unmarshal([]byte(body), &doc)
			if cs, ok := doc["verification_cases"].([]any); ok {
				for _, c := range cs {
					if m := c.(map[string]any); m["id"] != nil {
						m["id"] = "ID"
					}
				}
			}
			got, _ := json.Marshal(doc)
			if string(got) != canon(t, tc.want) {
				t.Errorf("users/me\n got %s\nwant %s", got, canon(t, tc.want))
			}
		})
	}
}

func mustSet(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWireResourceErrors(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	user, err := srv.IssueToken(u.ID())
	if err != nil {
		t.Fatal(err)
	}
	client := srv.IssueClientToken()
	uidOnlyClient := srv.IssueClientToken(fractalid.ScopeUID)
	tests := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", "/v2/users/me", "", 401, "invalid_token"},
		{"unknown token", "/v2/users/me", "nope", 401, "invalid_token"},
		{"client token on users/me", "/v2/users/me", client.AccessToken, 403, "insufficient_scope"},
		{"user token on stats", "/v2/stats/total-verifications", user.AccessToken, 403, "insufficient_scope"},
		{"client token without stats scope", "/v2/stats/user-verifications", uidOnlyClient.AccessToken, 403, "insufficient_scope"},
		{"unknown path", "/v2/users/you", user.AccessToken, 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(t, srv, tc.path, tc.token)
			if status != tc.status || !strings.Contains(body, `"error":"`+tc.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.code)
			}
			if (status == 401 || status == 403) && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate = %q", h.Get("WWW-Authenticate"))
			}
		})
	}
	srv.Advance(fractalidtest.AccessTokenTTL)
	if status, _, body := get(t, srv, "/v2/users/me", user.AccessToken); status != 401 || !strings.Contains(body, "expired") {
		t.Errorf("expired token: %d %s", status, body)
	}
}

func TestWireStats(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	a := srv.AddUser(fractalidtest.User{ID: "u1", Country: "US"})
	b := srv.AddUser(fractalidtest.User{ID: "u2", Details: map[string]any{"residential_address_country": "DK"}})
	c := srv.AddUser(fractalidtest.User{ID: "u3"}) // no country
	mustSet(t, a.SetCase("basic", fractalidtest.Approved))
	mustSet(t, a.SetCase("liveness", fractalidtest.Contacted))
	mustSet(t, b.SetCase("plus+selfie", fractalidtest.Approved))
	mustSet(t, c.SetCase("basic", fractalidtest.Rejected))
	tok := srv.IssueClientToken().AccessToken
	tests := []struct{ path, want string }{
		{"/v2/stats/total-verifications", `{"approved":2,"contacted":1,"rejected":1}`},
		{"/v2/stats/country-verifications", `{"US":{"approved":1,"contacted":1},"DK":{"approved":1}}`},
		{"/v2/stats/user-verifications", `[{"user_id":"u1","level":"basic","credential":"approved"},` +
			`{"user_id":"u1","level":"liveness","credential":"contacted"},{"user_id":"u2","level":"plus+selfie","credential":"approved"},` +
			`{"user_id":"u3","level":"basic","credential":"rejected"}]`},
	}
	for _, tc := range tests {
		status, _, body := get(t, srv, tc.path, tok)
		if status != 200 || canon(t, body) != canon(t, tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.path, status, body, tc.want)
		}
	}
	// Change a case later: the counts follow.
	mustSet(t, c.SetCase("basic", fractalidtest.Approved))
	if _, _, body := get(t, srv, "/v2/stats/total-verifications", tok); canon(t, body) != canon(t, `{"approved":3,"contacted":1}`) {
		t.Errorf("after change: %s", body)
	}
}

func TestWireTokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	app := srv.DefaultClient()
	code := func() string {
		c, err := srv.Authorize(app.ID, u.ID(), []fractalid.Scope{fractalid.ScopeUID, fractalid.ScopeBasic}, "")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := func(extra ...string) url.Values {
		v := url.Values{"client_id": {app.ID}, "client_secret": {app.Secret}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ID}, "client_secret": {"x"}}, 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"x"}}, 401, "invalid_client"},
		{"no grant type", base(), 400, "invalid_request"},
		{"password grant", base("grant_type", "password"), 400, "unsupported_grant_type"},
		{"bad client scope", base("grant_type", "client_credentials", "scope", "contact:read"), 400, "invalid_scope"},
		{"unknown code", base("grant_type", "authorization_code", "code", "x", "redirect_uri", app.RedirectURI), 400, "invalid_grant"},
		{"missing redirect", base("grant_type", "authorization_code", "code", code()), 400, "invalid_request"},
		{"wrong redirect", base("grant_type", "authorization_code", "code", code(), "redirect_uri", "http://127.0.0.1/other"), 400, "invalid_grant"},
		{"unknown refresh", base("grant_type", "refresh_token", "refresh_token", "x"), 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, m := postForm(t, srv, tc.form)
			if status != tc.status || m["error"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", status, m, tc.status, tc.code)
			}
		})
	}
	// A good exchange: the documented fields.
	status, m := postForm(t, srv, base("grant_type", "authorization_code", "code", code(), "redirect_uri", app.RedirectURI))
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, m)
	}
	for _, k := range []string{"access_token", "token_type", "expires_in", "refresh_token", "scope", "created_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("token response lacks %s: %v", k, m)
		}
	}
	if m["token_type"] != "bearer" || m["expires_in"] != float64(7200) || m["scope"] != "uid:read verification.basic:read" ||
		m["created_at"] != float64(srv.Now().Unix()) && m["created_at"] != float64(srv.Now().Unix()-1) {
		t.Errorf("token response = %v", m)
	}
	if tok := m["access_token"].(string); len(tok) != 43 {
		t.Errorf("access token length %d, want 43", len(tok))
	}
	status, m = postForm(t, srv, base("grant_type", "client_credentials", "scope", "client.stats:read"))
	if status != 200 || m["token_type"] != "Bearer" || m["refresh_token"] != nil || m["scope"] != "client.stats:read" {
		t.Errorf("client credentials: %d %v", status, m)
	}
}

func TestWireCodeExpiry(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC)
	srv := fractalidtest.NewServer(t, fractalidtest.WithClock(func() time.Time { return start }))
	u := srv.AddUser(fractalidtest.User{})
	app := srv.DefaultClient()
	form := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.RedirectURI},
			"client_id": {app.ID}, "client_secret": {app.Secret}}
	}
	fresh, _ := srv.Authorize(app.ID, u.ID(), nil, "")
	stale, _ := srv.Authorize(app.ID, u.ID(), nil, "")
	srv.Advance(fractalidtest.CodeTTL - time.Second)
	if status, m := postForm(t, srv, form(fresh)); status != 200 || m["created_at"] != float64(start.Add(fractalidtest.CodeTTL-time.Second).Unix()) {
		t.Fatalf("code 1s before expiry: %d %v", status, m)
	}
	srv.Advance(time.Second)
	if status, m := postForm(t, srv, form(stale)); status != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("code at expiry: %d %v", status, m)
	}
}
