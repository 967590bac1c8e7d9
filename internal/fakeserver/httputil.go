package fakeserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// WriteJSON writes v as a JSON reply with status. The body is encoded before
// anything is written, so an encoding failure yields a 500, never a half body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fakeserver: cannot encode reply", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// OAuthErrorBody is an RFC 6749 section 5.2 error body.
type OAuthErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// OAuthError writes an RFC 6749 error reply: {"error": code,
// "error_description": description} with Cache-Control: no-store. A 401
// also carries WWW-Authenticate: Basic, as RFC 6749 asks for invalid_client
// when the client authenticated through the Authorization header.
func OAuthError(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="token"`)
	}
	WriteJSON(w, status, OAuthErrorBody{Error: code, ErrorDescription: description})
}

// TokenResponse is an RFC 6749 section 5.1 token reply.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// String never prints the tokens.
func (t TokenResponse) String() string {
	return "TokenResponse{token_type=" + t.TokenType + " expires_in=" + strconv.FormatInt(t.ExpiresIn, 10) + " scope=" + t.Scope + " tokens=[redacted]}"
}

// WriteToken writes a 200 token reply with Cache-Control: no-store.
func WriteToken(w http.ResponseWriter, t TokenResponse) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, http.StatusOK, t)
}

// Client authentication methods, as OAuth server metadata names them.
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// ClientAuth is how a client authenticated at a token endpoint.
type ClientAuth struct {
	// ID and Secret are the client's credentials.
	ID, Secret string
	// Method is AuthMethodBasic, AuthMethodPost or AuthMethodNone (a
	// client_id in the form and no secret).
	Method string
}

// String never prints the secret.
func (c ClientAuth) String() string {
	return "ClientAuth{id=" + c.ID + " method=" + c.Method + " secret=[redacted]}"
}

// ErrMultipleClientAuth is returned when a request authenticates the client
// in more than one way (RFC 6749 section 2.3: a client MUST NOT).
var ErrMultipleClientAuth = errors.New("fakeserver: more than one client authentication method")

// ErrBadBasicAuth is returned for a malformed Basic Authorization header.
var ErrBadBasicAuth = errors.New("fakeserver: malformed Basic authorization")

// BasicAuth parses an HTTP Basic Authorization header the way RFC 6749
// section 2.3.1 asks: the id and secret are form-urlencoded before being
// base64-encoded, so they are unescaped here. ok is false when there is no
// Basic header; err is set when it is malformed.
func BasicAuth(r *http.Request) (id, secret string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", false, nil
	}
	scheme, _, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	rawID, rawSecret, ok := r.BasicAuth()
	if !ok {
		return "", "", false, ErrBadBasicAuth
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil {
		return "", "", false, ErrBadBasicAuth
	}
	return id, secret, true, nil
}

// ParseClientAuth finds the client's credentials in a token request: HTTP
// Basic (client_secret_basic), or client_id and client_secret in the form
// body (client_secret_post), or only client_id (none). It parses the form.
// It fails with ErrMultipleClientAuth when both Basic and form credentials
// are present, with ErrBadBasicAuth on a malformed header, and returns a
// zero ClientAuth (no error) when the client did not identify itself.
func ParseClientAuth(r *http.Request) (ClientAuth, error) {
	if err := r.ParseForm(); err != nil {
		return ClientAuth{}, err
	}
	id, secret, ok, err := BasicAuth(r)
	if err != nil {
		return ClientAuth{}, err
	}
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if ok {
		if formSecret != "" || (formID != "" && formID != id) {
			return ClientAuth{}, ErrMultipleClientAuth
		}
		return ClientAuth{ID: id, Secret: secret, Method: AuthMethodBasic}, nil
	}
	switch {
	case formID != "" && formSecret != "":
		return ClientAuth{ID: formID, Secret: formSecret, Method: AuthMethodPost}, nil
	case formID != "":
		return ClientAuth{ID: formID, Method: AuthMethodNone}, nil
	}
	return ClientAuth{}, nil
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
