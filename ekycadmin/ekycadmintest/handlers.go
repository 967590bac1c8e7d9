package ekycadmintest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/internal/fakeserver"
)

// JSON shapes, as the API's OpenAPI document names them.

// sessionJSON is PersonVerificationSession (null fields left out).
type sessionJSON struct {
	SessionToken string `json:"sessionToken,omitempty"`
	URL          string `json:"url,omitempty"`
	ID           string `json:"id,omitempty"`
	Status       string `json:"status,omitempty"`
}

// userSessionJSON is EkycUserSession.
type userSessionJSON struct {
	ID       string                 `json:"id"`
	Sessions map[string]sessionJSON `json:"sessions"`
}

// verificationJSON is PersonVerification.
type verificationJSON struct {
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Timestamp string `json:"timestamp"`
}

// statusJSON is UserStatusResponse.
type statusJSON struct {
	Timestamp     string            `json:"timestamp"`
	TotalSessions int               `json:"total_sessions"`
	Verification  *verificationJSON `json:"verification,omitempty"`
	Created       *sessionJSON      `json:"created,omitempty"`
	Started       *sessionJSON      `json:"started,omitempty"`
	Submitted     *sessionJSON      `json:"submitted,omitempty"`
	Success       *sessionJSON      `json:"success,omitempty"`
	Rejected      *sessionJSON      `json:"rejected,omitempty"`
	Expired       *sessionJSON      `json:"expired,omitempty"`
}

// reasonJSON is the body of a Spring ResponseStatusException.
type reasonJSON struct {
	Status int `json:"status"`
	Error  struct {
		Reason string `json:"reason"`
	} `json:"error"`
}

// exceptionJSON is the body of the server's catch-all exception handler.
type exceptionJSON struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	Path      string `json:"path"`
	Timestamp string `json:"timestamp"`
}

// springJSON is Spring Boot's default error body.
type springJSON struct {
	Timestamp string `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Path      string `json:"path"`
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (s *Server) writeReason(w http.ResponseWriter, status int, reason string) {
	var b reasonJSON
	b.Status = status
	b.Error.Reason = reason
	fakeserver.WriteJSON(w, status, b)
}

func (s *Server) writeException(w http.ResponseWriter, r *http.Request, class, message string) {
	fakeserver.WriteJSON(w, http.StatusInternalServerError, exceptionJSON{Error: class, Message: message, Path: r.URL.Path, Timestamp: formatTime(s.now())})
}

func (s *Server) writeSpring(w http.ResponseWriter, r *http.Request, status int) {
	fakeserver.WriteJSON(w, status, springJSON{Timestamp: formatTime(s.now()), Status: status, Error: http.StatusText(status), Path: r.URL.Path})
}

// route dispatches a request as the real gateway and server would:
// authentication first, then routing, argument conversion, permission.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case p == PathToken:
		s.tokenEndpoint(w, r)
		return
	case strings.HasPrefix(p, "/v/"):
		s.hostedPage(w, r)
		return
	}
	perms, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if p == PathList {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			s.writeSpring(w, r, http.StatusMethodNotAllowed)
			return
		}
		s.list(w, r, perms)
		return
	}
	rest, ok := strings.CutPrefix(p, PathList+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 2 || parts[0] == "" {
		s.writeSpring(w, r, http.StatusNotFound)
		return
	}
	userID, err := url.PathUnescape(parts[0])
	if err != nil {
		s.writeSpring(w, r, http.StatusBadRequest)
		return
	}
	switch {
	case parts[1] == "sessions" && r.Method == http.MethodGet:
		s.userSessions(w, r, perms, userID)
	case parts[1] == "sessions" && r.Method == http.MethodPost:
		s.createSession(w, r, perms, userID)
	case parts[1] == "sessions":
		w.Header().Set("Allow", "GET, POST")
		s.writeSpring(w, r, http.StatusMethodNotAllowed)
	case parts[1] == "status" && r.Method == http.MethodGet:
		s.userStatus(w, r, perms, userID)
	case parts[1] == "status":
		w.Header().Set("Allow", "GET")
		s.writeSpring(w, r, http.StatusMethodNotAllowed)
	default:
		s.writeSpring(w, r, http.StatusNotFound)
	}
}

// authenticate checks the Bearer token as the API's resource server does
// and returns the permissions bound to it. On failure it has answered 401.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	tok, ok := fakeserver.BearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	info, ok := s.fs.Tokens().Lookup(tok)
	if !ok || info.Kind != fakeserver.AccessToken {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Provided token isn't active", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`)
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	return info.Scopes, true
}

// permit answers the denial and returns false when perms lacks perm.
func (s *Server) permit(w http.ResponseWriter, r *http.Request, perms []string, perm Permission) bool {
	if slices.Contains(perms, string(perm)) {
		return true
	}
	switch s.cfg.denial {
	case DenyForbidden:
		s.writeSpring(w, r, http.StatusForbidden)
	case DenyAccessDenied500:
		s.writeException(w, r, "AccessDeniedException", "Access Denied")
	default:
		fakeserver.WriteJSON(w, http.StatusUnauthorized, map[string][]string{"missing_permissions": {string(perm)}})
	}
	return false
}

// queryInt32 converts a query parameter as Spring would (absent or empty:
// the default).
func queryInt32(q url.Values, name string, def int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, perms []string) {
	q := r.URL.Query()
	limit, ok1 := queryInt32(q, "limit", ekycDefaultLimit)
	start, ok2 := queryInt32(q, "start", 0)
	if !ok1 || !ok2 {
		s.writeException(w, r, "MethodArgumentTypeMismatchException", "Failed to convert value of type 'java.lang.String' to required type 'int'")
		return
	}
	if !s.permit(w, r, perms, PermissionList) {
		return
	}
	if start < 0 || limit < 0 {
		s.writeException(w, r, "ReqlQueryLogicError", "Cannot use a negative index on a stream.")
		return
	}
	s.mu.Lock()
	page := []userSessionJSON{}
	for i := start; i < len(s.order) && len(page) < limit; i++ {
		id := s.order[i]
		page = append(page, userSessionsJSON(id, s.records[id]))
	}
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, page)
}

// ekycDefaultLimit is the default page size of the list endpoint.
const ekycDefaultLimit = 1024

func toJSON(se *session) sessionJSON {
	return sessionJSON{SessionToken: se.sessionToken, URL: se.url, ID: se.id, Status: se.status}
}

func userSessionsJSON(userID string, r *record) userSessionJSON {
	out := userSessionJSON{ID: userID, Sessions: make(map[string]sessionJSON, len(r.sessions))}
	for _, se := range r.sessions {
		out.Sessions[se.key] = toJSON(se)
	}
	return out
}

func (s *Server) userSessions(w http.ResponseWriter, r *http.Request, perms []string, userID string) {
	if !s.permit(w, r, perms, PermissionGet) {
		return
	}
	s.mu.Lock()
	rec, ok := s.records[userID]
	var body userSessionJSON
	if ok {
		body = userSessionsJSON(userID, rec)
	}
	s.mu.Unlock()
	if !ok {
		s.writeReason(w, http.StatusNotFound, "No sessions available for the user id.")
		return
	}
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

// errNotReadable is a body Spring cannot convert to SessionRequest.
var errNotReadable = errors.New("not readable")

// parseSessionRequest reads a SessionRequest body as Jackson would:
// a JSON object; unknown fields ignored; callback a string or null.
func parseSessionRequest(r *http.Request) (callback string, err error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return "", errNotReadable
	}
	if dec.More() {
		return "", errNotReadable
	}
	if v, ok := raw["callback"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &callback); err != nil {
			return "", errNotReadable
		}
	}
	return callback, nil
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request, perms []string, userID string) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		s.writeException(w, r, "HttpMediaTypeNotSupportedException", "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported")
		return
	}
	callback, err := parseSessionRequest(r)
	if err != nil {
		s.writeException(w, r, "HttpMessageNotReadableException", "Required request body is missing or is not a SessionRequest")
		return
	}
	if !s.permit(w, r, perms, PermissionCreate) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		if s.cfg.unknownUser == http.StatusNotFound {
			s.writeReason(w, http.StatusNotFound, "Identity not found.")
		} else {
			s.writeException(w, r, "ApiException", "Not Found")
		}
		return
	}
	if reason := validate(u, s.now()); reason != "" {
		s.writeReason(w, http.StatusBadRequest, reason)
		return
	}
	se := s.newSessionLocked(userID, "created", callback)
	fakeserver.WriteJSON(w, http.StatusOK, toJSON(se))
}

// buckets are the UserStatusResponse buckets, by session status.
var buckets = []string{"created", "started", "submitted", "success", "rejected", "expired"}

func (s *Server) userStatus(w http.ResponseWriter, r *http.Request, perms []string, userID string) {
	if !s.permit(w, r, perms, PermissionGet) {
		return
	}
	s.mu.Lock()
	body := statusJSON{Timestamp: formatTime(s.now())}
	if rec, ok := s.records[userID]; ok {
		body.TotalSessions = len(rec.sessions)
		slots := []**sessionJSON{&body.Created, &body.Started, &body.Submitted, &body.Success, &body.Rejected, &body.Expired}
		for i, b := range buckets {
			for _, se := range rec.sessions {
				if se.status == b {
					j := toJSON(se)
					*slots[i] = &j
					break
				}
			}
		}
	}
	if v, ok := s.people[userID]; ok {
		body.Verification = &verificationJSON{Status: v.status, Reason: v.reason, Timestamp: formatTime(v.at)}
	}
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

// hostedPage stands in for the provider's hosted verification page that a
// session's URL points to.
func (s *Server) hostedPage(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.URL.Path, "/v/")
	s.mu.Lock()
	var found *session
	for _, rec := range s.records {
		for _, se := range rec.sessions {
			if subtle.ConstantTimeCompare([]byte(se.sessionToken), []byte(tok)) == 1 {
				found = se
			}
		}
	}
	var id, status string
	if found != nil {
		id, status = found.id, found.status
	}
	s.mu.Unlock()
	if found == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!doctype html><title>Verification</title><h1>Identity verification (test)</h1><p>Session " +
		html.EscapeString(id) + ": " + html.EscapeString(status) + "</p>"))
}

// ---- token endpoint ----

// allowedScopes are the scopes a registered client may request.
var allowedScopes = []string{"openid", "offline", "offline_access"}

func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fakeserver.OAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "HTTP method is '"+r.Method+"', expected 'POST'.")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.")
		return
	}
	ca, err := fakeserver.ParseClientAuth(r)
	if errors.Is(err, fakeserver.ErrMultipleClientAuth) {
		fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_request", "The client used more than one authentication method.")
		return
	}
	const clientFailed = "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."
	if err != nil || ca.Method == fakeserver.AuthMethodNone || ca.ID == "" || (ca.Method == fakeserver.AuthMethodPost && !s.cfg.allowPost) {
		fakeserver.OAuthError(w, http.StatusUnauthorized, "invalid_client", clientFailed)
		return
	}
	s.mu.Lock()
	c, ok := s.clients[ca.ID]
	var perms []string
	good := ok && !c.revoked && subtle.ConstantTimeCompare([]byte(c.secret), []byte(ca.Secret)) == 1
	if good {
		perms = slices.Clone(c.perms)
	}
	s.mu.Unlock()
	if !good {
		fakeserver.OAuthError(w, http.StatusUnauthorized, "invalid_client", clientFailed)
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_request", "The request is missing the 'grant_type' parameter.")
		return
	case "authorization_code", "refresh_token", "password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer":
		fakeserver.OAuthError(w, http.StatusBadRequest, "unauthorized_client", "The OAuth 2.0 Client is not allowed to use this grant type.")
		return
	default:
		fakeserver.OAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, sc := range scopes {
		if !slices.Contains(allowedScopes, sc) {
			fakeserver.OAuthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope '"+sc+"'.")
			return
		}
	}
	tok := s.fs.Tokens().Issue(ca.ID, perms, s.cfg.tokenTTL)
	fakeserver.WriteToken(w, fakeserver.TokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		ExpiresIn:   int64(s.cfg.tokenTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
	})
}
