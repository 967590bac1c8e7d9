package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/option"
)

// Cookie names. The state cookie lives only on the callback path and only
// for as long as an authorization code does.
const (
	stateCookie   = "kyc_state"
	sessionCookie = "kyc_session"
	stateMaxAge   = 10 * time.Minute
)

// callTimeout bounds the token exchange and the GET /v2/users/me call of one
// callback.
const callTimeout = 30 * time.Second

// appConfig configures the web app.
type appConfig struct {
	// Fractal is the OAuth application. Its RedirectURL must reach this
	// app; the app serves the callback on that URL's path. When it is
	// https, the cookies are Secure. Empty Scopes means the scopes of Level
	// with their details scopes.
	Fractal fractalid.Config
	// Level is the KYC level the app asks for and checks. Empty means
	// basic+liveness.
	Level fractalid.Level
	// ClientOptions configure the GET /v2/users/me client; the Fractal
	// environment is added first.
	ClientOptions []option.ClientOption
	// SessionTTL is how long a session lasts (default 1 hour).
	SessionTTL time.Duration
	// MaxSessions caps the number of live sessions (default 10,000).
	MaxSessions int
	// Logger receives one line per failed callback (never a token, code,
	// state or personal data). Nil discards.
	Logger *slog.Logger
	// Now is the clock of the session store (default time.Now).
	Now func() time.Time
	// Tokens, if set, keeps each user's token at sign-in (-postgres: a
	// pgstore.TokenStore), so that other replicas and the webhook receiver
	// can read the user again later. Nil keeps no tokens.
	Tokens tokenSaver
}

// tokenSaver keeps a user's token under Fractal's uid (pgstore.TokenStore).
type tokenSaver interface {
	Save(ctx context.Context, uid, appUserID string, tok *oauth2.Token) error
}

// app is the web app: an http.Handler.
type app struct {
	cfg          fractalid.Config
	level        fractalid.Level
	client       *fractalid.Client // template for ForToken
	sessions     *sessionStore
	callbackPath string
	secure       bool
	csp          string
	embedCSP     string // the embedded page's policy: its script, the iframe, fetch to this app
	embedOrigin  string // the origin of the embedded journey's messages
	log          *slog.Logger
	tokens       tokenSaver
	pages        map[string]*template.Template
	mux          *http.ServeMux
}

// newApp builds the web app. It checks the configuration up front: the
// authorization URL, the redirect URL and the client options.
func newApp(c appConfig) (*app, error) {
	a := &app{cfg: c.Fractal, level: c.Level, log: c.Logger, tokens: c.Tokens}
	if len(a.level) == 0 {
		a.level = fractalid.ParseLevel("basic+liveness")
	}
	if len(a.cfg.Scopes) == 0 {
		a.cfg.Scopes = fractalid.ScopesFor(a.level, fractalid.WithDetails())
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if err := a.cfg.Validate(); err != nil {
		return nil, err
	}
	ru, err := url.Parse(a.cfg.RedirectURL)
	if err != nil || ru.Path == "" || ru.Path[0] != '/' {
		return nil, errors.New("webapp: the redirect URL needs a path, such as /callback")
	}
	a.callbackPath = ru.Path
	a.secure = ru.Scheme == "https"

	// The zero Environment means Production in every flow of the Config;
	// the client option wants it spelt out.
	env := a.cfg.Environment
	if env == (fractalid.Environment{}) {
		env = fractalid.Production
	}
	au, err := url.Parse(env.AuthorizeURL())
	if err != nil {
		return nil, fmt.Errorf("webapp: authorization URL: %w", err)
	}
	// form-action also governs where a form submission may be redirected:
	// the "Verify with Fractal" form is answered with a redirect to the
	// authorization page.
	a.csp = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; " +
		"form-action 'self' " + au.Scheme + "://" + au.Host

	a.embedOrigin = a.cfg.EmbedOrigin()
	a.embedCSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self'; frame-src " + au.Scheme + "://" + au.Host

	opts := append([]option.ClientOption{fractalid.WithEnvironment(env)}, c.ClientOptions...)
	a.client, err = fractalid.NewClient(noToken{}, opts...)
	if err != nil {
		return nil, err
	}
	ttl := c.SessionTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	maxSessions := c.MaxSessions
	if maxSessions <= 0 {
		maxSessions = 10_000
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	a.sessions = newSessionStore(ttl, maxSessions, now)
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}

	a.mux = http.NewServeMux()
	a.mux.HandleFunc("GET /{$}", a.home)
	a.mux.HandleFunc("POST /login", a.login)
	a.mux.HandleFunc("GET "+a.callbackPath, a.callback)
	a.mux.HandleFunc("GET /status", a.status)
	a.mux.HandleFunc("POST /logout", a.logout)
	a.mux.HandleFunc("GET /style.css", serveCSS)
	a.mux.HandleFunc("GET /embedded", a.embedded)
	a.mux.HandleFunc("POST /embedded/complete", a.embeddedComplete)
	a.mux.HandleFunc("GET /embed.js", serveEmbedJS)
	return a, nil
}

// noToken is the token source of the template client: every request is
// made through ForToken with the user's own token.
type noToken struct{}

func (noToken) Token() (*oauth2.Token, error) { return nil, errors.New("webapp: no user token") }

// ServeHTTP implements http.Handler with security headers on every reply.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", a.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The callback URL carries the authorization code: never send it on.
	h.Set("Referrer-Policy", "no-referrer")
	if r.URL.Path != "/style.css" && r.URL.Path != "/embed.js" {
		h.Set("Cache-Control", "no-store")
	}
	a.mux.ServeHTTP(w, r)
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	_, signedIn := a.currentSession(r)
	a.render(w, http.StatusOK, "home", struct {
		SignedIn bool
		Level    string
	}{signedIn, a.level.String()})
}

// login starts the authorization: a fresh state in a cookie scoped to the
// callback path, then a redirect to Fractal's authorization page.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	state, err := randomID()
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "Something went wrong", "Please try again.", "random state", err)
		return
	}
	authURL, err := a.cfg.AuthCodeURL(state)
	if err != nil {
		a.fail(w, http.StatusInternalServerError, "Something went wrong", "Please try again.", "authorization URL", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     stateCookie,
		Value:    state,
		Path:     a.callbackPath,
		MaxAge:   int(stateMaxAge / time.Second),
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// callback is where Fractal sends the user back: check the state, exchange
// the code, read the user's verification cases and open a session holding
// the uid and the KYC status only.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(stateCookie)
	// The state is single use: drop it whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: a.callbackPath, MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	if err != nil || c.Value == "" {
		a.fail(w, http.StatusBadRequest, "Your sign-in expired",
			"We could not find the sign-in you started in this browser (it expires after 10 minutes, and needs cookies). Please start again.", "callback without state cookie", nil)
		return
	}
	code, err := a.cfg.ParseCallback(r, c.Value)
	var authErr *fractalid.AuthError
	switch {
	case err == nil:
	case errors.Is(err, fractalid.ErrStateMismatch):
		a.fail(w, http.StatusBadRequest, "This sign-in does not match",
			"The answer from Fractal ID does not belong to the sign-in started in this browser. Please start again.", "callback state mismatch", err)
		return
	case errors.Is(err, fractalid.ErrAccessDenied):
		a.fail(w, http.StatusForbidden, "Verification not shared",
			"You chose not to share your verification with us, so we cannot check your KYC status. You can start again at any time.", "", nil)
		return
	case errors.As(err, &authErr) && authErr.TemporarilyUnavailable():
		a.fail(w, http.StatusServiceUnavailable, "Fractal ID is unavailable",
			"Fractal ID could not complete the sign-in right now. Please try again in a few minutes.", "authorization error", err)
		return
	case errors.As(err, &authErr):
		a.fail(w, http.StatusBadGateway, "Sign-in failed",
			"Fractal ID refused the sign-in request. Please try again later.", "authorization error", err)
		return
	default:
		a.fail(w, http.StatusBadRequest, "Sign-in failed",
			"The answer from Fractal ID was incomplete. Please start again.", "callback", err)
		return
	}

	if f := a.signIn(w, r, code); f != nil {
		a.fail(w, f.status, f.title, f.message, f.what, f.err)
		return
	}
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

// failure is a failed sign-in step: what the user sees and what is logged.
type failure struct {
	status         int
	title, message string
	what           string
	err            error
}

// signIn exchanges the code, reads the user's verification cases and opens
// a session holding the uid and the KYC status only (its cookie is set on
// w). It is the end of both the redirect and the embedded flow.
func (a *app) signIn(w http.ResponseWriter, r *http.Request, code string) *failure {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	tok, err := a.cfg.Exchange(ctx, code)
	if err != nil {
		if errors.Is(err, kyc.ErrReauthorizationRequired) {
			return &failure{http.StatusBadRequest, "Your sign-in expired",
				"This sign-in was already used or has expired. Please start again.", "code exchange", err}
		}
		return &failure{http.StatusBadGateway, "Fractal ID is unavailable",
			"We could not complete the sign-in with Fractal ID. Please try again.", "code exchange", err}
	}
	// The token is used right away; it is kept only when a token store is
	// configured (-postgres), encrypted in the database.
	client, err := a.client.ForToken(oauth2.StaticTokenSource(tok))
	if err != nil {
		return &failure{http.StatusInternalServerError, "Something went wrong", "Please try again.", "client", err}
	}
	user, err := client.Me(ctx)
	if err != nil {
		return &failure{http.StatusBadGateway, "Fractal ID is unavailable",
			"We could not read your verification status from Fractal ID. Please try again.", "users/me", err}
	}
	if a.tokens != nil {
		// A stale-token refusal means another replica stored a token of
		// this user that expires later: that one is kept, which is fine.
		if err := a.tokens.Save(ctx, user.UID, "", tok); err != nil && !errors.Is(err, errStaleToken) {
			return &failure{http.StatusServiceUnavailable, "Something went wrong",
				"We could not complete your sign-in. Please try again.", "token store", err}
		}
	}
	sess := summarize(user, a.level, fractalid.GrantedScopes(tok))
	id, err := a.sessions.create(sess)
	if err != nil {
		return &failure{http.StatusServiceUnavailable, "Too many sessions", "Please try again in a few minutes.", "session", err}
	}
	// A fresh session id on every sign-in (no fixation): drop the old one.
	if old, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.delete(old.Value)
	}
	http.SetCookie(w, a.sessionCookie(id, int(a.sessions.ttl/time.Second)))
	return nil
}

func (a *app) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   a.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

func (a *app) currentSession(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	return a.sessions.get(c.Value)
}

// status shows the KYC status of the signed-in user.
func (a *app) status(w http.ResponseWriter, r *http.Request) {
	s, ok := a.currentSession(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.render(w, http.StatusOK, "status", s)
}

// logout ends the session. The session cookie is SameSite=Lax, so another
// site cannot post here with it.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sessions.delete(c.Value)
	}
	http.SetCookie(w, a.sessionCookie("", -1))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fail renders an error page. what and err are logged (never personal
// data: the package's errors hold none); an empty what logs nothing.
func (a *app) fail(w http.ResponseWriter, status int, title, message, what string, err error) {
	if what != "" {
		a.log.Warn("webapp: "+what, slog.Int("status", status), slog.Any("error", err))
	}
	a.render(w, status, "error", struct{ Title, Message string }{title, message})
}

func (a *app) render(w http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := a.pages[page].Execute(&buf, data); err != nil {
		a.log.Error("webapp: template", slog.String("page", page), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// randomID returns 32 random bytes, base64url-encoded.
func randomID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
