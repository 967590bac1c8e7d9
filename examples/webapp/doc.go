// Command webapp is a small web app that checks a user's KYC status with
// Fractal ID ("Log in with Fractal"): a home page with a "Verify with
// Fractal" button, the OAuth callback and a status page.
//
// It shows the authorization-code flow of package fractalid as a web app
// runs it:
//
//   - POST /login makes a random state, keeps it in a short-lived HttpOnly,
//     SameSite=Lax cookie scoped to the callback path (Secure when the app
//     is served over https) and redirects to Config.AuthCodeURL;
//   - GET /callback checks the state with Config.ParseCallback (a refusal
//     gives a friendly 403 page, a state mismatch or a missing cookie a
//     400), exchanges the code, reads the verification cases with
//     Client.Me and keeps a server-side session that holds the user's
//     anonymised uid and KYC status only: no name, email, document or
//     token;
//   - GET /status shows "Status: approved (basic+liveness)" (or pending,
//     rejected, expired, not shared) and the level and outcome of each
//     verification case.
//
// Run it with no settings to use the in-process fake Fractal ID of package
// fractalidtest, with one demo user approved for basic+liveness:
//
//	go run ./examples/webapp
//	# open the printed URL, click "Verify with Fractal", then "Approve"
//
// To use the real service, register the app in Fractal's client dashboard
// with the redirect URI, then:
//
//	KYC_FRACTAL_CLIENT_ID=... KYC_FRACTAL_CLIENT_SECRET=... \
//	KYC_FRACTAL_REDIRECT_URI=http://127.0.0.1:8080/callback \
//	KYC_FRACTAL_ENVIRONMENT=staging go run ./examples/webapp
//
// KYC_FRACTAL_ENVIRONMENT is staging (the default) or production. Flags: -addr
// (listen address, default 127.0.0.1:8080), -level (default
// basic+liveness) and -postgres URL, which keeps each user's token in
// PostgreSQL at sign-in (pgstore.TokenStore, encrypted under the keys in
// KYC_TOKEN_KEYS, "id:base64-key" pairs), where other replicas and
// examples/webhook-receiver -postgres read it. This example is a module of
// its own (it brings the PostgreSQL driver and, for its browser test,
// chromedp); from the repository root, go run finds it through go.work.
package main
