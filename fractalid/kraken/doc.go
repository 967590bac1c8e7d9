// Package kraken is a client for Fractal's Kraken platform, the newer of
// Fractal ID's integration paths (documented since 2025-03): instead of
// OAuth, the integrator signs JWTs with an ES512 (ECDSA P-521) key whose
// public half Fractal registered for its client ID.
//
// The journey, end to end:
//
//  1. Load the key once ([ParsePrivateKey]; PEM with literal `\n` escapes,
//     as environment variables hold it, is fine) and fill a [Config].
//
//  2. Send the user to [Config.KYCURL] (a redirect, or an iframe's src).
//     The link token carries {"clientId", "kyc": true, "level", "state",
//     "iat"} and, as documented, no expiry.
//
//  3. The user comes back either to the redirect URL
//     (…?oneTimeToken=…; read it with [ParseRedirect]) or, in an iframe,
//     through a postMessage that the front end forwards to the back end
//     (check its origin and read it with [Environment.ParseMessage]: a
//     one-time token, a failure, or a request to open a window).
//     The front end forwards each message as it comes (see below) and
//     handles MessageOpenWindow itself.
//
//  4. Exchange the one-time token with [Client.Session] for the user id
//     and KYC state, then read [Client.Status], [Client.Data] and
//     [Client.File]. The client signs short-lived API tokens
//     ({"api": true, "clientId", "iat", "exp"}, at most 600 s) and reuses
//     each until shortly before it expires.
//
//  5. Receive the status webhooks ({"id", "status", "note"}, signed with
//     HMAC-SHA256 in X-Fractal-Signature) with package webhooks:
//     [NewWebhookVerifier] builds the verifier, webhooks.NewHandler the
//     http.Handler; each event's Kraken field is a [WebhookEvent].
//
// A front end embedding the page forwards the iframe's messages, for
// example:
//
//	window.addEventListener("message", (e) => fetch("/kraken/message", {
//	  method: "POST", headers: {"Content-Type": "application/json"},
//	  body: JSON.stringify({origin: e.origin, data: e.data}),
//	}));
//
// and, for a MessageOpenWindow the back end accepted, calls
// window.open(m.Open, m.Target, m.Features).
//
// What is documented and what is not: the hosts of production, the link,
// the return forms, the token claims, the one-time-token exchange and the
// webhook are in Fractal's docs; the staging host, Status, Data and File
// are known from integrators' code only and marked experimental; the
// error body, HTTP codes, clock-skew tolerance and whether one-time tokens
// are single-use are not documented. Package krakentest is a fake of the
// whole path for tests.
//
// # Errors
//
// Errors are always pointers. The error types and sentinels every client
// shares are declared in package kyc; those of Kraken alone
// ([ErrUnsupportedCurve], [ErrStateMismatch], [ErrRejected], ...) here.
// For this API:
//
//   - a [kyc.APIError] is a non-2xx reply. The error body's shape is not
//     documented: Code holds its "code" field, or else its "error" field,
//     when that is a short code, and Message its "message" (a string, or
//     a list joined with "; ") when there is one (Message is never part of
//     Error());
//   - [kyc.ErrUnauthorized] matches a refused API token (401), and
//     [kyc.ErrNotFound] an unknown or used one-time token or an unknown
//     user (404);
//   - a [kyc.TokenError] is a failure to mint an API token, a
//     [kyc.SizeError] a reply or file larger than the client's cap, and a
//     [kyc.RedirectError] a redirect refused (to another origin or from
//     https to http): the API token never follows one.
//
// Secrets stay secret: the private key, link and API tokens, one-time
// tokens and personal data never appear in errors, logs or fmt output of
// this package's types.
package kraken
