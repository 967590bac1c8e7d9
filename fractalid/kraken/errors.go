package kraken

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Error types shared by every kyc-go client, re-exported so callers never
// import internal packages. Match them with errors.As; they are always
// returned as pointers.
type (
	// APIError is a non-2xx reply from the Kraken API. The error body's
	// shape is not documented: Code holds its "error" field and Message its
	// "message" when they are there (Message is never part of Error()).
	APIError = apiclient.APIError
	// DecodeError is a 2xx reply whose body could not be decoded. No
	// partially decoded model is returned with it.
	DecodeError = apiclient.DecodeError
	// TokenError is a failure to mint an API token.
	TokenError = apiclient.TokenError
	// TransportError is a failure to get any HTTP reply.
	TransportError = apiclient.TransportError
	// SizeError is a reply larger than the client's cap.
	SizeError = apiclient.SizeError
	// RedirectError is a redirect the client refused: to another origin
	// (scheme, host or port) or from https to http. The API token never
	// follows one.
	RedirectError = apiclient.RedirectError
)

// Sentinel errors shared with the rest of kyc-go; compare with errors.Is.
var (
	// ErrBadRequest matches 400 and 422 replies.
	ErrBadRequest = apiclient.ErrBadRequest
	// ErrUnauthorized matches 401 replies (a refused API token).
	ErrUnauthorized = apiclient.ErrUnauthorized
	// ErrForbidden matches 403 replies.
	ErrForbidden = apiclient.ErrForbidden
	// ErrNotFound matches 404 replies (an unknown or used one-time token,
	// an unknown user).
	ErrNotFound = apiclient.ErrNotFound
	// ErrRateLimited matches 429 replies.
	ErrRateLimited = apiclient.ErrRateLimited
	// ErrServer matches 5xx replies.
	ErrServer = apiclient.ErrServer
	// ErrResponseTooLarge is returned when a body exceeds the size cap.
	ErrResponseTooLarge = apiclient.ErrResponseTooLarge
	// ErrDecode matches every DecodeError.
	ErrDecode = apiclient.ErrDecode
	// ErrToken matches every TokenError.
	ErrToken = apiclient.ErrToken
	// ErrRedirectRefused matches every *RedirectError.
	ErrRedirectRefused = apiclient.ErrRedirectRefused
	// ErrInvalidArgument is returned before any request is sent when an
	// argument is invalid.
	ErrInvalidArgument = apiclient.ErrInvalidArgument
)

// Errors of the return to the integrator's site.
var (
	// ErrStateMismatch is returned when the state that came back differs
	// from the one the link was signed with, or is missing when required.
	ErrStateMismatch = errors.New("kraken: state mismatch")
	// ErrMissingOneTimeToken is returned when a redirect carries no
	// (or more than one) oneTimeToken.
	ErrMissingOneTimeToken = errors.New("kraken: no one-time token")
	// ErrMessageOrigin is matched by a *MessageError for a message from
	// another origin than the environment's MessageOrigin.
	ErrMessageOrigin = errors.New("kraken: message from an unexpected origin")
	// ErrUnknownMessage is matched by a *MessageError for a message that is
	// none of the documented forms (the front end may ignore it).
	ErrUnknownMessage = errors.New("kraken: unrecognised message")
	// ErrRejected is matched by a *RejectedError: the KYC page reported a
	// failure.
	ErrRejected = errors.New("kraken: KYC rejected")
)

// MessageError says why an iframe message was refused. It never holds the
// message's content.
type MessageError struct {
	// Reason describes the problem in words safe to print.
	Reason  string
	origin  bool
	unknown bool
}

// Error implements error.
func (e *MessageError) Error() string { return "kraken: iframe message: " + e.Reason }

// Is matches ErrMessageOrigin or ErrUnknownMessage.
func (e *MessageError) Is(target error) bool {
	return (target == ErrMessageOrigin && e.origin) || (target == ErrUnknownMessage && e.unknown)
}

// decodeError fills an *APIError from an error body. The shape is not
// documented; a NestJS-style {"statusCode", "message", "error"} is read
// when present, anything else is left in Body.
func decodeError(e *APIError, body []byte) error {
	var v struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(body, &v) != nil {
		return e
	}
	for _, raw := range []json.RawMessage{v.Code, v.Error} {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" && isCode(s) {
			e.Code = s
			break
		}
	}
	var msg string
	if json.Unmarshal(v.Message, &msg) == nil {
		e.Message = msg
	} else {
		var msgs []string
		if json.Unmarshal(v.Message, &msgs) == nil {
			e.Message = strings.Join(msgs, "; ")
		}
	}
	return e
}

// isCode accepts short words of letters, digits, spaces, '_', '-' and
// '.' ("Not Found", "invalid_token"): nothing that could be an address.
func isCode(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '_' || r == '-' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}
