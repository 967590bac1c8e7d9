package kraken

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/kycgo/kyc"
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

// decodeError fills a *kyc.APIError from an error body. The shape is not
// documented; a NestJS-style {"statusCode", "message", "error"} is read
// when present, anything else is left in Body.
func decodeError(e *kyc.APIError, body []byte) error {
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
