package incode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kycgo/kyc"
)

// Error is a reply in Incode's error shape,
// {"timestamp": ..., "status": ..., "error": ..., "message": ..., "path": ...}.
// It wraps the *kyc.APIError of the reply, so errors.Is(err, kyc.ErrBadRequest) and
// errors.As(err, &apiErr) work through it.
//
// Every member of the body is optional. Error() prints the method, path,
// HTTP status, Incode's own code and a standard reason phrase only: Message
// and free-text reasons are left out because they may echo what was sent
// (an email address, a phone number).
//
// errors.Is tells the credential apart: kyc.ErrUnauthorized (401, "invalid or
// missing access token": the session token, the executive token or the
// Bearer token was refused) and kyc.ErrForbidden (403, "invalid or missing api
// key").
type Error struct {
	// Timestamp is when Incode produced the error (epoch milliseconds or an
	// RFC 3339 string in the body); zero when absent or unreadable.
	Timestamp time.Time
	// Status is the "status" member: usually the HTTP status, but Incode
	// also puts its own codes here (for example 4005 spoof attempt, 4019
	// face not found, 6000 processing error), which arrive with a 4xx
	// HTTP status. The HTTP status stays in kyc.APIError.StatusCode.
	Status int
	// Reason is the "error" member: the HTTP reason phrase ("Bad Request")
	// or, with Incode's own codes, a short text ("Face not found."). Error()
	// prints it only when it is the standard reason phrase of a status.
	Reason string
	// Message is the human-readable message. Treat it as possibly personal data.
	Message string
	// Path is the request path Incode reports.
	Path string
	// APIError is the reply (status, headers, request id, body excerpt).
	APIError *kyc.APIError
}

// GoString implements fmt.GoStringer so that %#v leaves the message out
// too.
func (e *Error) GoString() string {
	return fmt.Sprintf("&incode.Error{Status:%d, Reason:%q, Path:%q, APIError:%#v}", e.Status, safeReason(e.Reason), e.Path, e.APIError)
}

// safeReason returns reason when it is a standard HTTP reason phrase, and
// "[free text]" otherwise: with Incode's own codes the "error" member is
// server text that may echo what was sent.
func safeReason(reason string) string {
	if reason == "" {
		return ""
	}
	for code := 100; code < 600; code++ {
		if t := http.StatusText(code); t != "" && t == reason {
			return reason
		}
	}
	return "[free text]"
}

// Error implements error without the message.
func (e *Error) Error() string {
	a := e.APIError
	if a == nil {
		a = &kyc.APIError{StatusCode: e.Status}
	}
	s := fmt.Sprintf("incode: %s %s: %d", a.Method, a.Path, a.StatusCode)
	// Only a standard reason phrase is printed: with Incode's own codes the
	// "error" member is free text.
	if reason := http.StatusText(a.StatusCode); reason != "" {
		s += " " + strconv.Quote(reason)
	}
	if e.Status != 0 && e.Status != a.StatusCode {
		s += fmt.Sprintf(" (Incode code %d)", e.Status)
	}
	if a.RequestID != "" {
		s += " request-id " + strconv.Quote(a.RequestID)
	}
	if a.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", a.Attempts)
	}
	return s
}

// Unwrap returns the *kyc.APIError.
func (e *Error) Unwrap() error {
	if e.APIError == nil {
		return nil
	}
	return e.APIError
}

// errorBody is Incode's error shape. Timestamp is raw: Incode's Spring
// stack may write epoch milliseconds or an ISO date.
type errorBody struct {
	Timestamp json.RawMessage `json:"timestamp"`
	Status    json.RawMessage `json:"status"`
	Error     *string         `json:"error"`
	Message   *string         `json:"message"`
	Path      *string         `json:"path"`
}

// maxFieldLen caps the strings kept from an error body.
const maxFieldLen = 1024

// decodeError is the apiclient ErrorDecoder: a body in Incode's shape
// becomes an *Error, anything else (an HTML page from a proxy, an empty
// body) stays the plain *kyc.APIError.
func decodeError(e *kyc.APIError, body []byte) error {
	ie, ok := parseErrorBody(body)
	if !ok {
		return e
	}
	ie.APIError = e
	// The kyc.APIError carries Incode's own code (never the free-text reason,
	// which kyc.APIError.Error would print).
	if ie.Status != 0 && ie.Status != e.StatusCode {
		e.Code = strconv.Itoa(ie.Status)
	}
	e.Message = ie.Message
	return ie
}

// parseErrorBody reads Incode's error shape. ok is false unless body is a
// JSON object with at least one of error, message or status.
func parseErrorBody(body []byte) (*Error, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return nil, false //nolint:nilerr // not Incode's shape: the caller keeps the plain kyc.APIError
	}
	status, statusOK := parseInt(b.Status)
	if b.Error == nil && b.Message == nil && !statusOK {
		return nil, false
	}
	ie := &Error{Status: status, Timestamp: parseTimestamp(b.Timestamp)}
	if b.Error != nil {
		ie.Reason = clip(*b.Error)
	}
	if b.Message != nil {
		ie.Message = clip(*b.Message)
	}
	if b.Path != nil {
		ie.Path = clip(*b.Path)
	}
	return ie, true
}

func clip(s string) string {
	if len(s) > maxFieldLen {
		return s[:maxFieldLen]
	}
	return s
}

// maxCode bounds the "status" member: HTTP statuses and Incode's own
// codes (4019, 6000, ...) are far below it.
const maxCode = 1_000_000

// parseInt reads a JSON number or numeric string that fits an HTTP status
// or an Incode code.
func parseInt(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var s string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
	} else {
		s = string(raw)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxCode {
		return 0, false
	}
	return n, true
}

// parseTimestamp reads epoch milliseconds (number or numeric string) or an
// RFC 3339 date. Anything else gives the zero time.
func parseTimestamp(raw json.RawMessage) time.Time {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
		// Spring's default ISO form without a zone: 2024-05-01T10:00:00.123+0000
		if t, err := time.Parse("2006-01-02T15:04:05.000-0700", s); err == nil {
			return t
		}
		raw = []byte(s)
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || ms < 0 || ms > 1<<53 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
