// Package webhooks verifies, parses and handles the signed notifications
// ("webhooks") that Fractal ID sends to a callback URL.
//
// Fractal ID POSTs a JSON body {"type": "...", "data": {...}} and signs it
// with HMAC-SHA1 in the X-Fractal-Signature header: "sha1=" followed by the
// lower-case hex digest, keyed with the webhook secret token of that
// notification type. Each notification type has its own callback URL and
// secret token in the Fractal dashboard.
//
// Two rules keep verification correct:
//
//   - Verify the raw body, byte for byte, before any JSON decoding. Never
//     verify a body that was decoded and re-serialised: key order, spacing
//     and escaping change and the signature no longer matches (or matches
//     only by luck).
//   - Use the webhook secret token of the notification type, not the OAuth
//     client secret. The token is used as the raw bytes of the string, even
//     when it looks like hex.
//
// There are three layers:
//
//   - [Verify] and [Sign]: the signature check alone, for handlers that read
//     the body themselves. Verify is constant-time and does not allocate.
//   - [Verifier]: secrets per notification type, several per type during a
//     rotation, default secrets, an optional Kraken scheme; it verifies and
//     only then parses into an [Event]. [Verifier.VerifyRequest] reads a
//     request body with a size cap.
//   - [NewHandler]: an [net/http.Handler] that accepts POST only, caps the
//     body, verifies, parses, optionally drops duplicates and calls your
//     function with a deadline, answering 2xx only when it succeeded so that
//     Fractal retries failures.
//
// Delivery is at least once, in no particular order, and carries no event id
// and no signed timestamp, so replay of a captured notification cannot be
// detected by the signature alone. Make processing idempotent: use
// [Event.DedupKey] with a [Deduplicator], compare the event time with what
// you stored, or re-read the user from the Fractal API when a notification
// arrives, which is Fractal's own advice.
package webhooks
