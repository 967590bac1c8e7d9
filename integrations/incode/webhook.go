package incode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/internal/secret"
)

// MaxWebhookSize is the largest webhook payload ParseWebhook and the
// handler accept (1 MiB).
const MaxWebhookSize = 1 << 20

// Webhook errors. None of them echoes a header value or the payload.
var (
	// ErrNoSecret: VerifyHeader was given no header name or an empty secret.
	ErrNoSecret = errors.New("incode: no webhook header name or secret configured")
	// ErrMissingHeader: the request does not carry the header.
	ErrMissingHeader = errors.New("incode: webhook header missing")
	// ErrHeaderMismatch: the header's value is not the configured secret
	// (or the header is repeated).
	ErrHeaderMismatch = errors.New("incode: webhook header does not match")
	// ErrMalformedPayload: the payload is not a JSON object.
	ErrMalformedPayload = errors.New("incode: webhook payload is not a JSON object")
	// ErrPayloadTooLarge: the payload exceeds MaxWebhookSize.
	ErrPayloadTooLarge = errors.New("incode: webhook payload too large")
)

// VerifyHeader checks the static custom header Incode sends with every
// webhook (Dashboard → Configuration → Webhooks → custom headers; Incode
// documents no signature). It compares in constant time, whatever the
// lengths, and returns nil only on a match. A repeated header is refused.
//
// A static header proves only that the sender knows the value: serve the
// webhook over https only, and combine it with Incode's IP allow-list if
// you can.
func VerifyHeader(r *http.Request, name string, want Secret) error {
	if strings.TrimSpace(name) == "" || want.IsZero() {
		return ErrNoSecret
	}
	vals := r.Header.Values(name)
	switch len(vals) {
	case 0:
		return ErrMissingHeader
	case 1:
	default:
		return ErrHeaderMismatch
	}
	if !secret.EqualString(want, vals[0]) {
		return ErrHeaderMismatch
	}
	return nil
}

// Family is the kind of webhook payload (reference section 6.2).
type Family string

// Webhook families.
const (
	// FamilyOnboardingStatus is the classic Omni onboarding-status webhook
	// ({interviewId, onboardingStatus, ...}).
	FamilyOnboardingStatus Family = "onboarding_status"
	// FamilySession is a Flows/Workflows session webhook ({eventType, ...}),
	// the one the B2B integrations use.
	FamilySession Family = "session"
	// FamilyWorkforce is a Workforce webhook ("verification.succeeded", ...).
	FamilyWorkforce Family = "workforce"
	// FamilyUnknown is a JSON object of no known family; Raw holds it.
	FamilyUnknown Family = "unknown"
)

// OnboardingStatus is the onboardingStatus of a session, as the
// onboarding-status webhook and Client.OnboardingStatus report it. It is an
// open type: values outside the constants are kept as they are.
type OnboardingStatus string

// Onboarding statuses. All but OnboardingExpired are in Incode's documented
// list; none of them is a verdict (see Decide).
const (
	// OnboardingStatusUnknown: the person has not started, or is still
	// capturing the ID. Only visible by polling, never sent as a webhook.
	OnboardingStatusUnknown OnboardingStatus = "UNKNOWN"
	// IDValidationFinished: the ID checks ran (ID results are readable).
	IDValidationFinished OnboardingStatus = "ID_VALIDATION_FINISHED"
	// IDValidationFinishedSecondID: the checks of a second ID ran.
	IDValidationFinishedSecondID OnboardingStatus = "ID_VALIDATION_FINISHED_SECOND_ID"
	// PostProcessingFinished: post-processing of the ID finished.
	PostProcessingFinished OnboardingStatus = "POST_PROCESSING_FINISHED"
	// FaceValidationFinished: the selfie checks ran.
	FaceValidationFinished OnboardingStatus = "FACE_VALIDATION_FINISHED"
	// GovernmentValidationFinished: the government-database check ran.
	GovernmentValidationFinished OnboardingStatus = "GOVERNMENT_VALIDATION_FINISHED"
	// OnboardingFinished: the flow ended. It says nothing about the result:
	// read the score (Decide does).
	OnboardingFinished OnboardingStatus = "ONBOARDING_FINISHED"
	// ManualReviewApproved: a reviewer approved the session.
	ManualReviewApproved OnboardingStatus = "MANUAL_REVIEW_APPROVED"
	// ManualReviewRejected: a reviewer rejected the session.
	ManualReviewRejected OnboardingStatus = "MANUAL_REVIEW_REJECTED"
	// OnboardingExpired: the session expired before the person finished.
	// No documented list has it, but Incode's own webhook samples handle
	// it (purging the session, reminding the person).
	OnboardingExpired OnboardingStatus = "EXPIRED"

	onboardingFailed   OnboardingStatus = "ONBOARDING_FAILED"
	onboardingRejected OnboardingStatus = "REJECTED"
)

// InProgress reports whether s is one of the documented steps before the
// end of the flow (UNKNOWN and the *_FINISHED steps other than
// ONBOARDING_FINISHED).
func (s OnboardingStatus) InProgress() bool {
	switch s {
	case OnboardingStatusUnknown, IDValidationFinished, IDValidationFinishedSecondID, PostProcessingFinished,
		FaceValidationFinished, GovernmentValidationFinished:
		return true
	}
	return false
}

// SessionEventType is the eventType of a session webhook. Values outside
// the constants (Session Progress, Identity Enrolled, later additions) are
// kept as they are.
type SessionEventType string

// Session event types the reference confirms.
const (
	SessionStarted       SessionEventType = "SESSION_STARTED"
	SessionSucceeded     SessionEventType = "SESSION_SUCCEEDED"
	SessionFailed        SessionEventType = "SESSION_FAILED"
	SessionPendingReview SessionEventType = "SESSION_PENDING_REVIEW"
)

// WorkforceEventType is the event of a Workforce webhook.
type WorkforceEventType string

// Workforce events the reference lists.
const (
	IdentityEnrolled      WorkforceEventType = "identity.enrolled"
	VerificationStarted   WorkforceEventType = "verification.started"
	VerificationSucceeded WorkforceEventType = "verification.succeeded"
	VerificationFailed    WorkforceEventType = "verification.failed"
)

// OnboardingStatusEvent is a classic onboarding-status webhook.
type OnboardingStatusEvent struct {
	InterviewID string
	// ExternalID is present only if it was set when the session started.
	ExternalID string
	Status     OnboardingStatus
	ClientID   string
	FlowID     string
}

// SessionEvent is a session webhook. Only the fields the public apps read
// are modelled; Webhook.Raw has the rest.
type SessionEvent struct {
	EventType   SessionEventType
	InterviewID string
	// LoginHint is the person's email (personal data; never printed).
	LoginHint  string
	IdentityID string
}

// String prints the event type, interview id and identity id only.
func (e SessionEvent) String() string {
	return fmt.Sprintf("incode.SessionEvent{EventType: %s, InterviewID: %s, IdentityID: %s}", e.EventType, e.InterviewID, e.IdentityID)
}

// GoString is String.
func (e SessionEvent) GoString() string { return e.String() }

// LogValue logs the event type, interview id and identity id only.
func (e SessionEvent) LogValue() slog.Value {
	return slog.GroupValue(slog.String("event_type", string(e.EventType)), slog.String("interview_id", e.InterviewID), slog.String("identity_id", e.IdentityID))
}

// WorkforceEvent is a Workforce webhook. Its JSON keys are not documented:
// the event is read from "event", "eventType" or "type", the verification
// id from "verificationTraceId", "verificationId" or "id", the correlation
// id from "correlation_id" or "correlationId". Experimental.
type WorkforceEvent struct {
	Event          WorkforceEventType
	VerificationID string
	CorrelationID  string
}

// Outcome is a webhook mapped to the result a backend acts on.
type Outcome string

// Outcomes.
const (
	OutcomeUnknown     Outcome = "unknown"
	OutcomePending     Outcome = "pending"
	OutcomeSucceeded   Outcome = "succeeded"
	OutcomeFailed      Outcome = "failed"
	OutcomeNeedsReview Outcome = "needs_review"
	// OutcomeFinished: the person finished the flow (ONBOARDING_FINISHED).
	// It is not a result: read the score, or call Decide or Client.Decide.
	OutcomeFinished Outcome = "finished"
)

// Webhook is a parsed Incode webhook: exactly one of Onboarding, Session
// and Workforce is set, except for FamilyUnknown. Unknown events and
// values are kept, never an error. String and LogValue print the family,
// event and interview id only.
type Webhook struct {
	Family     Family
	Onboarding *OnboardingStatusEvent
	Session    *SessionEvent
	Workforce  *WorkforceEvent
	// Raw is the payload as received.
	Raw json.RawMessage
}

// Event is the event name or status of the webhook, whatever its family.
func (w *Webhook) Event() string {
	switch {
	case w.Onboarding != nil:
		return string(w.Onboarding.Status)
	case w.Session != nil:
		return string(w.Session.EventType)
	case w.Workforce != nil:
		return string(w.Workforce.Event)
	}
	return ""
}

// InterviewID is the session the webhook is about ("" for Workforce).
func (w *Webhook) InterviewID() string {
	switch {
	case w.Onboarding != nil:
		return w.Onboarding.InterviewID
	case w.Session != nil:
		return w.Session.InterviewID
	}
	return ""
}

// Outcome maps the event: SESSION_SUCCEEDED, MANUAL_REVIEW_APPROVED and
// verification.succeeded succeed; SESSION_FAILED, MANUAL_REVIEW_REJECTED,
// EXPIRED, ONBOARDING_FAILED, REJECTED and verification.failed fail;
// SESSION_PENDING_REVIEW needs review; ONBOARDING_FINISHED is
// OutcomeFinished, which only means the flow ended (Incode's guidance is to
// decide on the score's overall status: call Client.Decide); the other
// known steps are pending; anything else is OutcomeUnknown.
func (w *Webhook) Outcome() Outcome {
	switch {
	case w.Session != nil:
		switch w.Session.EventType {
		case SessionSucceeded:
			return OutcomeSucceeded
		case SessionFailed:
			return OutcomeFailed
		case SessionPendingReview:
			return OutcomeNeedsReview
		case SessionStarted:
			return OutcomePending
		}
	case w.Onboarding != nil:
		switch w.Onboarding.Status {
		case OnboardingFinished:
			return OutcomeFinished
		case ManualReviewApproved:
			return OutcomeSucceeded
		case ManualReviewRejected, OnboardingExpired, onboardingFailed, onboardingRejected:
			return OutcomeFailed
		case IDValidationFinished, IDValidationFinishedSecondID, PostProcessingFinished, FaceValidationFinished, GovernmentValidationFinished:
			return OutcomePending
		}
	case w.Workforce != nil:
		switch w.Workforce.Event {
		case VerificationSucceeded:
			return OutcomeSucceeded
		case VerificationFailed:
			return OutcomeFailed
		case VerificationStarted:
			return OutcomePending
		}
	}
	return OutcomeUnknown
}

// String prints the family, event and interview id only.
func (w *Webhook) String() string {
	if w == nil {
		return "incode.Webhook(nil)"
	}
	return fmt.Sprintf("incode.Webhook{Family: %s, Event: %s, InterviewID: %s}", w.Family, w.Event(), w.InterviewID())
}

// GoString is String.
func (w *Webhook) GoString() string { return w.String() }

// LogValue logs the family, event and interview id only.
func (w *Webhook) LogValue() slog.Value {
	if w == nil {
		return slog.StringValue("nil")
	}
	return slog.GroupValue(slog.String("family", string(w.Family)), slog.String("event", w.Event()), slog.String("interview_id", w.InterviewID()))
}

// ParseWebhook parses the raw body of an Incode webhook. It fails only for
// a payload that is not a JSON object (ErrMalformedPayload) or is larger
// than MaxWebhookSize (ErrPayloadTooLarge); unknown families, events, values
// and fields are kept. Members of an unexpected JSON type read as "".
func ParseWebhook(payload []byte) (*Webhook, error) {
	if len(payload) > MaxWebhookSize {
		return nil, ErrPayloadTooLarge
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrMalformedPayload
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, ErrMalformedPayload
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if v := lenientString(m[k]); v != "" {
				return v
			}
		}
		return ""
	}
	w := &Webhook{Raw: json.RawMessage(bytes.Clone(payload))}
	switch {
	case m["eventType"] != nil && str("eventType") != "" && !isWorkforceEvent(str("eventType")):
		w.Family = FamilySession
		w.Session = &SessionEvent{
			EventType:   SessionEventType(str("eventType")),
			InterviewID: str("interviewId"),
			LoginHint:   str("loginHint"),
			IdentityID:  str("identityId"),
		}
	case m["onboardingStatus"] != nil:
		w.Family = FamilyOnboardingStatus
		w.Onboarding = &OnboardingStatusEvent{
			InterviewID: str("interviewId"),
			ExternalID:  str("externalId"),
			Status:      OnboardingStatus(str("onboardingStatus")),
			ClientID:    str("clientId"),
			FlowID:      str("flowId"),
		}
	case isWorkforceEvent(str("event", "eventType", "type")):
		w.Family = FamilyWorkforce
		w.Workforce = &WorkforceEvent{
			Event:          WorkforceEventType(str("event", "eventType", "type")),
			VerificationID: str("verificationTraceId", "verificationId", "id"),
			CorrelationID:  str("correlation_id", "correlationId"),
		}
	default:
		w.Family = FamilyUnknown
	}
	return w, nil
}

// isWorkforceEvent reports whether ev looks like a Workforce event name
// ("identity.*" or "verification.*").
func isWorkforceEvent(ev string) bool {
	return strings.HasPrefix(ev, "identity.") || strings.HasPrefix(ev, "verification.")
}

// WebhookReadTimeout bounds the time NewWebhookHandler spends reading a
// request body.
const WebhookReadTimeout = 5 * time.Second

// NewWebhookHandler returns an http.Handler for Incode webhooks: it accepts
// POST only, checks the static header name against want (VerifyHeader),
// reads at most MaxWebhookSize bytes within WebhookReadTimeout, parses the
// body and calls fn. It answers 200 {"success":true} when fn returns nil,
// 401 on a header mismatch, 400 on a malformed body, 408 on a body not
// received in time, 413 on an oversized one and 500 when
// fn fails (so Incode retries). Keep fn short: enqueue the work and return,
// Incode retries replies that are slow.
func NewWebhookHandler(name string, want Secret, fn func(context.Context, *Webhook) error) (http.Handler, error) {
	if strings.TrimSpace(name) == "" || want.IsZero() {
		return nil, ErrNoSecret
	}
	if fn == nil {
		return nil, fmt.Errorf("incode: %w: nil webhook function", kyc.ErrInvalidArgument)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := VerifyHeader(r, name, want); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		// A sender that knows the header secret still gets only
		// WebhookReadTimeout to deliver the body: a slow one cannot hold
		// the handler (the connection's read deadline, where the server
		// supports it; set the server's ReadTimeout too).
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(WebhookReadTimeout))
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookSize+1))
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				http.Error(w, "request body not received in time", http.StatusRequestTimeout)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		// The body is read: the deadline must not fire while fn runs.
		_ = rc.SetReadDeadline(time.Time{})
		hook, err := ParseWebhook(body)
		switch {
		case errors.Is(err, ErrPayloadTooLarge):
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), hook); err != nil {
			http.Error(w, "processing failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true}`)
	}), nil
}
