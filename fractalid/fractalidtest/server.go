package fractalidtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/webhooks"
)

// Lifetimes the reference documents.
const (
	// CodeTTL is how long an authorization code can be exchanged: 10 minutes.
	CodeTTL = 10 * time.Minute
	// AccessTokenTTL is the lifetime of an access token: 2 hours
	// (expires_in 7200).
	AccessTokenTTL = 2 * time.Hour
)

// ClientApp is an application registered with the fake, as created in the
// Fractal client dashboard. ID and Secret are the OAuth client credentials,
// RedirectURI the registered callback URL, WebhookSecrets the secret token
// of each notification type. Its String, GoString and LogValue print the id
// only.
type ClientApp struct {
	// ID is the OAuth client id.
	ID string
	// Secret is the OAuth client secret.
	Secret string
	// RedirectURI is the registered callback URL. It must be absolute,
	// https unless the host is localhost or a loopback address, and have no
	// fragment.
	RedirectURI string
	// Scopes, if not empty, restricts the scopes the application may
	// request (as Doorkeeper's per-application scopes do), at /authorize and
	// for client credentials (client.stats:read must be listed for the
	// statistics API). Empty means every current scope of the reference.
	Scopes []fractalid.Scope
	// WebhookSecrets is the secret token of each notification type.
	WebhookSecrets map[webhooks.EventType]string
	// WebhookSecret is used for types that have no entry in WebhookSecrets.
	WebhookSecret string
}

// String returns the client id only.
func (c ClientApp) String() string { return "fractalidtest.ClientApp{ID: " + c.ID + "}" }

// GoString is String, so that %#v does not print the secrets.
func (c ClientApp) GoString() string { return c.String() }

// LogValue logs the client id only.
func (c ClientApp) LogValue() slog.Value { return slog.GroupValue(slog.String("id", c.ID)) }

// webhookSecret returns the secret for a notification type.
func (c *ClientApp) webhookSecret(t webhooks.EventType) string {
	if s, ok := c.WebhookSecrets[t]; ok && s != "" {
		return s
	}
	return c.WebhookSecret
}

func (c *ClientApp) clone() *ClientApp {
	d := *c
	d.Scopes = slices.Clone(c.Scopes)
	if c.WebhookSecrets != nil {
		d.WebhookSecrets = make(map[webhooks.EventType]string, len(c.WebhookSecrets))
		for k, v := range c.WebhookSecrets {
			d.WebhookSecrets[k] = v
		}
	}
	return &d
}

func (c *ClientApp) validate() error {
	if c.ID == "" || c.Secret == "" {
		return errors.New("fractalidtest: ClientApp needs an ID and a Secret")
	}
	if err := validateRedirectURI(c.RedirectURI); err != nil {
		return fmt.Errorf("fractalidtest: ClientApp %s: %w", c.ID, err)
	}
	for t, s := range c.WebhookSecrets {
		if t == "" || s == "" {
			return fmt.Errorf("fractalidtest: ClientApp %s: empty webhook type or secret", c.ID)
		}
	}
	return nil
}

// validateRedirectURI applies the dashboard's rules: absolute URL, https
// except for localhost addresses, no fragment.
func validateRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("redirect URI must be an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("redirect URI must not have a fragment")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && apiclient.IsLoopback(u.Hostname())) {
		return errors.New("redirect URI must be https (or http on localhost)")
	}
	return nil
}

// CaseShape selects which of the reference's two shapes of a verification
// case GET /v2/users/me returns.
type CaseShape int

const (
	// FieldTableShape follows the documented field table: id, level,
	// journey_completed, status (pending, contacted or done) and credential
	// (pending, approved or rejected). It is the default.
	FieldTableShape CaseShape = iota
	// ExampleShape follows the v2 JSON examples: level and status only,
	// where status holds the outcome (pending, contacted, approved,
	// rejected), with no id, journey_completed or credential.
	ExampleShape
)

// RefreshRevocation selects when a rotated refresh token stops working.
type RefreshRevocation int

const (
	// RevokeOnFirstUse is the documented behaviour (Doorkeeper's
	// refresh_token_revoked_on_use): after a refresh, the previous access
	// and refresh tokens keep working until the new access token is first
	// used at the resource server. It is the default.
	RevokeOnFirstUse RefreshRevocation = iota
	// RevokeImmediately revokes the previous tokens as soon as the refresh
	// succeeds.
	RevokeImmediately
)

// ClientAuth selects how the token endpoint accepts client credentials.
type ClientAuth int

const (
	// ClientAuthAny accepts client_id and client_secret as parameters (form
	// body, JSON body or query string, as the reference shows) or in an HTTP
	// Basic header, like Doorkeeper. It is the default.
	ClientAuthAny ClientAuth = iota
	// ClientAuthParams accepts only client_id and client_secret parameters,
	// the way the reference documents it.
	ClientAuthParams
	// ClientAuthBasic accepts only an HTTP Basic header.
	ClientAuthBasic
)

// Option configures a Server. Options check their arguments; an invalid
// option fails the test in NewServer.
type Option func(*settings) error

type settings struct {
	clients          []*ClientApp
	clock            func() time.Time
	shape            CaseShape
	revocation       RefreshRevocation
	clientAuth       ClientAuth
	accessTTL        time.Duration
	refreshTTL       time.Duration
	misspelt         bool
	autoApprove      bool
	embed            EmbedMode
	noAutoCases      bool
	tls              bool
	noTokenChallenge bool
	userTokenTyp     string
	ccTokenTyp       string
}

// WithClient registers an application (in addition to the default one).
func WithClient(c ClientApp) Option {
	return func(s *settings) error {
		cc := c.clone()
		if err := cc.validate(); err != nil {
			return err
		}
		for _, o := range s.clients {
			if o.ID == cc.ID {
				return fmt.Errorf("fractalidtest: WithClient: client %s registered twice", cc.ID)
			}
		}
		s.clients = append(s.clients, cc)
		return nil
	}
}

// WithClock makes the server read time from now instead of time.Now.
// Server.Advance adds to whatever the clock returns.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("fractalidtest: WithClock: nil clock")
		}
		s.clock = now
		return nil
	}
}

// WithCaseShape selects the shape of verification cases in
// GET /v2/users/me (FieldTableShape by default).
func WithCaseShape(shape CaseShape) Option {
	return func(s *settings) error {
		if shape != FieldTableShape && shape != ExampleShape {
			return fmt.Errorf("fractalidtest: WithCaseShape: unknown shape %d", shape)
		}
		s.shape = shape
		return nil
	}
}

// WithRefreshRevocation selects when a rotated refresh token stops working
// (RevokeOnFirstUse by default, as documented).
func WithRefreshRevocation(r RefreshRevocation) Option {
	return func(s *settings) error {
		if r != RevokeOnFirstUse && r != RevokeImmediately {
			return fmt.Errorf("fractalidtest: WithRefreshRevocation: unknown value %d", r)
		}
		s.revocation = r
		return nil
	}
}

// WithClientAuth selects how the token endpoint accepts client credentials
// (ClientAuthAny by default).
func WithClientAuth(a ClientAuth) Option {
	return func(s *settings) error {
		if a < ClientAuthAny || a > ClientAuthBasic {
			return fmt.Errorf("fractalidtest: WithClientAuth: unknown value %d", a)
		}
		s.clientAuth = a
		return nil
	}
}

// WithAccessTokenTTL sets the lifetime of access tokens (2 hours by default).
func WithAccessTokenTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second {
			return errors.New("fractalidtest: WithAccessTokenTTL: lifetime must be at least a second")
		}
		s.accessTTL = d
		return nil
	}
}

// WithRefreshTokenTTL makes refresh tokens expire d after they were issued.
// The reference leaves their lifetime undocumented; by default they do not
// expire.
func WithRefreshTokenTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return errors.New("fractalidtest: WithRefreshTokenTTL: lifetime must be positive")
		}
		s.refreshTTL = d
		return nil
	}
}

// WithTokenType sets the token_type of token responses for user grants
// (authorization_code, refresh_token) and for client_credentials. The
// reference's examples show "bearer" and "Bearer" respectively, which are
// the defaults; clients must compare case-insensitively.
func WithTokenType(user, clientCredentials string) Option {
	return func(s *settings) error {
		if !strings.EqualFold(user, "bearer") || !strings.EqualFold(clientCredentials, "bearer") {
			return errors.New("fractalidtest: WithTokenType: token types must be a case variant of \"bearer\"")
		}
		s.userTokenTyp, s.ccTokenTyp = user, clientCredentials
		return nil
	}
}

// WithMisspeltPhonesKey makes GET /v2/users/me send the phones under the
// key "phones:", as the reference's example misspells it, to test lenient
// decoding.
func WithMisspeltPhonesKey() Option {
	return func(s *settings) error { s.misspelt = true; return nil }
}

// EmbedMode selects when the consent page acts as the embedded journey
// (reference section 2.8): instead of redirecting to the redirect URI, it
// posts the outcome to its parent window.
type EmbedMode int

const (
	// EmbedAuto acts as the embedded journey when the browser says the page
	// is loaded in an iframe (Sec-Fetch-Dest: iframe). It is the default.
	EmbedAuto EmbedMode = iota
	// EmbedAlways always acts as the embedded journey.
	EmbedAlways
	// EmbedNever always redirects.
	EmbedNever
)

// WithEmbedMode selects when the consent page posts its outcome to the
// parent window instead of redirecting (EmbedAuto by default). The message
// has the documented shape: {"code", "state", "sub1"} on approval (sub1
// equal to the code, as in the documentation's example) and {"error",
// "error_description", "state"} on denial, posted with the redirect URI's
// origin as target origin.
func WithEmbedMode(m EmbedMode) Option {
	return func(s *settings) error {
		if m < EmbedAuto || m > EmbedNever {
			return fmt.Errorf("fractalidtest: WithEmbedMode: unknown mode %d", m)
		}
		s.embed = m
		return nil
	}
}

// WithAutoApprove makes GET /authorize skip the consent page and redirect
// at once with a code, as Fractal does for a user who already authorized
// the application. The user is chosen as on the consent page (login_hint,
// else the first user).
func WithAutoApprove() Option {
	return func(s *settings) error { s.autoApprove = true; return nil }
}

// WithoutAutoCases turns off the creation of a pending verification case
// for each level or add-on a user authorizes without already having a case
// for it.
func WithoutAutoCases() Option {
	return func(s *settings) error { s.noAutoCases = true; return nil }
}

// WithTLS serves HTTPS with a self-signed test certificate; use
// Server.HTTPClient, which trusts it. Clients that are not written in Go
// can trust it through Server.CertificatePEM or Server.CertificateFile.
func WithTLS() Option {
	return func(s *settings) error { s.tls = true; return nil }
}

// WithoutTokenErrorChallenge leaves out the WWW-Authenticate header of
// token endpoint errors. By default every token error carries the header
// stock Doorkeeper sends (Bearer realm="Doorkeeper", error="...",
// error_description="...", on 400s too), the probable production
// behaviour, which standard clients such as openid-client react to; with
// this option a 400 has none and a 401 has RFC 6749's Basic challenge.
func WithoutTokenErrorChallenge() Option {
	return func(s *settings) error { s.noTokenChallenge = true; return nil }
}

// Server is a fake Fractal ID. Create it with NewServer; its methods are safe
// for concurrent use.
type Server struct {
	// Fake is the fault injection, request log and connection count every
	// fake of this module shares (InjectFault, Requests, Count, ...).
	kyctest.Fake

	fake     *fakeserver.Server
	program  *fakeserver.Program // set by Start
	cfg      settings
	certFile string // CertificatePEM on disk (WithTLS)

	mu        sync.Mutex
	offset    time.Duration
	clients   map[string]*ClientApp
	defaultID string
	users     map[string]*userRecord
	order     []string
	codes     map[string]*authCode
	access    map[string]*tokenRecord
	refresh   map[string]*tokenRecord
}

// NewServer starts a fake Fractal ID on 127.0.0.1, with a default client
// application (see DefaultClient) and the applications of WithClient. It is
// closed through t.Cleanup. An invalid option fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the fake outside a test, for a demo program or a local
// development server (examples/quickstart runs on it); stop it with Close.
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
	cfg := settings{clock: time.Now, accessTTL: AccessTokenTTL, userTokenTyp: "bearer", ccTokenTyp: "Bearer"}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		clients: make(map[string]*ClientApp),
		users:   make(map[string]*userRecord),
		codes:   make(map[string]*authCode),
		access:  make(map[string]*tokenRecord),
		refresh: make(map[string]*tokenRecord),
	}
	def := &ClientApp{
		ID:            randomToken(),
		Secret:        randomToken(),
		RedirectURI:   "http://127.0.0.1/callback",
		WebhookSecret: randomToken(),
	}
	s.defaultID = def.ID
	s.clients[def.ID] = def
	for _, c := range cfg.clients {
		s.clients[c.ID] = c
	}
	fopts := []fakeserver.Option{fakeserver.WithClock(s.now)}
	if cfg.tls {
		fopts = append(fopts, fakeserver.WithTLS())
	}
	s.fake = fakeserver.New(t, s.routes(), fopts...)
	s.Fake = s.fake
	if cfg.tls {
		f, err := os.CreateTemp("", "fractalidtest-*.pem")
		if err == nil {
			_, err = f.Write(s.CertificatePEM())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				_ = os.Remove(f.Name())
			}
		}
		if err != nil {
			s.fake.Close()
			return nil, fmt.Errorf("fractalidtest: writing the certificate file: %w", err)
		}
		s.certFile = f.Name()
		t.Cleanup(s.removeCertFile)
	}
	return s, nil
}

// now is the server's clock: the configured clock plus what Advance added.
func (s *Server) now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.cfg.clock().Add(off)
}

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.now() }

// Advance moves the server's clock forward by d, to expire codes and tokens.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// URL is the server's base URL, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.fake.URL() }

// HTTPClient returns an *http.Client that reaches the server (and trusts its
// certificate under WithTLS).
func (s *Server) HTTPClient() *http.Client { return s.fake.Client() }

// CertificatePEM returns the server's self-signed TLS certificate in PEM
// form (WithTLS), for clients that are not written in Go, or nil when the
// server serves plain HTTP.
func (s *Server) CertificatePEM() []byte {
	c := s.fake.Certificate()
	if c == nil || !s.cfg.tls {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// CertificateFile returns the path of a file holding CertificatePEM, for
// tools that read a CA file (NODE_EXTRA_CA_CERTS, curl --cacert), or "" when
// the server serves plain HTTP. The file is written when the server starts
// and removed by Close.
func (s *Server) CertificateFile() string { return s.certFile }

// Environment returns a fractalid.Environment (Name "fake") whose frontend,
// auth and resource URLs all point at the server.
func (s *Server) Environment() fractalid.Environment {
	u := s.fake.URL()
	return fractalid.Environment{Name: "fake", FrontendURL: u, AuthURL: u, ResourceURL: u}
}

// Close stops the server and removes its certificate file. It is called
// through t.Cleanup; calling it earlier is allowed.
func (s *Server) Close() {
	if s.program != nil {
		s.program.Close()
	}
	s.fake.Close()
	s.removeCertFile()
}

func (s *Server) removeCertFile() {
	if s.certFile != "" {
		_ = os.Remove(s.certFile)
	}
}

// String describes the server without secrets.
func (s *Server) String() string { return "fractalidtest.Server(" + s.fake.URL() + ")" }

// DefaultClient returns the application every server registers: a random
// id and secret, the redirect URI "http://127.0.0.1/callback" and one
// webhook secret for every notification type.
func (s *Server) DefaultClient() ClientApp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.clients[s.defaultID].clone()
}

// Client returns the registered application with this id.
func (s *Server) Client(id string) (ClientApp, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return ClientApp{}, false
	}
	return *c.clone(), true
}

// Config returns a fractalid.Config for the default client pointed at the
// server, requesting scopes. Under WithTLS its HTTPClient trusts the
// server's certificate.
func (s *Server) Config(scopes ...fractalid.Scope) *fractalid.Config {
	c := s.DefaultClient()
	cfg := &fractalid.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		RedirectURL:  c.RedirectURI,
		Scopes:       slices.Clone(scopes),
		Environment:  s.Environment(),
	}
	if s.cfg.tls {
		cfg.HTTPClient = s.HTTPClient()
	}
	return cfg
}

// randomToken returns 43 base64url characters, the shape of Doorkeeper's
// opaque tokens.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
