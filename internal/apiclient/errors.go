package apiclient

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
	"strconv"
	"time"
)

// Sentinel errors. Every *APIError matches the sentinels of its HTTP status
// class through errors.Is; vendor packages re-export them.
var (
	// ErrBadRequest matches 400 and 422 responses.
	ErrBadRequest = errors.New("kyc: bad request")
	// ErrUnauthorized matches 401 responses.
	ErrUnauthorized = errors.New("kyc: unauthorized")
	// ErrForbidden matches 403 responses and vendor-specific permission errors.
	ErrForbidden = errors.New("kyc: forbidden")
	// ErrNotFound matches 404 responses and vendor-specific "no such resource" replies.
	ErrNotFound = errors.New("kyc: not found")
	// ErrConflict matches 409 responses.
	ErrConflict = errors.New("kyc: conflict")
	// ErrRateLimited matches 429 responses.
	ErrRateLimited = errors.New("kyc: rate limited")
	// ErrServer matches 5xx responses.
	ErrServer = errors.New("kyc: server error")
	// ErrResponseTooLarge is returned when a response body exceeds the size cap.
	ErrResponseTooLarge = errors.New("kyc: response body too large")
	// ErrDecode is matched by every *DecodeError: a 2xx body that is not the
	// expected JSON (truncated, HTML, wrong shape).
	ErrDecode = errors.New("kyc: cannot decode response")
	// ErrReauthorizationRequired is matched by *ReauthorizationRequiredError:
	// the token endpoint refused the grant (invalid_grant); the user must go
	// through authorization again.
	ErrReauthorizationRequired = errors.New("kyc: re-authorization required")
	// ErrToken is matched by every *TokenError: a token could not be obtained.
	ErrToken = errors.New("kyc: cannot obtain token")
	// ErrInvalidArgument is returned, before any request is sent, for an
	// invalid argument such as an empty path parameter.
	ErrInvalidArgument = errors.New("kyc: invalid argument")
)

// maxErrorBody is how much of an error body an *APIError keeps.
const maxErrorBody = 8 << 10

// APIError is a non-2xx reply from a remote API. Vendor packages fill Code,
// Message, ID and MissingPermissions from their own error shapes.
//
// Error() prints the method, path, status, vendor code and request ID; it
// never prints the body, query values, headers or tokens. Body keeps an
// excerpt of the raw body for debugging; treat it as possibly sensitive.
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
	if e.RequiredPermission != "" && len(e.MissingPermissions) == 0 && (e.StatusCode == http.StatusForbidden || e.matchesKind(ErrForbidden)) {
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
	return fmt.Sprintf("&apiclient.APIError{StatusCode:%d, Method:%q, Path:%q, Code:%q, ID:%q, RequestID:%q, MissingPermissions:%q, RequiredPermission:%q, RetryAfter:%d, Attempts:%d}",
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

func (e *APIError) matchesKind(target error) bool {
	for _, k := range e.Kinds {
		if k == target {
			return true
		}
	}
	return false
}

// Is reports whether target is one of the sentinels this error matches.
func (e *APIError) Is(target error) bool {
	if e.matchesKind(target) {
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
// expected model. No partially decoded model is ever returned with it.
type DecodeError struct {
	Method, Path string
	StatusCode   int
	ContentType  string
	Err          error // the underlying decoding error; it never holds body bytes
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
// refused client, ...). Error() prints the OAuth error code and status only,
// never the token endpoint's body.
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

// SizeError is a response body larger than the client's cap.
// errors.Is(err, ErrResponseTooLarge) matches it.
type SizeError struct {
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

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrToken }

// ReauthorizationRequiredError is returned when the token endpoint answers
// invalid_grant: the refresh token (or authorization code) is expired, used
// or revoked, and the user must be sent through authorization again.
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

func (c *Client) apiError(hreq *http.Request, resp *http.Response, st *callState, perm string) error {
	e := &APIError{
		StatusCode:         resp.StatusCode,
		Method:             hreq.Method,
		Path:               hreq.URL.Path,
		RequestID:          requestID(resp.Header),
		Attempts:           st.attempts,
		Header:             resp.Header,
		RequiredPermission: perm,
	}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = ra
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e.Body = body
	if c.decodeErr != nil {
		if err := c.decodeErr(e, body); err != nil {
			return err
		}
	}
	return e
}

func (c *Client) transportFailure(ctx context.Context, hreq *http.Request, st *callState, err error) error {
	var re *ReauthorizationRequiredError
	var te *TokenError
	if errors.As(err, &re) {
		return re
	}
	if errors.As(err, &te) {
		return te
	}
	var rde *RedirectError
	if errors.As(err, &rde) {
		return rde
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: %w", hreq.Method, hreq.URL.Path, ctxErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	attempts := ""
	if st.attempts > 1 {
		attempts = fmt.Sprintf(" after %d attempts", st.attempts)
	}
	return &TransportError{Method: hreq.Method, Path: hreq.URL.Path, Attempts: st.attempts, msg: attempts, Err: err}
}

// TransportError is a failure to get any HTTP reply (connection refused,
// reset, timeout). errors.Is works through it (for example with
// context.DeadlineExceeded or syscall.ECONNRESET).
type TransportError struct {
	Method, Path string
	Attempts     int
	msg          string
	Err          error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("kyc: %s %s: transport error%s: %s", e.Method, e.Path, e.msg, safeTransportError(e.Err))
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout.
func (e *TransportError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id"} {
		if v := h.Get(k); v != "" {
			if len(v) > 128 {
				v = v[:128]
			}
			return v
		}
	}
	return ""
}
