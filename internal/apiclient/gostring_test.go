package apiclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
)

func TestAPIErrorGoStringHidesBody(t *testing.T) {
	const pii = "jane.roe@example.test"
	e := &kyc.APIError{StatusCode: 400, Method: http.MethodPost, Path: "/v1/x", Code: "invalid_request", Message: "bad " + pii,
		Header: http.Header{"X-Echo": {pii}}, Body: []byte(`{"email":"` + pii + `"}`), RequestID: "req-1", Attempts: 2}
	out := fmt.Sprintf("%v %+v %#v %s", e, e, e, e)
	if strings.Contains(out, pii) {
		t.Errorf("output leaks the body: %s", out)
	}
	got := fmt.Sprintf("%#v", e)
	for _, want := range []string{"StatusCode:400", `Path:"/v1/x"`, `Code:"invalid_request"`, `RequestID:"req-1"`, "Attempts:2"} {
		if !strings.Contains(got, want) {
			t.Errorf("%%#v = %s, want %s", got, want)
		}
	}
}

// TestAPIErrorJSONHidesBody: error reporters and JSON loggers that encode
// an error field by field get the identifying fields only, by pointer, by
// value and inside a wrapping struct.
func TestAPIErrorJSONHidesBody(t *testing.T) {
	const pii = "jane.roe@example.test"
	e := &kyc.APIError{StatusCode: 429, Method: http.MethodGet, Path: "/v1/x", Code: "rate_limited", Message: "slow down " + pii,
		Header: http.Header{"Set-Cookie": {"sid=" + pii}}, Body: []byte(`{"email":"` + pii + `"}`), RequestID: "req-1",
		RetryAfter: 1500 * time.Millisecond, Attempts: 3, MissingPermissions: []string{"sessions:write"}}
	for name, v := range map[string]any{"pointer": e, "value": *e, "wrapped": struct{ Err *kyc.APIError }{e}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(string(b), pii) || strings.Contains(string(b), "sid=") {
			t.Errorf("%s: JSON leaks the body, message or headers: %s", name, b)
		}
	}
	b, _ := json.Marshal(e)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"error": e.Error(), "status_code": 429.0, "method": "GET", "path": "/v1/x", "code": "rate_limited",
		"request_id": "req-1", "missing_permissions": []any{"sessions:write"}, "retry_after_seconds": 1.5, "attempts": 3.0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JSON = %v\nwant   %v", got, want)
	}
}
