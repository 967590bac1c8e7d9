package kraken

import (
	"github.com/kycgo/kyc/webhooks"
)

// NewWebhookVerifier returns a webhooks.Verifier for Kraken notifications:
// X-Fractal-Signature holding the bare hex HMAC-SHA256 of the raw body,
// keyed with the webhook secret Fractal sent at onboarding. Give the
// previous secret too while one is being rotated. Use it with
// webhooks.NewHandler: each verified notification arrives as a
// *webhooks.Event of type webhooks.EventKrakenStatus whose Kraken field
// holds the user id ("id"), the status ("approved" or "rejected") and the
// note (a free-text rejection reason, never printed by the event).
//
// Kraken's retry policy, timeouts and ordering are not documented: answer
// fast, and read the state with Client.Status (or Session) when in doubt.
func NewWebhookVerifier(secrets ...string) (*webhooks.Verifier, error) {
	return webhooks.NewVerifier(webhooks.WithKrakenScheme(), webhooks.WithDefaultSecrets(secrets...))
}

// WebhookEvent is the Kraken notification data of a webhooks.Event:
// {"id": user id, "status": "approved" | "rejected", "note": reason}.
type WebhookEvent = webhooks.KrakenData
