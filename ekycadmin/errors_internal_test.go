package ekycadmin

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kycgo/kyc"
)

// FuzzDecodeError feeds arbitrary statuses, bodies and WWW-Authenticate
// headers to the error decoder: it must never panic, must return a non-nil
// *kyc.APIError, and must keep vendor strings short and printable.
func FuzzDecodeError(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{400, `{"status":400,"error":{"reason":"Person must have a given name."}}`},
		{404, `{"status":404,"error":{"reason":"No sessions available for the user id."}}`},
		{409, `{"status":409,"error":{"id":"E1","reason":"x"},"metadata":{"a":1}}`},
		{401, `{"missing_permissions":["ekyc.session.create"]}`},
		{500, `{"error":"AccessDeniedException","message":"Access is denied","path":"/ekyc/admin","timestamp":"2024-01-01T00:00:00Z"}`},
		{429, `{"message":"API rate limit exceeded"}`},
		{502, `<html>bad gateway</html>`},
		{401, ``},
		{400, `{"error":{"reason":"\u0000\u001b[31m\ud800"}}`},
		{400, `{"status":400,"error":{"id":"a b","reason":"Person Jane Roe <jane@example.test> must have a given name"}}`},
		{409, `{"status":409,"error":{"id":"EKYC-1","reason":"SESSION_OPEN"}}`},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), `Bearer error="invalid_token"`)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, wwwAuth string) {
		e := &kyc.APIError{StatusCode: status, Method: http.MethodGet, Path: "/ekyc/admin", Header: http.Header{"Www-Authenticate": {wwwAuth}}}
		err := decodeError(e, body)
		if err == nil {
			t.Fatal("nil error")
		}
		var apiErr *kyc.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("%T is not an *APIError", err)
		}
		for _, s := range append([]string{apiErr.Code, apiErr.ID, apiErr.Message}, apiErr.MissingPermissions...) {
			if len(s) > maxFieldLen || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("unsafe field %q", s)
			}
		}
		// Only a known reason or a short machine code is printed.
		if _, known := knownReason(apiErr.Code); apiErr.Code != "" && !known && !isMachineCode(apiErr.Code) {
			t.Fatalf("Code %q is neither a known reason nor a code", apiErr.Code)
		}
		for _, s := range append([]string{apiErr.ID}, apiErr.MissingPermissions...) {
			if s != "" && !isMachineCode(s) {
				t.Fatalf("printed field %q is not a code", s)
			}
		}
		if len(apiErr.MissingPermissions) > maxPermissions {
			t.Fatalf("%d permissions kept", len(apiErr.MissingPermissions))
		}
		_ = apiErr.Error()
		_ = errors.Is(err, kyc.ErrForbidden)
	})
}

func TestDecodeErrorKindsNotDuplicated(t *testing.T) {
	e := &kyc.APIError{StatusCode: 401}
	_ = decodeError(e, []byte(`{"missing_permissions":["a"],"error":"AccessDeniedException"}`))
	_ = decodeError(e, []byte(`{"missing_permissions":["a"]}`))
	n := 0
	for _, k := range e.Kinds {
		if k == kyc.ErrForbidden {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ErrForbidden appears %d times in Kinds %v", n, e.Kinds)
	}
}

func TestCleanTruncatesOnRuneBoundary(t *testing.T) {
	s := clean(strings.Repeat("é", maxFieldLen))
	if len(s) > maxFieldLen || !utf8.ValidString(s) {
		t.Errorf("clean gave %d bytes, valid=%v", len(s), utf8.ValidString(s))
	}
}
