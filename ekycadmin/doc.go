// Package ekycadmin is the client for the EKYC admin sessions API (Klustr's
// "EKYC Admin APIs"): list every user's identity-verification sessions,
// read one user's sessions and status, and create a new verification
// session for a user.
//
// # Authentication
//
// The API takes an opaque Bearer token obtained with the OAuth 2.0
// client-credentials grant (HTTP Basic client authentication, scope
// "openid") from DefaultTokenURL, or from any oauth2.TokenSource. The
// permissions a call needs (ekyc.session.list, ekyc.session.get,
// ekyc.session.create) are not OAuth scopes: they are granted to the
// credential in the Klustr console. A call that lacks one fails with an
// *APIError whose MissingPermissions (when the server lists them) and
// RequiredPermission say which; errors.Is(err, ErrForbidden) matches it.
// Permission changes can take about five minutes to reach the API because
// the server caches token introspection.
//
// # Sessions and outcomes
//
// UserSessions.Sessions is a map keyed by a random UUID the server makes
// per create call; Sorted gives a stable order. The final outcome of a
// user's verification is UserStatus.Verification.Status, not the session
// buckets, because finished sessions are removed from the map. Status
// treats "approved"/"success" and "declined"/"rejected" as the same
// outcome.
//
// # Pagination
//
// ListSessions reads one page (offset Start, page size Limit); AllSessions
// walks every page. The server has no ordering and caches queries, so the
// order may change between pages and a user may be seen twice or missed.
//
// # Retries
//
// GET calls are retried on transport errors and on 408, 429, 502, 503 and
// 504. CreateSession is not idempotent on the server and is retried only
// when the request never left the machine (a dial or DNS error).
//
// # Personal data
//
// Sessions, users and statuses print identifiers only through String,
// GoString and LogValue; session tokens, URLs, callbacks and any personal
// data the server adds are never printed. Errors never include bodies.
// slog applies LogValue to the logged value only: log models one by one,
// not as slices or maps (a JSON handler would marshal those in full).
package ekycadmin
