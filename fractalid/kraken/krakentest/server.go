// Package krakentest is an in-process fake of Fractal's Kraken platform for
// tests of code that uses package kraken: a real HTTP server on 127.0.0.1
// that verifies the ES512 tokens it receives against the registered public
// key, serves a hosted KYC page that a test (Complete) or a browser
// finishes, hands out single-use one-time tokens, answers the session,
// status, data and file endpoints consistently with the outcome the test
// scripted, sends signed webhooks and injects faults (kyctest.Fake).
//
// What the fake checks on every token (its own reading of the docs, where
// Kraken's exact rules are not documented): header alg "ES512" (typ, when
// present, "JWT"), a 132-byte R||S signature by the registered P-521 key,
// clientId equal to the registered client, an integer iat not more than
// 60 s ahead of its clock; kyc: true and a level on link tokens; api: true
// and an exp in the future at most 600 s ahead of its clock on API tokens.
package krakentest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// Option configures a Server. Options check their arguments; an invalid
// option fails the test in NewServer.
type Option func(*settings) error

type settings struct {
	clientID      string
	pub           *ecdsa.PublicKey
	webhookSecret string
	redirectURL   string
	stateRedirect bool
	outcome       Outcome
	clock         func() time.Time
	tls           bool
}

// WithClientID sets the client ID the fake registers (default random).
func WithClientID(id string) Option {
	return func(s *settings) error {
		if id == "" {
			return errors.New("krakentest: WithClientID: empty id")
		}
		s.clientID = id
		return nil
	}
}

// WithPublicKey registers the integrator's public key (P-521). Without it
// the fake generates a key pair and PrivateKey returns the private half.
func WithPublicKey(pub *ecdsa.PublicKey) Option {
	return func(s *settings) error {
		if pub == nil || pub.Curve != elliptic.P521() {
			return errors.New("krakentest: WithPublicKey: the key must be ECDSA P-521")
		}
		s.pub = pub
		return nil
	}
}

// WithWebhookSecret sets the webhook secret (default random).
func WithWebhookSecret(secret string) Option {
	return func(s *settings) error {
		if secret == "" {
			return errors.New("krakentest: WithWebhookSecret: empty secret")
		}
		s.webhookSecret = secret
		return nil
	}
}

// WithRedirectURL sets the registered redirect URL the hosted page sends
// the user back to (default the fake's own /done page).
func WithRedirectURL(u string) Option {
	return func(s *settings) error {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") || p.Fragment != "" {
			return errors.New("krakentest: WithRedirectURL: not an absolute http(s) URL without fragment")
		}
		s.redirectURL = u
		return nil
	}
}

// WithStateInRedirect makes the redirect carry the link's state next to
// the one-time token (the docs show only the token).
func WithStateInRedirect() Option {
	return func(s *settings) error { s.stateRedirect = true; return nil }
}

// WithOutcome sets the outcome of the journeys completed from now on
// (default DefaultOutcome); SetOutcome changes it later.
func WithOutcome(o Outcome) Option {
	return func(s *settings) error {
		if err := o.validate(); err != nil {
			return err
		}
		s.outcome = o
		return nil
	}
}

// WithClock makes the server read time from now (token checks, dates).
// Give the same clock to kraken.Config.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("krakentest: WithClock: nil clock")
		}
		s.clock = now
		return nil
	}
}

// WithTLS serves HTTPS with a self-signed certificate; use HTTPClient.
func WithTLS() Option {
	return func(s *settings) error { s.tls = true; return nil }
}

// Server is a fake Kraken (hosted KYC page and API) on 127.0.0.1. Its
// methods are safe for concurrent use.
type Server struct {
	// Fake is the fault injection, request log and connection count every
	// fake of this module shares (InjectFault, Requests, Count, ...).
	kyctest.Fake

	fake    *fakeserver.Server
	program *fakeserver.Program
	cfg     settings
	priv    *kraken.PrivateKey
	ecKey   *ecdsa.PrivateKey

	mu       sync.Mutex
	offset   time.Duration
	outcome  Outcome
	journeys map[string]*journey
	tokens   map[string]*oneTime
	users    map[string]*user
	order    []string
	refusals []Refusal
}

// Refusal is one request the fake refused for its token.
type Refusal struct {
	// Path is the request path (a one-time token in it is replaced).
	Path string
	// Reason says which check failed ("alg is not ES512", ...).
	Reason string
}

// String prints the path and reason.
func (r Refusal) String() string { return r.Path + ": " + r.Reason }

// NewServer starts a fake Kraken on 127.0.0.1 serving:
//
//	GET  /kyc?token=<JWT>                      hosted KYC page (link token checked)
//	POST /kyc/complete                          the page's form: redirect or iframe message
//	GET  /done                                  default redirect target
//	GET  /public/kyc/token/{oneTimeToken}       session (single use)
//	GET  /public/kyc/{userId}/status            {status}
//	GET  /public/kyc/{userId}/data              Sumsub-style applicant data
//	GET  /public/kyc/{userId}/file/{kind}       document image bytes
//
// API calls need a valid API token. Refusals are JSON in NestJS's default
// shape {"statusCode", "message", "error"} (Kraken's own error shape is not
// documented). It is closed through t.Cleanup.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the fake outside a test, for a demo program or a local
// development server (examples/kraken runs on it); stop it with Close.
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
	cfg := settings{clientID: randomHex(12), webhookSecret: randomHex(24), clock: time.Now, outcome: DefaultOutcome()}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, outcome: cfg.outcome, journeys: map[string]*journey{}, tokens: map[string]*oneTime{}, users: map[string]*user{}}
	if cfg.pub == nil {
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("krakentest: cannot generate a key: %w", err)
		}
		s.priv, err = kraken.NewPrivateKey(k)
		if err != nil {
			return nil, err
		}
		s.cfg.pub = &k.PublicKey
		s.ecKey = k
	}
	fopts := []fakeserver.Option{fakeserver.WithClock(s.Now)}
	if cfg.tls {
		fopts = append(fopts, fakeserver.WithTLS())
	}
	s.fake = fakeserver.New(t, s.routes(), fopts...)
	s.Fake = s.fake
	return s, nil
}

// Now is the server's clock: the configured clock plus what Advance added.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.cfg.clock().Add(off)
}

// Advance moves the server's clock forward by d (Config's Now follows).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.fake.URL() }

// HTTPClient returns an *http.Client that reaches the server (and trusts
// its certificate under WithTLS).
func (s *Server) HTTPClient() *http.Client { return s.fake.Client() }

// Environment returns a kraken.Environment (Name "fake") whose URLs and
// message origin are the server's.
func (s *Server) Environment() kraken.Environment {
	u := s.fake.URL()
	return kraken.Environment{Name: "fake", KYCURL: u, APIURL: u, MessageOrigin: u}
}

// ClientID is the registered client ID.
func (s *Server) ClientID() string { return s.cfg.clientID }

// PrivateKey is the integrator key the fake generated, nil when
// WithPublicKey registered the caller's.
func (s *Server) PrivateKey() *kraken.PrivateKey { return s.priv }

// SigningKey is the generated key as an *ecdsa.PrivateKey (nil under
// WithPublicKey), for tests that sign tokens by hand: with another
// algorithm, other claims or another expiry.
func (s *Server) SigningKey() *ecdsa.PrivateKey { return s.ecKey }

// WebhookSecret is the secret webhooks are signed with.
func (s *Server) WebhookSecret() string { return s.cfg.webhookSecret }

// RedirectURL is where the hosted page sends the user back.
func (s *Server) RedirectURL() string {
	if s.cfg.redirectURL != "" {
		return s.cfg.redirectURL
	}
	return s.fake.URL() + "/done"
}

// Config returns a kraken.Config for the server: its client ID, the
// generated key (nil under WithPublicKey: set Key yourself), its
// environment and its clock.
func (s *Server) Config() kraken.Config {
	return kraken.Config{ClientID: s.cfg.clientID, Key: s.priv, Environment: s.Environment(), Now: s.Now}
}

// ClientOptions returns the options that point a kraken.Client at the
// server (its HTTP client).
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithHTTPClient(s.HTTPClient())}
}

// Refusals returns the requests refused for their token, oldest first.
func (s *Server) Refusals() []Refusal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refusals)
}

// Close stops the server; it is also called through t.Cleanup.
func (s *Server) Close() {
	if s.program != nil {
		s.program.Close()
	}
	s.fake.Close()
}

// String describes the server without secrets.
func (s *Server) String() string { return "krakentest.Server(" + s.fake.URL() + ")" }

// GoString is String.
func (s *Server) GoString() string { return s.String() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
