// Package fractalid is the client for Fractal ID: environments, the OAuth
// 2.0 authorization-code flow, scopes and KYC levels, the user's
// verification data (GET /v2/users/me), file downloads and the back-office
// statistics API.
//
// A backend integrates in four steps:
//
//  1. Build a [Config] with the application's credentials, its redirect URL
//     and the scopes of the wanted level ([ScopesFor]), and send the user to
//     [Config.AuthCodeURL] with a fresh state.
//  2. On the redirect back, [Config.ParseCallback] checks the state (in
//     constant time, first) and returns the code, or an [*AuthError] when
//     the user refused.
//  3. [Config.Exchange] trades the code for tokens at once (codes expire
//     after 10 minutes); [GrantedScopes] tells what was granted.
//  4. [Config.TokenSource] refreshes the token and hands every rotated
//     token to a [TokenStore] before it is used (Fractal rotates refresh
//     tokens on every refresh); [NewClient] with that source gives a
//     [Client] whose [Client.Me] returns the typed [User].
//
// [User] loses nothing from the reply: unknown keys are kept in the Extra
// maps of every level, booleans the server left out stay nil (not false),
// and marshalling a decoded User gives back the body's keys and values.
//
// The embedded journey runs the same flow in an iframe: [Config.AuthCodeURL]
// (with [WithLoginMethod] and [WithWalletCurrency]) is its src, [EmbedAllow]
// and [EmbedSandbox] its attributes, [Config.EmbedOrigin] the origin
// the parent page accepts messages from, and [Config.ParseEmbedMessage]
// reads the message the page forwards, in place of step 2. PKCE is opt-in
// ([WithPKCE], [Config.ExchangeWithVerifier]): Fractal does not document it.
//
// # Errors
//
// Errors are always pointers. The error types and sentinels every client
// shares are declared in package kyc; those of Fractal ID alone are
// declared here. Match them with errors.Is and errors.As:
//
//   - [kyc.APIError]: a non-2xx reply. For the resource server its Code
//     holds the OAuth error code ("invalid_token", "insufficient_scope")
//     taken from the body or the WWW-Authenticate header, and its Message
//     the error_description.
//   - [kyc.ErrUnauthorized]: a 401 (an expired or revoked access token), an
//     "invalid_token" reply, or a [kyc.ReauthorizationRequiredError].
//   - [kyc.ErrForbidden]: a 403, for example a missing scope; an
//     "insufficient_scope" reply also matches [ErrInsufficientScope].
//   - [kyc.ErrReauthorizationRequired]: the token endpoint answered
//     invalid_grant (an expired, used or revoked code or refresh token):
//     send the user through authorization again.
//   - [kyc.TokenError]: an OAuth token could not be obtained.
//   - [ErrAccessDenied], [ErrStateMismatch], [ErrFileURLExpired], ...: the
//     errors of this package.
//
// Secrets, tokens, codes and personal data never appear in error strings
// or logs; [Config], [User], [VerificationCase] and [Details] print ids,
// levels and statuses only.
package fractalid
