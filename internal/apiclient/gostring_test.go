package apiclient

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAPIErrorGoStringHidesBody(t *testing.T) {
	const pii = "jane.roe@example.test"
	e := &APIError{StatusCode: 400, Method: http.MethodPost, Path: "/v1/x", Code: "invalid_request", Message: "bad " + pii,
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
