package incode_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/option"
)

// Decoding tests built from the example bodies of the reference
// (incode-results-kraken.md part A).

// scoreExample1 is a face-authentication session, verbatim from Incode's
// own sample.
const scoreExample1 = `{
  "authentication": { "overall": { "value": "89.2", "status": "OK" }, "identityId": "68c851bedd5176f7d8bf4758" },
  "liveness": {
    "physicalAttack": { "value": "100.0", "status": "OK" },
    "spoofDetectionMethod": "SF",
    "overall": { "value": "100.0", "status": "OK" },
    "livenessScore": { "value": "100.0", "status": "OK" }
  },
  "deviceRisk": { "overall": { "status": "UNKNOWN" } },
  "behavioralRisk": { "overall": { "status": "UNKNOWN" } },
  "retryInfo": {},
  "documentOnEdgeInfo": {},
  "sessionRecording": { "mergedRecordingQualityChecks": {} },
  "reasonMsg": "This session passed because it passed all of Incode's tests: Liveness Detection",
  "overall": { "value": "94.6", "status": "OK" }
}`

// scoreExample2 is an ID + selfie session (third-party fixture, shortened).
const scoreExample2 = `{
  "idValidation": {
    "photoSecurityAndQuality": [
      { "value": "PASSED", "status": "OK", "key": "tamperCheck" },
      { "value": "OK", "status": "OK", "key": "screenIdLiveness" },
      { "value": "96", "status": "OK", "key": "balancedLightFront" }
    ],
    "idSpecific": [
      { "value": "100", "status": "WARN", "key": "documentClassification" },
      { "value": "100", "status": "FAIL", "key": "expirationDateValidity" },
      { "value": "PASSED", "status": "OK", "key": "documentNumberCheckDigit" }
    ],
    "customFields": [ { "value": "firstNameMatch", "status": "FAIL", "key": "firstNameMatch" } ],
    "appliedRule": null,
    "overall": { "value": "100.0", "status": "OK", "key": null }
  },
  "liveness": { "overall": { "value": "100.0", "status": "OK", "key": null }, "photoQuality": { "value": "100.0" } },
  "faceRecognition": {
    "maskCheck": { "value": "0.0", "status": "OK" },
    "lensesCheck": { "status": "OK" },
    "faceBrightness": { "value": "128.6", "status": "OK" },
    "overall": { "value": "100.0", "status": "OK" }
  },
  "idOcrConfidence": { "overallConfidence": { "value": "99.0", "status": "OK", "key": null } },
  "overall": { "value": "100.0", "status": "FAIL", "key": null }
}`

// ocrExample is the OCR example (third-party fixture, trimmed).
const ocrExample = `{
  "name": { "firstName": "Piip", "fullName": "Piip Penguin", "givenName": "Piip", "paternalLastName": "Penguin",
            "machineReadableFullName": "Piip Penguin", "maternalLastName": null, "middleName": null },
  "address": "567 HAYES ST SAN FRANCISCO CA 941020000 USA",
  "addressFields": { "street": "567 HAYES ST", "colony": null, "postalCode": "941020000", "city": "SAN FRANCISCO", "state": "CA" },
  "birthDate": 529873860000,
  "documentNumber": "Y12341234",
  "expireAt": "1728950400000",
  "expirationDate": null,
  "issueDate": 2022,
  "gender": "M",
  "issuingCountry": "USA",
  "issuingState": "CALIFORNIA",
  "typeOfId": "DriversLicense"
}`

// approveExample is the data part of Incode's sample comment.
const approveExample = `{ "success": true, "uuid": "6595c84ce69d469f69ad39fb",
  "token": "eyJhbGciOiJ4UzI1NiJ9.sample.sig", "totalScore": "OK", "existingCustomer": false }`

func TestParseScoreExample1(t *testing.T) {
	s, err := incode.ParseScore([]byte(scoreExample1))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ready() || *s.Overall != (incode.Check{Status: incode.ScoreOK, Value: "94.6"}) {
		t.Fatalf("overall %+v", s.Overall)
	}
	if s.Authentication == nil || s.Authentication.IdentityID != "68c851bedd5176f7d8bf4758" || s.Authentication.Overall.Value != "89.2" {
		t.Fatalf("authentication %+v", s.Authentication)
	}
	l := s.Liveness
	if l == nil || l.SpoofDetectionMethod != "SF" || l.PhysicalAttack.Value != "100.0" || l.LivenessScore.Status != incode.ScoreOK || l.PhotoQuality != nil {
		t.Fatalf("liveness %+v", l)
	}
	if s.DeviceRisk == nil || s.DeviceRisk.Overall.Status != incode.ScoreUnknown || s.DeviceRisk.Overall.Value != "" ||
		s.BehavioralRisk == nil || s.BehavioralRisk.Overall.Status != incode.ScoreUnknown {
		t.Fatalf("risk %+v %+v", s.DeviceRisk, s.BehavioralRisk)
	}
	if s.IDValidation != nil || s.FaceRecognition != nil || s.GovernmentValidation != nil || s.IDOCRConfidence != nil {
		t.Fatal("parts that are not in the body")
	}
	if !strings.HasPrefix(s.ReasonMsg, "This session passed") || !strings.Contains(string(s.Raw), "sessionRecording") {
		t.Fatal("reasonMsg or raw lost")
	}
	if d := incode.Decide(incode.OnboardingFinished, s); d.Verdict != incode.Approved {
		t.Fatalf("decision %v", d)
	}
}

func TestParseScoreExample2(t *testing.T) {
	s, err := incode.ParseScore([]byte(scoreExample2))
	if err != nil {
		t.Fatal(err)
	}
	// The overall status decides, whatever the parts say.
	if s.OverallStatus() != incode.ScoreFail || s.Overall.Key != "" {
		t.Fatalf("overall %+v", s.Overall)
	}
	v := s.IDValidation
	if v == nil || len(v.PhotoSecurityAndQuality) != 3 || len(v.IDSpecific) != 3 || len(v.CustomFields) != 1 || v.AppliedRule != nil {
		t.Fatalf("idValidation %+v", v)
	}
	if v.IDSpecific[1] != (incode.Check{Status: incode.ScoreFail, Value: "100", Key: "expirationDateValidity"}) ||
		v.PhotoSecurityAndQuality[2].Value != "96" || v.CustomFields[0].Key != "firstNameMatch" || v.Overall.Status != incode.ScoreOK {
		t.Fatalf("checks %+v", v)
	}
	if s.Liveness.PhotoQuality == nil || s.Liveness.PhotoQuality.Value != "100.0" || s.Liveness.PhotoQuality.Status != "" {
		t.Fatalf("photoQuality %+v", s.Liveness.PhotoQuality)
	}
	f := s.FaceRecognition
	if f == nil || f.LensesCheck.Status != incode.ScoreOK || f.LensesCheck.Value != "" || f.FaceBrightness.Value != "128.6" || f.ExistingUser {
		t.Fatalf("faceRecognition %+v", f)
	}
	if s.IDOCRConfidence == nil || s.IDOCRConfidence.OverallConfidence.Value != "99.0" {
		t.Fatalf("idOcrConfidence %+v", s.IDOCRConfidence)
	}
	if d := incode.Decide(incode.OnboardingFinished, s); d.Verdict != incode.Rejected {
		t.Fatalf("decision %v", d)
	}
}

// Values kept as strings even when the JSON holds numbers; members of the
// wrong type are left out, never fatal.
func TestParseScoreLenient(t *testing.T) {
	s, err := incode.ParseScore([]byte(`{"overall":{"value":94.60,"status":"WARN"},"idValidation":"broken",
		"liveness":{"overall":7,"livenessScore":{"value":1e2,"status":"OK"}},"governmentValidation":{"ocrValidation":[1,{"value":"x","status":"OK","key":"name"}],
		"validationStatus":{"value":"ok","status":"OK","key":"validationStatus"}},"faceRecognition":{"existingUser":true,"existingInterviewId":"abc","customerId":"c1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Overall.Value != "94.60" || s.OverallStatus() != incode.ScoreWarn || s.IDValidation != nil || s.Liveness.Overall != nil || s.Liveness.LivenessScore.Value != "1e2" {
		t.Fatalf("score %+v", s)
	}
	g := s.GovernmentValidation
	if g == nil || len(g.OCRValidation) != 1 || g.ValidationStatus.Key != "validationStatus" {
		t.Fatalf("governmentValidation %+v", g)
	}
	if !s.FaceRecognition.ExistingUser || s.FaceRecognition.ExistingInterviewID != "abc" || s.FaceRecognition.CustomerID != "c1" {
		t.Fatalf("faceRecognition %+v", s.FaceRecognition)
	}
	for _, bad := range []string{``, `[]`, `null`, `"OK"`, `{"overall":`, `{} {}`} {
		if _, err := incode.ParseScore([]byte(bad)); !errors.Is(err, incode.ErrNotJSONObject) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestParseOCRExample(t *testing.T) {
	o, err := incode.ParseOCRData([]byte(ocrExample))
	if err != nil {
		t.Fatal(err)
	}
	n := o.Name
	if n.FirstName != "Piip" || n.FullName != "Piip Penguin" || n.GivenName != "Piip" || n.PaternalLastName != "Penguin" ||
		n.MachineReadableFullName != "Piip Penguin" || n.MaternalLastName != "" || n.MiddleName != "" {
		t.Fatalf("name %#v", []string{n.FirstName, n.FullName})
	}
	if o.Address != "567 HAYES ST SAN FRANCISCO CA 941020000 USA" || o.AddressFields.Street != "567 HAYES ST" ||
		o.AddressFields.Colony != "" || o.AddressFields.PostalCode != "941020000" || o.AddressFields.City != "SAN FRANCISCO" || o.AddressFields.State != "CA" {
		t.Fatal("address")
	}
	// 529873860000 ms is 1986-10-16T19:11:00Z.
	if o.BirthDate != (incode.Date{Year: 1986, Month: time.October, Day: 16}) {
		t.Fatalf("birth date %v", o.BirthDate.Time())
	}
	if o.DocumentNumber != "Y12341234" || o.Gender != "M" || o.IssuingCountry != "USA" || o.IssuingState != "CALIFORNIA" || o.TypeOfID != incode.IDTypeDriversLicense {
		t.Fatal("document fields")
	}
	if !o.ExpireAt.Equal(time.UnixMilli(1728950400000)) || o.ExpirationYear != 0 || o.IssueYear != 2022 || !o.IssuedAt.IsZero() {
		t.Fatalf("expiry %v %d %d", o.ExpireAt, o.ExpirationYear, o.IssueYear)
	}
	for _, out := range []string{o.String(), fmt.Sprintf("%v %+v %#v %s %d %x", o, o, o, o, o, o), fmt.Sprint(&o.Name, o.AddressFields)} {
		for _, pii := range []string{"Piip", "Penguin", "HAYES", "Y12341234", "1986", "529873860000"} {
			if strings.Contains(out, pii) {
				t.Fatalf("%q printed in %s", pii, out)
			}
		}
	}
}

func TestParseOCRMixedForms(t *testing.T) {
	for _, tt := range []struct {
		body  string
		birth incode.Date
		exp   int
		issue time.Time
	}{
		// Before 1970: negative milliseconds.
		{`{"birthDate":-4857292800000}`, incode.Date{Year: 1816, Month: time.January, Day: 30}, 0, time.Time{}},
		{`{"birthDate":"-86400000","expirationDate":"2031","issuedAt":1600000000000}`, incode.Date{Year: 1969, Month: time.December, Day: 31}, 2031, time.UnixMilli(1600000000000)},
		{`{"birthDate":529873860000.0,"expirationDate":2030.5}`, incode.Date{Year: 1986, Month: time.October, Day: 16}, 0, time.Time{}},
		{`{"birthDate":"1986-10-17","expirationDate":true,"issuedAt":"soon"}`, incode.Date{}, 0, time.Time{}},
		{`{"birthDate":99999999999999999999999}`, incode.Date{}, 0, time.Time{}},
		// The v2 form wraps the object.
		{`{"ocrData":{"birthDate":0,"expirationDate":2029}}`, incode.Date{Year: 1970, Month: time.January, Day: 1}, 2029, time.Time{}},
	} {
		o, err := incode.ParseOCRData([]byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if o.BirthDate != tt.birth || o.ExpirationYear != tt.exp || !o.IssuedAt.Equal(tt.issue) {
			t.Errorf("%s: birth %+v exp %d issued %v", tt.body, o.BirthDate, o.ExpirationYear, o.IssuedAt)
		}
	}
}

func TestParseApprovalExample(t *testing.T) {
	a, err := incode.ParseApproval([]byte(approveExample))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Success || a.UUID != "6595c84ce69d469f69ad39fb" || a.Token.Reveal() != "eyJhbGciOiJ4UzI1NiJ9.sample.sig" || a.TotalScore != incode.ScoreOK || a.ExistingCustomer {
		t.Fatalf("approval %v", a)
	}
	if out := fmt.Sprintf("%v %+v %#v %s %d", a, a, a, *a, *a); strings.Contains(out, "eyJ") {
		t.Fatalf("token printed: %s", out)
	}
	// Raw keeps every other member but not the token, so an Approval
	// marshalled whole (to a queue, an audit log) carries no credential.
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(a.Raw), "eyJ") || strings.Contains(string(js), "eyJ") {
		t.Fatalf("token in Raw %s or JSON %s", a.Raw, js)
	}
	var raw map[string]any
	if err := json.Unmarshal(a.Raw, &raw); err != nil || len(raw) != 4 || raw["uuid"] != a.UUID || raw["existingCustomer"] != false {
		t.Fatalf("Raw %s lost members: %v", a.Raw, err)
	}
	for _, bad := range []string{`{}`, `{"success":true}`, `[]`, `{"token":"t"}`} {
		if _, err := incode.ParseApproval([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if a, err := incode.ParseApproval([]byte(`{"success":false}`)); err != nil || a.Success {
		t.Errorf("success false: %v %v", a, err)
	}
}

// The error bodies of the reference, with and without "message", through
// the client's error decoder.
func TestErrorExamples(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := incode.NewClient(option.WithBaseURL("https://incode.test"), incode.WithAPIKey("k"),
		option.WithHTTPClient(&http.Client{Transport: mt}), option.NoRetries())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		http, code    int
		body, reason  string
		message, path string
		ms            int64
	}{
		{400, 4005, `{"timestamp":1584639032757,"status":4005,"error":"Spoof attempt detected","message":"BadRequestException: Spoof attempt detected.","path":"/omni/add/face"}`,
			"Spoof attempt detected", "BadRequestException: Spoof attempt detected.", "/omni/add/face", 1584639032757},
		{500, 500, `{"timestamp":1688044216480,"status":500,"error":"Internal Server Error","message":"Unexpected error occured","path":"/omni/incode-id/authenticate"}`, //nolint:misspell // verbatim from Incode
			"Internal Server Error", "Unexpected error occured", "/omni/incode-id/authenticate", 1688044216480}, //nolint:misspell // verbatim from Incode
		{400, 4019, `{"timestamp":1695335887367,"status":4019,"error":"Face not found.","path":"/omni/add/face/third-party"}`,
			"Face not found.", "", "/omni/add/face/third-party", 1695335887367},
		{400, 6000, `{"timestamp":1698201468377,"status":6000,"error":"Processing error","path":"/omni/process/face"}`,
			"Processing error", "", "/omni/process/face", 1698201468377},
	} {
		mt.Reset()
		mt.RegisterResponder(http.MethodGet, "=~^https://incode.test/0/omni/get/score", httpmock.NewStringResponder(tt.http, tt.body))
		_, err := c.Score(t.Context(), incode.BySessionToken(incode.NewSecret("tok")))
		var ie *incode.Error
		if !errors.As(err, &ie) {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if ie.Status != tt.code || ie.Reason != tt.reason || ie.Message != tt.message || ie.Path != tt.path || ie.Timestamp.UnixMilli() != tt.ms || ie.APIError.StatusCode != tt.http {
			t.Errorf("%s: %#v", tt.body, ie)
		}
		if strings.Contains(err.Error(), tt.reason) && tt.reason != http.StatusText(tt.http) {
			t.Errorf("free-text reason printed: %s", err)
		}
		if tt.message != "" && strings.Contains(err.Error(), tt.message) {
			t.Errorf("message printed: %s", err)
		}
	}
}

// A 2xx reply that is not a JSON object is a DecodeError whose cause is
// ErrNotJSONObject, for each call that parses its reply that way.
func TestNotJSONObjectThroughClient(t *testing.T) {
	mt := httpmock.NewMockTransport()
	c, err := incode.NewClient(option.WithBaseURL("https://incode.test"), incode.WithAPIKey("k"),
		option.WithHTTPClient(&http.Client{Transport: mt}), option.NoRetries())
	if err != nil {
		t.Fatal(err)
	}
	mt.RegisterNoResponder(httpmock.NewStringResponder(http.StatusOK, `[]`))
	target := incode.BySessionToken(incode.NewSecret("tok"))
	calls := map[string]func() error{
		"Score":   func() error { _, err := c.Score(t.Context(), target); return err },
		"OCRData": func() error { _, err := c.OCRData(t.Context(), target); return err },
		"Approve": func() error { _, err := c.Approve(t.Context(), target); return err },
	}
	for name, call := range calls {
		err := call()
		var de *kyc.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, kyc.ErrDecode) || !errors.Is(err, incode.ErrNotJSONObject) {
			t.Errorf("%s: %v (%T), want a DecodeError caused by ErrNotJSONObject", name, err, err)
		}
	}
}
