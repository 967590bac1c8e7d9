// Package pgstore keeps the SDK's shared state in PostgreSQL, on
// github.com/jackc/pgx/v5:
//
//   - [Deduplicator] implements webhooks.Deduplicator, so a notification
//     redelivered to another replica is not processed twice;
//   - [TokenStore] keeps Fractal ID user tokens encrypted at rest
//     (AES-256-GCM under keys you supply, with key rotation) and hands out
//     token sources whose refreshes are serialised across processes by a
//     row lock, so Fractal's rotation of refresh tokens never strands a
//     replica with a dead refresh token.
//
// Tables are created by migrations the package exposes as SQL
// ([DedupSchema], [TokenSchema]) or by EnsureSchema; never at import.
//
// It is a module of its own (github.com/kycgo/kyc/stores/pgstore), so that
// programs importing only the SDK's other packages get no database driver
// in their build.
package pgstore
