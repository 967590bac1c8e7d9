// Package integrations holds the settings and credentials of each
// integration a backend uses — a Fractal ID application, an Incode
// integration, an EKYC admin service credential — loads them from
// environment variables or a JSON file, validates them, keeps every secret
// out of logs, and builds ready clients from them.
//
// # Secrets
//
// Every secret value is a Secret. It prints as "[redacted]" through String,
// GoString, every fmt verb, slog and JSON/text marshalling; an empty Secret
// prints as "[empty]" (and marshals as ""). The value is reachable only
// through Reveal. Marshalled settings therefore hold "[redacted]" in place
// of each secret; Load refuses such a file instead of treating the
// placeholder as a credential.
//
// # Environment variables
//
// LoadEnv and FromEnv read these variables. A variable set to "" counts as
// unset; a section is configured when any of its variables is set, and every
// configured section is validated. A program that needs one integration can
// read its section alone: LoadEnv(os.LookupEnv, OnlySections(SectionEKYC)).
//
// Fractal ID application (FractalApp):
//
//	KYC_FRACTAL_CLIENT_ID                 client id
//	KYC_FRACTAL_CLIENT_SECRET             client secret
//	KYC_FRACTAL_REDIRECT_URI              registered callback URL
//	KYC_FRACTAL_ENVIRONMENT               "production" (default) or "staging"
//	KYC_FRACTAL_FRONTEND_URL              override of the frontend host (authorize page)
//	KYC_FRACTAL_AUTH_URL                  override of the auth host (token endpoint)
//	KYC_FRACTAL_RESOURCE_URL              override of the resource host (API)
//	KYC_FRACTAL_WEBHOOK_SECRET            webhook secret for every notification type
//	KYC_FRACTAL_WEBHOOK_SECRET_PREVIOUS   a second one, during a rotation
//	KYC_FRACTAL_WEBHOOK_SECRET_<TYPE>     webhook secret of one notification type, and
//	KYC_FRACTAL_WEBHOOK_SECRET_<TYPE>_PREVIOUS  a second one during a rotation, for TYPE in
//	                                      VERIFICATION_APPROVED, VERIFICATION_CONTACTED,
//	                                      VERIFICATION_REJECTED, CREDENTIAL_SHARED,
//	                                      EMAIL_CHANGED, AUTHORIZATION_REVOKED, KRAKEN_STATUS
//	KYC_FRACTAL_WEBHOOK_TYPES             comma-separated extra notification types whose
//	                                      KYC_FRACTAL_WEBHOOK_SECRET_<TYPE> is read too
//
// Incode integration (IncodeIntegration):
//
//	KYC_INCODE_API_KEY                    tenant API key (x-api-key)
//	KYC_INCODE_CONFIGURATION_ID           Configuration (Flow/Workflow) ID
//	KYC_INCODE_INTEGRATION_ID             Integration ID (integrationReference)
//	KYC_INCODE_CLIENT_ID                  OIDC client id of the client-credentials integration
//	KYC_INCODE_CLIENT_SECRET              its client secret (shown once in the Dashboard)
//	KYC_INCODE_ENVIRONMENT                "production" (default) or "demo"
//	KYC_INCODE_API_URL                    override of the Omni API host
//	KYC_INCODE_AUTH_URL                   override of the authorization server
//	KYC_INCODE_WORKFORCE_URL              override of the Workforce API host
//	KYC_INCODE_WEBHOOK_HEADER_NAME        static custom webhook header name
//	KYC_INCODE_WEBHOOK_HEADER_VALUE       its value
//
// EKYC admin service credential (EKYCCredential):
//
//	KYC_EKYC_CLIENT_ID                    client id
//	KYC_EKYC_CLIENT_SECRET                client secret
//	KYC_EKYC_TOKEN_URL                    token endpoint (default ekycadmin.DefaultTokenURL)
//	KYC_EKYC_BASE_URL                     API base URL (default ekycadmin.DefaultBaseURL)
//	KYC_EKYC_API_KEY                      optional X-API-Key
//	KYC_EKYC_PERMISSIONS                  comma-separated permissions granted in the console
//
// # Validation
//
// Validate (called by every loader and builder) reports every problem at
// once in a *ValidationError: one Problem per field, with its settings path
// ("fractal.redirect_uri"), its variable and a message, never the value.
// It checks required fields, URLs (absolute, https except for localhost and
// loopback addresses, no user info, no fragment, no query on base URLs),
// the redirect URI's fragment, environment names, header names, and the
// shape of ids and secrets. The vendors document no format for their ids
// (Fractal's are 43 base64url or 64 hex characters in the examples, Incode's
// Integration IDs are generated on save), so an id is only required to be
// non-empty, at most 256 bytes, without whitespace or control characters.
// errors.Is(err, ErrInvalidSettings) matches every validation error, and
// ErrMissing, ErrInsecureURL, ErrInvalidURL and ErrMalformed match the
// kinds of its problems.
//
// # Builders
//
// FractalApp.Config gives a fractalid.Config, FractalApp.Verifier a
// webhooks.Verifier with the secret(s) of each notification type,
// FractalApp.StatsClient a fractalid.StatsClient, EKYCCredential.Client an
// ekycadmin.Client and IncodeIntegration.Client an incode.Client (package
// incode holds the Incode API client and webhooks).
//
// # What is not here
//
// No vendor offers an API to list, create or edit integrations (Incode's
// integrations, Fractal's applications and Klustr's credentials are managed
// in their dashboards), so this package has no such calls: the settings are
// local configuration only.
package integrations
