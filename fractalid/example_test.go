package fractalid_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
)

// localFractal is a minimal stand-in for Fractal ID's token endpoint and
// resource server, so the examples run offline.
func localFractal() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("code") != "auth-code-from-callback" || r.PostFormValue("client_secret") != "my-client-secret" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"7rgojfemuk-aq8RcA7xWxJQKv6Ux0VWJ1DQtU6178B8","token_type":"bearer","expires_in":7200,`+
			`"refresh_token":"thPSSHGnk3NGU5vV4V_g-Qrs47RibO9KEEhfKYEgJOw","scope":"uid:read verification.basic:read verification.basic.details:read verification.liveness:read","created_at":1543585106}`)
	})
	mux.HandleFunc("GET /v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer 7rgojfemuk-aq8RcA7xWxJQKv6Ux0VWJ1DQtU6178B8" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"uid":"b76ab44d-b71e-4d19-b6f9-f6e88cd73946","verification_cases":[`+
			`{"id":"c1","level":"basic","status":"done","credential":"approved","journey_completed":true,"details":{"full_name":"David Muller","date_of_birth":"1967-08-16"}},`+
			`{"id":"c2","level":"liveness","status":"approved","details":{"liveness":true}}]}`)
	})
	return httptest.NewServer(mux)
}

func localEnvironment(srv *httptest.Server) fractalid.Environment {
	return fractalid.Environment{Name: "local", FrontendURL: srv.URL, AuthURL: srv.URL, ResourceURL: srv.URL}
}

// The whole authorization-code flow: send the user to AuthCodeURL, check
// the callback with ParseCallback, exchange the code, then read the user
// with a token source that persists every rotated token.
func Example_authorizationFlow() {
	srv := localFractal()
	defer srv.Close()
	ctx := context.Background()

	cfg := fractalid.Config{
		ClientID:     "my-client-id",
		ClientSecret: "my-client-secret",
		RedirectURL:  "https://example.com/fractal/callback",
		Scopes:       fractalid.ScopesFor(fractalid.ParseLevel("basic+liveness"), fractalid.WithDetails()),
		Environment:  localEnvironment(srv), // fractalid.Production in real code
	}

	// 1. Redirect the user. Use a fresh random state per authorization
	// (crypto/rand) and keep it in the user's session.
	state := "state-from-the-session"
	authURL, err := cfg.AuthCodeURL(state)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Replace(authURL, srv.URL, "https://app.fractal.id", 1))

	// 2. Fractal redirects back to RedirectURL.
	callback := httptest.NewRequest(http.MethodGet, "https://example.com/fractal/callback?code=auth-code-from-callback&state="+state, nil)
	code, err := cfg.ParseCallback(callback, state)
	if err != nil {
		log.Fatal(err) // *fractalid.AuthError when the user refused
	}

	// 3. Exchange the code at once: it expires after 10 minutes.
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("granted:", fractalid.GrantedScopes(tok))

	// 4. Refresh tokens rotate: persist every new token.
	save := fractalid.TokenStoreFunc(func(ctx context.Context, t *oauth2.Token) error {
		return nil // write t (its RefreshToken above all) to your database
	})
	ts, err := cfg.TokenSource(tok, save)
	if err != nil {
		log.Fatal(err)
	}
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(cfg.Environment))
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user)
	fmt.Println("approved for basic+liveness:", user.IsApproved(fractalid.ParseLevel("basic+liveness")))
	// Output:
	// https://app.fractal.id/authorize?client_id=my-client-id&redirect_uri=https%3A%2F%2Fexample.com%2Ffractal%2Fcallback&response_type=code&scope=uid%3Aread%20verification.basic%3Aread%20verification.basic.details%3Aread%20verification.liveness%3Aread%20verification.liveness.details%3Aread&state=state-from-the-session
	// granted: [uid:read verification.basic:read verification.basic.details:read verification.liveness:read]
	// fractalid.User{uid="b76ab44d-b71e-4d19-b6f9-f6e88cd73946" cases=[basic:approved liveness:approved] emails=0 phones=0 wallets=0}
	// approved for basic+liveness: true
}

// A user who refuses authorization comes back with error=access_denied.
func ExampleConfig_ParseCallback() {
	cfg := fractalid.Config{ClientID: "my-client-id", RedirectURL: "https://example.com/cb", Environment: fractalid.Staging}
	r := httptest.NewRequest(http.MethodGet,
		"https://example.com/cb?error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request.&state=s1", nil)

	_, err := cfg.ParseCallback(r, "s1")
	var authErr *fractalid.AuthError
	if errors.As(err, &authErr) {
		fmt.Println(err)
		fmt.Println("user refused:", errors.Is(err, fractalid.ErrAccessDenied))
	}

	_, err = cfg.ParseCallback(r, "another-state")
	fmt.Println(errors.Is(err, fractalid.ErrStateMismatch))
	// Output:
	// fractalid: authorization failed: "access_denied"
	// user refused: true
	// true
}

func ExampleClient_Me() {
	srv := localFractal()
	defer srv.Close()

	// In a real application the token source comes from Config.TokenSource.
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "7rgojfemuk-aq8RcA7xWxJQKv6Ux0VWJ1DQtU6178B8", TokenType: "bearer"})
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(localEnvironment(srv)))
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.Me(context.Background())
	if errors.Is(err, kyc.ErrUnauthorized) {
		log.Fatal("token expired or revoked: refresh, or send the user through authorization again")
	} else if err != nil {
		log.Fatal(err)
	}
	basic := user.CaseFor(fractalid.ParseLevel("basic"))
	fmt.Println(basic.Outcome(), basic.IsJourneyCompleted())
	fmt.Println(basic.Details.FullName, basic.Details.DateOfBirth)
	// Output:
	// approved true
	// David Muller 1967-08-16
}

func ExampleScopesFor() {
	scopes := fractalid.ScopesFor(fractalid.ParseLevel("plus+selfie"), fractalid.WithContact(), fractalid.WithDetails())
	fmt.Println(fractalid.JoinScopes(scopes))
	// Output:
	// uid:read contact:read verification.plus:read verification.plus.details:read verification.selfie:read verification.selfie.details:read
}

func ExampleParseLevel() {
	l := fractalid.ParseLevel("basic+liveness+wallet-eth")
	fmt.Println(l.Base(), l.AddOns(), l.Has(fractalid.AddOnLiveness))
	// Output:
	// basic [liveness wallet-eth] true
}
