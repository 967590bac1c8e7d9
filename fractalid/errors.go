package fractalid

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kycgo/kyc"
)

// Errors of this package.
var (
	// ErrStateMismatch is matched by *StateMismatchError: the callback's
	// state is missing or differs from the one the application sent.
	ErrStateMismatch = errors.New("fractalid: callback state mismatch")
	// ErrMissingCode is returned by ParseCallback when the callback carries
	// neither an error nor exactly one non-empty code.
	ErrMissingCode = errors.New("fractalid: callback has no authorization code")
	// ErrAuthorizationFailed is matched by every *AuthError.
	ErrAuthorizationFailed = errors.New("fractalid: authorization failed")
	// ErrAccessDenied is matched by an *AuthError whose Code is
	// "access_denied": the user refused the authorization.
	ErrAccessDenied = errors.New("fractalid: access denied by the user")
	// ErrInsufficientScope is matched by a *kyc.APIError whose Code is
	// "insufficient_scope": the token lacks a scope the call needs.
	ErrInsufficientScope = errors.New("fractalid: insufficient scope")
	// ErrFileURLExpired is matched by the error DownloadFile returns when
	// the storage host refuses a pre-signed file URL (403, 404 or 410, or a
	// 400 that says the request expired). File URLs expire a few hours after
	// GET /v2/users/me returned them: fetch the user again for fresh URLs.
	ErrFileURLExpired = errors.New("fractalid: file URL expired or no longer valid")
)

// StateMismatchError is returned by ParseCallback when the state parameter
// is missing, repeated or different from the expected one. It never holds
// either state value.
type StateMismatchError struct {
	// Missing is true when the callback carried no state at all.
	Missing bool
}

// Error implements error.
func (e *StateMismatchError) Error() string {
	if e.Missing {
		return "fractalid: callback state mismatch: state parameter missing"
	}
	return "fractalid: callback state mismatch"
}

// Is makes errors.Is(err, ErrStateMismatch) true.
func (e *StateMismatchError) Is(target error) bool { return target == ErrStateMismatch }

// AuthError is an OAuth error returned to the redirect URI (RFC 6749
// section 4.1.2.1), for example when the user refuses authorization
// (Code "access_denied"). Error() prints the code only: Description and URI
// come from the query string, so they are kept out of error strings.
type AuthError struct {
	// Code is the RFC 6749 error code: access_denied, invalid_request,
	// unauthorized_client, unsupported_response_type, invalid_scope,
	// server_error, temporarily_unavailable, or a vendor code. A value that
	// is not a well-formed error code is replaced by "invalid_error_code".
	Code string
	// Description is the error_description parameter (vendor text, at most
	// 512 bytes). Treat it as untrusted input.
	Description string
	// URI is the error_uri parameter, if any (at most 512 bytes).
	URI string
	// Raw is the error value of an embedded journey's failure message
	// (Config.ParseEmbedMessage) as sent, up to 4 KiB; its shape is not
	// documented. It may carry free text: it is never printed.
	Raw json.RawMessage
}

// Error implements error.
func (e AuthError) Error() string {
	return "fractalid: authorization failed: " + strconv.Quote(e.Code)
}

// GoString implements fmt.GoStringer so that %#v prints the code only, like
// Error: Description and URI come from the query string.
func (e AuthError) GoString() string {
	return "&fractalid.AuthError{Code:" + strconv.Quote(e.Code) + "}"
}

// Format makes every fmt verb print Error (GoString for %#v), for the
// error and for a value copy: Description, URI and Raw are never printed.
func (e AuthError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(e.GoString()))
		return
	}
	_, _ = f.Write([]byte(e.Error()))
}

// LogValue implements slog.LogValuer with the code only.
func (e AuthError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("code", e.Code))
}

// Is makes errors.Is match ErrAuthorizationFailed, and ErrAccessDenied for
// access_denied.
func (e *AuthError) Is(target error) bool {
	switch target {
	case ErrAuthorizationFailed:
		return true
	case ErrAccessDenied:
		return e.Code == "access_denied"
	}
	return false
}

// TemporarilyUnavailable reports whether the error is one the user may
// retry later (server_error, temporarily_unavailable).
func (e *AuthError) TemporarilyUnavailable() bool {
	return e.Code == "server_error" || e.Code == "temporarily_unavailable"
}

// isErrorCode reports whether s is a plausible OAuth error code: 1-64
// characters from the RFC 6749 error set, no spaces or quotes.
func isErrorCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	// Do not cut a UTF-8 sequence in half.
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xC0 {
		s = s[:len(s)-1]
	}
	return s
}

// decodeResourceError is the ErrorDecoder of the resource server: it reads
// an RFC 6749/6750 style {"error", "error_description"} body and the error
// parameter of a WWW-Authenticate: Bearer header.
func decodeResourceError(e *kyc.APIError, body []byte) error {
	var v struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription json.RawMessage `json:"error_description"`
		Message          json.RawMessage `json:"message"`
	}
	if len(body) > 0 && json.Unmarshal(body, &v) == nil {
		if s, ok := jsonString(v.Error); ok && isErrorCode(s) {
			e.Code = s
		}
		if s, ok := jsonString(v.ErrorDescription); ok {
			e.Message = capString(s, 512)
		} else if s, ok := jsonString(v.Message); ok {
			e.Message = capString(s, 512)
		}
	}
	if e.Code == "" && e.Header != nil {
		for _, h := range e.Header.Values("WWW-Authenticate") {
			params := parseAuthParams(h)
			if c := params["error"]; isErrorCode(c) {
				e.Code = c
				if e.Message == "" {
					e.Message = capString(params["error_description"], 512)
				}
				break
			}
		}
	}
	switch e.Code {
	case "insufficient_scope":
		e.Kinds = append(e.Kinds, ErrInsufficientScope, kyc.ErrForbidden)
	case "invalid_token":
		e.Kinds = append(e.Kinds, kyc.ErrUnauthorized)
	}
	return e
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// parseAuthParams reads the auth-params of a WWW-Authenticate challenge
// such as `Bearer realm="x", error="invalid_token", error_description="..."`.
// It is forgiving: malformed input yields whatever parsed cleanly.
func parseAuthParams(h string) map[string]string {
	out := map[string]string{}
	s := strings.TrimSpace(h)
	// Skip the scheme.
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	} else {
		return out
	}
	for len(s) > 0 && len(out) < 16 {
		s = strings.TrimLeft(s, " \t,")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					b.WriteByte(s[i])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			if i < len(s) {
				i++
			}
			s = s[i:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if _, dup := out[key]; !dup {
			out[key] = val
		}
	}
	return out
}
