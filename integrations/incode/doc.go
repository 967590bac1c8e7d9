// Package incode is the client for Incode's Omni API as far as the public
// sources document it: the client-credentials token, "Request New
// Onboarding" for an integration (RequestNewOnboarding, experimental), the
// classic onboarding start (StartOnboarding), Incode's error shape, webhook
// payloads and the static webhook header.
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
// Every call carries x-api-key and "api-version: 1.0". B2B calls
// (/omni/b2b/...) also carry "Authorization: Bearer" with a token from
// {auth}/oauth2/token (grant_type=client_credentials, scope=openid, the
// credentials in the form body); /omni/start carries no Bearer. Client.TokenSource
// exposes the token source.
//
// Every call is a POST that creates something, so none is retried once it
// may have reached the server: only dial and DNS failures are retried.
// After a timeout, check the Dashboard (or your webhooks) before asking
// again.
//
// # Errors
//
// A reply in Incode's shape {timestamp, status, error, message, path} is an
// *Error, which wraps the *APIError of the reply; use errors.Is with
// ErrBadRequest, ErrUnauthorized, ... and errors.As for the details. Error
// strings never contain the message, the body, keys or tokens.
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
