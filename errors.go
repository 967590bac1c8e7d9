package kyc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Sentinel errors shared by every client of this module (fractalid,
// fractalid/kraken, fractalid/credentials, ekycadmin, integrations/incode);
// compare with errors.Is. Every [*APIError] matches the sentinel of its
// HTTP status class, and a client can make it match more (see
// [APIError.Kinds]): for example ekycadmin reports a permission error that
// the server sent as a 500 as ErrForbidden too. The sentinels of one
// vendor only (fractalid.ErrInsufficientScope, ekycadmin.ErrNoSessions,
// credentials.ErrUserNotFound, ...) live in that vendor's package.
var (
	// ErrBadRequest matches 400 and 422 replies (validation errors).
	ErrBadRequest = errors.New("kyc: bad request")
	// ErrUnauthorized matches 401 replies (an expired, revoked or refused
	// token or API key), [*ReauthorizationRequiredError] and, from
	// fractalid, an "invalid_token" reply whatever its status.
	ErrUnauthorized = errors.New("kyc: unauthorized")
	// ErrForbidden matches 403 replies and the permission errors a client
	// recognises whatever their status (a missing scope or permission).
	ErrForbidden = errors.New("kyc: forbidden")
	// ErrNotFound matches 404 replies and a vendor's "no such resource"
	// replies.
	ErrNotFound = errors.New("kyc: not found")
	// ErrConflict matches 409 replies.
	ErrConflict = errors.New("kyc: conflict")
	// ErrRateLimited matches 429 replies; [APIError.RetryAfter] holds the
	// server's Retry-After, if it sent one.
	ErrRateLimited = errors.New("kyc: rate limited")
	// ErrServer matches 5xx replies.
	ErrServer = errors.New("kyc: server error")
	// ErrResponseTooLarge is matched by every [*SizeError]: a reply body
	// larger than the client's cap.
	ErrResponseTooLarge = errors.New("kyc: response body too large")
	// ErrDecode is matched by every [*DecodeError]: a 2xx body that is not
	// the expected JSON (truncated, HTML, wrong shape).
	ErrDecode = errors.New("kyc: cannot decode response")
	// ErrReauthorizationRequired is matched by
	// [*ReauthorizationRequiredError]: the token endpoint refused the grant
	// (invalid_grant); the user must go through authorization again.
	ErrReauthorizationRequired = errors.New("kyc: re-authorization required")
	// ErrToken is matched by every [*TokenError] and
	// [*ReauthorizationRequiredError]: a token could not be obtained.
	ErrToken = errors.New("kyc: cannot obtain token")
	// ErrInvalidArgument is returned, before any request is sent, for an
	// invalid argument: an empty path parameter, a negative offset, a bad
	// option, message or signature.
	ErrInvalidArgument = errors.New("kyc: invalid argument")
	// ErrRedirectRefused is matched by every [*RedirectError].
	ErrRedirectRefused = errors.New("kyc: redirect refused")
)

// APIError is a non-2xx reply from a remote API. Match it with errors.As
// (it is always returned as a pointer) and its status class with errors.Is
// ([ErrNotFound], [ErrServer], ...). Each client fills Code, Message, ID
// and MissingPermissions from its vendor's error shape, and
// RequiredPermission where it knows what the call needs:
//
//   - fractalid (the resource server): Code is the OAuth error code
//     ("invalid_token", "insufficient_scope") from the body or the
//     WWW-Authenticate header, and Message the error_description.
//   - fractalid/kraken: the error body's shape is not documented; Code
//     holds its "code" field, or else its "error" field, when that is a
//     short code, and Message its "message" when there is one.
//   - ekycadmin: Code is a known reason of a {"status", "error": {"reason",
//     "id"}} body, the exception class of a Spring {"error", "message",
//     "path"} body, or the Bearer error of a WWW-Authenticate header; ID,
//     MissingPermissions and RequiredPermission are filled too (see the
//     package's documentation).
//   - integrations/incode and fractalid/credentials: a reply in the
//     vendor's own error shape comes as the package's *Error, which wraps
//     the *APIError (errors.As finds both).
//
// Error() prints the method, path, status, vendor code and request ID; it
// never prints the body, query values, headers or tokens, nor Message,
// which vendors sometimes fill with what was sent. Body keeps an excerpt of
// the raw body for debugging; treat it as possibly sensitive. %v, %+v,
// %#v, slog and encoding/json print the identifying fields only.
type APIError struct {
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// Code is the vendor's machine-readable code or reason, if any.
	Code string
	// Message is the vendor's human-readable message, if any. It is not
	// part of Error() because vendors sometimes echo input in it.
	Message string
	// ID is the vendor's error identifier, if any.
	ID string
	// RequestID is the value of a request-id response header, if any.
	RequestID string
	// MissingPermissions lists the permissions the server said were missing.
	MissingPermissions []string
	// RequiredPermission names the permission the call needs, when known.
	RequiredPermission string
	// RetryAfter is the server's Retry-After, if it sent one.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Header holds the response headers of the last attempt.
	Header http.Header
	// Body is an excerpt (at most 8 KiB) of the raw error body.
	Body []byte
	// Kinds lists extra sentinel errors this error matches beyond those of
	// its status (for example ErrForbidden for a permission error that the
	// server reported with status 500).
	Kinds []error
}

// Error implements error without printing the body. Error, Format,
// GoString and LogValue have value receivers so that an APIError printed
// or logged by value (fmt.Println(*apiErr)) is as safe as a pointer.
func (e APIError) Error() string {
	s := fmt.Sprintf("kyc: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += " (" + strconv.Quote(e.Code) + ")"
	}
	if len(e.MissingPermissions) > 0 {
		s += fmt.Sprintf(" missing permissions %q", e.MissingPermissions)
	}
	if e.RequiredPermission != "" && len(e.MissingPermissions) == 0 && (e.StatusCode == http.StatusForbidden || slices.Contains(e.Kinds, ErrForbidden)) {
		s += " (needs permission " + strconv.Quote(e.RequiredPermission) + ")"
	}
	if e.RequestID != "" {
		s += " request-id " + strconv.Quote(e.RequestID)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

// GoString implements fmt.GoStringer so that %#v prints the identifying
// fields only: never Message, Header or Body, which may echo what was sent.
func (e APIError) GoString() string {
	return fmt.Sprintf("&kyc.APIError{StatusCode:%d, Method:%q, Path:%q, Code:%q, ID:%q, RequestID:%q, MissingPermissions:%q, RequiredPermission:%q, RetryAfter:%d, Attempts:%d}",
		e.StatusCode, e.Method, e.Path, e.Code, e.ID, e.RequestID, e.MissingPermissions, e.RequiredPermission, e.RetryAfter, e.Attempts)
}

// Format prints Error() for every verb (GoString for %#v), so no verb
// (%d, %x on the struct, ...) can reach Message, Header or Body.
func (e APIError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, e.GoString())
		return
	}
	_, _ = io.WriteString(f, e.Error())
}

// LogValue implements slog.LogValuer: every handler logs Error(), never
// Message, Header or Body (a JSON handler would otherwise marshal an
// APIError value field by field).
func (e APIError) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// apiErrorJSON is what an APIError marshals to: the fields GoString
// prints, never Message, Header or Body.
type apiErrorJSON struct {
	Error              string   `json:"error"`
	StatusCode         int      `json:"status_code"`
	Method             string   `json:"method"`
	Path               string   `json:"path"`
	Code               string   `json:"code,omitempty"`
	ID                 string   `json:"id,omitempty"`
	RequestID          string   `json:"request_id,omitempty"`
	MissingPermissions []string `json:"missing_permissions,omitempty"`
	RequiredPermission string   `json:"required_permission,omitempty"`
	RetryAfterSeconds  float64  `json:"retry_after_seconds,omitempty"`
	Attempts           int      `json:"attempts,omitempty"`
}

// MarshalJSON implements json.Marshaler so that a logger or error reporter
// that encodes errors as JSON field by field (rather than through Error or
// slog) gets the identifying fields only: never Message, Header or Body,
// which may echo what was sent or carry cookies.
func (e APIError) MarshalJSON() ([]byte, error) {
	return json.Marshal(apiErrorJSON{
		Error: e.Error(), StatusCode: e.StatusCode, Method: e.Method, Path: e.Path,
		Code: e.Code, ID: e.ID, RequestID: e.RequestID,
		MissingPermissions: e.MissingPermissions, RequiredPermission: e.RequiredPermission,
		RetryAfterSeconds: e.RetryAfter.Seconds(), Attempts: e.Attempts,
	})
}

// Is reports whether target is one of the sentinels this error matches:
// those of its status class and those in Kinds.
func (e *APIError) Is(target error) bool {
	if slices.Contains(e.Kinds, target) {
		return true
	}
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// DecodeError is a 2xx reply whose body could not be decoded into the
// expected model (truncated, HTML from a proxy, wrong shape).
// errors.Is(err, ErrDecode) matches it. No partially decoded model is ever
// returned with it.
type DecodeError struct {
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// StatusCode is the reply's HTTP status.
	StatusCode int
	// ContentType is the reply's Content-Type, if any.
	ContentType string
	// Err is the underlying decoding error; it never holds body bytes.
	Err error
}

// Error implements error.
func (e *DecodeError) Error() string {
	ct := ""
	if e.ContentType != "" {
		ct = " (content-type " + strconv.Quote(e.ContentType) + ")"
	}
	return fmt.Sprintf("kyc: %s %s: cannot decode %d response%s: %v", e.Method, e.Path, e.StatusCode, ct, e.Err)
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDecode) true.
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// TokenError is a failure to obtain an OAuth token (token endpoint down,
// refused client, ...): fractalid's authorization-code and refresh grants,
// the client-credentials grants of ekycadmin and integrations/incode,
// kraken's signed API tokens. errors.Is(err, ErrToken) matches it.
// Error() prints the OAuth error code and status only, never the token
// endpoint's body.
type TokenError struct {
	// Code is the RFC 6749 error code (invalid_client, invalid_grant, ...), if any.
	Code string
	// StatusCode is the token endpoint's HTTP status, if it answered.
	StatusCode int
	// Reason, if set, describes the failure in words safe to print; it is
	// shown instead of Err's text (which may quote the endpoint's reply).
	Reason string
	// Err is the underlying error (often an *oauth2.RetrieveError).
	Err error
}

// Error implements error.
func (e *TokenError) Error() string {
	s := "kyc: cannot obtain token"
	if e.StatusCode != 0 {
		s += fmt.Sprintf(": token endpoint answered %d", e.StatusCode)
	}
	if e.Code != "" {
		s += " (" + strconv.Quote(e.Code) + ")"
	}
	switch {
	case e.Reason != "":
		s += ": " + e.Reason
	case e.StatusCode == 0 && e.Err != nil:
		s += ": " + tokenCause(e.Err)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrToken }

// tokenCause describes why no token arrived without quoting the token
// endpoint's reply: a transport failure is described, anything else (an
// unparsable reply, say, whose parse error quotes body bytes) is not.
func tokenCause(err error) string {
	var uerr *url.Error
	var nerr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err.Error()
	case errors.As(err, &uerr):
		return uerr.Err.Error()
	case errors.As(err, &nerr):
		return nerr.Error()
	}
	return "the token endpoint's reply could not be used"
}

// ReauthorizationRequiredError is returned when the token endpoint answers
// invalid_grant: the refresh token (or authorization code) is expired, used
// or revoked, and the user must be sent through authorization again.
// errors.Is matches ErrReauthorizationRequired, ErrToken and
// ErrUnauthorized.
type ReauthorizationRequiredError struct {
	TokenError
}

// Error implements error.
func (e *ReauthorizationRequiredError) Error() string {
	return "kyc: re-authorization required: the token endpoint refused the grant (\"invalid_grant\")"
}

// Is makes errors.Is match ErrReauthorizationRequired, ErrToken and ErrUnauthorized.
func (e *ReauthorizationRequiredError) Is(target error) bool {
	return target == ErrReauthorizationRequired || target == ErrToken || target == ErrUnauthorized
}

// Unwrap returns the underlying error.
func (e *ReauthorizationRequiredError) Unwrap() error { return e.Err }

// SizeError is a response body larger than the client's cap (a reply, or
// a file kraken downloads). errors.Is(err, ErrResponseTooLarge) matches it.
type SizeError struct {
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// Limit is the cap in bytes.
	Limit int64
}

// Error implements error.
func (e *SizeError) Error() string {
	return fmt.Sprintf("kyc: %s %s: response body larger than %d bytes", e.Method, e.Path, e.Limit)
}

// Is makes errors.Is(err, ErrResponseTooLarge) true.
func (e *SizeError) Is(target error) bool { return target == ErrResponseTooLarge }

// TransportError is a failure to get any HTTP reply (connection refused,
// reset, timeout). errors.Is works through it (for example with
// context.DeadlineExceeded or syscall.ECONNRESET). Error() never prints the
// URL's query.
type TransportError struct {
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *TransportError) Error() string {
	attempts := ""
	if e.Attempts > 1 {
		attempts = fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return fmt.Sprintf("kyc: %s %s: transport error%s: %s", e.Method, e.Path, attempts, transportCause(e.Err))
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout.
func (e *TransportError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// transportCause describes a transport error without the URL's query.
func transportCause(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}

// Why a redirect was refused (RedirectError.Reason).
const (
	// RedirectOtherOrigin: the target is another scheme, host or port than
	// the request's.
	RedirectOtherOrigin = "to another origin"
	// RedirectDowngrade: the target is plain http after https.
	RedirectDowngrade = "from https to http"
	// RedirectBodyOtherOrigin: a 307 or 308 would send the request body to
	// another origin.
	RedirectBodyOtherOrigin = "that would resend the request body to another origin"
)

// RedirectError is a redirect the client refused to follow: to another
// origin (scheme, host or port) than the request's, from https to http, or
// a 307/308 that would send the request body to another origin. Credentials
// (API keys, tokens) are bound to their origin, so an API call never
// follows such a redirect unless the caller's own CheckRedirect (on the
// HTTP client given with option.WithHTTPClient) allows it, and then without
// the SDK's headers; a downgrade to http and a body sent to another origin
// are refused even then. errors.Is(err, ErrRedirectRefused) matches it.
// Error() names the status and the target's scheme and host, never its
// path or query.
type RedirectError struct {
	// Method and Path identify the call (Path never contains the query).
	Method, Path string
	// StatusCode is the redirect's status (301, 302, 303, 307, 308).
	StatusCode int
	// Scheme and Host (with the port, if any) are the redirect target's,
	// each cut to 262 bytes (marked "...") since the server chose them.
	Scheme, Host string
	// Reason is one of RedirectOtherOrigin, RedirectDowngrade and
	// RedirectBodyOtherOrigin.
	Reason string
}

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("kyc: %s %s: refused %d redirect %s (%s://%s)", e.Method, e.Path, e.StatusCode, e.Reason, e.Scheme, e.Host)
}

// Is makes errors.Is(err, ErrRedirectRefused) true.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectRefused }
