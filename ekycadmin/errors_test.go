package ekycadmin_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
)

// callFunc calls one endpoint of c.
type callFunc struct {
	name, method, url, permission string
	do                            func(*testing.T, *ekycadmin.Client) error
}

func endpoints() []callFunc {
	return []callFunc{
		{"ListSessions", http.MethodGet, base + "/ekyc/admin", ekycadmin.PermissionList, func(t *testing.T, c *ekycadmin.Client) error {
			p, err := c.ListSessions(t.Context(), &ekycadmin.ListOptions{Limit: 10})
			if err != nil && p != nil {
				t.Error("page returned with an error")
			}
			return err
		}},
		{"AllSessions", http.MethodGet, base + "/ekyc/admin", ekycadmin.PermissionList, func(t *testing.T, c *ekycadmin.Client) error {
			for _, err := range c.AllSessions(t.Context(), nil) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"UserSessions", http.MethodGet, base + "/ekyc/admin/u1/sessions", ekycadmin.PermissionGet, func(t *testing.T, c *ekycadmin.Client) error {
			us, err := c.UserSessions(t.Context(), "u1")
			if err != nil && us != nil {
				t.Error("model returned with an error")
			}
			return err
		}},
		{"CreateSession", http.MethodPost, base + "/ekyc/admin/u1/sessions", ekycadmin.PermissionCreate, func(t *testing.T, c *ekycadmin.Client) error {
			s, err := c.CreateSession(t.Context(), "u1", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/done"})
			if err != nil && s != nil {
				t.Error("model returned with an error")
			}
			return err
		}},
		{"UserStatus", http.MethodGet, base + "/ekyc/admin/u1/status", ekycadmin.PermissionGet, func(t *testing.T, c *ekycadmin.Client) error {
			st, err := c.UserStatus(t.Context(), "u1")
			if err != nil && st != nil {
				t.Error("model returned with an error")
			}
			return err
		}},
	}
}

// TestErrorShapes runs every documented error shape against every endpoint.
func TestErrorShapes(t *testing.T) {
	all := []error{kyc.ErrBadRequest, kyc.ErrUnauthorized, kyc.ErrForbidden, kyc.ErrNotFound,
		kyc.ErrRateLimited, kyc.ErrServer, ekycadmin.ErrInvalidName, ekycadmin.ErrInvalidBirthDate,
		ekycadmin.ErrUnderage, ekycadmin.ErrPersonIncomplete, ekycadmin.ErrNoSessions, kyc.ErrConflict}
	tests := []struct {
		name      string
		status    int
		body      string
		header    []string
		wantCode  string
		wantID    string
		wantMsg   string
		wantPerms []string
		wantIs    []error
		inError   []string // substrings of Error()
	}{
		{name: "reason: no name", status: 400, body: `{"status":400,"error":{"reason":"Person is required to have name information."}}`,
			wantCode: ekycadmin.ReasonNameRequired, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrInvalidName, ekycadmin.ErrPersonIncomplete}},
		{name: "reason: family name", status: 400, body: `{"status":400,"error":{"reason":"Person must have a family name."}}`,
			wantCode: ekycadmin.ReasonFamilyNameRequired, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrInvalidName, ekycadmin.ErrPersonIncomplete}},
		{name: "reason: given name", status: 400, body: `{"status":400,"error":{"reason":"Person must have a given name."}}`,
			wantCode: ekycadmin.ReasonGivenNameRequired, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrInvalidName, ekycadmin.ErrPersonIncomplete}},
		{name: "reason: birth date", status: 400, body: `{"status":400,"error":{"reason":"Person is required to have a date of birth."}}`,
			wantCode: ekycadmin.ReasonBirthDateRequired, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrInvalidBirthDate, ekycadmin.ErrPersonIncomplete}},
		{name: "reason: underage", status: 400, body: `{"status":400,"error":{"reason":"Person can not be verified is age is less than 14."}}`,
			wantCode: ekycadmin.ReasonUnderage, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrUnderage, ekycadmin.ErrPersonIncomplete}},
		{name: "reason: lenient case and spacing", status: 400, body: `{"status":400,"error":{"reason":"  person must have a FAMILY name  "}}`,
			wantCode: ekycadmin.ReasonFamilyNameRequired, wantIs: []error{kyc.ErrBadRequest, ekycadmin.ErrInvalidName, ekycadmin.ErrPersonIncomplete}},
		{name: "404 no sessions", status: 404, body: `{"status":404,"error":{"reason":"No sessions available for the user id."}}`,
			wantCode: ekycadmin.ReasonNoSessions, wantIs: []error{kyc.ErrNotFound, ekycadmin.ErrNoSessions}},
		{name: "no sessions reported as 500", status: 500, body: `{"status":500,"error":{"id":"E-1","reason":"No sessions available for the user id"}}`,
			wantCode: ekycadmin.ReasonNoSessions, wantID: "E-1", wantIs: []error{kyc.ErrServer, kyc.ErrNotFound, ekycadmin.ErrNoSessions}},
		{name: "standard exception with id and metadata", status: 409, body: `{"status":409,"error":{"id":"EKYC-0042","reason":"Session conflict"},"metadata":{"user":"u1","n":[1,2]}}`,
			wantMsg: "Session conflict", wantID: "EKYC-0042", wantIs: []error{kyc.ErrConflict}, inError: []string{`409 Conflict`}},
		{name: "machine code reason", status: 409, body: `{"status":409,"error":{"id":"EKYC-0043","reason":"SESSION_ALREADY_OPEN"}}`,
			wantCode: "SESSION_ALREADY_OPEN", wantID: "EKYC-0043", wantIs: []error{kyc.ErrConflict}, inError: []string{`"SESSION_ALREADY_OPEN"`}},
		{name: "free-text reason and message", status: 400, body: `{"status":400,"error":{"id":"id with spaces","reason":"Name does not match"},"message":"Validation failed"}`,
			wantMsg: "Validation failed", wantIs: []error{kyc.ErrBadRequest}},
		{name: "Spring default body, phrase with a space", status: 500, body: `{"status":500,"error":"Internal Server Error","message":"boom","path":"/ekyc/admin"}`,
			wantMsg: "boom", wantIs: []error{kyc.ErrServer}},
		{name: "401 missing permissions", status: 401, body: `{"missing_permissions":["ekyc.session.list","ekyc.session.get"]}`,
			wantPerms: []string{"ekyc.session.list", "ekyc.session.get"}, wantIs: []error{kyc.ErrUnauthorized, kyc.ErrForbidden},
			inError: []string{"missing permissions", "ekyc.session.get"}},
		{name: "500 AccessDeniedException", status: 500, body: `{"error":"AccessDeniedException","message":"Access is denied","path":"/ekyc/admin","timestamp":"2024-03-02T10:00:00.000+00:00"}`,
			wantCode: "AccessDeniedException", wantMsg: "Access is denied", wantIs: []error{kyc.ErrServer, kyc.ErrForbidden},
			inError: []string{"needs permission"}},
		{name: "500 AuthorizationDeniedException", status: 500, body: `{"error":"AuthorizationDeniedException","message":"Access Denied","path":"/ekyc/admin","timestamp":"2024-03-02T10:00:00Z"}`,
			wantCode: "AuthorizationDeniedException", wantMsg: "Access Denied", wantIs: []error{kyc.ErrServer, kyc.ErrForbidden}},
		{name: "500 other exception", status: 500, body: `{"error":"NullPointerException","message":"Cannot invoke \"String.length()\"","path":"/ekyc/admin/u1/sessions","timestamp":"2024-03-02T10:00:00Z"}`,
			wantCode: "NullPointerException", wantMsg: `Cannot invoke "String.length()"`, wantIs: []error{kyc.ErrServer}},
		{name: "403 Spring default body", status: 403, body: `{"timestamp":"2024-03-02T10:00:00.000+00:00","status":403,"error":"Forbidden","message":"Access Denied","path":"/ekyc/admin"}`,
			wantCode: "Forbidden", wantMsg: "Access Denied", wantIs: []error{kyc.ErrForbidden}, inError: []string{"needs permission"}},
		{name: "401 invalid token, empty body", status: 401, body: ``, header: []string{"WWW-Authenticate", `Bearer error="invalid_token", error_description="Token expired"`},
			wantCode: "invalid_token", wantIs: []error{kyc.ErrUnauthorized}},
		{name: "gateway 401", status: 401, body: `{"message":"No API key found in request"}`,
			wantMsg: "No API key found in request", wantIs: []error{kyc.ErrUnauthorized}},
		{name: "gateway 429", status: 429, body: `{"message":"API rate limit exceeded"}`, header: []string{"Retry-After", "3600"},
			wantMsg: "API rate limit exceeded", wantIs: []error{kyc.ErrRateLimited}},
		{name: "html 502", status: 502, body: `<html><body>Bad gateway</body></html>`, wantIs: []error{kyc.ErrServer}},
		{name: "json array body", status: 400, body: `["x"]`, wantIs: []error{kyc.ErrBadRequest}},
		{name: "error object with wrong types", status: 400, body: `{"status":"x","error":{"reason":42,"id":{}},"missing_permissions":"ekyc"}`,
			wantIs: []error{kyc.ErrBadRequest}},
	}
	for _, ep := range endpoints() {
		for _, tt := range tests {
			t.Run(ep.name+"/"+tt.name, func(t *testing.T) {
				c, mt := newMockClient(t)
				var rec recorder
				mt.RegisterResponder(ep.method, ep.url, rec.respond(tt.status, tt.body, append([]string{"X-Request-Id", "req-7"}, tt.header...)...))
				err := ep.do(t, c)
				var apiErr *kyc.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %T %v is not an *APIError", err, err)
				}
				if apiErr.StatusCode != tt.status || apiErr.Method != ep.method || apiErr.RequestID != "req-7" || apiErr.Attempts != 1 {
					t.Errorf("status %d method %s request id %q attempts %d", apiErr.StatusCode, apiErr.Method, apiErr.RequestID, apiErr.Attempts)
				}
				if apiErr.Code != tt.wantCode || apiErr.ID != tt.wantID || apiErr.Message != tt.wantMsg {
					t.Errorf("Code %q ID %q Message %q; want %q %q %q", apiErr.Code, apiErr.ID, apiErr.Message, tt.wantCode, tt.wantID, tt.wantMsg)
				}
				if !slices.Equal(apiErr.MissingPermissions, tt.wantPerms) {
					t.Errorf("MissingPermissions %q, want %q", apiErr.MissingPermissions, tt.wantPerms)
				}
				if apiErr.RequiredPermission != ep.permission {
					t.Errorf("RequiredPermission %q, want %q", apiErr.RequiredPermission, ep.permission)
				}
				for _, s := range all {
					if got, want := errors.Is(err, s), slices.Contains(tt.wantIs, s); got != want {
						t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
					}
				}
				msg := err.Error()
				for _, sub := range tt.inError {
					if !strings.Contains(msg, sub) {
						t.Errorf("Error() %q lacks %q", msg, sub)
					}
				}
				if tt.wantMsg != "" && strings.Contains(msg, tt.wantMsg) {
					t.Errorf("Error() %q prints the message", msg)
				}
				if strings.Contains(msg, testToken) {
					t.Errorf("Error() prints the token")
				}
				if n := len(rec.all()); n != 1 {
					t.Errorf("requests = %d, want 1", n)
				}
			})
		}
	}
}
