// Package incode is the client for Incode's Omni API as far as the public
// sources document it: the hosted onboarding flow from start to a trusted
// decision (StartHostedOnboarding, OnboardingURL, OnboardingStatus, Score,
// OCRData, Decide, Approve, FinishStatus, CloseSession), "Request New
// Onboarding" for an integration (RequestNewOnboarding, experimental), the
// client-credentials token, Incode's error shape, webhook payloads and the
// static webhook header.
//
// # The hosted flow
//
//	h, err := c.StartHostedOnboarding(ctx, &incode.StartRequest{RedirectionURL: back})
//	// keep h.InterviewID and h.Token (see below); send the person to h.URL
//	// ... the onboarding-status webhook arrives, or you poll:
//	d, err := c.Decide(ctx, incode.BySessionToken(token)) // or incode.ByInterviewID(id)
//	if d.Verdict == incode.Approved {
//		a, err := c.Approve(ctx, incode.ByInterviewID(id)) // at most once
//	}
//
// ONBOARDING_FINISHED only means the person reached the end of the flow.
// Incode's guidance is to decide on the score's overall status: Decide (and
// Client.Decide, which reads the status and the score) return Approved only
// for OK (or a reviewer's approval), never for a score that is UNKNOWN or
// missing. CloseSession freezes a session before you trust its score.
//
// # Two read credentials
//
//   - The session token (Session.Token, HostedOnboarding.Token): returned
//     by the start, valid 90 days by default, it reads that session's own
//     status, score and OCR data (BySessionToken). No password is needed.
//   - The executive token: WithExecutiveLogin logs in with a Dashboard
//     user's e-mail and password (POST /executive/log-in), caches the token
//     and logs in again before its 24 h run out. It reads any session by
//     interview id (ByInterviewID) and is the one Approve needs. A refused
//     login is not repeated until ResetExecutiveLogin.
//
// Both go in X-Incode-Hardware-Id, to the API's own host only. Incode has
// two forms of the session-token calls, /0/omni/... (token alone) and
// /omni/... (API key and token); WithSessionRoutes picks them.
//
// # Keeping the session token
//
// The session token is a credential: it prints as [redacted] through
// every fmt verb, slog and JSON (it is a Secret). To read the session
// later, store the revealed value with the interview id, protected like a
// password (encrypted at rest, never in logs or URLs), and rebuild it:
//
//	store.Put(ctx, h.InterviewID, h.Token.Reveal()) // your encrypted store
//	// later, in the webhook handler:
//	tok, _ := store.Get(ctx, interviewID)
//	d, err := c.Decide(ctx, incode.BySessionToken(incode.NewSecret(tok)))
//
// Delete it once you no longer need it.
//
// # Identifiers
//
//   - API key (Dashboard → Configuration → API Keys): the tenant key, sent in
//     x-api-key on every call (WithAPIKey).
//   - Configuration ID (Dashboard → Workflows; the Flow ID): which workflow
//     runs; configurationId of StartOnboarding (WithConfigurationID).
//   - Integration ID (Dashboard → Integrations → Copy ID): the integration;
//     integrationReference of RequestNewOnboarding (WithIntegrationID).
//   - OIDC client id and secret of the "client credentials" integration (the
//     secret is shown once): the Bearer token of B2B calls
//     (WithClientCredentials).
//
// Package integrations loads all four from environment variables or a file
// and builds a Client with IncodeIntegration.Client.
//
// # Requests
//
// Every call carries "api-version: 1.0" and, except the /0/ routes that
// authenticate with the session token alone, x-api-key. B2B calls
// (/omni/b2b/...) also carry "Authorization: Bearer" with a token from
// {auth}/oauth2/token (grant_type=client_credentials, scope=openid, the
// credentials in the form body); /omni/start carries no Bearer. Client.TokenSource
// exposes the token source.
//
// Reads (GET) are retried on transport errors and 408/429/502/503/504.
// Every POST (the starts, the executive login, Approve, CloseSession) is
// sent once: it is retried only when it never left the machine (a dial or
// DNS failure). After a timeout, check the Dashboard (or your webhooks)
// before asking again; Approve in particular is not idempotent.
//
// # Errors
//
// The error types and sentinels every client shares (kyc.APIError,
// kyc.ErrBadRequest, ...) are declared in package kyc; Incode's own error
// shape, *Error, here. Any non-2xx reply is a *kyc.APIError. A reply in
// Incode's shape {timestamp, status, error, message, path} is an *Error,
// which wraps the *kyc.APIError of the reply; use errors.Is with
// kyc.ErrBadRequest (validation errors: 400 and 422), kyc.ErrUnauthorized
// (401: a token was refused), kyc.ErrForbidden (403: the API key was
// refused), ... and errors.As for the details, such as Incode's own codes
// (4019, 6000, ...) in Error.Status. Error strings never contain the
// message, the body, keys or tokens. A *kyc.TokenError is a failure to
// obtain the client-credentials token, a *kyc.ReauthorizationRequiredError
// a token request refused with invalid_grant; kyc.ErrInvalidArgument is an
// invalid option or request refused before any request is sent.
//
// # What is not here
//
// Integrations themselves (custom API, OIDC, Okta, Entra, help-desk apps)
// are configured in the Incode Dashboard only: Incode publishes no API to
// list, read, create or edit them, so this package has no such calls. The
// B2B status and list endpoints that appear in one public app were guessed
// by its author and are left out, as is the Workforce "incode-id" API.
//
// # Webhooks
//
// Incode documents no webhook signature. The documented protection is a
// static custom header you configure; VerifyHeader checks it in constant
// time and NewWebhookHandler wraps verification and parsing. ParseWebhook
// reads the three payload families (classic onboarding status, session
// events, Workforce events), keeping unknown events and values.
package incode
