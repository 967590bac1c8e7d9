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
// *kyc.APIError whose MissingPermissions (when the server lists them) and
// RequiredPermission say which; errors.Is(err, kyc.ErrForbidden) matches it.
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
// # Errors
//
// Errors are always pointers. The error types and sentinels every client
// shares (kyc.APIError, kyc.ErrNotFound, ...) are declared in package kyc;
// the sentinels of this API alone (ErrPersonIncomplete, ErrNoSessions, ...)
// here. For this API the fields of a *kyc.APIError hold:
//   - Code: a known reason of a {"status", "error": {"reason", "id"}} body
//     (one of the Reason constants, whatever the server's case, spacing or
//     trailing period), or a reason that is a short machine code; the
//     exception class of a Spring {"error", "message", "path"} body; or the
//     Bearer error of a WWW-Authenticate header (for example
//     "invalid_token"). Code is printed by Error(), so only these go in:
//     a short code of letters, digits and "._-:$", at most 128 bytes;
//   - ID: the error id of a {"error": {"id"}} body, when it is such a code;
//   - Message: the "message" of a Spring or gateway body or, when there is
//     none, a free-text reason that is neither known nor a code. A reason
//     can repeat what was submitted (a name, an e-mail address), so Message
//     is never printed: not by Error(), %v, %+v, %#v nor slog;
//   - MissingPermissions: the list of a {"missing_permissions": [...]} body
//     (entries that are not such codes are dropped);
//   - RequiredPermission: the permission the call needs (PermissionList,
//     PermissionGet or PermissionCreate);
//   - Kinds: the sentinels the body matched beyond those of the status
//     (ErrNoSessions and kyc.ErrNotFound, ErrPersonIncomplete,
//     kyc.ErrForbidden for a permission error, ...);
//   - Body: an excerpt of the raw body, never printed.
//
// The shared sentinels match as follows for this API: kyc.ErrUnauthorized
// a 401 (a bad token or missing permissions); kyc.ErrForbidden a 403 and
// every permission error, including a missing_permissions body and a
// Spring AccessDeniedException reported as 500; kyc.ErrNotFound a 404,
// including "No sessions available for the user id." (which also matches
// ErrNoSessions); kyc.ErrInvalidArgument an invalid argument refused before
// any request (an empty user ID, a negative offset, a bad option). A
// *kyc.TokenError is a failure to obtain an access token; the API key and
// the token never follow a redirect (a *kyc.RedirectError) to another
// origin.
//
// # Personal data
//
// Sessions, users and statuses print identifiers only through String,
// GoString and LogValue; session tokens, URLs, callbacks and any personal
// data the server adds are never printed. Errors never include bodies.
// slog applies LogValue to the logged value only: log models one by one,
// not as slices or maps (a JSON handler would marshal those in full).
package ekycadmin
