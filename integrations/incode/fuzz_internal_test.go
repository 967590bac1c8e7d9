package incode

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
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
		e := &kyc.APIError{StatusCode: status, Method: http.MethodPost, Path: "/omni/start", Body: body}
		err := decodeError(e, body)
		if err == nil {
			t.Fatal("nil error")
		}
		var api *kyc.APIError
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

// FuzzParseScore: ParseScore never panics, succeeds exactly for JSON
// objects, keeps the body, and a score that is not ready is never
// approved.
func FuzzParseScore(f *testing.F) {
	f.Add([]byte(`{"overall":{"value":"94.6","status":"OK"},"liveness":{"overall":{"value":"100.0","status":"OK"},"spoofDetectionMethod":"SF"}}`))
	f.Add([]byte(`{"idValidation":{"photoSecurityAndQuality":[{"value":"PASSED","status":"OK","key":"tamperCheck"}],"appliedRule":null,"overall":{"value":"100.0","status":"OK","key":null}},"overall":{"value":"100.0","status":"FAIL","key":null}}`))
	f.Add([]byte(`{"overall":{"status":"UNKNOWN"},"deviceRisk":{"overall":{"status":"UNKNOWN"}}}`))
	f.Add([]byte(`{"overall":"OK","faceRecognition":{"existingUser":"true"},"governmentValidation":{"ocrValidation":[1,null,{}]}}`))
	f.Add([]byte(`{"ocrData":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseScore(body)
		if err != nil {
			if s != nil {
				t.Fatal("score with error")
			}
			return
		}
		if string(s.Raw) != string(body) {
			t.Fatal("Raw differs from body")
		}
		d := Decide(OnboardingFinished, s)
		if !s.Ready() && d.Verdict != NotReady {
			t.Fatalf("score not ready decided %s", d.Verdict)
		}
		if d.Verdict == Approved && s.Overall.Status != ScoreOK && s.Overall.Status != ScoreManualOK {
			t.Fatalf("approved on %q", s.Overall.Status)
		}
		if s.ReasonMsg != "" && len(s.ReasonMsg) > 3 && strings.Contains(s.String()+d.String(), s.ReasonMsg) {
			t.Fatal("reasonMsg printed")
		}
	})
}

// FuzzParseOCRData: ParseOCRData never panics, succeeds exactly for JSON
// objects, and its printed forms hold none of the person's name.
func FuzzParseOCRData(f *testing.F) {
	f.Add([]byte(`{"name":{"firstName":"Piip","fullName":"Piip Penguin"},"birthDate":529873860000,"expireAt":"1728950400000","issueDate":2022,"typeOfId":"DriversLicense"}`))
	f.Add([]byte(`{"birthDate":-4857292800000,"expirationDate":"2031","issuedAt":1.6e12}`))
	f.Add([]byte(`{"ocrData":{"birthDate":"-1","name":{"fullName":null}}}`))
	f.Add([]byte(`{"birthDate":9223372036854775807,"expireAt":-9223372036854775808}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseOCRData(body)
		if err != nil {
			if o != nil {
				t.Fatal("data with error")
			}
			return
		}
		_ = o.BirthDate.Time()
		out := fmt.Sprintf("%v %+v %#v %d", o, o, o, o)
		for _, v := range []string{o.Name.FullName, o.Name.FirstName, o.DocumentNumber, o.Address} {
			if len(v) > 3 && strings.Contains(out, v) && !strings.Contains("incode.OCRData{TypeOfID: , IssuingCountry: }"+string(o.TypeOfID)+o.IssuingCountry, v) {
				t.Fatalf("%q printed", v)
			}
		}
	})
}

// FuzzParseApproval: ParseApproval never panics, a success always has a
// customer id, and the token is never printed.
func FuzzParseApproval(f *testing.F) {
	f.Add([]byte(`{"success":true,"uuid":"6595c84ce69d469f69ad39fb","token":"eyJhbGciOiJ4UzI1NiJ9.x.y","totalScore":"OK","existingCustomer":false}`))
	f.Add([]byte(`{"success":"true","uuid":7,"token":["x"]}`))
	f.Add([]byte(`{"success":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseApproval(body)
		if err != nil {
			if a != nil {
				t.Fatal("approval with error")
			}
			return
		}
		if a.Success && a.UUID == "" {
			t.Fatal("success without uuid")
		}
		tok := a.Token.Reveal()
		out := fmt.Sprintf("%v %+v %#v %s", a, a, a, *a)
		if len(tok) > 3 && strings.Contains(out, tok) && !strings.Contains(a.UUID+string(a.TotalScore), tok) {
			t.Fatal("token printed")
		}
	})
}
