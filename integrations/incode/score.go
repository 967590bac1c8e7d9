package incode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kycgo/kyc/option"
)

// ScoreStatus is the status of a score check ({"value", "status"}). It is
// an open type: values outside the constants are kept as they are.
type ScoreStatus string

// Score statuses. Incode documents OK, WARN and FAIL for the overall
// status; UNKNOWN appears on checks that did not run (and on an overall
// status that is not computed yet); the MANUAL* values come from Incode's
// documentation of the same objects in its "Incode ID" product.
const (
	ScoreOK            ScoreStatus = "OK"
	ScoreWarn          ScoreStatus = "WARN"
	ScoreFail          ScoreStatus = "FAIL"
	ScoreUnknown       ScoreStatus = "UNKNOWN"
	ScoreManual        ScoreStatus = "MANUAL"
	ScoreManualOK      ScoreStatus = "MANUAL_OK"
	ScoreManualFail    ScoreStatus = "MANUAL_FAIL"
	ScoreManualPending ScoreStatus = "MANUAL_PENDING"
)

// Check is one score check. Value is kept as the string Incode sends, even
// when it looks numeric ("100.0", "89.2", "PASSED"); a number in the JSON
// is kept as its text.
type Check struct {
	// Status is the check's verdict.
	Status ScoreStatus
	// Value is the measured value, as sent.
	Value string
	// Key names the check in lists ("tamperCheck", ...); often empty on
	// objects.
	Key string
}

// IDValidation is the "idValidation" part of a score.
type IDValidation struct {
	// Overall is the part's verdict (nil when absent).
	Overall *Check
	// PhotoSecurityAndQuality lists the image checks (tamperCheck,
	// screenIdLiveness, balancedLightFront, ...).
	PhotoSecurityAndQuality []Check
	// IDSpecific lists the document checks (documentClassification,
	// expirationDateValidity, documentNumberCheckDigit, ...).
	IDSpecific []Check
	// CustomFields lists checks such as firstNameMatch and lastNameMatch.
	CustomFields []Check
	// AppliedRule is the rule applied, as sent (often null).
	AppliedRule json.RawMessage
}

// Liveness is the "liveness" part of a score.
type Liveness struct {
	Overall        *Check
	LivenessScore  *Check
	PhysicalAttack *Check
	PhotoQuality   *Check
	// SpoofDetectionMethod is for example "SF".
	SpoofDetectionMethod string
}

// FaceRecognition is the "faceRecognition" part of a score. Its shape is
// known from third-party code only.
type FaceRecognition struct {
	Overall        *Check
	MaskCheck      *Check
	LensesCheck    *Check
	FaceBrightness *Check
	NameMatch      *Check
	// ExistingUser reports that the face belongs to a person approved in
	// another session (ExistingInterviewID, ExistingExternalID, CustomerID).
	ExistingUser                                        bool
	ExistingInterviewID, ExistingExternalID, CustomerID string
	AppliedRule                                         json.RawMessage
}

// OCRConfidence is the "idOcrConfidence" part of a score.
type OCRConfidence struct {
	OverallConfidence *Check
}

// GovernmentValidation is the "governmentValidation" part of a score.
type GovernmentValidation struct {
	Overall               *Check
	RecognitionConfidence *Check
	ValidationStatus      *Check
	OCRValidationOverall  *Check
	OCRValidation         []Check
}

// Authentication is the "authentication" part of a face-authentication
// session's score.
type Authentication struct {
	Overall    *Check
	IdentityID string
}

// RiskPart is a part with an overall check only ("deviceRisk",
// "behavioralRisk").
type RiskPart struct {
	Overall *Check
}

// Score is a session's score (GET /omni/get/score). Overall is the
// decision field: Incode's guidance is to decide on its status. Parts
// missing from the reply are nil; Raw keeps the whole reply, including
// parts this package does not model (watch lists, retry info, ...).
//
// Its String, GoString, Format and LogValue print the overall status only.
type Score struct {
	// Overall is the session's verdict; nil when the reply has none (not
	// computed yet).
	Overall              *Check
	IDValidation         *IDValidation
	Liveness             *Liveness
	FaceRecognition      *FaceRecognition
	IDOCRConfidence      *OCRConfidence
	GovernmentValidation *GovernmentValidation
	Authentication       *Authentication
	DeviceRisk           *RiskPart
	BehavioralRisk       *RiskPart
	// ReasonMsg is Incode's human-readable explanation (server text: may
	// name the person's data; never printed by this package).
	ReasonMsg string
	// Raw is the reply as received.
	Raw json.RawMessage
}

// Ready reports whether the overall status is computed: false when
// overall is missing, has no status or is UNKNOWN. A score that is not
// ready is never a pass.
func (s *Score) Ready() bool {
	return s != nil && s.Overall != nil && s.Overall.Status != "" && s.Overall.Status != ScoreUnknown
}

// OverallStatus is the overall status, or ScoreUnknown when there is none.
func (s *Score) OverallStatus() ScoreStatus {
	if !s.Ready() {
		return ScoreUnknown
	}
	return s.Overall.Status
}

// String prints the overall status only.
func (s Score) String() string { return "incode.Score{Overall: " + string(s.OverallStatus()) + "}" }

// GoString is String.
func (s Score) GoString() string { return s.String() }

// Format prints String for every verb.
func (s Score) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue logs the overall status only.
func (s Score) LogValue() slog.Value {
	return slog.GroupValue(slog.String("overall", string(s.OverallStatus())), slog.Bool("ready", s.Ready()))
}

// ErrNotJSONObject is the cause of a kyc.DecodeError for a reply that is not a
// JSON object.
var ErrNotJSONObject = errors.New("reply is not a JSON object")

// ParseScore decodes a score reply. It fails only when body is not a JSON
// object; members of an unexpected type are left out (Raw keeps them), so
// a malformed "overall" reads as missing (not ready), never as a pass.
func ParseScore(body []byte) (*Score, error) {
	m, err := object(body)
	if err != nil {
		return nil, err
	}
	s := &Score{Raw: json.RawMessage(bytes.Clone(body))}
	s.Overall = check(m["overall"])
	s.ReasonMsg = lenientString(m["reasonMsg"])
	if p, ok := sub(m, "idValidation"); ok {
		s.IDValidation = &IDValidation{
			Overall:                 check(p["overall"]),
			PhotoSecurityAndQuality: checks(p["photoSecurityAndQuality"]),
			IDSpecific:              checks(p["idSpecific"]),
			CustomFields:            checks(p["customFields"]),
			AppliedRule:             rawOrNil(p["appliedRule"]),
		}
	}
	if p, ok := sub(m, "liveness"); ok {
		s.Liveness = &Liveness{
			Overall: check(p["overall"]), LivenessScore: check(p["livenessScore"]),
			PhysicalAttack: check(p["physicalAttack"]), PhotoQuality: check(p["photoQuality"]),
			SpoofDetectionMethod: lenientString(p["spoofDetectionMethod"]),
		}
		if s.Liveness.LivenessScore == nil {
			s.Liveness.LivenessScore = check(p["liveness_score"])
		}
	}
	if p, ok := sub(m, "faceRecognition"); ok {
		s.FaceRecognition = &FaceRecognition{
			Overall: check(p["overall"]), MaskCheck: check(p["maskCheck"]), LensesCheck: check(p["lensesCheck"]),
			FaceBrightness: check(p["faceBrightness"]), NameMatch: check(p["nameMatch"]),
			ExistingUser:        lenientBool(p["existingUser"]),
			ExistingInterviewID: lenientString(p["existingInterviewId"]),
			ExistingExternalID:  lenientString(p["existingExternalId"]),
			CustomerID:          lenientString(p["customerId"]),
			AppliedRule:         rawOrNil(p["appliedRule"]),
		}
	}
	if p, ok := sub(m, "idOcrConfidence"); ok {
		s.IDOCRConfidence = &OCRConfidence{OverallConfidence: check(p["overallConfidence"])}
	}
	if p, ok := sub(m, "governmentValidation"); ok {
		s.GovernmentValidation = &GovernmentValidation{
			Overall: check(p["overall"]), RecognitionConfidence: check(p["recognitionConfidence"]),
			ValidationStatus: check(p["validationStatus"]), OCRValidationOverall: check(p["ocrValidationOverall"]),
			OCRValidation: checks(p["ocrValidation"]),
		}
	}
	if p, ok := sub(m, "authentication"); ok {
		s.Authentication = &Authentication{Overall: check(p["overall"]), IdentityID: lenientString(p["identityId"])}
	}
	if p, ok := sub(m, "deviceRisk"); ok {
		s.DeviceRisk = &RiskPart{Overall: check(p["overall"])}
	}
	if p, ok := sub(m, "behavioralRisk"); ok {
		s.BehavioralRisk = &RiskPart{Overall: check(p["overall"])}
	}
	return s, nil
}

// Score returns a session's score: with its session token
// (GET /0/omni/get/score) or by interview id with the executive token
// (GET /omni/get/score?id=). Incode computes it once the session is
// finished; before that the overall status is UNKNOWN or missing, which
// Score.Ready reports (it is not an error).
func (c *Client) Score(ctx context.Context, t Target, opts ...option.CallOption) (*Score, error) {
	var raw json.RawMessage
	rt := route{method: http.MethodGet, path: ScorePath, tokenOnlyByDefault: true, idParam: "id", op: "Score"}
	resp, err := c.call(ctx, rt, t, nil, nil, &raw, opts)
	if err != nil {
		return nil, err
	}
	s, err := ParseScore(raw)
	if err != nil {
		return nil, decodeFailure(http.MethodGet, ScorePath, resp, err)
	}
	return s, nil
}

// object decodes a JSON object into its members.
func object(body []byte) (map[string]json.RawMessage, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, ErrNotJSONObject
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, ErrNotJSONObject
	}
	return m, nil
}

// sub decodes member key of m as an object; ok is false when it is
// missing or not an object.
func sub(m map[string]json.RawMessage, key string) (map[string]json.RawMessage, bool) {
	raw := bytes.TrimSpace(m[key])
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(raw, &p) != nil || p == nil {
		return nil, false
	}
	return p, true
}

// check decodes a {value, status, key} object; nil when raw is not one.
func check(raw json.RawMessage) *Check {
	var p map[string]json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &p) != nil || p == nil {
		return nil
	}
	return &Check{
		Status: ScoreStatus(clip(lenientString(p["status"]))),
		Value:  clip(lenientString(p["value"])),
		Key:    clip(lenientString(p["key"])),
	}
}

// checks decodes a list of checks, skipping items that are not objects.
func checks(raw json.RawMessage) []Check {
	var items []json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]Check, 0, len(items))
	for _, it := range items {
		if c := check(it); c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// rawOrNil returns raw unless it is absent or null.
func rawOrNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return bytes.Clone(raw)
}

// lenientBool reads true or "true" as true and anything else as false.
func lenientBool(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "true", `"true"`:
		return true
	}
	return false
}
