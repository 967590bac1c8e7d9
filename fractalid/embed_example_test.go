package fractalid_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
)

// The embedded journey: the authorization URL is the iframe's src, the
// iframe carries EmbedAllow and EmbedSandbox, the parent page accepts
// messages from Config.EmbedOrigin only and forwards event.data to the backend,
// which parses it against the state it kept and exchanges the code. Here
// the fake Fractal ID plays the journey and the front end.
func ExampleConfig_ParseEmbedMessage() {
	srv, err := fractalidtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID)

	const state = "per-user-random-state" // from crypto/rand, kept in the session
	src, err := cfg.AuthCodeURL(state, fractalid.WithLoginMethod(fractalid.LoginEmail))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf(`<iframe src="..." allow=%q sandbox=%q>`+"\n", fractalid.EmbedAllow, fractalid.EmbedSandbox)
	fmt.Println("accept messages from:", cfg.EmbedOrigin() == srv.URL())

	// What the parent page's script forwards: JSON.stringify(event.data).
	data, err := srv.ApproveEmbedded(src, "")
	if err != nil {
		log.Fatal(err)
	}
	msg, err := cfg.ParseEmbedMessage(data, state)
	var authErr *fractalid.AuthError
	switch {
	case errors.As(err, &authErr):
		fmt.Println("journey failed:", authErr.Code) // authErr.Raw holds the error as sent
		return
	case err != nil:
		log.Fatal(err)
	case msg.Kind == fractalid.EmbedOpenWindow:
		fmt.Println("not finished: the front end opens a window")
		return
	}
	fmt.Println(msg)
	tok, err := cfg.Exchange(context.Background(), msg.Code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token:", tok.Valid())

	// A failure: the error's shape is undocumented, so it is kept raw.
	_, err = cfg.ParseEmbedMessage([]byte(`{"error":{"code":"user_cancelled","detail":"free text"}}`), state)
	fmt.Println(err, errors.As(err, &authErr), json.Valid(authErr.Raw))
	// Output:
	// <iframe src="..." allow="camera *; fullscreen *" sandbox="allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts">
	// accept messages from: true
	// fractalid.EmbedMessage{kind=completed}
	// token: true
	// fractalid: authorization failed: "user_cancelled" true true
}

// The origin the parent page accepts the journey's messages from. A
// Config without an Environment runs against Production, and so does its
// EmbedOrigin; the zero Environment's own EmbedOrigin is empty.
func ExampleConfig_EmbedOrigin() {
	var cfg fractalid.Config // ClientID, ClientSecret, RedirectURL: from your settings
	fmt.Println(cfg.EmbedOrigin())
	fmt.Printf("%q\n", cfg.Environment.EmbedOrigin())

	cfg.Environment = fractalid.Staging
	fmt.Println(cfg.EmbedOrigin())
	// In the page's script:
	//   window.addEventListener("message", e => { if (e.origin !== ORIGIN) return; ... })
	// Output:
	// https://app.fractal.id
	// ""
	// https://app.staging.sandbox.fractal.id
}

// Opt-in PKCE: keep a verifier with the state, put its challenge in the
// authorization URL and send it with the exchange. Only for a server that
// is known to support it: a Doorkeeper server refuses a verifier sent for a
// code issued without a challenge.
func ExampleWithPKCE() {
	srv, err := fractalidtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser(fractalidtest.User{})
	cfg := srv.Config(fractalid.ScopeUID)
	ctx := context.Background()

	verifier := fractalid.GenerateVerifier() // kept in the session with the state
	authURL, err := cfg.AuthCodeURL("state", fractalid.WithPKCE(verifier))
	if err != nil {
		log.Fatal(err)
	}
	cb, err := srv.Approve(authURL, "") // the user approves; the callback comes back
	if err != nil {
		log.Fatal(err)
	}
	code := cb.Query().Get("code")

	_, err = cfg.Exchange(ctx, code) // without the verifier
	fmt.Println(err)
	tok, err := cfg.ExchangeWithVerifier(ctx, code, verifier)
	fmt.Println(tok.Valid(), err)
	// Output:
	// kyc: cannot obtain token: token endpoint answered 400 ("invalid_request")
	// true <nil>
}
