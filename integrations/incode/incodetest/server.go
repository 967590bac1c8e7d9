package incodetest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// DefaultTokenTTL is the lifetime of the fake's access tokens.
const DefaultTokenTTL = time.Hour

// Option configures a Server. Options check their arguments; an invalid
// option fails the test in NewServer.
type Option func(*settings) error

type settings struct {
	apiKey                 string
	clientID, clientSecret string
	integrations           []string
	configurations         []string
	tokenTTL               time.Duration
	noExpiresIn            bool
	lifetimeField          string
	clock                  func() time.Time
	tls                    bool
	// The hosted flow.
	execEmail, execPassword string
	execTTL                 time.Duration
	sessionTTL              time.Duration
	orgClientID             string
	requireClientID         bool
	outcome                 Outcome
	webhookURL              string
	webhookHeader           http.Header
	webhookClient           *http.Client
}

// WithAPIKey sets the tenant API key the server accepts (default random).
func WithAPIKey(key string) Option {
	return func(s *settings) error {
		if key == "" {
			return errors.New("incodetest: WithAPIKey: empty key")
		}
		s.apiKey = key
		return nil
	}
}

// WithClientCredentials sets the OIDC client id and secret the token
// endpoint accepts (default random).
func WithClientCredentials(id, secret string) Option {
	return func(s *settings) error {
		if id == "" || secret == "" {
			return errors.New("incodetest: WithClientCredentials: empty id or secret")
		}
		s.clientID, s.clientSecret = id, secret
		return nil
	}
}

// WithIntegrationIDs registers more Integration IDs (one random id is
// always registered; see IntegrationID).
func WithIntegrationIDs(ids ...string) Option {
	return func(s *settings) error {
		for _, id := range ids {
			if id == "" {
				return errors.New("incodetest: WithIntegrationIDs: empty id")
			}
		}
		s.integrations = append(s.integrations, ids...)
		return nil
	}
}

// WithConfigurationIDs registers more Configuration IDs (one random id is
// always registered; see ConfigurationID).
func WithConfigurationIDs(ids ...string) Option {
	return func(s *settings) error {
		for _, id := range ids {
			if id == "" {
				return errors.New("incodetest: WithConfigurationIDs: empty id")
			}
		}
		s.configurations = append(s.configurations, ids...)
		return nil
	}
}

// WithTokenTTL sets the lifetime of access tokens (default DefaultTokenTTL).
func WithTokenTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second {
			return errors.New("incodetest: WithTokenTTL: lifetime must be at least a second")
		}
		s.tokenTTL = d
		return nil
	}
}

// WithoutExpiresIn makes token replies leave out expires_in (Incode does
// not document it), to test a client's fallback lifetime.
func WithoutExpiresIn() Option {
	return func(s *settings) error { s.noExpiresIn = true; return nil }
}

// WithLinkLifetimeField makes request-new accept the link lifetime only
// under this JSON name and refuse the other known one with a 400 (by
// default both "linkValidityInMinutes" and "linkExpiryMinutes" are
// accepted, since it is not known which one Incode honours).
func WithLinkLifetimeField(name string) Option {
	return func(s *settings) error {
		if name != incode.LinkValidityField && name != incode.LinkExpiryField {
			return fmt.Errorf("incodetest: WithLinkLifetimeField: %q is not one of the known names", name)
		}
		s.lifetimeField = name
		return nil
	}
}

// WithClock makes the server read time from now (tokens, timestamps).
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("incodetest: WithClock: nil clock")
		}
		s.clock = now
		return nil
	}
}

// WithTLS serves HTTPS with a self-signed certificate; use HTTPClient.
func WithTLS() Option {
	return func(s *settings) error { s.tls = true; return nil }
}

// Onboarding is one session created through request-new, as the server
// recorded it.
type Onboarding struct {
	InterviewID          string
	URL                  string
	IntegrationReference string
	LoginHint            string
	Notification         *incode.Notification
	// LinkLifetimeField is the JSON name the lifetime came under ("" if none).
	LinkLifetimeField   string
	LinkLifetimeMinutes int
	ExternalCustomerID  string
	// Body is the request body as received.
	Body []byte
	// Created is when the server created it.
	Created time.Time
}

// String prints the interview id and integration reference only.
func (o Onboarding) String() string {
	return "incodetest.Onboarding{InterviewID: " + o.InterviewID + ", IntegrationReference: " + o.IntegrationReference + "}"
}

// GoString is String.
func (o Onboarding) GoString() string { return o.String() }

// StartedSession is one session started through /omni/start.
type StartedSession struct {
	InterviewID        string
	ConfigurationID    string
	ExternalCustomerID string
	// Reopened reports a start that re-opened an existing interview.
	Reopened bool
	// Body is the request body as received.
	Body []byte
}

// String prints the ids only.
func (s StartedSession) String() string {
	return "incodetest.StartedSession{InterviewID: " + s.InterviewID + ", ConfigurationID: " + s.ConfigurationID + "}"
}

// Server is a fake Incode Omni API and token endpoint on 127.0.0.1. Its
// methods are safe for concurrent use.
type Server struct {
	// Fake is the fault injection, request log and connection count every
	// fake of this module shares (InjectFault, Requests, Count, ...).
	kyctest.Fake

	fake    *fakeserver.Server
	program *fakeserver.Program // set by Start
	cfg     settings

	mu          sync.Mutex
	onboardings []Onboarding
	sessions    []StartedSession
	interviews  map[string]*session
	customers   map[string]string // person key -> customer id
	approvals   []Approval
	deliveries  []Delivery
	logins      int
}

// NewServer starts a fake Incode on 127.0.0.1 serving:
//
//	POST /oauth2/token                       client_credentials, credentials in the form body, scope openid
//	POST /omni/b2b/onboarding/request-new    Bearer + x-api-key + api-version: 1.0
//	POST /omni/start                         x-api-key + api-version: 1.0
//	POST /executive/log-in                   x-api-key; {email, password} -> {token} (24 h)
//	GET  [/0]/omni/onboarding-url            session token [+ clientId]
//	GET  [/0]/omni/get/onboarding/status     session token, or executive token + ?id=
//	GET  [/0]/omni/get/score                 session token, or executive token + ?id=
//	GET  [/0]/omni/get/ocr-data              session token, or executive token + ?id=
//	POST [/0]/omni/process/approve           executive token + ?interviewId= (or session token)
//	GET  [/0]/omni/finish-status             session token (POST too on the /0/ form)
//	POST [/0]/omni/session/status/set        session token, ?action=Closed
//
// Tokens go in X-Incode-Hardware-Id. The /omni/ forms need x-api-key; the
// /0/ forms take the session token alone (an x-api-key, if sent, must be
// right). A wrong API key is a 403, a missing or refused token a 401.
//
// Refusals come in Incode's error shape {timestamp, status, error, message,
// path} (RFC 6749 errors on the token endpoint). It is closed through
// t.Cleanup. An invalid option fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the fake outside a test, for a demo program or a local
// development server; stop it with Close.
func Start(opts ...Option) (*Server, error) {
	p := fakeserver.NewProgram()
	s, err := start(p, opts)
	if err != nil {
		return nil, err
	}
	s.program = p
	return s, nil
}

func start(t fakeserver.TB, opts []Option) (*Server, error) {
	cfg := settings{
		apiKey:       randomHex(16),
		clientID:     randomHex(12),
		clientSecret: randomHex(24),
		tokenTTL:     DefaultTokenTTL,
		clock:        time.Now,
		execEmail:    "executive-" + randomHex(4) + "@example.com",
		execPassword: randomHex(16),
		execTTL:      DefaultExecutiveTokenTTL,
		sessionTTL:   DefaultSessionTokenTTL,
		orgClientID:  "fake-" + randomHex(4),
		outcome:      OutcomePass,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	cfg.integrations = append([]string{randomUUID()}, cfg.integrations...)
	cfg.configurations = append([]string{randomHex(12)}, cfg.configurations...)
	s := &Server{cfg: cfg, interviews: map[string]*session{}, customers: map[string]string{}}
	fopts := []fakeserver.Option{fakeserver.WithClock(cfg.clock)}
	if cfg.tls {
		fopts = append(fopts, fakeserver.WithTLS())
	}
	s.fake = fakeserver.New(t, s.routes(), fopts...)
	s.Fake = s.fake
	if cfg.webhookURL != "" {
		tr := &http.Transport{DisableKeepAlives: true}
		s.cfg.webhookClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
		t.Cleanup(tr.CloseIdleConnections)
	}
	return s, nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.fake.URL() }

// HTTPClient returns an *http.Client that reaches the server (and trusts
// its certificate under WithTLS).
func (s *Server) HTTPClient() *http.Client { return s.fake.Client() }

// Environment returns an incode.Environment (Name "fake") whose API, auth
// and Workforce URLs all point at the server.
func (s *Server) Environment() incode.Environment {
	u := s.fake.URL()
	return incode.Environment{Name: "fake", APIURL: u, AuthURL: u, WorkforceURL: u}
}

// ClientOptions returns the incode options that point a client at the
// server with its API key, credentials, Integration ID, Configuration ID
// and executive login.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		incode.WithEnvironment(s.Environment()),
		option.WithHTTPClient(s.HTTPClient()),
		incode.WithAPIKey(s.cfg.apiKey),
		incode.WithClientCredentials(s.cfg.clientID, s.cfg.clientSecret),
		incode.WithIntegrationID(s.IntegrationID()),
		incode.WithConfigurationID(s.ConfigurationID()),
		incode.WithExecutiveLogin(s.cfg.execEmail, incode.NewSecret(s.cfg.execPassword)),
	}
}

// APIKey is the API key the server accepts.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// ClientID is the OIDC client id the token endpoint accepts.
func (s *Server) ClientID() string { return s.cfg.clientID }

// ClientSecret is the OIDC client secret the token endpoint accepts.
func (s *Server) ClientSecret() string { return s.cfg.clientSecret }

// IntegrationID is the first registered Integration ID.
func (s *Server) IntegrationID() string { return s.cfg.integrations[0] }

// ConfigurationID is the first registered Configuration ID.
func (s *Server) ConfigurationID() string { return s.cfg.configurations[0] }

// Onboardings returns the sessions created through request-new, oldest first.
func (s *Server) Onboardings() []Onboarding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.onboardings)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// Sessions returns the sessions started through /omni/start, oldest first.
func (s *Server) Sessions() []StartedSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.sessions)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// RevokeTokens makes every access token issued so far unusable (the next
// B2B call gets a 401).
func (s *Server) RevokeTokens() { s.fake.Tokens().RevokeSubject(s.cfg.clientID) }

// Close stops the server; it is also called through t.Cleanup.
func (s *Server) Close() {
	if s.program != nil {
		s.program.Close()
	}
	s.fake.Close()
}

// String describes the server without secrets.
func (s *Server) String() string { return "incodetest.Server(" + s.fake.URL() + ")" }

// GoString is String.
func (s *Server) GoString() string { return s.String() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+incode.TokenPath, s.token)
	mux.HandleFunc("POST "+incode.RequestNewPath, s.requestNew)
	mux.HandleFunc("POST "+incode.StartPath, s.start)
	s.flowRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, http.StatusNotFound, "No handler found for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// WriteError writes a reply in Incode's error shape, for handlers users
// add in front of the fake.
func WriteError(w http.ResponseWriter, r *http.Request, now time.Time, status int, message string) {
	fakeserver.WriteJSON(w, status, map[string]any{
		"timestamp": now.UnixMilli(),
		"status":    status,
		"error":     http.StatusText(status),
		"message":   message,
		"path":      r.URL.Path,
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, message string) {
	WriteError(w, r, s.fake.Now(), status, message)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ca, err := fakeserver.ParseClientAuth(r)
	if err != nil {
		fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_request", "malformed client authentication")
		return
	}
	if ca.Method == fakeserver.AuthMethodBasic {
		fakeserver.OAuthError(w, http.StatusUnauthorized, "invalid_client", "client_secret_basic is not enabled for this client; send the credentials in the body")
		return
	}
	if ca.ID != s.cfg.clientID || ca.Secret != s.cfg.clientSecret || ca.Method != fakeserver.AuthMethodPost {
		fakeserver.OAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		fakeserver.OAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	if !slices.Contains(strings.Fields(r.PostForm.Get("scope")), incode.DefaultScope) {
		fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_scope", "scope must include openid")
		return
	}
	tok := s.fake.Tokens().Issue(s.cfg.clientID, []string{incode.DefaultScope}, s.cfg.tokenTTL)
	resp := fakeserver.TokenResponse{AccessToken: tok, TokenType: "Bearer", Scope: incode.DefaultScope}
	if !s.cfg.noExpiresIn {
		resp.ExpiresIn = int64(s.cfg.tokenTTL / time.Second)
	}
	fakeserver.WriteToken(w, resp)
}

// checkHeaders enforces api-version and x-api-key (and the Bearer token
// when bearer is set). It writes the refusal and returns false.
func (s *Server) checkHeaders(w http.ResponseWriter, r *http.Request, bearer bool) bool {
	if r.Header.Get(incode.APIVersionHeader) != incode.APIVersion {
		s.writeError(w, r, http.StatusBadRequest, "Missing or unsupported api-version header")
		return false
	}
	if key := r.Header.Get(incode.APIKeyHeader); key == "" || key != s.cfg.apiKey {
		s.writeError(w, r, http.StatusForbidden, "Invalid or missing api key")
		return false
	}
	if bearer {
		tok, ok := fakeserver.BearerToken(r)
		if !ok {
			s.writeError(w, r, http.StatusUnauthorized, "Missing bearer token")
			return false
		}
		if _, err := s.fake.Tokens().Check(tok); err != nil {
			s.writeError(w, r, http.StatusUnauthorized, "Invalid or expired bearer token")
			return false
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.writeError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	return true
}

func readJSON(r *http.Request) ([]byte, map[string]json.RawMessage, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return body, nil, errors.New("body must be a JSON object")
	}
	return body, m, nil
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return nil, errors.New("cannot read body")
	}
	if len(body) > 1<<20 {
		return nil, errors.New("body too large")
	}
	return body, nil
}

// str reads a string member; ok is false when it is present but not a string.
func str(m map[string]json.RawMessage, key string) (string, bool) {
	raw, present := m[key]
	if !present || string(raw) == "null" {
		return "", true
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	return v, true
}

func (s *Server) requestNew(w http.ResponseWriter, r *http.Request) {
	if !s.checkHeaders(w, r, true) {
		return
	}
	body, m, err := readJSON(r)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	o := Onboarding{Body: body}
	var problems []string
	var ok bool
	if o.IntegrationReference, ok = str(m, "integrationReference"); !ok || o.IntegrationReference == "" {
		problems = append(problems, "integrationReference is required")
	} else if !slices.Contains(s.cfg.integrations, o.IntegrationReference) {
		problems = append(problems, "integrationReference does not name an integration of this organization")
	}
	if o.LoginHint, ok = str(m, "loginHint"); !ok || strings.TrimSpace(o.LoginHint) == "" {
		problems = append(problems, "loginHint is required")
	}
	if ext, ok := str(m, "externalCustomerId"); ok {
		o.ExternalCustomerID = ext
	} else {
		problems = append(problems, "externalCustomerId must be a string")
	}
	if raw, present := m["notification"]; present && string(raw) != "null" {
		var n incode.Notification
		if err := json.Unmarshal(raw, &n); err != nil {
			problems = append(problems, "notification must be an object")
		} else {
			switch n.Type {
			case incode.NotifySMS:
				if n.Phone == "" {
					problems = append(problems, "notification.phone is required for SMS")
				}
			case incode.NotifyEmail:
				if n.Email == "" {
					problems = append(problems, "notification.email is required for EMAIL")
				}
			case incode.NotifyEmailAndSMS:
				if n.Email == "" || n.Phone == "" {
					problems = append(problems, "notification.email and notification.phone are required for EMAIL_AND_SMS")
				}
			default:
				problems = append(problems, "notification.type must be SMS, EMAIL or EMAIL_AND_SMS")
			}
			o.Notification = &n
		}
	}
	for _, field := range []string{incode.LinkValidityField, incode.LinkExpiryField} {
		raw, present := m[field]
		if !present {
			continue
		}
		if s.cfg.lifetimeField != "" && field != s.cfg.lifetimeField {
			problems = append(problems, "unknown field "+field)
			continue
		}
		if o.LinkLifetimeField != "" {
			problems = append(problems, "link lifetime given twice")
			continue
		}
		var minutes int
		if err := json.Unmarshal(raw, &minutes); err != nil || minutes <= 0 {
			problems = append(problems, field+" must be a positive integer")
			continue
		}
		o.LinkLifetimeField, o.LinkLifetimeMinutes = field, minutes
	}
	if len(problems) > 0 {
		s.writeError(w, r, http.StatusBadRequest, strings.Join(problems, "; "))
		return
	}
	o.InterviewID = randomHex(12)
	o.URL = s.fake.URL() + "/onboarding/" + randomHex(8)
	o.Created = s.fake.Now()
	s.mu.Lock()
	s.onboardings = append(s.onboardings, o)
	s.interviews[o.InterviewID] = s.newSessionLocked(o.InterviewID, "", o.ExternalCustomerID)
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, map[string]string{"interviewId": o.InterviewID, "url": o.URL})
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	if !s.checkHeaders(w, r, false) {
		return
	}
	body, m, err := readJSON(r)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	st := StartedSession{Body: body}
	var ok bool
	if st.ConfigurationID, ok = str(m, "configurationId"); !ok || st.ConfigurationID == "" {
		s.writeError(w, r, http.StatusBadRequest, "configurationId is required")
		return
	}
	if !slices.Contains(s.cfg.configurations, st.ConfigurationID) {
		s.writeError(w, r, http.StatusBadRequest, "configurationId does not name a flow of this organization")
		return
	}
	st.ExternalCustomerID, _ = str(m, "externalCustomerId")
	redirect, _ := str(m, "redirectionUrl")
	interview, _ := str(m, "interviewId")
	s.mu.Lock()
	if interview != "" {
		if s.interviews[interview] == nil {
			s.mu.Unlock()
			s.writeError(w, r, http.StatusNotFound, "interviewId not found")
			return
		}
		st.InterviewID, st.Reopened = interview, true
	} else {
		st.InterviewID = randomHex(12)
		s.interviews[st.InterviewID] = s.newSessionLocked(st.InterviewID, st.ConfigurationID, st.ExternalCustomerID)
	}
	sess := s.interviews[st.InterviewID]
	if redirect != "" {
		sess.redirectionURL = redirect
	}
	s.sessions = append(s.sessions, st)
	s.mu.Unlock()
	token := s.fake.Tokens().Issue(sessionSubject(st.InterviewID), nil, s.cfg.sessionTTL)
	fakeserver.WriteJSON(w, http.StatusOK, map[string]any{
		"token":                 token,
		"interviewId":           st.InterviewID,
		"interviewCode":         strings.ToUpper(randomHex(3)),
		"flowType":              "flow",
		"clientId":              s.cfg.orgClientID,
		"env":                   "demo",
		"existingSession":       st.Reopened,
		"idCaptureTimeout":      16,
		"idCaptureRetries":      3,
		"selfieCaptureTimeout":  16,
		"selfieCaptureRetries":  3,
		"curpValidationRetries": 3,
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
