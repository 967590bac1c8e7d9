// Package credentialstest is an in-process fake of Fractal ID's
// Credentials API for unit tests: a real HTTP server on 127.0.0.1 that
// checks the message format and the wallet's personal_sign (EIP-191)
// signature as the API does, looks the recovered wallet up among the users
// the test added, and signs proofs with its own secp256k1 key, so that
// credentials.Client.GetProof and credentials.Verifier run end to end.
//
//	srv := credentialstest.NewServer(t)
//	w := credentialstest.NewWallet(t)
//	srv.AddUser(credentialstest.User{Wallet: w.Address(), Level: fractalid.ParseLevel("plus+liveness")})
//	msg, _ := credentials.BuildMessage(srv.MessageSpec(fractalid.ParseLevel("basic")))
//	client, _ := credentials.NewClient(srv.ClientOptions()...)
//	proof, err := client.GetProof(ctx, msg, w.SignMessage(msg), w.Address())
//	v, _ := credentials.NewVerifier(credentials.WithEnvironmentSigner(srv.Environment()))
//	err = v.Verify(proof, w.Address())
package credentialstest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// DefaultProofTTL is how long the fake's proofs are valid, as the API's are.
const DefaultProofTTL = 24 * time.Hour

// DefaultApplicationName is the name of the application registered unless
// WithApplication says otherwise.
const DefaultApplicationName = "Fake dApp"

// Option configures a Server. Options check their arguments; an invalid
// option fails the test in NewServer.
type Option func(*settings) error

type settings struct {
	apps     map[string]string // client id -> name
	appOrder []string
	key      *credentials.PrivateKey
	ttl      time.Duration
	clock    func() time.Time
	tls      bool
}

// WithApplication registers an application (name and client id, as the
// dashboard shows them). Without it one is registered with
// DefaultApplicationName and a random 64-hex-digit id. The first
// registered one is what ClientID and MessageSpec use.
func WithApplication(name, clientID string) Option {
	return func(s *settings) error {
		if name == "" || clientID == "" {
			return errors.New("credentialstest: WithApplication: empty name or client id")
		}
		if _, dup := s.apps[clientID]; dup {
			return errors.New("credentialstest: WithApplication: client id registered twice")
		}
		if s.apps == nil {
			s.apps = map[string]string{}
		}
		s.apps[clientID] = name
		s.appOrder = append(s.appOrder, clientID)
		return nil
	}
}

// WithSigningKey makes the fake sign proofs with k (default a random key;
// see SignerAddress).
func WithSigningKey(k *credentials.PrivateKey) Option {
	return func(s *settings) error {
		if k == nil {
			return errors.New("credentialstest: WithSigningKey: nil key")
		}
		s.key = k
		return nil
	}
}

// WithProofTTL sets how long proofs are valid (default DefaultProofTTL).
func WithProofTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second {
			return errors.New("credentialstest: WithProofTTL: at least a second")
		}
		s.ttl = d
		return nil
	}
}

// WithClock makes the server read time from now (approvals, validUntil).
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("credentialstest: WithClock: nil clock")
		}
		s.clock = now
		return nil
	}
}

// WithTLS serves HTTPS with a self-signed certificate; use HTTPClient.
func WithTLS() Option {
	return func(s *settings) error { s.tls = true; return nil }
}

// User is a Fractal user the fake knows, found by the wallet that signs.
type User struct {
	// Wallet is the user's wallet address (required).
	Wallet credentials.Address
	// FractalID is the user's id (default a random 0x + 64 hex digits).
	FractalID string
	// Type is what the user passed: KYC (default) or KYB.
	Type credentials.VerificationType
	// Level is what the user passed, such as plus+liveness (default basic+liveness).
	// A request is met when this level has every item the message asks for.
	Level fractalid.Level
	// Pending makes requests that the user would meet answer user_pending.
	Pending bool
	// ApprovedAt is when the user was approved (default the server's time when added).
	ApprovedAt time.Time
	// Citizenship and Residency are the user's countries, checked against the message's lists.
	Citizenship, Residency []credentials.Country
}

// String prints no wallet and no Fractal id.
func (u User) String() string {
	return fmt.Sprintf("credentialstest.User{Type: %s, Level: %s, Pending: %t}", u.Type, u.Level, u.Pending)
}

// GoString is String.
func (u User) GoString() string { return u.String() }

// LogValue is String: slog never marshals the wallet or the Fractal id.
func (u User) LogValue() slog.Value { return slog.StringValue(u.String()) }

// Issued is a proof the fake returned.
type Issued struct {
	// ClientID is the application the message named.
	ClientID string
	// Message is the message as received.
	Message string
	// DataAccess reports whether the message gave access to the user's data.
	DataAccess bool
	// Proof is what the fake returned.
	Proof *credentials.Proof
}

// String prints the client id and the proof's safe fields.
func (i Issued) String() string {
	return fmt.Sprintf("credentialstest.Issued{ClientID: %s, DataAccess: %t, Proof: %v}", i.ClientID, i.DataAccess, i.Proof)
}

// GoString is String.
func (i Issued) GoString() string { return i.String() }

// LogValue is String: slog never marshals the proof's personal data.
func (i Issued) LogValue() slog.Value { return slog.StringValue(i.String()) }

// Server is a fake Credentials API on 127.0.0.1. Its methods are safe for
// concurrent use.
type Server struct {
	// Fake is the fault injection, request log and connection count every
	// fake of this module shares (InjectFault, Requests, Count, ...).
	kyctest.Fake

	fake    *fakeserver.Server
	program *fakeserver.Program
	cfg     settings

	mu       sync.Mutex
	users    map[credentials.Address]*User
	scripted []scripted
	issued   []Issued
}

type scripted struct {
	code string
	left int
}

// NewServer starts a fake Credentials API serving GET /?message=&signature=
// (the API's only endpoint), closed through t.Cleanup. An invalid option
// fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the fake outside a test (a demo program); stop it with Close.
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
	cfg := settings{ttl: DefaultProofTTL, clock: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.appOrder) == 0 {
		id := randomHex(32)
		cfg.apps = map[string]string{id: DefaultApplicationName}
		cfg.appOrder = []string{id}
	}
	if cfg.key == nil {
		k, err := credentials.GeneratePrivateKey()
		if err != nil {
			return nil, err
		}
		cfg.key = k
	}
	s := &Server{cfg: cfg, users: map[credentials.Address]*User{}}
	fopts := []fakeserver.Option{fakeserver.WithClock(cfg.clock)}
	if cfg.tls {
		fopts = append(fopts, fakeserver.WithTLS())
	}
	s.fake = fakeserver.New(t, http.HandlerFunc(s.serve), fopts...)
	s.Fake = s.fake
	return s, nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.fake.URL() }

// HTTPClient returns an *http.Client that reaches the server (and trusts
// its certificate under WithTLS).
func (s *Server) HTTPClient() *http.Client { return s.fake.Client() }

// Environment returns a credentials.Environment (Name "fake") with the
// server's URL and signing address.
func (s *Server) Environment() credentials.Environment {
	return credentials.Environment{Name: "fake", URL: s.fake.URL(), Signer: s.SignerAddress()}
}

// ClientOptions returns the options that point a credentials.Client at the server.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{credentials.WithEnvironment(s.Environment()), option.WithHTTPClient(s.HTTPClient())}
}

// SignerAddress is the address of the key the fake signs proofs with:
// point a Verifier at it (or use Environment).
func (s *Server) SignerAddress() credentials.Address { return s.cfg.key.Address() }

// ClientID is the first registered application's client id.
func (s *Server) ClientID() string { return s.cfg.appOrder[0] }

// ApplicationName is the first registered application's name.
func (s *Server) ApplicationName() string { return s.cfg.apps[s.cfg.appOrder[0]] }

// MessageSpec returns a KYC MessageSpec for the first registered
// application and level, without country lists or data access.
func (s *Server) MessageSpec(level fractalid.Level) credentials.MessageSpec {
	return credentials.MessageSpec{ApplicationName: s.ApplicationName(), ClientID: s.ClientID(), Type: credentials.KYC, Level: level}
}

// AddUser adds (or replaces) the user of u.Wallet, with defaults for the
// fields left empty, and returns it. A zero wallet panics (a test bug).
func (s *Server) AddUser(u User) User {
	if u.Wallet.IsZero() {
		panic("credentialstest: AddUser: zero wallet")
	}
	if u.FractalID == "" {
		u.FractalID = "0x" + randomHex(32)
	}
	if u.Type == "" {
		u.Type = credentials.KYC
	}
	if len(u.Level) == 0 {
		u.Level = fractalid.ParseLevel("basic+liveness")
	}
	if u.ApprovedAt.IsZero() {
		u.ApprovedAt = s.fake.Now()
	}
	u.ApprovedAt = u.ApprovedAt.Truncate(time.Second).UTC()
	u.Level = slices.Clone(u.Level)
	u.Citizenship, u.Residency = slices.Clone(u.Citizenship), slices.Clone(u.Residency)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := u
	s.users[u.Wallet] = &c
	return u
}

// SetPending marks the user of wallet pending or approved; it reports
// whether the user exists.
func (s *Server) SetPending(wallet credentials.Address, pending bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[wallet]
	if ok {
		u.Pending = pending
	}
	return ok
}

// ScriptError makes the next times requests that carry both parameters
// fail with code (one of the credentials.Code* constants: 404 for
// user_not_found and user_pending, with the recovered address, else 400),
// whatever they hold.
func (s *Server) ScriptError(code string, times int) {
	if times < 1 || statusOf(code) == 0 {
		panic("credentialstest: ScriptError: unknown code or times < 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted = append(s.scripted, scripted{code: code, left: times})
}

// Issued returns the proofs the fake returned, oldest first.
func (s *Server) Issued() []Issued {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// SignProof signs p with the fake's key, as it signs the proofs it
// returns; tests use it to build proofs (an expired one, say).
func (s *Server) SignProof(p *credentials.Proof) credentials.Signature {
	return s.cfg.key.Sign(p.Digest())
}

// Close stops the server; it is also called through t.Cleanup.
func (s *Server) Close() {
	if s.program != nil {
		s.program.Close()
	}
	s.fake.Close()
}

// String describes the server without keys.
func (s *Server) String() string { return "credentialstest.Server(" + s.fake.URL() + ")" }

// GoString is String.
func (s *Server) GoString() string { return s.String() }

func statusOf(code string) int {
	switch code {
	case credentials.CodeUserNotFound, credentials.CodeUserPending:
		return http.StatusNotFound
	case credentials.CodeInvalidConfiguration, credentials.CodeInvalidClientID, credentials.CodeInvalidCountry,
		credentials.CodeInvalidLevel, credentials.CodeInvalidMessageSchema, credentials.CodeInvalidParams, credentials.CodeInvalidSignature:
		return http.StatusBadRequest
	}
	return 0
}

func writeError(w http.ResponseWriter, code string, addr credentials.Address) {
	body := map[string]string{"error": code}
	if !addr.IsZero() && statusOf(code) == http.StatusNotFound {
		body["address"] = addr.Checksum()
	}
	fakeserver.WriteJSON(w, statusOf(code), body)
}

func (s *Server) takeScripted() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.scripted) == 0 {
		return ""
	}
	sc := &s.scripted[0]
	sc.left--
	code := sc.code
	if sc.left == 0 {
		s.scripted = s.scripted[1:]
	}
	return code
}

// serve handles GET / (or any path: the API's base URL may carry one, as
// the former resource.fractal.id/credentials did).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fakeserver.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
		return
	}
	q := r.URL.Query()
	message, signature := q.Get("message"), q.Get("signature")
	if message == "" || signature == "" {
		writeError(w, credentials.CodeInvalidParams, credentials.Address{})
		return
	}
	sig, sigErr := credentials.ParseSignature(signature)
	var signer credentials.Address
	if sigErr == nil {
		var err error
		if signer, err = credentials.RecoverPersonalSigner([]byte(message), sig); err != nil {
			sigErr = err
		}
	}
	if code := s.takeScripted(); code != "" {
		writeError(w, code, signer)
		return
	}
	if sigErr != nil {
		writeError(w, credentials.CodeInvalidSignature, credentials.Address{})
		return
	}
	spec, err := credentials.ParseMessage(message)
	if err != nil {
		writeError(w, messageErrorCode(err), credentials.Address{})
		return
	}
	name, ok := s.cfg.apps[spec.ClientID]
	if !ok {
		writeError(w, credentials.CodeInvalidClientID, credentials.Address{})
		return
	}
	if name != spec.ApplicationName {
		// Not documented: the fake treats a name that is not the
		// application's as a message that does not match.
		writeError(w, credentials.CodeInvalidMessageSchema, credentials.Address{})
		return
	}
	s.mu.Lock()
	u, found := s.users[signer]
	var user User
	if found {
		user = *u
	}
	s.mu.Unlock()
	if !found || !meets(user, spec) {
		writeError(w, credentials.CodeUserNotFound, signer)
		return
	}
	if user.Pending {
		writeError(w, credentials.CodeUserPending, signer)
		return
	}
	p := &credentials.Proof{
		Wallet:     signer,
		FractalID:  user.FractalID,
		ApprovedAt: user.ApprovedAt,
		ValidUntil: s.fake.Now().Add(s.cfg.ttl).Truncate(time.Second).UTC(),
		Credential: credentials.ParseCredential(credentialString(spec)),
	}
	p.Signature = s.SignProof(p)
	s.mu.Lock()
	s.issued = append(s.issued, Issued{ClientID: spec.ClientID, Message: message, DataAccess: spec.DataAccess, Proof: p})
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, p)
}

func messageErrorCode(err error) string {
	switch {
	case errors.Is(err, credentials.ErrInvalidLevel):
		return credentials.CodeInvalidLevel
	case errors.Is(err, credentials.ErrInvalidCountry):
		return credentials.CodeInvalidCountry
	case errors.Is(err, credentials.ErrInvalidConfiguration):
		return credentials.CodeInvalidConfiguration
	}
	// An empty country list included: the line does not match the format.
	return credentials.CodeInvalidMessageSchema
}

// meets reports whether u passed what spec asks for.
func meets(u User, spec *credentials.MessageSpec) bool {
	if u.Type != spec.Type || !u.Level.Covers(spec.Level) {
		return false
	}
	for _, c := range u.Citizenship {
		if slices.Contains(spec.NotCitizenOf, c) {
			return false
		}
	}
	for _, c := range u.Residency {
		if slices.Contains(spec.NotResidentOf, c) {
			return false
		}
	}
	return true
}

// credentialString writes the "expected credential" of spec as the API
// does: level, then both lists with lower-case codes (comma-separated when
// there are several, which the documentation does not show), empty lists
// written as nothing after the colon, as in Fractal's contract tests.
func credentialString(spec *credentials.MessageSpec) string {
	codes := func(list []credentials.Country) string {
		out := make([]string, len(list))
		for i, c := range list {
			out[i] = strings.ToLower(string(c))
		}
		return strings.Join(out, ",")
	}
	return "level:" + spec.Level.String() + ";citizenship_not:" + codes(spec.NotCitizenOf) + ";residency_not:" + codes(spec.NotResidentOf)
}

// Wallet is a test wallet: a random secp256k1 key that signs messages as
// personal_sign does. Its key never prints.
type Wallet struct {
	key *credentials.PrivateKey
}

// NewWallet returns a wallet with a new random key; a failure to generate
// one fails the test.
func NewWallet(t testing.TB) *Wallet {
	t.Helper()
	k, err := credentials.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Wallet{key: k}
}

// WalletFromKey returns a wallet that signs with k.
func WalletFromKey(k *credentials.PrivateKey) *Wallet { return &Wallet{key: k} }

// Address is the wallet's address.
func (w *Wallet) Address() credentials.Address { return w.key.Address() }

// SignMessage signs message with personal_sign (EIP-191), as a browser
// wallet does when a dApp asks it to.
func (w *Wallet) SignMessage(message string) credentials.Signature {
	return w.key.SignPersonal([]byte(message))
}

// String prints neither the key nor the address.
func (w *Wallet) String() string { return "credentialstest.Wallet([redacted])" }

// GoString is String.
func (w *Wallet) GoString() string { return w.String() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
