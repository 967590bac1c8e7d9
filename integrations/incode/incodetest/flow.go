package incodetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/internal/fakeserver"
)

// Lifetimes of the fake's tokens, as Incode documents them.
const (
	// DefaultExecutiveTokenTTL is the lifetime of executive tokens (24 h).
	DefaultExecutiveTokenTTL = 24 * time.Hour
	// DefaultSessionTokenTTL is the lifetime of session tokens (90 days).
	DefaultSessionTokenTTL = 90 * 24 * time.Hour
	// customerTokenTTL is the lifetime of approve's customer token.
	customerTokenTTL = 91 * 24 * time.Hour
)

const executiveSubject = "executive"

func sessionSubject(id string) string { return "session:" + id }

// Outcome is how a session's flow ends when the test finishes it.
type Outcome string

// Scripted outcomes. The score (and the onboarding status) the server
// reports at the end of the flow follows the outcome.
const (
	// OutcomePass ends with ONBOARDING_FINISHED and an overall score OK.
	OutcomePass Outcome = "pass"
	// OutcomeWarn ends with ONBOARDING_FINISHED and an overall score WARN
	// (documentClassification WARN).
	OutcomeWarn Outcome = "warn"
	// OutcomeFail ends with ONBOARDING_FINISHED and an overall score FAIL
	// (liveness FAIL).
	OutcomeFail Outcome = "fail"
	// OutcomeManualReview ends with ONBOARDING_FINISHED and an overall
	// score MANUAL_PENDING; Review then approves or rejects it.
	OutcomeManualReview Outcome = "manual_review"
	// OutcomeExpired ends with EXPIRED: the person never finished.
	OutcomeExpired Outcome = "expired"
	// OutcomeScoreNotReady ends with ONBOARDING_FINISHED but the overall
	// score stays UNKNOWN (Incode has not computed it).
	OutcomeScoreNotReady Outcome = "score_not_ready"
)

func (o Outcome) valid() bool {
	switch o {
	case OutcomePass, OutcomeWarn, OutcomeFail, OutcomeManualReview, OutcomeExpired, OutcomeScoreNotReady:
		return true
	}
	return false
}

// WithOutcome sets the outcome of sessions that SetOutcome does not script
// (default OutcomePass).
func WithOutcome(o Outcome) Option {
	return func(s *settings) error {
		if !o.valid() {
			return fmt.Errorf("incodetest: WithOutcome: unknown outcome %q", o)
		}
		s.outcome = o
		return nil
	}
}

// WithExecutive sets the Dashboard e-mail and password that
// POST /executive/log-in accepts (default random; see ExecutiveEmail and
// ExecutivePassword).
func WithExecutive(email, password string) Option {
	return func(s *settings) error {
		if email == "" || password == "" {
			return errors.New("incodetest: WithExecutive: empty e-mail or password")
		}
		s.execEmail, s.execPassword = email, password
		return nil
	}
}

// WithExecutiveTokenTTL sets the lifetime of executive tokens on the
// server's clock (default DefaultExecutiveTokenTTL).
func WithExecutiveTokenTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second {
			return errors.New("incodetest: WithExecutiveTokenTTL: lifetime must be at least a second")
		}
		s.execTTL = d
		return nil
	}
}

// WithOrgClientID sets the organisation's client id that /omni/start
// returns and onboarding-url checks (default random; see OrgClientID).
func WithOrgClientID(id string) Option {
	return func(s *settings) error {
		if id == "" {
			return errors.New("incodetest: WithOrgClientID: empty id")
		}
		s.orgClientID = id
		return nil
	}
}

// WithRequiredClientID makes onboarding-url refuse a request without
// clientId, as Incode's documentation says (newer samples omit it, so by
// default the fake accepts both).
func WithRequiredClientID() Option {
	return func(s *settings) error { s.requireClientID = true; return nil }
}

// WithWebhook makes the server send the onboarding-status webhook
// ({interviewId, onboardingStatus, externalId, clientId, flowId}) to
// rawURL, with header name set to value, each time a session's status
// changes. Deliveries are synchronous: Advance, Finish and Review return
// once the receiver answered.
func WithWebhook(rawURL, name, value string) Option {
	return func(s *settings) error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("incodetest: WithWebhook: not an absolute http(s) URL")
		}
		s.webhookURL = rawURL
		s.webhookHeader = http.Header{}
		if name != "" {
			s.webhookHeader.Set(name, value)
		}
		return nil
	}
}

// steps is the course of a flow that is not scripted to expire.
var steps = []incode.OnboardingStatus{
	incode.OnboardingStatusUnknown,
	incode.IDValidationFinished,
	incode.PostProcessingFinished,
	incode.FaceValidationFinished,
	incode.OnboardingFinished,
}

// session is the server's state of one interview.
type session struct {
	id, configurationID, externalID, redirectionURL string
	outcome                                         Outcome
	status                                          incode.OnboardingStatus
	step                                            int
	review                                          string // "", "approved", "rejected"
	closed                                          bool
	ocr                                             map[string]any
	customerID                                      string
	created, updated, closedAt                      time.Time
}

func (s *Server) newSessionLocked(id, configurationID, externalID string) *session {
	now := s.fake.Now()
	return &session{id: id, configurationID: configurationID, externalID: externalID, outcome: s.cfg.outcome,
		status: incode.OnboardingStatusUnknown, created: now, updated: now}
}

// terminal reports whether the flow ended.
func (ss *session) terminal() bool {
	return ss.status == incode.OnboardingExpired || ss.step == len(steps)-1
}

// Sentinel errors of the driving methods.
var (
	// ErrUnknownInterview: no session has this interview id.
	ErrUnknownInterview = errors.New("incodetest: unknown interview id")
	// ErrSessionClosed: the session was closed; it no longer changes.
	ErrSessionClosed = errors.New("incodetest: session closed")
	// ErrFlowEnded: the flow already ended.
	ErrFlowEnded = errors.New("incodetest: the flow already ended")
	// ErrNotReviewable: the session is not waiting for a manual review.
	ErrNotReviewable = errors.New("incodetest: session is not waiting for a manual review")
)

// SetOutcome scripts how a session's flow ends (before it ended).
func (s *Server) SetOutcome(interviewID string, o Outcome) error {
	if !o.valid() {
		return fmt.Errorf("incodetest: unknown outcome %q", o)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.interviews[interviewID]
	switch {
	case ss == nil:
		return ErrUnknownInterview
	case ss.terminal():
		return ErrFlowEnded
	}
	ss.outcome = o
	return nil
}

// SetOCRData replaces the OCR data the server reports for a session once
// its ID was validated (by default a fixed fictitious person).
func (s *Server) SetOCRData(interviewID string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("incodetest: SetOCRData: %w", err)
	}
	var clone map[string]any
	_ = json.Unmarshal(b, &clone)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.interviews[interviewID]
	if ss == nil {
		return ErrUnknownInterview
	}
	ss.ocr = clone
	return nil
}

// Status returns a session's onboarding status as the server holds it.
func (s *Server) Status(interviewID string) (incode.OnboardingStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.interviews[interviewID]
	if ss == nil {
		return "", ErrUnknownInterview
	}
	return ss.status, nil
}

// Advance moves a session one step along its flow (UNKNOWN,
// ID_VALIDATION_FINISHED, POST_PROCESSING_FINISHED,
// FACE_VALIDATION_FINISHED, ONBOARDING_FINISHED; a session scripted with
// OutcomeExpired goes to EXPIRED instead), sends the webhook (WithWebhook)
// and returns the new status. A delivery the receiver refused is an error,
// after the change.
func (s *Server) Advance(interviewID string) (incode.OnboardingStatus, error) {
	s.mu.Lock()
	ss := s.interviews[interviewID]
	switch {
	case ss == nil:
		s.mu.Unlock()
		return "", ErrUnknownInterview
	case ss.closed:
		s.mu.Unlock()
		return "", ErrSessionClosed
	case ss.terminal():
		s.mu.Unlock()
		return "", ErrFlowEnded
	}
	if ss.outcome == OutcomeExpired {
		ss.status = incode.OnboardingExpired
	} else {
		ss.step++
		ss.status = steps[ss.step]
	}
	ss.updated = s.fake.Now()
	hook := s.hookLocked(ss)
	st := ss.status
	s.mu.Unlock()
	return st, s.deliver(hook)
}

// Finish runs a session to the end of its flow (as the person finishing
// the hosted flow would), sending a webhook for each step, and returns
// the final status.
func (s *Server) Finish(interviewID string) (incode.OnboardingStatus, error) {
	for {
		st, err := s.Advance(interviewID)
		if err != nil {
			return st, err
		}
		if st == incode.OnboardingFinished || st == incode.OnboardingExpired {
			return st, nil
		}
	}
}

// Review settles the manual review of a session that ended with
// OutcomeManualReview: MANUAL_REVIEW_APPROVED (overall score MANUAL_OK)
// or MANUAL_REVIEW_REJECTED (MANUAL_FAIL), with a webhook.
func (s *Server) Review(interviewID string, approve bool) error {
	s.mu.Lock()
	ss := s.interviews[interviewID]
	switch {
	case ss == nil:
		s.mu.Unlock()
		return ErrUnknownInterview
	case ss.closed:
		s.mu.Unlock()
		return ErrSessionClosed
	case ss.outcome != OutcomeManualReview || ss.status != incode.OnboardingFinished:
		s.mu.Unlock()
		return ErrNotReviewable
	}
	if approve {
		ss.review, ss.status = "approved", incode.ManualReviewApproved
	} else {
		ss.review, ss.status = "rejected", incode.ManualReviewRejected
	}
	ss.updated = s.fake.Now()
	hook := s.hookLocked(ss)
	s.mu.Unlock()
	return s.deliver(hook)
}

// Delivery is one onboarding-status webhook the server sent.
type Delivery struct {
	InterviewID string
	Status      incode.OnboardingStatus
	// StatusCode is the receiver's reply (0 when it could not be reached).
	StatusCode int
}

// Deliveries returns the webhooks sent, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

type hook struct {
	interviewID string
	status      incode.OnboardingStatus
	body        []byte
}

func (s *Server) hookLocked(ss *session) *hook {
	if s.cfg.webhookURL == "" {
		return nil
	}
	p := map[string]any{"interviewId": ss.id, "onboardingStatus": ss.status, "clientId": s.cfg.orgClientID}
	if ss.externalID != "" {
		p["externalId"] = ss.externalID
	}
	if ss.configurationID != "" {
		p["flowId"] = ss.configurationID
	}
	b, _ := json.Marshal(p)
	return &hook{interviewID: ss.id, status: ss.status, body: b}
}

// deliver posts the webhook and records the delivery.
func (s *Server) deliver(h *hook) error {
	if h == nil {
		return nil
	}
	req, err := http.NewRequest(http.MethodPost, s.cfg.webhookURL, bytes.NewReader(h.body))
	if err != nil {
		return fmt.Errorf("incodetest: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range s.cfg.webhookHeader {
		req.Header[k] = v
	}
	d := Delivery{InterviewID: h.interviewID, Status: h.status}
	resp, err := s.cfg.webhookClient.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		d.StatusCode = resp.StatusCode
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	switch {
	case err != nil:
		return fmt.Errorf("incodetest: webhook for %s not delivered: %w", h.status, err)
	case d.StatusCode != http.StatusOK && d.StatusCode != http.StatusNoContent:
		return fmt.Errorf("incodetest: webhook for %s answered %d", h.status, d.StatusCode)
	}
	return nil
}

// Approval is one call of approve the server accepted.
type Approval struct {
	InterviewID string
	CustomerID  string
	// ExistingCustomer reports that the customer already existed.
	ExistingCustomer bool
}

// Approvals returns the approvals, oldest first.
func (s *Server) Approvals() []Approval {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.approvals)
}

// Customers is the number of customers approve created.
func (s *Server) Customers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.customers)
}

// ExecutiveEmail is the e-mail the executive login accepts.
func (s *Server) ExecutiveEmail() string { return s.cfg.execEmail }

// ExecutivePassword is the password the executive login accepts.
func (s *Server) ExecutivePassword() string { return s.cfg.execPassword }

// ExecutiveLogins is the number of successful executive logins.
func (s *Server) ExecutiveLogins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// RevokeExecutiveTokens makes every executive token issued so far unusable.
func (s *Server) RevokeExecutiveTokens() { s.fake.Tokens().RevokeSubject(executiveSubject) }

// RevokeSessionToken makes every token of a session unusable.
func (s *Server) RevokeSessionToken(interviewID string) {
	s.fake.Tokens().RevokeSubject(sessionSubject(interviewID))
}

// SessionToken issues a new session token for an existing interview (as
// /omni/start with interviewId does).
func (s *Server) SessionToken(interviewID string) (string, error) {
	s.mu.Lock()
	ok := s.interviews[interviewID] != nil
	s.mu.Unlock()
	if !ok {
		return "", ErrUnknownInterview
	}
	return s.fake.Tokens().Issue(sessionSubject(interviewID), nil, s.cfg.sessionTTL), nil
}

// OrgClientID is the organisation's client id (clientId of /omni/start).
func (s *Server) OrgClientID() string { return s.cfg.orgClientID }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.fake.Now() }

func (s *Server) flowRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+incode.ExecutiveLoginPath, s.executiveLogin)
	for _, prefix := range []string{"", incode.TokenOnlyPrefix} {
		tokenOnly := prefix != ""
		mux.HandleFunc("GET "+prefix+incode.OnboardingURLPath, func(w http.ResponseWriter, r *http.Request) { s.onboardingURL(w, r, tokenOnly) })
		mux.HandleFunc("GET "+prefix+incode.OnboardingStatusPath, func(w http.ResponseWriter, r *http.Request) { s.status(w, r, tokenOnly) })
		mux.HandleFunc("GET "+prefix+incode.ScorePath, func(w http.ResponseWriter, r *http.Request) { s.score(w, r, tokenOnly) })
		mux.HandleFunc("GET "+prefix+incode.OCRDataPath, func(w http.ResponseWriter, r *http.Request) { s.ocrData(w, r, tokenOnly) })
		mux.HandleFunc("POST "+prefix+incode.ApprovePath, func(w http.ResponseWriter, r *http.Request) { s.approve(w, r, tokenOnly) })
		mux.HandleFunc(prefix+incode.FinishStatusPath, func(w http.ResponseWriter, r *http.Request) { s.finishStatus(w, r, tokenOnly) })
		mux.HandleFunc("POST "+prefix+incode.SessionStatusSetPath, func(w http.ResponseWriter, r *http.Request) { s.setStatus(w, r, tokenOnly) })
	}
	mux.HandleFunc("GET /onboarding/", s.hostedPage)
}

func (s *Server) executiveLogin(w http.ResponseWriter, r *http.Request) {
	if !s.checkHeaders(w, r, false) {
		return
	}
	_, m, err := readJSON(r)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	email, ok1 := str(m, "email")
	password, ok2 := str(m, "password")
	if !ok1 || !ok2 || email == "" || password == "" {
		s.writeError(w, r, http.StatusBadRequest, "email and password are required")
		return
	}
	if email != s.cfg.execEmail || password != s.cfg.execPassword {
		s.writeError(w, r, http.StatusUnauthorized, "Invalid credentials")
		return
	}
	tok := s.fake.Tokens().Issue(executiveSubject, nil, s.cfg.execTTL)
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// access is how a request authenticated.
type access struct {
	sess      *session
	executive bool
}

// authorize checks api-version, the API key (required on the /omni/
// form, checked when present on the /0/ form) and the token in
// X-Incode-Hardware-Id: a session token, or (on the /omni/ form, when
// executiveOK) the executive token with the interview id in idParam. It
// writes the refusal and returns false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, tokenOnly bool, idParam string, executiveOK bool) (access, bool) {
	if r.Header.Get(incode.APIVersionHeader) != incode.APIVersion {
		s.writeError(w, r, http.StatusBadRequest, "Missing or unsupported api-version header")
		return access{}, false
	}
	key := r.Header.Get(incode.APIKeyHeader)
	if (!tokenOnly || key != "") && key != s.cfg.apiKey {
		s.writeError(w, r, http.StatusForbidden, "Invalid or missing api key")
		return access{}, false
	}
	token := r.Header.Get(incode.SessionTokenHeader)
	if token == "" {
		s.writeError(w, r, http.StatusUnauthorized, "Invalid or missing access token")
		return access{}, false
	}
	info, err := s.fake.Tokens().Check(token)
	if err != nil {
		s.writeError(w, r, http.StatusUnauthorized, "Invalid or missing access token")
		return access{}, false
	}
	var id string
	var a access
	switch {
	case strings.HasPrefix(info.Subject, "session:"):
		id = strings.TrimPrefix(info.Subject, "session:")
		if q := r.URL.Query().Get(idParam); idParam != "" && q != "" && q != id {
			s.writeError(w, r, http.StatusUnauthorized, "The access token does not belong to this session")
			return access{}, false
		}
	case info.Subject == executiveSubject && !tokenOnly && executiveOK:
		a.executive = true
		if idParam != "" {
			id = r.URL.Query().Get(idParam)
		}
		if id == "" {
			s.writeError(w, r, http.StatusBadRequest, "Required parameter "+idParam+" is missing")
			return access{}, false
		}
	default:
		s.writeError(w, r, http.StatusUnauthorized, "Invalid or missing access token")
		return access{}, false
	}
	s.mu.Lock()
	a.sess = s.interviews[id]
	s.mu.Unlock()
	if a.sess == nil {
		s.writeError(w, r, http.StatusNotFound, "Session not found")
		return access{}, false
	}
	return a, true
}

func (s *Server) onboardingURL(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "", false)
	if !ok {
		return
	}
	switch cid := r.URL.Query().Get("clientId"); {
	case cid == "" && s.cfg.requireClientID:
		s.writeError(w, r, http.StatusBadRequest, "Required parameter clientId is missing")
		return
	case cid != "" && cid != s.cfg.orgClientID:
		s.writeError(w, r, http.StatusBadRequest, "clientId does not match the organization of this session")
		return
	}
	s.mu.Lock()
	cfgID := a.sess.configurationID
	s.mu.Unlock()
	if cfgID == "" {
		cfgID = s.ConfigurationID()
	}
	u := s.fake.URL() + "/onboarding/" + url.PathEscape(s.cfg.orgClientID) + "/flow/" + url.PathEscape(cfgID) +
		"?interviewId=" + url.QueryEscape(a.sess.id)
	fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"url": u})
}

// hostedPage is the fake's hosted flow: a page naming the interview. The
// test plays the person with Advance, Finish or Review.
func (s *Server) hostedPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("interviewId")
	s.mu.Lock()
	ss := s.interviews[id]
	var st incode.OnboardingStatus
	if ss != nil {
		st = ss.status
	}
	s.mu.Unlock()
	if ss == nil {
		http.Error(w, "unknown interview", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!doctype html><title>Fake Incode onboarding</title><p>Interview "+html.EscapeString(id)+
		": "+html.EscapeString(string(st))+"</p>\n")
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "id", true)
	if !ok {
		return
	}
	s.mu.Lock()
	st := a.sess.status
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, map[string]any{"onboardingStatus": st})
}

func (s *Server) score(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "id", true)
	if !ok {
		return
	}
	s.mu.Lock()
	body := scoreOf(a.sess)
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

func (s *Server) ocrData(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "id", true)
	if !ok {
		return
	}
	s.mu.Lock()
	body := map[string]any{}
	if a.sess.step >= 1 {
		body = ocrOf(a.sess)
	}
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "interviewId", true)
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		s.writeError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	s.mu.Lock()
	ss := a.sess
	if ss.status != incode.OnboardingFinished && ss.status != incode.ManualReviewApproved {
		s.mu.Unlock()
		s.writeError(w, r, http.StatusBadRequest, "The session has not finished")
		return
	}
	total := overallOf(ss)
	existing := true
	if ss.customerID == "" {
		key := personKey(ocrOf(ss))
		if cid, ok := s.customers[key]; ok {
			ss.customerID = cid
		} else {
			ss.customerID = randomHex(12)
			s.customers[key] = ss.customerID
			existing = false
		}
	}
	s.approvals = append(s.approvals, Approval{InterviewID: ss.id, CustomerID: ss.customerID, ExistingCustomer: existing})
	cid := ss.customerID
	s.mu.Unlock()
	tok := s.fake.Tokens().Issue("customer:"+cid, nil, customerTokenTTL)
	fakeserver.WriteJSON(w, http.StatusOK, map[string]any{
		"success": true, "uuid": cid, "token": tok, "totalScore": total, "existingCustomer": existing,
	})
}

func (s *Server) finishStatus(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	if r.Method != http.MethodGet && !(tokenOnly && r.Method == http.MethodPost) {
		s.writeError(w, r, http.StatusMethodNotAllowed, "Request method '"+r.Method+"' is not supported")
		return
	}
	a, ok := s.authorize(w, r, tokenOnly, "", false)
	if !ok {
		return
	}
	s.mu.Lock()
	closed, done, redirect := a.sess.closed, a.sess.terminal(), a.sess.redirectionURL
	s.mu.Unlock()
	if closed {
		s.writeError(w, r, http.StatusBadRequest, "The session is closed")
		return
	}
	if !done {
		// A failed webhook delivery does not undo the finish (Incode
		// retries deliveries on its own schedule).
		_, _ = s.Finish(a.sess.id)
	}
	fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"redirectionUrl": redirect, "action": "none"})
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, tokenOnly bool) {
	a, ok := s.authorize(w, r, tokenOnly, "", false)
	if !ok {
		return
	}
	if action := r.URL.Query().Get("action"); action != "Closed" {
		s.writeError(w, r, http.StatusBadRequest, "Unsupported action")
		return
	}
	s.mu.Lock()
	ss := a.sess
	if !ss.closed {
		ss.closed = true
		ss.closedAt = s.fake.Now()
		ss.updated = ss.closedAt
	}
	body := map[string]any{
		"_id": ss.id, "_createdAt": ss.created.UnixMilli(), "_updatedAt": ss.updated.UnixMilli(),
		"closedAt": ss.closedAt.UnixMilli(), "sessionStatus": "Closed",
	}
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

// overallOf is the overall score status of a session.
func overallOf(ss *session) incode.ScoreStatus {
	if ss.status == incode.OnboardingExpired || ss.step < len(steps)-1 {
		return incode.ScoreUnknown
	}
	switch ss.outcome {
	case OutcomePass:
		return incode.ScoreOK
	case OutcomeWarn:
		return incode.ScoreWarn
	case OutcomeFail:
		return incode.ScoreFail
	case OutcomeManualReview:
		switch ss.review {
		case "approved":
			return incode.ScoreManualOK
		case "rejected":
			return incode.ScoreManualFail
		}
		return incode.ScoreManualPending
	}
	return incode.ScoreUnknown
}

func chk(value string, status incode.ScoreStatus, key string) map[string]any {
	m := map[string]any{"value": value, "status": status}
	if key != "" {
		m["key"] = key
	}
	return m
}

// scoreOf is the score of a session, consistent with its outcome: the
// checks that failed or warned explain the overall status.
func scoreOf(ss *session) map[string]any {
	overall := overallOf(ss)
	if overall == incode.ScoreUnknown {
		return map[string]any{
			"deviceRisk":     map[string]any{"overall": map[string]any{"status": incode.ScoreUnknown}},
			"behavioralRisk": map[string]any{"overall": map[string]any{"status": incode.ScoreUnknown}},
			"overall":        map[string]any{"status": incode.ScoreUnknown},
		}
	}
	classification, idOverall := incode.ScoreOK, incode.ScoreOK
	liveness, physical := incode.ScoreOK, incode.ScoreOK
	value, reason := "100.0", "This session passed because it passed all of Incode's tests"
	switch ss.outcome {
	case OutcomeWarn, OutcomeManualReview:
		classification, idOverall, value, reason = incode.ScoreWarn, incode.ScoreWarn, "75.0", "This session needs a review: document classification"
	case OutcomeFail:
		liveness, physical, value, reason = incode.ScoreFail, incode.ScoreFail, "20.0", "This session failed: liveness detection"
	}
	return map[string]any{
		"idValidation": map[string]any{
			"photoSecurityAndQuality": []any{
				chk("PASSED", incode.ScoreOK, "tamperCheck"),
				chk("OK", incode.ScoreOK, "screenIdLiveness"),
				chk("96", incode.ScoreOK, "balancedLightFront"),
			},
			"idSpecific": []any{
				chk("100", classification, "documentClassification"),
				chk("100", incode.ScoreOK, "expirationDateValidity"),
				chk("PASSED", incode.ScoreOK, "documentNumberCheckDigit"),
			},
			"customFields": []any{},
			"appliedRule":  nil,
			"overall":      chk(value, idOverall, ""),
		},
		"liveness": map[string]any{
			"physicalAttack":       chk("100.0", physical, ""),
			"spoofDetectionMethod": "SF",
			"overall":              chk("100.0", liveness, ""),
			"livenessScore":        chk("100.0", liveness, ""),
		},
		"faceRecognition": map[string]any{
			"maskCheck":      chk("0.0", incode.ScoreOK, ""),
			"faceBrightness": chk("128.6", incode.ScoreOK, ""),
			"existingUser":   ss.customerID != "",
			"overall":        chk("100.0", incode.ScoreOK, ""),
		},
		"idOcrConfidence": map[string]any{"overallConfidence": chk("99.0", incode.ScoreOK, "")},
		"deviceRisk":      map[string]any{"overall": map[string]any{"status": incode.ScoreUnknown}},
		"reasonMsg":       reason,
		"overall":         chk(value, overall, ""),
	}
}

// defaultBirth is the fictitious person's birth date, before 1970 so that
// clients meet a negative epoch.
var defaultBirth = time.Date(1952, time.March, 11, 0, 0, 0, 0, time.UTC)

// ocrOf is the OCR data of a session: SetOCRData's, or a fictitious person.
func ocrOf(ss *session) map[string]any {
	if ss.ocr != nil {
		return ss.ocr
	}
	return map[string]any{
		"name": map[string]any{
			"firstName": "Ada", "givenName": "Ada", "paternalLastName": "Example", "fullName": "Ada Example",
			"machineReadableFullName": "ADA EXAMPLE", "maternalLastName": nil, "middleName": nil,
		},
		"address":        "1 EXAMPLE ST\nSPRINGFIELD IL 62701 USA",
		"addressFields":  map[string]any{"street": "1 EXAMPLE ST", "colony": nil, "postalCode": "62701", "city": "SPRINGFIELD", "state": "IL"},
		"birthDate":      defaultBirth.UnixMilli(),
		"documentNumber": "D" + ss.id[:8],
		"expireAt":       strconv.FormatInt(time.Date(2031, time.May, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 10),
		"expirationDate": nil,
		"issueDate":      2023,
		"gender":         "F",
		"issuingCountry": "USA",
		"issuingState":   "ILLINOIS",
		"typeOfId":       "DriversLicense",
	}
}

// personKey identifies the person of OCR data (document number and birth
// date), so that approving two sessions of one person finds the customer.
func personKey(ocr map[string]any) string {
	return fmt.Sprint(ocr["documentNumber"], "|", ocr["birthDate"])
}
