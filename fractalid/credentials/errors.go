package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/kycgo/kyc"
)

// The documented `error` codes of the Credentials API. An *Error from the
// server matches the sentinel of its code; BuildMessage returns
// ErrInvalidConfiguration, ErrInvalidCountry and ErrInvalidLevel for the
// same mistakes before any request.
var (
	// ErrInvalidConfiguration: country restrictions that the level does not allow (400).
	ErrInvalidConfiguration = errors.New("credentials: country restrictions not allowed for this level")
	// ErrInvalidClientID: unknown application ID (400).
	ErrInvalidClientID = errors.New("credentials: unknown client id")
	// ErrInvalidCountry: a bad country name or code (400).
	ErrInvalidCountry = errors.New("credentials: invalid country")
	// ErrInvalidLevel: a bad level string (400).
	ErrInvalidLevel = errors.New("credentials: invalid level")
	// ErrInvalidMessageSchema: the message does not match the protocol format (400).
	ErrInvalidMessageSchema = errors.New("credentials: message does not match the format")
	// ErrInvalidParams: message or signature missing (400).
	ErrInvalidParams = errors.New("credentials: message or signature missing")
	// ErrInvalidSignature: the server found the signature invalid (400);
	// the wallet must sign with personal_sign.
	ErrInvalidSignature = errors.New("credentials: signature not valid")
	// ErrUserNotFound: no user with this wallet meets the requirements (404),
	// including users excluded by a country list.
	ErrUserNotFound = errors.New("credentials: no user with this wallet meets the requirements")
	// ErrUserPending: a matching user exists but is not approved yet (404).
	ErrUserPending = errors.New("credentials: user not approved yet")
)

// Error codes as the API writes them.
const (
	CodeInvalidConfiguration = "invalid_configuration"
	CodeInvalidClientID      = "invalid_client_id"
	CodeInvalidCountry       = "invalid_country"
	CodeInvalidLevel         = "invalid_level"
	CodeInvalidMessageSchema = "invalid_message_schema"
	CodeInvalidParams        = "invalid_params"
	CodeInvalidSignature     = "invalid_signature"
	CodeUserNotFound         = "user_not_found"
	CodeUserPending          = "user_pending"
)

var codeSentinels = map[string]error{
	CodeInvalidConfiguration: ErrInvalidConfiguration,
	CodeInvalidClientID:      ErrInvalidClientID,
	CodeInvalidCountry:       ErrInvalidCountry,
	CodeInvalidLevel:         ErrInvalidLevel,
	CodeInvalidMessageSchema: ErrInvalidMessageSchema,
	CodeInvalidParams:        ErrInvalidParams,
	CodeInvalidSignature:     ErrInvalidSignature,
	CodeUserNotFound:         ErrUserNotFound,
	CodeUserPending:          ErrUserPending,
}

// Local failures (no request involved).
var (
	// ErrMalformedAddress: not "0x" + 40 hex digits, or a wrong EIP-55 checksum.
	ErrMalformedAddress = errors.New("credentials: malformed address")
	// ErrMalformedSignature: not a 65-byte r || s || v signature in canonical form.
	ErrMalformedSignature = errors.New("credentials: malformed signature")
	// ErrEmptyCountryList: a country list that is present but empty (the API refuses it).
	ErrEmptyCountryList = errors.New("credentials: empty country list")
	// ErrWalletMismatch: the wallet that signed (or the one Fractal
	// recovered) is not the wallet the caller expected. Most often the
	// message sent differs from the one the wallet signed.
	ErrWalletMismatch = errors.New("credentials: signer is not the expected wallet")
	// ErrMalformedProof: a proof with a missing or invalid field.
	ErrMalformedProof = errors.New("credentials: malformed proof")
	// ErrWrongSigner: the proof's signature is not by an accepted Fractal signing address.
	ErrWrongSigner = errors.New("credentials: proof not signed by Fractal's signing address")
	// ErrProofExpired: the proof's validUntil has passed.
	ErrProofExpired = errors.New("credentials: proof expired")
	// ErrProofTooOld: the user's approval is older than the verifier's maximum age.
	ErrProofTooOld = errors.New("credentials: approval older than the maximum age")
)

// Error is a reply in the Credentials API's error shape, {"error": code}
// (400) or {"address": ..., "error": code} (404). errors.Is matches the
// sentinel of its code (ErrUserNotFound, ErrInvalidSignature, ...) and,
// through the wrapped *kyc.APIError, kyc.ErrBadRequest or kyc.ErrNotFound.
//
// Error() prints the method, path, status and code only, never the address.
type Error struct {
	// Code is the `error` member (CodeUserNotFound, ...). An unknown code is
	// kept as sent when it is a plain identifier, else left empty.
	Code string
	// Address is the wallet address the server recovered from the
	// signature (404 replies). Personal data: it is never printed.
	Address Address
	// APIError is the reply (status, headers, request id, body excerpt).
	APIError *kyc.APIError
}

// Error implements error without the address.
func (e *Error) Error() string {
	a := e.APIError
	if a == nil {
		a = &kyc.APIError{}
	}
	s := fmt.Sprintf("credentials: %s %s: %d %s", a.Method, a.Path, a.StatusCode, http.StatusText(a.StatusCode))
	if e.Code != "" {
		s += " (" + strconv.Quote(e.Code) + ")"
	}
	if a.RequestID != "" {
		s += " request-id " + strconv.Quote(a.RequestID)
	}
	if a.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", a.Attempts)
	}
	return s
}

// GoString prints the code and the reply's identifying fields only.
func (e *Error) GoString() string {
	return fmt.Sprintf("&credentials.Error{Code:%q, APIError:%#v}", e.Code, e.APIError)
}

// Format prints Error() for every verb (GoString for %#v).
func (e *Error) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, e.GoString())
		return
	}
	_, _ = io.WriteString(f, e.Error())
}

// Is matches the sentinel of the code.
func (e *Error) Is(target error) bool {
	s, ok := codeSentinels[e.Code]
	return ok && s == target
}

// Unwrap returns the *kyc.APIError.
func (e *Error) Unwrap() error {
	if e.APIError == nil {
		return nil
	}
	return e.APIError
}

// WalletMismatchError reports that the wallet behind a signature is not
// the one the caller expected: found locally before any request (the
// signature does not recover to the wallet over this message), or in
// Fractal's reply (its `address`). errors.Is(err, ErrWalletMismatch) is
// true; when Fractal answered, Err is its *Error (often ErrUserNotFound).
// Neither address is printed.
type WalletMismatchError struct {
	// Expected is the wallet the caller named.
	Expected Address
	// Got is the address recovered from the signature (by this package or by Fractal).
	Got Address
	// FromServer is true when Got comes from Fractal's reply.
	FromServer bool
	// Err is the server's error, if the reply was one.
	Err error
}

// Error implements error without the addresses.
func (e *WalletMismatchError) Error() string {
	if e.FromServer {
		s := "credentials: the address Fractal recovered from the signature is not the expected wallet (was the message changed after signing?)"
		if e.Err != nil {
			s += ": " + e.Err.Error()
		}
		return s
	}
	return "credentials: the signature does not recover to the expected wallet over this message (was the message changed after signing?); no request sent"
}

// GoString never prints the addresses.
func (e *WalletMismatchError) GoString() string {
	return fmt.Sprintf("&credentials.WalletMismatchError{FromServer:%t, Err:%#v}", e.FromServer, e.Err)
}

// Format prints Error() for every verb (GoString for %#v).
func (e *WalletMismatchError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, e.GoString())
		return
	}
	_, _ = io.WriteString(f, e.Error())
}

// Is makes errors.Is(err, ErrWalletMismatch) true.
func (e *WalletMismatchError) Is(target error) bool { return target == ErrWalletMismatch }

// Unwrap returns the server's error, if any.
func (e *WalletMismatchError) Unwrap() error { return e.Err }

// MessageError is a message that BuildMessage or ParseMessage refuses.
// errors.Is matches kyc.ErrInvalidArgument and Err (ErrInvalidLevel,
// ErrInvalidCountry, ErrInvalidConfiguration, ErrEmptyCountryList or
// ErrInvalidMessageSchema).
type MessageError struct {
	// Field names the part at fault ("Level", "NotCitizenOf[2]", "line 3", ...).
	Field string
	// Reason says what is wrong, without quoting the input.
	Reason string
	// Err is the sentinel.
	Err error
}

// Error implements error.
func (e *MessageError) Error() string {
	return "credentials: invalid message: " + e.Field + ": " + e.Reason
}

// Is matches kyc.ErrInvalidArgument.
func (e *MessageError) Is(target error) bool { return target == kyc.ErrInvalidArgument }

// Unwrap returns the sentinel.
func (e *MessageError) Unwrap() error { return e.Err }

// ProofError is a proof that Verify refuses. errors.Is matches Err
// (ErrMalformedProof, ErrWrongSigner, ErrProofExpired, ErrProofTooOld or
// ErrWalletMismatch). It prints no address, id or signature.
type ProofError struct {
	// Reason says what is wrong.
	Reason string
	// Err is the sentinel.
	Err error
}

// Error implements error.
func (e *ProofError) Error() string { return "credentials: proof refused: " + e.Reason }

// Unwrap returns the sentinel.
func (e *ProofError) Unwrap() error { return e.Err }

// maxCodeLen caps the error codes kept from a reply.
const maxCodeLen = 64

// errorBody is the API's error shape.
type errorBody struct {
	Error   *string `json:"error"`
	Address *string `json:"address"`
}

// decodeError is the apiclient ErrorDecoder: a body with an "error"
// member becomes an *Error; anything else stays the plain *kyc.APIError.
func decodeError(e *kyc.APIError, body []byte) error {
	ce, ok := parseErrorBody(body)
	if !ok {
		return e
	}
	ce.APIError = e
	e.Code = ce.Code
	return ce
}

func parseErrorBody(body []byte) (*Error, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, false //nolint:nilerr // not the API's shape: the caller keeps the plain kyc.APIError
	}
	if b.Error == nil {
		return nil, false
	}
	ce := &Error{}
	if isPlainCode(*b.Error) {
		ce.Code = *b.Error
	}
	if b.Address != nil {
		if a, err := ParseAddress(*b.Address); err == nil {
			ce.Address = a
		}
	}
	return ce, true
}

// isPlainCode accepts identifiers such as "user_not_found": anything else
// may be free text and is not kept.
func isPlainCode(s string) bool {
	if s == "" || len(s) > maxCodeLen {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
