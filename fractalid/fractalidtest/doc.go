// Package fractalidtest is an in-process fake of Fractal ID for unit tests,
// in the spirit of net/http/httptest: a real HTTP server on 127.0.0.1 that
// the fractalid client cannot tell from the real service. It serves the
// paths of all three Fractal hosts from one address:
//
//   - GET and POST /authorize (frontend host): a small HTML consent page with
//     approve and deny buttons (element ids "approve" and "deny") that a real
//     browser or a plain HTTP client can drive; loaded in an iframe (see
//     WithEmbedMode) it acts as the embedded journey and posts its outcome
//     to the parent window instead of redirecting;
//   - POST /oauth/token (auth host): the authorization_code, refresh_token
//     and client_credentials grants with Doorkeeper's rules: codes valid 10
//     minutes and single use, the redirect URI checked, PKCE (plain and
//     S256) enforced when the authorization carried a challenge,
//     refresh-token rotation with revocation on first use of the new access
//     token, and RFC 6749 error bodies with Doorkeeper's WWW-Authenticate
//     header (see WithoutTokenErrorChallenge);
//   - GET /v2/users/me and GET /v2/stats/* (resource host): the user's data
//     filtered by the token's scopes, and statistics computed from the fake's
//     users with zero counts left out.
//
// A Server is stateful (registered client applications, users and their
// verification cases, codes and tokens), has no package-level state, is safe
// for concurrent use and for parallel tests, and closes itself through
// t.Cleanup. Its clock can be injected or advanced to test code and token
// expiry.
//
// Tests can script faults on any endpoint (error statuses with or without
// Retry-After, HTML error pages, hangs, connection resets, truncated and
// oversized bodies), assert on the request log, and send signed webhook
// notifications to a receiver, twice or out of order.
//
// A minimal test:
//
//	srv := fractalidtest.NewServer(t)
//	u := srv.AddUser(fractalidtest.User{Emails: []fractalidtest.Email{{Address: "a@example.com"}}})
//	u.SetCase("basic", fractalidtest.Approved)
//	tok, _ := srv.IssueToken(u.ID(), fractalid.ScopeUID, fractalid.ScopeBasic)
//	// point a fractalid client at srv.Environment() with tok
package fractalidtest
