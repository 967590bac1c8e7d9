package fractalid

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
)

// redacted is what secrets print as.
const redacted = "[redacted]"

// Config is a Fractal ID application (an OAuth client) and the
// authorization-code flow around it.
//
// A Config never prints its ClientSecret: String, GoString, Format,
// LogValue and MarshalJSON all show "[redacted]" instead.
type Config struct {
	// ClientID is the application's ID from the client dashboard.
	ClientID string
	// ClientSecret is the application's secret from the client dashboard.
	ClientSecret string
	// RedirectURL is the callback URL registered in the dashboard. It must
	// be https (http only for loopback hosts) and carry no fragment.
	RedirectURL string
	// Scopes are requested by AuthCodeURL (space-separated). Empty means the
	// server default, uid:read. Build them with ScopesFor.
	Scopes []Scope
	// Environment selects the Fractal ID hosts. The zero value means Production.
	Environment Environment
	// HTTPClient, if set, is the base client for token requests; its
	// transport is wrapped (retries, timeout), never replaced.
	HTTPClient *http.Client
	// Logger, if set, logs token requests (method, host, path, status and
	// duration only). Nothing is logged by default.
	Logger *slog.Logger
}

// String implements fmt.Stringer without printing the secret.
func (c Config) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = redacted
	}
	return fmt.Sprintf("fractalid.Config{ClientID: %q, ClientSecret: %s, RedirectURL: %q, Scopes: %q, Environment: %q}",
		c.ClientID, secret, c.RedirectURL, c.Scopes, c.env().Name)
}

// GoString implements fmt.GoStringer (the %#v verb) without printing the secret.
func (c Config) GoString() string { return c.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s,
// %d, %x, ...) prints the redacted form.
func (c Config) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue implements slog.LogValuer without the secret.
func (c Config) LogValue() slog.Value {
	secret := ""
	if c.ClientSecret != "" {
		secret = redacted
	}
	scopes := make([]string, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = string(s)
	}
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", secret),
		slog.String("redirect_url", c.RedirectURL),
		slog.String("scopes", strings.Join(scopes, " ")),
		slog.String("environment", c.env().Name),
	)
}

// MarshalJSON implements json.Marshaler with the secret redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	secret := ""
	if c.ClientSecret != "" {
		secret = redacted
	}
	return json.Marshal(struct {
		ClientID     string      `json:"client_id"`
		ClientSecret string      `json:"client_secret"`
		RedirectURL  string      `json:"redirect_url"`
		Scopes       []Scope     `json:"scopes"`
		Environment  Environment `json:"environment"`
	}{c.ClientID, secret, c.RedirectURL, c.Scopes, c.env()})
}

func (c Config) env() Environment {
	if c.Environment == (Environment{}) {
		return Production
	}
	return c.Environment
}

// Validate checks what every flow needs: a client id, a valid environment
// (zero means Production), an absolute redirect URL (https unless the host
// is loopback, no fragment) and well-formed scopes. It is what AuthCodeURL
// and Exchange check first; call it at startup to fail early. The error
// matches kyc.ErrInvalidArgument and names the field, never a value.
func (c Config) Validate() error { return c.validate() }

// validate checks the fields every flow needs.
func (c Config) validate() error {
	if c.ClientID == "" {
		return fmt.Errorf("fractalid: %w: Config.ClientID is required", kyc.ErrInvalidArgument)
	}
	if err := c.env().Validate(); err != nil {
		return fmt.Errorf("%w: %w", kyc.ErrInvalidArgument, err)
	}
	if c.RedirectURL == "" {
		return fmt.Errorf("fractalid: %w: Config.RedirectURL is required", kyc.ErrInvalidArgument)
	}
	u, err := url.Parse(c.RedirectURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("fractalid: %w: Config.RedirectURL must be an absolute http(s) URL", kyc.ErrInvalidArgument)
	}
	if u.Scheme == "http" && !apiclient.IsLoopback(u.Hostname()) {
		return fmt.Errorf("fractalid: %w: Config.RedirectURL must use https (http only for loopback hosts)", kyc.ErrInvalidArgument)
	}
	if u.Fragment != "" || strings.Contains(c.RedirectURL, "#") {
		return fmt.Errorf("fractalid: %w: Config.RedirectURL must not carry a fragment", kyc.ErrInvalidArgument)
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsFunc(string(s), func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("fractalid: %w: scopes must be non-empty and contain no spaces", kyc.ErrInvalidArgument)
		}
	}
	return nil
}

// AuthOption adds a parameter to the authorization URL.
type AuthOption func(*authParams) error

type authParams struct {
	ensureWallet string
	method       LoginMethod
	currency     Currency
	challenge    string // S256 code_challenge (WithPKCE)
}

// LoginMethod is the preferred login method of the embedded journey's
// method parameter.
type LoginMethod string

// Login methods of the embedded journey (reference section 2.8).
const (
	LoginWallet LoginMethod = "wallet"
	LoginEmail  LoginMethod = "email"
	LoginPhone  LoginMethod = "phone"
)

// WithLoginMethod sets method, the preferred login method of the embedded
// journey (iframe): LoginWallet, LoginEmail or LoginPhone. Other values
// are refused with kyc.ErrInvalidArgument.
func WithLoginMethod(m LoginMethod) AuthOption {
	return func(p *authParams) error {
		switch m {
		case LoginWallet, LoginEmail, LoginPhone:
			p.method = m
			return nil
		}
		return fmt.Errorf("fractalid: %w: method must be wallet, email or phone", kyc.ErrInvalidArgument)
	}
}

// WithWalletCurrency sets currency, the preferred wallet currency of the
// embedded journey (iframe): CurrencyETH or CurrencyKAR, the two values
// the documentation lists. Other values are refused with
// kyc.ErrInvalidArgument.
func WithWalletCurrency(c Currency) AuthOption {
	return func(p *authParams) error {
		switch c {
		case CurrencyETH, CurrencyKAR:
			p.currency = c
			return nil
		}
		return fmt.Errorf("fractalid: %w: currency must be eth or kar", kyc.ErrInvalidArgument)
	}
}

// GenerateVerifier returns a new PKCE code verifier (RFC 7636: 32 random
// bytes, base64url-encoded), from golang.org/x/oauth2. Keep it in the
// user's session with the state, pass it to WithPKCE and then to
// ExchangeWithVerifier.
func GenerateVerifier() string { return oauth2.GenerateVerifier() }

// WithPKCE adds PKCE (RFC 7636) to the authorization URL: code_challenge,
// the S256 hash of verifier, and code_challenge_method=S256. The code must
// then be exchanged with ExchangeWithVerifier and the same verifier.
//
// PKCE is off by default: Fractal does not document it and whether its
// authorization page forwards the challenge is unknown. A Doorkeeper server
// refuses the exchange (invalid_grant) when a verifier is sent for a code
// issued without a challenge, so turn it on only once it is confirmed on
// staging. verifier must have 43 to 128 characters from A-Z, a-z, 0-9 and
// "-._~" (GenerateVerifier makes one).
func WithPKCE(verifier string) AuthOption {
	return func(p *authParams) error {
		if err := checkVerifier(verifier); err != nil {
			return err
		}
		p.challenge = oauth2.S256ChallengeFromVerifier(verifier)
		return nil
	}
}

// checkVerifier applies RFC 7636 section 4.1 to a code verifier.
func checkVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~')
	}) {
		return fmt.Errorf("fractalid: %w: a PKCE code verifier has 43 to 128 characters from A-Z a-z 0-9 - . _ ~", kyc.ErrInvalidArgument)
	}
	return nil
}

// WithEnsureWallet sets ensure_wallet: the wallet address the wallet add-on
// pre-fills (the authorization page lets the user change it; the iframe
// journey enforces it).
func WithEnsureWallet(address string) AuthOption {
	return func(p *authParams) error {
		if address == "" || strings.ContainsFunc(address, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("fractalid: %w: ensure_wallet must be a non-empty address without spaces", kyc.ErrInvalidArgument)
		}
		p.ensureWallet = address
		return nil
	}
}

// AuthCodeURL returns the URL to send the user to (GET {FrontendURL}/authorize)
// with client_id, redirect_uri, response_type=code, scope (space-separated,
// spaces encoded as %20), state and, with WithEnsureWallet, ensure_wallet.
// The same URL is the src of the embedded journey's iframe (see
// EmbedAllow, EmbedSandbox, EmbedOrigin and ParseEmbedMessage), where
// WithLoginMethod and WithWalletCurrency add method and currency. WithPKCE adds
// code_challenge and code_challenge_method.
//
// state is required: a fresh unguessable value per authorization, kept in
// the user's session and checked by ParseCallback.
func (c Config) AuthCodeURL(state string, opts ...AuthOption) (string, error) {
	if state == "" {
		return "", fmt.Errorf("fractalid: %w: state is required", kyc.ErrInvalidArgument)
	}
	if err := c.validate(); err != nil {
		return "", err
	}
	var p authParams
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&p); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.WriteString(c.env().AuthorizeURL())
	sep := byte('?')
	add := func(k, v string) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(queryEscape(v))
	}
	add("client_id", c.ClientID)
	add("redirect_uri", c.RedirectURL)
	add("response_type", "code")
	if len(c.Scopes) > 0 {
		add("scope", JoinScopes(c.Scopes))
	}
	add("state", state)
	if p.ensureWallet != "" {
		add("ensure_wallet", p.ensureWallet)
	}
	if p.method != "" {
		add("method", string(p.method))
	}
	if p.currency != "" {
		add("currency", string(p.currency))
	}
	if p.challenge != "" {
		add("code_challenge", p.challenge)
		add("code_challenge_method", "S256")
	}
	return b.String(), nil
}

// queryEscape escapes a query value with spaces as %20, as Fractal's
// examples do.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// ParseCallback reads the redirect back to RedirectURL and returns the
// authorization code. It checks, in this order:
//
//  1. state: exactly one state parameter, equal (in constant time) to
//     wantState, else a *StateMismatchError (errors.Is ErrStateMismatch);
//  2. error: an error parameter becomes an *AuthError (errors.Is
//     ErrAuthorizationFailed; ErrAccessDenied when the user refused);
//  3. code: exactly one non-empty code, else ErrMissingCode.
//
// No returned error contains the state, the code or the description.
// wantState must not be empty.
func (c Config) ParseCallback(r *http.Request, wantState string) (code string, err error) {
	if r == nil || r.URL == nil {
		return "", fmt.Errorf("fractalid: %w: nil request", kyc.ErrInvalidArgument)
	}
	if wantState == "" {
		return "", fmt.Errorf("fractalid: %w: the expected state is empty", kyc.ErrInvalidArgument)
	}
	// Malformed pairs are dropped; what remains is checked as usual.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return parseCallbackValues(q, wantState)
}

func parseCallbackValues(q url.Values, wantState string) (string, error) {
	states := q["state"]
	if len(states) == 0 || (len(states) == 1 && states[0] == "") {
		return "", &StateMismatchError{Missing: true}
	}
	if len(states) != 1 || !constantTimeEqual(states[0], wantState) {
		return "", &StateMismatchError{}
	}
	if errs, ok := q["error"]; ok {
		code := ""
		if len(errs) > 0 {
			code = errs[0]
		}
		if !isErrorCode(code) {
			code = "invalid_error_code"
		}
		return "", &AuthError{
			Code:        code,
			Description: capString(q.Get("error_description"), 512),
			URI:         capString(q.Get("error_uri"), 512),
		}
	}
	codes := q["code"]
	if len(codes) != 1 || codes[0] == "" {
		return "", ErrMissingCode
	}
	return codes[0], nil
}

// constantTimeEqual compares the SHA-256 digests of a and b in constant
// time, so neither the content nor the length of the expected value leaks
// through timing.
func constantTimeEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// oauthConfig is the golang.org/x/oauth2 view of c. The client secret is
// sent as a body parameter (AuthStyleInParams), as Fractal documents it.
func (c Config) oauthConfig() *oauth2.Config {
	env := c.env()
	scopes := make([]string, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = string(s)
	}
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   env.AuthorizeURL(),
			TokenURL:  env.TokenURL(),
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: exchangeRedirectURL(c.RedirectURL),
		Scopes:      scopes,
	}
}

// exchangeRedirectURL is the redirect URI sent to the token endpoint:
// without query parameters, as Fractal documents for step 3.
func exchangeRedirectURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// tokenContext returns ctx carrying the HTTP client token requests go
// through (retries on dial errors only, timeouts, optional logging).
func (c Config) tokenContext(ctx context.Context) (context.Context, error) {
	var opts []apiclient.Option
	if c.HTTPClient != nil {
		opts = append(opts, apiclient.WithHTTPClient(c.HTTPClient))
	}
	if c.Logger != nil {
		opts = append(opts, apiclient.WithLogger(c.Logger))
	}
	hc, err := apiclient.NewHTTPClient(opts...)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc), nil
}

// Exchange trades an authorization code for tokens (POST
// {AuthURL}/oauth/token, form-encoded, client credentials in the body).
// token_type "bearer" and "Bearer" are both accepted; the granted scopes
// are in the token's "scope" extra, read them with GrantedScopes.
//
// An expired or reused code gives a *kyc.ReauthorizationRequiredError; other
// failures a *kyc.TokenError. ctx only bounds this call.
func (c Config) Exchange(ctx context.Context, code string) (*oauth2.Token, error) {
	return c.exchange(ctx, code)
}

// ExchangeWithVerifier is Exchange for a code whose authorization URL was
// built with WithPKCE(verifier): it also sends code_verifier. Sending a
// verifier for a code issued without a challenge makes a Doorkeeper server
// refuse the exchange (a *kyc.ReauthorizationRequiredError), so use it only
// for codes requested with WithPKCE.
func (c Config) ExchangeWithVerifier(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	if err := checkVerifier(verifier); err != nil {
		return nil, err
	}
	return c.exchange(ctx, code, oauth2.VerifierOption(verifier))
}

func (c Config) exchange(ctx context.Context, code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	if ctx == nil {
		return nil, fmt.Errorf("fractalid: %w: nil context", kyc.ErrInvalidArgument)
	}
	if code == "" {
		return nil, fmt.Errorf("fractalid: %w: empty authorization code", kyc.ErrInvalidArgument)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	tctx, err := c.tokenContext(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := c.oauthConfig().Exchange(tctx, code, opts...)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &kyc.TokenError{Err: ctxErr}
		}
		return nil, apiclient.WrapTokenError(err)
	}
	return tok, nil
}

// GrantedScopes returns the scopes the token endpoint granted (the "scope"
// field of its reply), which may differ from those requested. It returns
// nil for a token that did not come from the token endpoint (for example
// one rebuilt from storage): store the scopes with the token if you need
// them later.
func GrantedScopes(tok *oauth2.Token) []Scope {
	if tok == nil {
		return nil
	}
	s, _ := tok.Extra("scope").(string)
	return ParseScopes(s)
}

// TokenStore persists the tokens of one user. Fractal rotates refresh
// tokens on every refresh: the application must save each new token (its
// refresh token above all) or the user is locked out after the next
// refresh. SaveToken is called before the new token is used for anything.
type TokenStore interface {
	SaveToken(ctx context.Context, tok *oauth2.Token) error
}

// TokenStoreFunc adapts a function to TokenStore.
type TokenStoreFunc func(ctx context.Context, tok *oauth2.Token) error

// SaveToken calls f.
func (f TokenStoreFunc) SaveToken(ctx context.Context, tok *oauth2.Token) error { return f(ctx, tok) }

// saveTimeout bounds one TokenStore.SaveToken call.
const saveTimeout = 30 * time.Second

// TokenSource returns a token source for one user that starts from tok
// (for example from Exchange, or loaded from storage) and refreshes it when
// it expires. Each refreshed token is handed to store before it is
// returned; if the store fails, the new token is kept in memory unused and
// saving is tried again on the next call (Fractal revokes the old refresh
// token only once the new access token is used). Concurrent callers share
// one refresh. Refreshes run on a long-lived context, never a request's.
//
// When the refresh token is refused (invalid_grant) the source returns a
// *kyc.ReauthorizationRequiredError from then on: send the user through
// authorization again.
func (c Config) TokenSource(tok *oauth2.Token, store TokenStore) (oauth2.TokenSource, error) {
	if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
		return nil, fmt.Errorf("fractalid: %w: a token with an access or refresh token is required", kyc.ErrInvalidArgument)
	}
	if store == nil {
		return nil, fmt.Errorf("fractalid: %w: a TokenStore is required (refresh tokens rotate)", kyc.ErrInvalidArgument)
	}
	if c.ClientID == "" {
		return nil, fmt.Errorf("fractalid: %w: Config.ClientID is required", kyc.ErrInvalidArgument)
	}
	if err := c.env().Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", kyc.ErrInvalidArgument, err)
	}
	ctx, err := c.tokenContext(context.Background())
	if err != nil {
		return nil, err
	}
	t := *tok
	return &rotatingTokenSource{ctx: ctx, conf: c.oauthConfig(), store: store, cur: &t}, nil
}

// rotatingTokenSource refreshes one user's token and persists each new one.
type rotatingTokenSource struct {
	ctx   context.Context // long-lived, carries the token HTTP client
	conf  *oauth2.Config
	store TokenStore

	mu       sync.Mutex
	cur      *oauth2.Token
	pending  *oauth2.Token // refreshed but not yet saved
	terminal error         // set once the refresh token was refused
}

// Token implements oauth2.TokenSource.
func (s *rotatingTokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.terminal != nil {
		return nil, s.terminal
	}
	if s.pending != nil {
		if err := s.save(s.pending); err != nil {
			return nil, err
		}
		s.cur, s.pending = s.pending, nil
		return s.cur, nil
	}
	if s.cur.Valid() {
		return s.cur, nil
	}
	if s.cur.RefreshToken == "" {
		return nil, &kyc.TokenError{Reason: "access token expired and no refresh token is set"}
	}
	old := s.cur.RefreshToken
	next, err := s.conf.TokenSource(s.ctx, &oauth2.Token{RefreshToken: old}).Token()
	if err != nil {
		werr := apiclient.WrapTokenError(err)
		var re *kyc.ReauthorizationRequiredError
		if errors.As(werr, &re) {
			s.terminal = werr
		}
		return nil, werr
	}
	if next.RefreshToken == "" {
		next.RefreshToken = old
	}
	if err := s.save(next); err != nil {
		s.pending = next
		return nil, err
	}
	s.cur = next
	return next, nil
}

// InvalidateToken implements apiclient.TokenInvalidator: after the
// resource server refused access (a 401), it marks the token expired so the
// next Token call refreshes. used is the access token the refused request
// was sent with: when the source moved on already (another caller
// refreshed), nothing is invalidated.
func (s *rotatingTokenSource) InvalidateToken(used string) { s.invalidate(used) }

// invalidate is InvalidateToken; it reports whether another attempt can
// succeed.
func (s *rotatingTokenSource) invalidate(used string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.terminal != nil {
		return false
	}
	if s.pending != nil || s.cur.AccessToken != used {
		return true
	}
	if s.cur.RefreshToken == "" {
		return false
	}
	t := *s.cur
	t.Expiry = time.Unix(1, 0)
	s.cur = &t
	return true
}

func (s *rotatingTokenSource) save(tok *oauth2.Token) error {
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	if err := s.store.SaveToken(ctx, tok); err != nil {
		// The store is the application's own: its error text is shown.
		return &kyc.TokenError{Reason: "saving the refreshed token failed: " + err.Error(), Err: err}
	}
	return nil
}
