package fractalidtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/internal/fakeserver"
)

// Doorkeeper's default error descriptions (the reference quotes the
// access_denied one).
const (
	descAccessDenied   = "The resource owner or authorization server denied the request."
	descInvalidGrant   = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
	descInvalidClient  = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
	descInvalidScope   = "The requested scope is invalid, unknown, or malformed."
	descUnsupportedGT  = "The authorization grant type is not supported by the authorization server."
	descUnsupportedRT  = "The authorization server does not support this response type."
	descInvalidRequest = "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed."
)

// AuthError is an OAuth error of the fake's authorization endpoint or of
// Server.Authorize: Code is an RFC 6749 error code such as invalid_request,
// invalid_scope, unsupported_response_type, access_denied, invalid_client
// or invalid_redirect_uri.
type AuthError struct {
	Code        string
	Description string
	// Redirect reports whether the real service would redirect this error
	// to the redirect URI (false for an unknown client or redirect URI,
	// which are shown on an error page instead).
	Redirect bool
}

// Error returns the code and description.
func (e *AuthError) Error() string {
	return "fractalidtest: authorize: " + e.Code + ": " + e.Description
}

type authCode struct {
	clientID, userID string
	redirectURI      string
	scopes           []fractalid.Scope
	issued           time.Time
	used             bool
	// challenge and method are the PKCE code_challenge and
	// code_challenge_method of the authorization request, if any.
	challenge, method string
}

// tokenRecord is one access token with its refresh token (one Doorkeeper
// oauth_access_tokens row).
type tokenRecord struct {
	access, refresh string
	clientID        string
	userID          string // "" for client credentials
	scopes          []fractalid.Scope
	created         time.Time
	ttl             time.Duration
	revoked         bool
	// previousRefresh is the refresh token this record's refresh replaced;
	// the record holding it is revoked when this access token is first used.
	previousRefresh string
}

func (t *tokenRecord) expired(now time.Time) bool { return !now.Before(t.created.Add(t.ttl)) }

func (t *tokenRecord) hasScope(sc fractalid.Scope) bool { return slices.Contains(t.scopes, sc) }

// authRequest is a validated authorization request.
type authRequest struct {
	client      *ClientApp
	redirectURI string
	state       string
	scopes      []fractalid.Scope
	loginHint   string
	challenge   string
	method      string // code_challenge_method: plain or S256
}

// userScopes are the scopes an application may request at /authorize by
// default: the reference's current list without the client scope.
var userScopes = func() []fractalid.Scope {
	return slices.DeleteFunc(fractalid.AllScopes(), func(s fractalid.Scope) bool { return s == fractalid.ScopeClientStats })
}

// checkAuthorize validates authorization parameters. The caller holds s.mu.
func (s *Server) checkAuthorize(q url.Values) (*authRequest, *AuthError) {
	c, ok := s.clients[q.Get("client_id")]
	if !ok {
		return nil, &AuthError{Code: "invalid_client", Description: descInvalidClient}
	}
	ru := q.Get("redirect_uri")
	if ru == "" || !redirectMatches(ru, c.RedirectURI) {
		return nil, &AuthError{Code: "invalid_redirect_uri", Description: "The requested redirect uri is malformed or doesn't match client redirect URI."}
	}
	ar := &authRequest{client: c, redirectURI: ru, state: q.Get("state"), loginHint: q.Get("login_hint")}
	if rt := q.Get("response_type"); rt != "code" {
		if rt == "" {
			return ar, &AuthError{Code: "invalid_request", Description: "Missing required parameter: response_type.", Redirect: true}
		}
		return ar, &AuthError{Code: "unsupported_response_type", Description: descUnsupportedRT, Redirect: true}
	}
	scopes := fractalid.ParseScopes(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = []fractalid.Scope{fractalid.ScopeUID}
	}
	allowed := c.Scopes
	if len(allowed) == 0 {
		allowed = userScopes()
	}
	for _, sc := range scopes {
		if !slices.Contains(allowed, sc) {
			return ar, &AuthError{Code: "invalid_scope", Description: descInvalidScope, Redirect: true}
		}
	}
	ar.scopes = dedupScopes(scopes)
	if ar.state == "" {
		return ar, &AuthError{Code: "invalid_request", Description: "Missing required parameter: state.", Redirect: true}
	}
	// PKCE as stock Doorkeeper checks it: a challenge needs a method, plain
	// or S256.
	if ch := q.Get("code_challenge"); ch != "" {
		m := q.Get("code_challenge_method")
		if m != "plain" && m != "S256" {
			return ar, &AuthError{Code: "invalid_request", Description: "The code challenge method must be plain or S256.", Redirect: true}
		}
		ar.challenge, ar.method = ch, m
	}
	return ar, nil
}

// redirectMatches compares a requested redirect URI with the registered
// one: equal once the requested one's query is removed, the registered
// one's query (if any) being kept, as Doorkeeper does.
func redirectMatches(requested, registered string) bool {
	if requested == registered {
		return true
	}
	ru, err1 := url.Parse(requested)
	gu, err2 := url.Parse(registered)
	if err1 != nil || err2 != nil || ru.Fragment != "" {
		return false
	}
	if gu.RawQuery != "" {
		return false
	}
	ru.RawQuery = ""
	return ru.String() == gu.String()
}

func dedupScopes(in []fractalid.Scope) []fractalid.Scope {
	out := make([]fractalid.Scope, 0, len(in))
	for _, sc := range in {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// pickUser chooses the consenting user: the hint if it names a user, else
// the first user. The caller holds s.mu.
func (s *Server) pickUser(hint string) (*userRecord, bool) {
	if hint != "" {
		r, ok := s.users[hint]
		return r, ok
	}
	if len(s.order) == 0 {
		return nil, false
	}
	return s.users[s.order[0]], true
}

// issueCode records the user's consent and returns a new code. The caller
// holds s.mu.
func (s *Server) issueCode(ar *authRequest, r *userRecord, now time.Time) string {
	granted := slices.DeleteFunc(slices.Clone(ar.scopes), func(sc fractalid.Scope) bool {
		return slices.Contains(r.user.RefusedScopes, sc)
	})
	if !s.cfg.noAutoCases {
		for _, sc := range granted {
			item, ok := verificationItem(sc)
			if ok && !r.covered(item) {
				r.cases = append(r.cases, &caseRecord{id: newUUID(), level: fractalid.Level{item}, state: Pending, journeyCompleted: true})
			}
		}
	}
	code := fakeserver.NewToken()
	s.codes[code] = &authCode{clientID: ar.client.ID, userID: r.user.ID, redirectURI: ar.redirectURI, scopes: granted, issued: now,
		challenge: ar.challenge, method: ar.method}
	return code
}

// verificationItem returns the level or add-on of a verification scope
// (verification.<item>:read), or false for any other scope.
func verificationItem(sc fractalid.Scope) (fractalid.Item, bool) {
	name, ok := strings.CutPrefix(string(sc), "verification.")
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ":read")
	if !ok || name == "" || strings.Contains(name, ".") {
		return "", false
	}
	return fractalid.Item(name), true
}

// detailsItem returns the level or add-on of a details scope
// (verification.<item>.details:read).
func detailsItem(sc fractalid.Scope) (fractalid.Item, bool) {
	name, ok := strings.CutPrefix(string(sc), "verification.")
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ".details:read")
	if !ok || name == "" || strings.Contains(name, ".") {
		return "", false
	}
	return fractalid.Item(name), true
}

// callbackURL builds redirect_uri with extra query parameters.
func callbackURL(redirectURI string, params url.Values) *url.URL {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return &url.URL{}
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	return u
}

func errorCallback(ar *authRequest, e *AuthError) *url.URL {
	return callbackURL(ar.redirectURI, url.Values{"error": {e.Code}, "error_description": {e.Description}, "state": {ar.state}})
}

// Authorize records userID's consent for clientID and returns an
// authorization code, as if the user approved the consent page. An empty
// redirectURI means the client's registered one; no scopes means uid:read.
// The same checks as GET /authorize apply (state excepted); errors are
// *AuthError.
func (s *Server) Authorize(clientID, userID string, scopes []fractalid.Scope, redirectURI string) (string, error) {
	s.mu.Lock()
	c, ok := s.clients[clientID]
	if ok && redirectURI == "" {
		redirectURI = c.RedirectURI
	}
	s.mu.Unlock()
	q := url.Values{
		"client_id":     {clientID},
		"redirect_uri":  {redirectURI},
		"response_type": {"code"},
		"scope":         {fractalid.JoinScopes(scopes)},
		"state":         {"-"},
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, aerr := s.checkAuthorize(q)
	if aerr != nil {
		return "", aerr
	}
	r, ok := s.users[userID]
	if !ok {
		return "", &AuthError{Code: "access_denied", Description: "fractalidtest: no user " + userID, Redirect: true}
	}
	return s.issueCode(ar, r, now), nil
}

// Approve plays the user approving the consent page reached through
// authURL (what fractalid.Config.AuthCodeURL returns): it checks the
// request as GET /authorize does and returns the callback URL the browser
// would be sent to, with code and state. userID chooses the user; empty
// means the login_hint parameter, else the first user. A request the real
// service would redirect with an error gives that callback URL (error and
// state) and a nil error; one it would not redirect (unknown client or
// redirect URI) gives an *AuthError.
func (s *Server) Approve(authURL, userID string) (*url.URL, error) {
	return s.decide(authURL, userID, true)
}

// Deny plays the user denying the consent page reached through authURL: it
// returns the callback URL with error=access_denied and state.
func (s *Server) Deny(authURL string) (*url.URL, error) { return s.decide(authURL, "", false) }

func (s *Server) decide(authURL, userID string, approve bool) (*url.URL, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("fractalidtest: authorization URL: %w", err)
	}
	q := u.Query()
	if userID != "" {
		q.Set("login_hint", userID)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, aerr := s.checkAuthorize(q)
	if aerr != nil {
		if aerr.Redirect {
			return errorCallback(ar, aerr), nil
		}
		return nil, aerr
	}
	if !approve {
		return errorCallback(ar, &AuthError{Code: "access_denied", Description: descAccessDenied}), nil
	}
	r, ok := s.pickUser(ar.loginHint)
	if !ok {
		return nil, &AuthError{Code: "access_denied", Description: "fractalidtest: no such user (add one with AddUser)"}
	}
	code := s.issueCode(ar, r, now)
	return callbackURL(ar.redirectURI, url.Values{"code": {code}, "state": {ar.state}}), nil
}

// consentPage is the HTML of GET /authorize. It is a plain form: a browser,
// a headless browser or an HTTP client can post it.
var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize {{.ClientID}} - Fractal ID (fake)</title></head>
<body>
<h1>Authorize application</h1>
<p id="client">Application <code>{{.ClientID}}</code> asks for:</p>
<ul id="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form id="consent" method="post" action="/authorize">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{if .Users}}<label for="user_id">User</label>
<select id="user_id" name="user_id">{{range .Users}}<option value="{{.}}"{{if eq . $.Selected}} selected{{end}}>{{.}}</option>{{end}}</select>
{{end}}<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form>
</body>
</html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorization error - Fractal ID (fake)</title></head>
<body>
<h1 id="error">{{.Code}}</h1>
<p id="error_description">{{.Description}}</p>
</body>
</html>
`))

type hiddenField struct{ Name, Value string }

// authorizeParams are the parameters the consent form carries over.
var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "ensure_wallet", "login_hint",
	"method", "currency", "code_challenge", "code_challenge_method"}

func renderError(w http.ResponseWriter, e *AuthError) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorPage.Execute(w, e)
}

func redirect(w http.ResponseWriter, u *url.URL) {
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// handleAuthorize serves GET (consent page) and POST (decision) /authorize.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	var q url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			renderError(w, &AuthError{Code: "invalid_request", Description: descInvalidRequest})
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	now := s.now()
	s.mu.Lock()
	ar, aerr := s.checkAuthorize(q)
	if aerr != nil {
		s.mu.Unlock()
		if aerr.Redirect {
			redirect(w, errorCallback(ar, aerr))
		} else {
			renderError(w, aerr)
		}
		return
	}
	if r.Method == http.MethodPost || s.cfg.autoApprove {
		decision := q.Get("decision")
		if r.Method == http.MethodGet && s.cfg.autoApprove {
			decision = "approve"
		}
		switch decision {
		case "approve":
			hint := q.Get("user_id")
			if hint == "" {
				hint = ar.loginHint
			}
			u, ok := s.pickUser(hint)
			if !ok {
				s.mu.Unlock()
				renderError(w, &AuthError{Code: "access_denied", Description: "No such user: add one with Server.AddUser."})
				return
			}
			code := s.issueCode(ar, u, now)
			s.mu.Unlock()
			if s.embedded(r) {
				postToParent(w, ar.redirectURI, approvalMessage(code, ar.state))
				return
			}
			redirect(w, callbackURL(ar.redirectURI, url.Values{"code": {code}, "state": {ar.state}}))
		case "deny":
			s.mu.Unlock()
			if s.embedded(r) {
				postToParent(w, ar.redirectURI, denialMessage(ar.state))
				return
			}
			redirect(w, errorCallback(ar, &AuthError{Code: "access_denied", Description: descAccessDenied}))
		default:
			s.mu.Unlock()
			renderError(w, &AuthError{Code: "invalid_request", Description: "Missing decision: approve or deny."})
		}
		return
	}
	data := struct {
		ClientID string
		Scopes   []fractalid.Scope
		Hidden   []hiddenField
		Users    []string
		Selected string
	}{ClientID: ar.client.ID, Scopes: ar.scopes}
	for _, k := range authorizeParams {
		if v := q.Get(k); v != "" {
			data.Hidden = append(data.Hidden, hiddenField{k, v})
		}
	}
	if ar.loginHint == "" {
		data.Users = slices.Clone(s.order)
		if len(data.Users) > 0 {
			data.Selected = data.Users[0]
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_ = consentPage.Execute(w, data)
	}
}

// embedded reports whether the consent page acts as the embedded journey
// for r.
func (s *Server) embedded(r *http.Request) bool {
	switch s.cfg.embed {
	case EmbedAlways:
		return true
	case EmbedNever:
		return false
	}
	return r.Header.Get("Sec-Fetch-Dest") == "iframe"
}

// approvalMessage is the embedded journey's completion message.
func approvalMessage(code, state string) map[string]string {
	return map[string]string{"code": code, "state": state, "sub1": code}
}

// denialMessage is the embedded journey's failure message.
func denialMessage(state string) map[string]string {
	return map[string]string{"error": "access_denied", "error_description": descAccessDenied, "state": state}
}

// embedPage posts its message to the parent window as soon as it loads.
var embedPage = template.Must(template.New("embed").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Fractal ID (fake): done</title></head>
<body>
<p id="embedded-done">Done: you can close this frame.</p>
<script>
window.parent.postMessage({{.Message}}, {{.TargetOrigin}});
</script>
</body>
</html>
`))

// postToParent answers the consent form of the embedded journey: a page
// that posts msg to its parent window, addressed to the redirect URI's
// origin.
func postToParent(w http.ResponseWriter, redirectURI string, msg map[string]string) {
	target := "*"
	if u, err := url.Parse(redirectURI); err == nil && u.Scheme != "" && u.Host != "" {
		target = u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = embedPage.Execute(w, struct {
		Message      map[string]string
		TargetOrigin string
	}{msg, target})
}

// ApproveEmbedded plays the user approving the embedded journey reached
// through authURL and returns the message the journey posts to the parent
// window (event.data as JSON: code, state, sub1), what the parent page
// forwards to the backend and fractalid.Config.ParseEmbedMessage reads.
// Errors are as for Approve; a request the real service would answer with
// an error gives that error message (error, error_description, state).
func (s *Server) ApproveEmbedded(authURL, userID string) ([]byte, error) {
	cb, err := s.decide(authURL, userID, true)
	if err != nil {
		return nil, err
	}
	return messageFromCallback(cb)
}

// DenyEmbedded plays the user denying the embedded journey and returns the
// failure message posted to the parent window.
func (s *Server) DenyEmbedded(authURL string) ([]byte, error) {
	cb, err := s.decide(authURL, "", false)
	if err != nil {
		return nil, err
	}
	return messageFromCallback(cb)
}

func messageFromCallback(cb *url.URL) ([]byte, error) {
	q := cb.Query()
	if e := q.Get("error"); e != "" {
		return json.Marshal(map[string]string{"error": e, "error_description": q.Get("error_description"), "state": q.Get("state")})
	}
	return json.Marshal(approvalMessage(q.Get("code"), q.Get("state")))
}

// tokenResponse is Doorkeeper's token reply, with its created_at extra.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
}

// tokenParams collects the token request's parameters from a form body, a
// JSON body or the query string (the reference's sample client sends them
// in the query of a POST with an empty body).
func tokenParams(r *http.Request) (url.Values, error) {
	params := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(body) > 64<<10 {
		return nil, errors.New("body too large")
	}
	switch {
	case len(body) == 0:
	case mt == "application/json":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			if str, ok := v.(string); ok {
				params.Set(k, str)
			}
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		params = form
	}
	for k, vs := range r.URL.Query() {
		if _, ok := params[k]; !ok {
			params[k] = vs
		}
	}
	for k, vs := range params {
		if len(vs) > 1 {
			return nil, fmt.Errorf("parameter %s repeated", k)
		}
	}
	return params, nil
}

// tokenError writes a token endpoint error. Unless WithoutTokenErrorChallenge
// was given it carries the header stock Doorkeeper sends on every token
// error, 400s included: WWW-Authenticate: Bearer realm="Doorkeeper",
// error="...", error_description="...".
func (s *Server) tokenError(w http.ResponseWriter, status int, code, desc string) {
	if s.cfg.noTokenChallenge {
		fakeserver.OAuthError(w, status, code, desc)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="`+code+`", error_description="`+strings.ReplaceAll(desc, `"`, `'`)+`"`)
	fakeserver.WriteJSON(w, status, fakeserver.OAuthErrorBody{Error: code, ErrorDescription: desc})
}

// handleToken serves POST /oauth/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint accepts POST only.")
		return
	}
	p, err := tokenParams(r)
	if err != nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_request", descInvalidRequest)
		return
	}
	// Client authentication: HTTP Basic or client_id/client_secret.
	id, secret, basic, berr := fakeserver.BasicAuth(r)
	if berr != nil {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	inParams := p.Get("client_secret") != ""
	switch {
	case basic && inParams:
		s.tokenError(w, http.StatusBadRequest, "invalid_request", "Use one client authentication method only.")
		return
	case basic && s.cfg.clientAuth == ClientAuthParams, inParams && s.cfg.clientAuth == ClientAuthBasic:
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	case !basic:
		id, secret = p.Get("client_id"), p.Get("client_secret")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || secret == "" || secret != c.Secret {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	var rec *tokenRecord
	var oerr *oauthErr
	switch gt := p.Get("grant_type"); gt {
	case "authorization_code":
		rec, oerr = s.grantCode(c, p, now)
	case "refresh_token":
		rec, oerr = s.grantRefresh(c, p, now)
	case "client_credentials":
		rec, oerr = s.grantClientCredentials(c, p, now)
	case "":
		oerr = &oauthErr{"invalid_request", "Missing required parameter: grant_type."}
	default:
		oerr = &oauthErr{"unsupported_grant_type", descUnsupportedGT}
	}
	if oerr != nil {
		s.tokenError(w, http.StatusBadRequest, oerr.code, oerr.desc)
		return
	}
	typ := s.cfg.userTokenTyp
	if rec.userID == "" {
		typ = s.cfg.ccTokenTyp
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	fakeserver.WriteJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  rec.access,
		TokenType:    typ,
		ExpiresIn:    int64(rec.ttl / time.Second),
		RefreshToken: rec.refresh,
		Scope:        fractalid.JoinScopes(rec.scopes),
		CreatedAt:    rec.created.Unix(),
	})
}

type oauthErr struct{ code, desc string }

func (s *Server) newRecord(clientID, userID string, scopes []fractalid.Scope, now time.Time, withRefresh bool) *tokenRecord {
	rec := &tokenRecord{access: fakeserver.NewToken(), clientID: clientID, userID: userID, scopes: slices.Clone(scopes), created: now, ttl: s.cfg.accessTTL}
	s.access[rec.access] = rec
	if withRefresh {
		rec.refresh = fakeserver.NewToken()
		s.refresh[rec.refresh] = rec
	}
	return rec
}

func (s *Server) grantCode(c *ClientApp, p url.Values, now time.Time) (*tokenRecord, *oauthErr) {
	code, ru := p.Get("code"), p.Get("redirect_uri")
	if code == "" {
		return nil, &oauthErr{"invalid_request", "Missing required parameter: code."}
	}
	if ru == "" {
		return nil, &oauthErr{"invalid_request", "Missing required parameter: redirect_uri."}
	}
	ac, ok := s.codes[code]
	if !ok || ac.used || ac.clientID != c.ID || !now.Before(ac.issued.Add(CodeTTL)) {
		return nil, &oauthErr{"invalid_grant", descInvalidGrant}
	}
	if !redirectMatches(ru, ac.redirectURI) && !redirectMatches(ac.redirectURI, ru) {
		return nil, &oauthErr{"invalid_grant", descInvalidGrant}
	}
	if _, ok := s.users[ac.userID]; !ok {
		return nil, &oauthErr{"invalid_grant", descInvalidGrant}
	}
	if oerr := checkVerifier(ac, p.Get("code_verifier")); oerr != nil {
		return nil, oerr
	}
	ac.used = true
	return s.newRecord(c.ID, ac.userID, ac.scopes, now, true), nil
}

// checkVerifier applies PKCE as stock Doorkeeper does: a code issued with
// a challenge needs a code_verifier (else invalid_request) that matches it
// (else invalid_grant); a verifier sent for a code issued without a
// challenge is refused too (invalid_grant).
func checkVerifier(ac *authCode, verifier string) *oauthErr {
	switch {
	case ac.challenge == "" && verifier == "":
		return nil
	case ac.challenge == "":
		return &oauthErr{"invalid_grant", descInvalidGrant}
	case verifier == "":
		return &oauthErr{"invalid_request", "Missing required parameter: code_verifier."}
	}
	want := verifier
	if ac.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(ac.challenge)) != 1 {
		return &oauthErr{"invalid_grant", descInvalidGrant}
	}
	return nil
}

func (s *Server) grantRefresh(c *ClientApp, p url.Values, now time.Time) (*tokenRecord, *oauthErr) {
	rt := p.Get("refresh_token")
	if rt == "" {
		return nil, &oauthErr{"invalid_request", "Missing required parameter: refresh_token."}
	}
	old, ok := s.refresh[rt]
	if !ok || old.revoked || old.clientID != c.ID {
		return nil, &oauthErr{"invalid_grant", descInvalidGrant}
	}
	if s.cfg.refreshTTL > 0 && !now.Before(old.created.Add(s.cfg.refreshTTL)) {
		return nil, &oauthErr{"invalid_grant", descInvalidGrant}
	}
	scopes := old.scopes
	if sc := p.Get("scope"); sc != "" {
		req := dedupScopes(fractalid.ParseScopes(sc))
		for _, x := range req {
			if !old.hasScope(x) {
				return nil, &oauthErr{"invalid_scope", descInvalidScope}
			}
		}
		scopes = req
	}
	rec := s.newRecord(c.ID, old.userID, scopes, now, true)
	if s.cfg.revocation == RevokeImmediately {
		old.revoked = true
	} else {
		rec.previousRefresh = rt
	}
	return rec, nil
}

func (s *Server) grantClientCredentials(c *ClientApp, p url.Values, now time.Time) (*tokenRecord, *oauthErr) {
	scopes := dedupScopes(fractalid.ParseScopes(p.Get("scope")))
	if len(scopes) == 0 {
		scopes = []fractalid.Scope{fractalid.ScopeUID}
	}
	for _, sc := range scopes {
		if sc != fractalid.ScopeClientStats && sc != fractalid.ScopeUID {
			return nil, &oauthErr{"invalid_scope", descInvalidScope}
		}
		// An application restricted to some scopes (ClientApp.Scopes)
		// gets no others, statistics included.
		if sc == fractalid.ScopeClientStats && len(c.Scopes) > 0 && !slices.Contains(c.Scopes, sc) {
			return nil, &oauthErr{"invalid_scope", descInvalidScope}
		}
	}
	return s.newRecord(c.ID, "", scopes, now, false), nil
}

// IssueToken mints a user token for the default client without going
// through the authorization page, as if userID had authorized scopes (none
// means uid:read) and the code had been exchanged. It returns an
// *oauth2.Token with a refresh token; its Expiry follows the server's clock.
func (s *Server) IssueToken(userID string, scopes ...fractalid.Scope) (*oauth2.Token, error) {
	code, err := s.Authorize(s.defaultID, userID, scopes, "")
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[code]
	ac.used = true
	rec := s.newRecord(s.defaultID, userID, ac.scopes, now, true)
	return rec.oauth2Token(s.cfg.userTokenTyp), nil
}

// IssueClientToken mints a client-credentials token for the default client
// (no scopes means client.stats:read).
func (s *Server) IssueClientToken(scopes ...fractalid.Scope) *oauth2.Token {
	if len(scopes) == 0 {
		scopes = []fractalid.Scope{fractalid.ScopeClientStats}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.newRecord(s.defaultID, "", dedupScopes(scopes), now, false)
	return rec.oauth2Token(s.cfg.ccTokenTyp)
}

func (t *tokenRecord) oauth2Token(typ string) *oauth2.Token {
	tok := &oauth2.Token{
		AccessToken:  t.access,
		TokenType:    typ,
		RefreshToken: t.refresh,
		Expiry:       t.created.Add(t.ttl),
		ExpiresIn:    int64(t.ttl / time.Second),
	}
	return tok.WithExtra(map[string]any{"scope": fractalid.JoinScopes(t.scopes), "created_at": float64(t.created.Unix())})
}

// RevokeUser revokes every token of userID (for every client), as the
// dashboard's "revoke access" button does: its access tokens get 401 and its
// refresh tokens invalid_grant.
func (s *Server) RevokeUser(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.access {
		if rec.userID == userID {
			rec.revoked = true
		}
	}
}

// RevokeToken revokes one access or refresh token and its pair.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.access[token]; ok {
		rec.revoked = true
	}
	if rec, ok := s.refresh[token]; ok {
		rec.revoked = true
	}
}
