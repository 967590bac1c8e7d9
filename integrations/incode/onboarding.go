package incode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/integrations/internal/secret"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// Secret holds a secret value and prints as "[redacted]" through every
// path (String, GoString, fmt verbs, slog, JSON and text marshalling); an
// empty Secret prints as "[empty]". Reveal returns the value. It is the same
// type as integrations.Secret; see there for the details.
type Secret = secret.Secret

// NewSecret returns a Secret holding s.
func NewSecret(s string) Secret { return secret.New(s) }

// Paths of the calls.
const (
	// RequestNewPath is the B2B "Request New Onboarding" endpoint.
	RequestNewPath = "/omni/b2b/onboarding/request-new"
	// StartPath is the classic Omni onboarding start endpoint.
	StartPath = "/omni/start"
)

// JSON names the public sources use for the link lifetime of
// RequestNewOnboarding. Which one Incode honours is not known.
const (
	// LinkValidityField is the name the Jira Service Management app sends.
	LinkValidityField = "linkValidityInMinutes"
	// LinkExpiryField is the name the Zendesk app (v2) sends.
	LinkExpiryField = "linkExpiryMinutes"
	// DefaultLinkLifetimeField is LinkValidityField, the name of the app
	// Incode's own documentation describes.
	DefaultLinkLifetimeField = LinkValidityField
)

// NotificationType says how Incode delivers the verification link.
type NotificationType string

// Notification types of RequestNewOnboarding.
const (
	NotifySMS         NotificationType = "SMS"
	NotifyEmail       NotificationType = "EMAIL"
	NotifyEmailAndSMS NotificationType = "EMAIL_AND_SMS"
)

// Notification asks Incode to send the verification link. The delivery
// address can differ from the login hint. Its String and LogValue print the
// type only (the addresses are personal data).
type Notification struct {
	// Type is NotifySMS, NotifyEmail or NotifyEmailAndSMS.
	Type NotificationType `json:"type"`
	// Email receives the link for EMAIL and EMAIL_AND_SMS.
	Email string `json:"email,omitempty"`
	// Phone receives the link for SMS and EMAIL_AND_SMS.
	Phone string `json:"phone,omitempty"`
}

// String prints the type only.
func (n Notification) String() string { return "incode.Notification{Type: " + string(n.Type) + "}" }

// GoString prints the type only.
func (n Notification) GoString() string { return n.String() }

// LogValue logs the type only.
func (n Notification) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", string(n.Type)))
}

// OnboardingRequest is the input of RequestNewOnboarding. Its String and
// LogValue print the integration reference and external customer id only.
type OnboardingRequest struct {
	// IntegrationReference is the Integration ID. Empty means the client's
	// (WithIntegrationID).
	IntegrationReference string
	// LoginHint is the person's corporate email, used for identity
	// matching. Required.
	LoginHint string
	// Notification, if set, makes Incode send the link itself.
	Notification *Notification
	// LinkLifetimeMinutes is how long the link stays valid; 0 leaves it out
	// (Incode's default applies).
	LinkLifetimeMinutes int
	// LinkLifetimeField is the JSON name of LinkLifetimeMinutes. Empty means
	// the client's (WithLinkLifetimeField, default DefaultLinkLifetimeField).
	LinkLifetimeField string
	// ExternalCustomerID is your own id for the person or case (optional;
	// whether Incode keeps it for this call is not documented).
	ExternalCustomerID string
}

// String prints the integration reference and external customer id only.
func (r OnboardingRequest) String() string {
	return fmt.Sprintf("incode.OnboardingRequest{IntegrationReference: %s, ExternalCustomerID: %s}", r.IntegrationReference, r.ExternalCustomerID)
}

// GoString is String.
func (r OnboardingRequest) GoString() string { return r.String() }

// LogValue logs the integration reference and external customer id only.
func (r OnboardingRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("integration_reference", r.IntegrationReference), slog.String("external_customer_id", r.ExternalCustomerID))
}

// OnboardingLink is the reply of RequestNewOnboarding. Its String and
// LogValue print the interview id only: the URL lets whoever holds it go
// through the verification.
type OnboardingLink struct {
	// InterviewID is the session id (Incode's Session ID).
	InterviewID string
	// URL is the verification link to give the person.
	URL string
	// Raw is the whole reply body, for fields this package does not model.
	Raw json.RawMessage
}

// String prints the interview id only.
func (l OnboardingLink) String() string {
	return "incode.OnboardingLink{InterviewID: " + l.InterviewID + "}"
}

// GoString is String.
func (l OnboardingLink) GoString() string { return l.String() }

// LogValue logs the interview id only.
func (l OnboardingLink) LogValue() slog.Value {
	return slog.GroupValue(slog.String("interview_id", l.InterviewID))
}

// RequestNewOnboarding creates a verification session for one person
// through the Integrations Ecosystem ("Request New Onboarding",
// POST /omni/b2b/onboarding/request-new) and returns its interview id and
// link. It needs client credentials (WithClientCredentials or
// option.WithTokenSource) and the Integration ID.
//
// Experimental: Incode publishes no reference for this endpoint. The path
// and fields come from two public help-desk apps; the link lifetime's field
// name differs between them (see LinkLifetimeField), and the reply is
// known to hold interviewId and url only (Raw keeps the rest). The call may
// change when Incode documents it.
//
// The call creates a session on the server, so it is sent once: it is
// retried only when it never left the machine. After a timeout or a reset
// the session may exist; do not blindly call again.
func (c *Client) RequestNewOnboarding(ctx context.Context, req *OnboardingRequest, opts ...option.CallOption) (*OnboardingLink, error) {
	if c.b2b == nil {
		return nil, fmt.Errorf("incode: %w: RequestNewOnboarding needs client credentials (WithClientCredentials or option.WithTokenSource)", kyc.ErrInvalidArgument)
	}
	call, err := apiclient.Call("incode", opts)
	if err != nil {
		return nil, err
	}
	if req == nil {
		return nil, fmt.Errorf("incode: %w: nil request", kyc.ErrInvalidArgument)
	}
	body, err := c.requestNewBody(req)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	resp, err := c.b2b.Do(ctx, &apiclient.Request{Method: http.MethodPost, Path: RequestNewPath, Body: body,
		Operation: "incode.RequestNewOnboarding", Route: RequestNewPath, Call: call}, &raw)
	if err != nil {
		return nil, err
	}
	var out struct {
		InterviewID *string `json:"interviewId"`
		URL         *string `json:"url"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, decodeFailure(http.MethodPost, RequestNewPath, resp, errors.New("reply is not a JSON object with string interviewId and url"))
	}
	if out.InterviewID == nil || *out.InterviewID == "" || out.URL == nil || *out.URL == "" {
		return nil, decodeFailure(http.MethodPost, RequestNewPath, resp, errors.New("reply has no interviewId or no url"))
	}
	return &OnboardingLink{InterviewID: *out.InterviewID, URL: *out.URL, Raw: raw}, nil
}

func (c *Client) requestNewBody(req *OnboardingRequest) (map[string]any, error) {
	ref := req.IntegrationReference
	if ref == "" {
		ref = c.integrationID
	}
	if ref == "" {
		return nil, fmt.Errorf("incode: %w: no integration reference (set OnboardingRequest.IntegrationReference or WithIntegrationID)", kyc.ErrInvalidArgument)
	}
	if err := checkID(ref); err != nil {
		return nil, fmt.Errorf("incode: %w: integration reference %w", kyc.ErrInvalidArgument, err)
	}
	if strings.TrimSpace(req.LoginHint) == "" {
		return nil, fmt.Errorf("incode: %w: LoginHint is required", kyc.ErrInvalidArgument)
	}
	body := map[string]any{
		"integrationReference": ref,
		"loginHint":            req.LoginHint,
	}
	if n := req.Notification; n != nil {
		if n.Type == "" {
			return nil, fmt.Errorf("incode: %w: Notification.Type is required", kyc.ErrInvalidArgument)
		}
		body["notification"] = n
	}
	if req.LinkLifetimeMinutes < 0 {
		return nil, fmt.Errorf("incode: %w: LinkLifetimeMinutes must not be negative", kyc.ErrInvalidArgument)
	}
	if req.LinkLifetimeMinutes > 0 {
		field := req.LinkLifetimeField
		if field == "" {
			field = c.lifetimeField
		}
		if err := checkFieldName(field); err != nil {
			return nil, fmt.Errorf("incode: %w: %w", kyc.ErrInvalidArgument, err)
		}
		if _, taken := body[field]; taken || field == "notification" || field == "externalCustomerId" {
			return nil, fmt.Errorf("incode: %w: link lifetime field %q collides with another field", kyc.ErrInvalidArgument, field)
		}
		body[field] = req.LinkLifetimeMinutes
	}
	if req.ExternalCustomerID != "" {
		body["externalCustomerId"] = req.ExternalCustomerID
	}
	return body, nil
}

// StartRequest is the body of StartOnboarding (POST /omni/start).
type StartRequest struct {
	// ConfigurationID is the Flow or Workflow ID. Empty means the client's
	// (WithConfigurationID); one of the two is required.
	ConfigurationID string `json:"configurationId"`
	// CountryCode is the document country; Incode's samples send "ALL".
	CountryCode string `json:"countryCode,omitempty"`
	// ExternalCustomerID is your own id for the person, searchable in the Dashboard.
	ExternalCustomerID string `json:"externalCustomerId,omitempty"`
	// RedirectionURL is where the person goes after finishing.
	RedirectionURL string `json:"redirectionUrl,omitempty"`
	// Language is for example "en-US", "es-ES" or "pt-BR".
	Language string `json:"language,omitempty"`
	// CustomFields is a string-to-string map (Incode limits its size).
	CustomFields map[string]string `json:"customFields,omitempty"`
	// InterviewID re-opens an existing session to get a fresh token.
	InterviewID string `json:"interviewId,omitempty"`
}

// Session is the reply of StartOnboarding. Token is a Secret: it
// authenticates the session's later calls (X-Incode-Hardware-Id).
// String and LogValue print the interview id only.
type Session struct {
	// Token is the session token (default lifetime 90 days).
	Token Secret
	// InterviewID is the 24-character session id.
	InterviewID string
	// InterviewCode is the session's short code.
	InterviewCode string
	// FlowType is the flow's type.
	FlowType string
	// ClientID is the organisation's client id, tied to the API key.
	ClientID string
	// Env is "stage", "demo" or "saas".
	Env string
	// ExistingSession reports whether an existing session was re-opened.
	ExistingSession bool
	// Capture tuning values (0 when absent).
	IDCaptureTimeout, IDCaptureRetries, SelfieCaptureTimeout, SelfieCaptureRetries, CurpValidationRetries int
}

// String prints the interview id only.
func (s Session) String() string { return "incode.Session{InterviewID: " + s.InterviewID + "}" }

// GoString is String.
func (s Session) GoString() string { return s.String() }

// LogValue logs the interview id only.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("interview_id", s.InterviewID))
}

type sessionWire struct {
	Token                 Secret          `json:"token"`
	InterviewID           string          `json:"interviewId"`
	InterviewCode         json.RawMessage `json:"interviewCode"`
	FlowType              string          `json:"flowType"`
	ClientID              string          `json:"clientId"`
	Env                   string          `json:"env"`
	ExistingSession       bool            `json:"existingSession"`
	IDCaptureTimeout      json.RawMessage `json:"idCaptureTimeout"`
	IDCaptureRetries      json.RawMessage `json:"idCaptureRetries"`
	SelfieCaptureTimeout  json.RawMessage `json:"selfieCaptureTimeout"`
	SelfieCaptureRetries  json.RawMessage `json:"selfieCaptureRetries"`
	CurpValidationRetries json.RawMessage `json:"curpValidationRetries"`
}

// StartOnboarding starts a classic Omni onboarding session
// (POST /omni/start, authenticated by the API key alone) and returns its
// token and interview id. Like every POST it is sent once (retried only
// when it never left the machine).
func (c *Client) StartOnboarding(ctx context.Context, req *StartRequest, opts ...option.CallOption) (*Session, error) {
	call, err := apiclient.Call("incode", opts)
	if err != nil {
		return nil, err
	}
	if req == nil {
		req = &StartRequest{}
	}
	body := *req
	if body.ConfigurationID == "" {
		body.ConfigurationID = c.configurationID
	}
	if body.ConfigurationID == "" {
		return nil, fmt.Errorf("incode: %w: no configuration ID (set StartRequest.ConfigurationID or WithConfigurationID)", kyc.ErrInvalidArgument)
	}
	if err := checkID(body.ConfigurationID); err != nil {
		return nil, fmt.Errorf("incode: %w: configuration ID %w", kyc.ErrInvalidArgument, err)
	}
	var w sessionWire
	resp, err := c.omni.Do(ctx, &apiclient.Request{Method: http.MethodPost, Path: StartPath, Body: &body,
		Operation: "incode.StartOnboarding", Route: StartPath, Call: call}, &w)
	if err != nil {
		return nil, err
	}
	if w.Token.IsZero() || w.InterviewID == "" {
		return nil, decodeFailure(http.MethodPost, StartPath, resp, errors.New("reply has no token or no interviewId"))
	}
	s := &Session{
		Token: w.Token, InterviewID: w.InterviewID, FlowType: w.FlowType, ClientID: w.ClientID,
		Env: w.Env, ExistingSession: w.ExistingSession,
	}
	s.InterviewCode = lenientString(w.InterviewCode)
	s.IDCaptureTimeout = parseCount(w.IDCaptureTimeout)
	s.IDCaptureRetries = parseCount(w.IDCaptureRetries)
	s.SelfieCaptureTimeout = parseCount(w.SelfieCaptureTimeout)
	s.SelfieCaptureRetries = parseCount(w.SelfieCaptureRetries)
	s.CurpValidationRetries = parseCount(w.CurpValidationRetries)
	return s, nil
}

// lenientString reads a JSON string or number as a string.
func lenientString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// parseCount reads a non-negative JSON number or numeric string; anything
// else gives 0.
func parseCount(raw json.RawMessage) int {
	s := lenientString(raw)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
