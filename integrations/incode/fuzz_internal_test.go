package incode

import (
	"errors"
	"net/http"
	"testing"
)

// FuzzDecodeError feeds arbitrary error bodies to the error decoder: it
// never panics, always returns an error that matches the reply's status,
// and never prints the body's message or its free-text reason.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"timestamp":1714557600123,"status":400,"error":"Bad Request","message":"m","path":"/omni/start"}`))
	f.Add(500, []byte(`{"timestamp":"2024-05-01T10:00:00Z","status":"500"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(401, []byte(`{"message":null,"status":99999999999999999999}`))
	f.Add(404, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			status = 400 + (status&0x7fffffff)%200
		}
		e := &APIError{StatusCode: status, Method: http.MethodPost, Path: "/omni/start", Body: body}
		err := decodeError(e, body)
		if err == nil {
			t.Fatal("nil error")
		}
		var api *APIError
		if !errors.As(err, &api) || api.StatusCode != status {
			t.Fatalf("no *APIError with status %d", status)
		}
		var ie *Error
		if errors.As(err, &ie) {
			if len(ie.Message) > maxFieldLen || len(ie.Reason) > maxFieldLen || len(ie.Path) > maxFieldLen {
				t.Fatal("field not clipped")
			}
			// Error() must not depend on the message at all (comparing with
			// the same error without it; a substring check would flag a
			// message that happens to occur in the status text).
			without := *ie
			without.Message = ""
			without.Reason = ""
			if ie.Error() != without.Error() {
				t.Fatalf("Error() prints the message: %s", err)
			}
		}
		_ = err.Error()
	})
}

// FuzzParseWebhook: ParseWebhook never panics, succeeds exactly for JSON
// objects, keeps the payload, and sets the part its family says.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"interviewId":"66a1","onboardingStatus":"ONBOARDING_FINISHED"}`))
	f.Add([]byte(`{"eventType":"SESSION_SUCCEEDED","interviewId":"s1","loginHint":"a@b"}`))
	f.Add([]byte(`{"event":"verification.succeeded","verificationTraceId":"v"}`))
	f.Add([]byte(`{"eventType":7,"onboardingStatus":[1]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		w, err := ParseWebhook(payload)
		if err != nil {
			if w != nil {
				t.Fatal("webhook with error")
			}
			return
		}
		if string(w.Raw) != string(payload) {
			t.Fatal("Raw differs from payload")
		}
		set := 0
		for _, p := range []bool{w.Onboarding != nil, w.Session != nil, w.Workforce != nil} {
			if p {
				set++
			}
		}
		if (w.Family == FamilyUnknown) != (set == 0) || set > 1 {
			t.Fatalf("family %s with %d parts", w.Family, set)
		}
		_ = w.Outcome()
		_ = w.String()
	})
}
