package incode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// SessionTokenHeader carries the session token or the executive token.
const SessionTokenHeader = "X-Incode-Hardware-Id"

// TokenOnlyPrefix marks the routes that authenticate with the session
// token alone ("/0/omni/..."); the same routes without it take the API key
// as well.
const TokenOnlyPrefix = "/0"

// Paths of the hosted-flow calls, without TokenOnlyPrefix.
const (
	// OnboardingURLPath returns the hosted flow's URL for a session.
	OnboardingURLPath = "/omni/onboarding-url"
	// OnboardingStatusPath returns a session's onboardingStatus.
	OnboardingStatusPath = "/omni/get/onboarding/status"
	// ScorePath returns a session's score.
	ScorePath = "/omni/get/score"
	// OCRDataPath returns the data read from the ID.
	OCRDataPath = "/omni/get/ocr-data"
	// ApprovePath turns a finished session into a customer.
	ApprovePath = "/omni/process/approve"
	// FinishStatusPath marks a session complete.
	FinishStatusPath = "/omni/finish-status"
	// SessionStatusSetPath changes a session's status (action=Closed closes it).
	SessionStatusSetPath = "/omni/session/status/set"
)

// SessionRoutes chooses between the two forms of the calls made with a
// session token: "/0/omni/..." with the token alone, or "/omni/..." with
// the API key and the token (and the interview id when known). Incode's
// samples use both; RoutesDocumented follows them call by call.
type SessionRoutes int

const (
	// RoutesDocumented (the default) uses, for each call, the form of
	// Incode's documentation and samples: the /0/ form for OnboardingURL,
	// OnboardingStatus and Score; the /omni/ form with the API key for
	// OCRData, FinishStatus and CloseSession.
	RoutesDocumented SessionRoutes = iota
	// RoutesTokenOnly uses the /0/ form (no API key) for every call made
	// with a session token. The /0/ forms of OCRData, FinishStatus,
	// CloseSession and Approve appear in no Incode source
	// (experimental).
	RoutesTokenOnly
	// RoutesWithAPIKey uses the /omni/ form with the API key for every call
	// made with a session token.
	RoutesWithAPIKey
)

// WithSessionRoutes chooses the form of the calls made with a session
// token (default RoutesDocumented).
func WithSessionRoutes(r SessionRoutes) option.ClientOption {
	return vendorOption("WithSessionRoutes", func(s *settings) error {
		if r < RoutesDocumented || r > RoutesWithAPIKey {
			return fmt.Errorf("unknown SessionRoutes %d", r)
		}
		s.routes = r
		return nil
	})
}

// WithClientID sets the organisation's client id (the clientId of the
// /omni/start reply, tied to the API key) that OnboardingURL sends when it
// is given none. Incode's documentation requires it; newer samples omit
// it, so without it none is sent.
func WithClientID(id string) option.ClientOption {
	return vendorOption("WithClientID", func(s *settings) error {
		if err := checkID(id); err != nil {
			return fmt.Errorf("client ID: %w", err)
		}
		s.orgClientID = id
		return nil
	})
}

// Target names the session a read is about and the credential that reads
// it: its own session token (BySessionToken, Session.Target) or its
// interview id with the executive token (ByInterviewID). Its String and
// LogValue print the interview id only.
type Target struct {
	interviewID string
	token       Secret
}

// BySessionToken reads a session with its own session token (valid 90 days
// by default; no password needed). Incode finds the session from the token.
func BySessionToken(token Secret) Target { return Target{token: token} }

// ByInterviewID reads a session by its interview id with the executive
// token (WithExecutiveLogin or WithExecutiveTokenSource).
func ByInterviewID(interviewID string) Target { return Target{interviewID: interviewID} }

// InterviewID returns the interview id of the target ("" when it was built
// from a session token alone).
func (t Target) InterviewID() string { return t.interviewID }

// UsesSessionToken reports whether calls on t authenticate with the
// session token.
func (t Target) UsesSessionToken() bool { return !t.token.IsZero() }

// String prints the interview id and the kind of credential only.
func (t Target) String() string {
	cred := "executive token"
	if t.UsesSessionToken() {
		cred = "session token"
	}
	return "incode.Target{InterviewID: " + t.interviewID + ", credential: " + cred + "}"
}

// GoString is String.
func (t Target) GoString() string { return t.String() }

// Format prints String for every verb.
func (t Target) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue logs the interview id and whether the session token is used.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("interview_id", t.interviewID), slog.Bool("session_token", t.UsesSessionToken()))
}

// Target reads the session with its own token (and its interview id).
func (s *Session) Target() Target { return Target{interviewID: s.InterviewID, token: s.Token} }

// route describes one call of the hosted flow.
type route struct {
	method string
	path   string // without TokenOnlyPrefix
	// tokenOnlyByDefault: RoutesDocumented uses the /0/ form.
	tokenOnlyByDefault bool
	// idParam names the query parameter of the interview id ("" = none).
	idParam string
	// noExecutive: the call takes a session token only.
	noExecutive bool
	// once: never sent again after it may have reached the server, not
	// even after a 401 (it may create something).
	once bool
	// op names the call in traces ("OnboardingStatus").
	op string
}

// call sends one request of the hosted flow with the credential of t and
// decodes the reply into out.
func (c *Client) call(ctx context.Context, rt route, t Target, query url.Values, body any, out any, opts []option.CallOption) (*apiclient.Response, error) {
	call, err := apiclient.Call("incode", opts)
	if err != nil {
		return nil, err
	}
	if query == nil {
		query = url.Values{}
	}
	req := &apiclient.Request{Method: rt.method, Path: rt.path, Body: body, Header: http.Header{},
		Operation: "incode." + rt.op, Route: rt.path, Call: call}
	if t.UsesSessionToken() {
		if err := checkToken(t.token); err != nil {
			return nil, err
		}
		api := c.omni
		tokenOnly := c.routes == RoutesTokenOnly || (c.routes == RoutesDocumented && rt.tokenOnlyByDefault)
		if tokenOnly {
			api = c.bare
			req.Path = TokenOnlyPrefix + rt.path
			req.Route = req.Path
		} else if rt.idParam != "" && t.interviewID != "" {
			if err := checkID(t.interviewID); err != nil {
				return nil, fmt.Errorf("incode: %w: interview id %w", kyc.ErrInvalidArgument, err)
			}
			query.Set(rt.idParam, t.interviewID)
		}
		req.Query = query
		req.Header.Set(SessionTokenHeader, t.token.Reveal())
		return api.Do(ctx, req, out)
	}
	if rt.noExecutive {
		return nil, fmt.Errorf("incode: %w: %s needs the session token (BySessionToken or Session.Target)", kyc.ErrInvalidArgument, rt.path)
	}
	if t.interviewID == "" {
		return nil, fmt.Errorf("incode: %w: no session: use BySessionToken or ByInterviewID", kyc.ErrInvalidArgument)
	}
	if err := checkID(t.interviewID); err != nil {
		return nil, fmt.Errorf("incode: %w: interview id %w", kyc.ErrInvalidArgument, err)
	}
	if c.exec == nil {
		return nil, fmt.Errorf("incode: %w: reading by interview id needs the executive token (WithExecutiveLogin or WithExecutiveTokenSource)", kyc.ErrInvalidArgument)
	}
	if rt.idParam != "" {
		query.Set(rt.idParam, t.interviewID)
	}
	req.Query = query
	for attempt := 0; ; attempt++ {
		tok, err := c.exec.token(ctx)
		if err != nil {
			return nil, err
		}
		req.Header.Set(SessionTokenHeader, tok.AccessToken)
		resp, err := c.omni.Do(ctx, req, out)
		if err == nil || !errors.Is(err, kyc.ErrUnauthorized) {
			return resp, err
		}
		// The token was refused (expired early, or revoked): drop it so
		// the next call logs in again. A read is sent once more with a
		// new token; a call that may create something is not.
		c.exec.invalidate(tok.AccessToken)
		if rt.once || attempt > 0 || c.exec.external() {
			return nil, err
		}
	}
}

// checkToken refuses a session token that cannot be a header value.
func checkToken(tok Secret) error {
	v := tok.Reveal()
	if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\r\n\x00") || len(v) > 8<<10 {
		return fmt.Errorf("incode: %w: the session token is empty or not a valid header value", kyc.ErrInvalidArgument)
	}
	return nil
}

// decodeFailure is a 2xx reply without what the call needs; why is the
// cause (errors.Is reaches it, for example ErrNotJSONObject).
func decodeFailure(method, path string, resp *apiclient.Response, why error) error {
	ct := ""
	status := 0
	if resp != nil {
		status = resp.StatusCode
		ct = resp.Header.Get("Content-Type")
	}
	return &kyc.DecodeError{Method: method, Path: path, StatusCode: status, ContentType: ct, Err: why}
}

// OnboardingURL returns the URL of the hosted flow for a started session
// (GET /0/omni/onboarding-url with the session token in
// X-Incode-Hardware-Id). clientID is the organisation's client id (the
// ClientID of the Session); "" means the client's (WithClientID), and when
// that is empty too none is sent, as in Incode's newer samples. The URL
// lets whoever holds it go through the verification: send it to the person
// only.
func (c *Client) OnboardingURL(ctx context.Context, sessionToken Secret, clientID string, opts ...option.CallOption) (string, error) {
	if clientID == "" {
		clientID = c.orgClientID
	}
	q := url.Values{}
	if clientID != "" {
		if err := checkID(clientID); err != nil {
			return "", fmt.Errorf("incode: %w: client id %w", kyc.ErrInvalidArgument, err)
		}
		q.Set("clientId", clientID)
	}
	var out struct {
		URL *string `json:"url"`
	}
	rt := route{method: http.MethodGet, path: OnboardingURLPath, tokenOnlyByDefault: true, noExecutive: true, op: "OnboardingURL"}
	resp, err := c.call(ctx, rt, BySessionToken(sessionToken), q, nil, &out, opts)
	if err != nil {
		return "", err
	}
	if out.URL == nil {
		return "", decodeFailure(http.MethodGet, OnboardingURLPath, resp, errors.New("reply has no url"))
	}
	u, err := url.Parse(*out.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", decodeFailure(http.MethodGet, OnboardingURLPath, resp, errors.New("url is not an absolute http(s) URL"))
	}
	return *out.URL, nil
}

// HostedOnboarding is a started session with the URL of its hosted flow.
// Token is the session token: a credential that reads the session's own
// results for 90 days (keep it as the package documentation shows). Its
// String and LogValue print the interview id only.
type HostedOnboarding struct {
	// InterviewID is the session id.
	InterviewID string
	// Token is the session token.
	Token Secret
	// URL is the hosted flow; send it to the person only.
	URL string
	// Session is the whole /omni/start reply.
	Session *Session
}

// String prints the interview id only.
func (h HostedOnboarding) String() string {
	return "incode.HostedOnboarding{InterviewID: " + h.InterviewID + "}"
}

// GoString is String.
func (h HostedOnboarding) GoString() string { return h.String() }

// Format prints String for every verb.
func (h HostedOnboarding) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(h.String())) }

// LogValue logs the interview id only.
func (h HostedOnboarding) LogValue() slog.Value {
	return slog.GroupValue(slog.String("interview_id", h.InterviewID))
}

// Target reads the session with its own token.
func (h *HostedOnboarding) Target() Target { return Target{interviewID: h.InterviewID, token: h.Token} }

// StartHostedOnboarding starts a session (StartOnboarding) and fetches
// its hosted flow's URL (OnboardingURL, with the clientId of the start
// reply) in one call. Set StartRequest.RedirectionURL to bring the person
// back to you.
//
// The start is a POST sent once. If it succeeded but the URL could not be
// fetched, the returned *HostedOnboarding holds the session (URL empty)
// together with the error: call OnboardingURL with its Token rather than
// starting a second session.
//
// opts apply to both requests.
func (c *Client) StartHostedOnboarding(ctx context.Context, req *StartRequest, opts ...option.CallOption) (*HostedOnboarding, error) {
	s, err := c.StartOnboarding(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	h := &HostedOnboarding{InterviewID: s.InterviewID, Token: s.Token, Session: s}
	clientID := c.orgClientID
	if clientID == "" && checkID(s.ClientID) == nil {
		clientID = s.ClientID
	}
	h.URL, err = c.OnboardingURL(ctx, s.Token, clientID, opts...)
	if err != nil {
		return h, fmt.Errorf("incode: session %s started but its URL could not be fetched: %w", s.InterviewID, err)
	}
	return h, nil
}

// OnboardingStatus returns the onboardingStatus of a session: with its
// session token (GET /0/omni/get/onboarding/status) or by interview id
// with the executive token (GET /omni/get/onboarding/status?id=). It is an
// open type (unknown values are returned as they are). ONBOARDING_FINISHED
// only means the flow ended: call Decide for a verdict.
func (c *Client) OnboardingStatus(ctx context.Context, t Target, opts ...option.CallOption) (OnboardingStatus, error) {
	var out struct {
		Status *json.RawMessage `json:"onboardingStatus"`
	}
	rt := route{method: http.MethodGet, path: OnboardingStatusPath, tokenOnlyByDefault: true, idParam: "id", op: "OnboardingStatus"}
	resp, err := c.call(ctx, rt, t, nil, nil, &out, opts)
	if err != nil {
		return "", err
	}
	if out.Status == nil {
		return "", decodeFailure(http.MethodGet, OnboardingStatusPath, resp, errors.New("reply has no onboardingStatus"))
	}
	st := lenientString(*out.Status)
	if st == "" || len(st) > 128 {
		return "", decodeFailure(http.MethodGet, OnboardingStatusPath, resp, errors.New("onboardingStatus is empty or not a string"))
	}
	return OnboardingStatus(st), nil
}

// FinishResult is the reply of FinishStatus. Incode's samples mark both
// fields unused; the values of Action are not documented.
type FinishResult struct {
	// RedirectionURL is where the flow sends the person.
	RedirectionURL string
	// Action is Incode's next action (undocumented values).
	Action string
}

// String prints the action only (the redirection URL may carry your own
// identifiers).
func (f FinishResult) String() string { return "incode.FinishResult{Action: " + f.Action + "}" }

// GoString is String.
func (f FinishResult) GoString() string { return f.String() }

// Format prints String for every verb.
func (f FinishResult) Format(st fmt.State, _ rune) { _, _ = st.Write([]byte(f.String())) }

// LogValue logs the action only.
func (f FinishResult) LogValue() slog.Value { return slog.GroupValue(slog.String("action", f.Action)) }

// FinishStatus marks a session complete (GET /omni/finish-status with the
// session token and the API key): Incode applies the business rules,
// recalculates the score, sets ONBOARDING_FINISHED and sends the
// onboarding-status webhook. Hosted flows normally finish themselves; call
// it only when the flow's last step does not. Under RoutesTokenOnly it
// uses /0/omni/finish-status, whose method is not documented (experimental).
func (c *Client) FinishStatus(ctx context.Context, sessionToken Secret, opts ...option.CallOption) (*FinishResult, error) {
	var out struct {
		RedirectionURL json.RawMessage `json:"redirectionUrl"`
		Action         json.RawMessage `json:"action"`
	}
	rt := route{method: http.MethodGet, path: FinishStatusPath, noExecutive: true, op: "FinishStatus"}
	if _, err := c.call(ctx, rt, BySessionToken(sessionToken), nil, nil, &out, opts); err != nil {
		return nil, err
	}
	return &FinishResult{RedirectionURL: lenientString(out.RedirectionURL), Action: lenientString(out.Action)}, nil
}

// SessionState is the reply of CloseSession.
type SessionState struct {
	// ID is the session's internal id.
	ID string
	// SessionStatus is the new status ("Closed").
	SessionStatus string
	// CreatedAt, UpdatedAt and ClosedAt are zero when absent.
	CreatedAt, UpdatedAt, ClosedAt time.Time
	// Raw is the whole reply.
	Raw json.RawMessage
}

// String prints the status only.
func (s SessionState) String() string {
	return "incode.SessionState{SessionStatus: " + s.SessionStatus + "}"
}

// CloseSession freezes a session (POST /omni/session/status/set?action=Closed
// with the session token and the API key, body {}): every /add/ call is
// refused afterwards and the score is frozen, so a server can close a
// hosted session before trusting its score. Closing twice is harmless, but
// like every POST it is not sent again once it may have reached the server.
func (c *Client) CloseSession(ctx context.Context, sessionToken Secret, opts ...option.CallOption) (*SessionState, error) {
	var raw json.RawMessage
	rt := route{method: http.MethodPost, path: SessionStatusSetPath, noExecutive: true, once: true, op: "CloseSession"}
	resp, err := c.call(ctx, rt, BySessionToken(sessionToken), url.Values{"action": {"Closed"}}, struct{}{}, &raw, opts)
	if err != nil {
		return nil, err
	}
	var w struct {
		ID            json.RawMessage `json:"_id"`
		CreatedAt     json.RawMessage `json:"_createdAt"`
		UpdatedAt     json.RawMessage `json:"_updatedAt"`
		ClosedAt      json.RawMessage `json:"closedAt"`
		SessionStatus json.RawMessage `json:"sessionStatus"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, decodeFailure(http.MethodPost, SessionStatusSetPath, resp, errors.New("reply is not a JSON object"))
	}
	return &SessionState{
		ID: lenientString(w.ID), SessionStatus: lenientString(w.SessionStatus),
		CreatedAt: parseTimestamp(w.CreatedAt), UpdatedAt: parseTimestamp(w.UpdatedAt), ClosedAt: parseTimestamp(w.ClosedAt),
		Raw: raw,
	}, nil
}
