package ekycadmintest

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/internal/fakeserver"
	"github.com/kycgo/kyc/kyctest"
)

// Paths the fake serves, for InjectFault and Count. Patterns ending in "*"
// match by prefix.
const (
	// PathToken is the token endpoint (POST).
	PathToken = "/oauth2/token"
	// PathList is the list endpoint (GET).
	PathList = "/ekyc/admin"
	// PathUsers matches every per-user endpoint: sessions (GET, POST) and
	// status (GET) of any user.
	PathUsers = "/ekyc/admin/*"
)

// SessionsPath is the path of a user's sessions (GET lists, POST creates).
func SessionsPath(userID string) string { return "/ekyc/admin/" + userID + "/sessions" }

// StatusPath is the path of a user's status.
func StatusPath(userID string) string { return "/ekyc/admin/" + userID + "/status" }

// Permission is a permission a credential may hold. The ekycadmin
// Permission constants convert to it.
type Permission string

// The permissions the admin operations need.
const (
	// PermissionList lets a credential list every user's sessions.
	PermissionList Permission = ekycadmin.PermissionList
	// PermissionGet lets a credential read a user's sessions and status.
	PermissionGet Permission = ekycadmin.PermissionGet
	// PermissionCreate lets a credential create sessions.
	PermissionCreate Permission = ekycadmin.PermissionCreate
)

// AllPermissions returns the three admin permissions.
func AllPermissions() []Permission {
	return []Permission{PermissionList, PermissionGet, PermissionCreate}
}

// Status is a session or verdict status; use the ekycadmin constants
// (ekycadmin.StatusApproved, ...).
type Status = ekycadmin.Status

// PermissionDenial says how the fake answers a call whose token lacks the
// permission the call needs. The public description says 401 with a
// missing_permissions body; the server's code suggests a 403 or a 500 from
// its catch-all handler may surface instead, so a test can check that its
// code copes with each.
type PermissionDenial int

// Permission denial styles.
const (
	// DenyMissingPermissions answers 401 {"missing_permissions":["<perm>"]}
	// (the default, as documented).
	DenyMissingPermissions PermissionDenial = iota
	// DenyForbidden answers 403 with Spring's default error body.
	DenyForbidden
	// DenyAccessDenied500 answers 500 {"error":"AccessDeniedException",
	// "message":"Access Denied","path":...,"timestamp":...}: the server's
	// catch-all handler catching the @PreAuthorize denial.
	DenyAccessDenied500
)

// Option configures a Server. Options validate their arguments; NewServer
// fails the test on an invalid one.
type Option func(*settings) error

type settings struct {
	now         func() time.Time
	tokenTTL    time.Duration
	denial      PermissionDenial
	mapVerdict  bool
	unknownUser int
	allowPost   bool
}

// WithClock makes the fake read time from now (token expiry, ages, status
// timestamps). A *kyctest.Clock's Now method fits.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("ekycadmintest: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithTokenTTL sets the lifetime of issued access tokens (default 1h, as
// the real token server's default).
func WithTokenTTL(d time.Duration) Option {
	return func(s *settings) error {
		if d < time.Second {
			return errors.New("ekycadmintest: WithTokenTTL: the lifetime must be at least 1s")
		}
		s.tokenTTL = d
		return nil
	}
}

// WithPermissionDenial sets how a missing permission is answered (default
// DenyMissingPermissions).
func WithPermissionDenial(d PermissionDenial) Option {
	return func(s *settings) error {
		if d < DenyMissingPermissions || d > DenyAccessDenied500 {
			return fmt.Errorf("ekycadmintest: WithPermissionDenial: unknown style %d", d)
		}
		s.denial = d
		return nil
	}
}

// WithMappedVerdict makes Decide write the person-level verdict through the
// server's mapping (approved -> success, declined -> rejected, expired ->
// abandoned, anything else -> started) instead of the provider's
// lower-cased status as is (the default). The real server has both paths.
func WithMappedVerdict() Option {
	return func(s *settings) error {
		s.mapVerdict = true
		return nil
	}
}

// WithUnknownUserStatus sets how creating a session for a user the identity
// store does not know is answered: 500 (the default: the identity client's
// exception through the server's catch-all handler) or 404 (a
// {"status":404,"error":{"reason":...}} body). The real behaviour is not
// documented.
func WithUnknownUserStatus(status int) Option {
	return func(s *settings) error {
		if status != http.StatusInternalServerError && status != http.StatusNotFound {
			return errors.New("ekycadmintest: WithUnknownUserStatus: status must be 404 or 500")
		}
		s.unknownUser = status
		return nil
	}
}

// WithClientSecretPost also accepts client credentials in the token
// request's form body (client_secret_post). By default only HTTP Basic is
// accepted, as the real credentials are registered.
func WithClientSecretPost() Option {
	return func(s *settings) error {
		s.allowPost = true
		return nil
	}
}

// Server is the fake EKYC admin API. Its methods are safe for concurrent
// use, including while requests are being served.
type Server struct {
	// Fake is the fault injection, request log and connection count every
	// fake of this module shares (InjectFault, Requests, Count, ...).
	kyctest.Fake

	t       fakeserver.TB
	program *fakeserver.Program // set by Start
	fs      *fakeserver.Server
	cfg     settings

	mu      sync.Mutex
	clients map[string]*oauthClient
	users   map[string]*identity
	records map[string]*record // user ID -> session record
	order   []string           // user IDs in the order their records were made
	people  map[string]*verdict
}

// NewServer starts a fake EKYC admin API on 127.0.0.1, closed through
// t.Cleanup. It has no users and no credentials until the test adds them.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := start(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Start starts the fake outside a test, for a demo program or a local
// development server; stop it with Close. Misuse that would fail a test
// (an invalid user, say) panics instead.
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
	cfg := settings{now: time.Now, tokenTTL: time.Hour, unknownUser: http.StatusInternalServerError}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{
		t:       t,
		cfg:     cfg,
		clients: make(map[string]*oauthClient),
		users:   make(map[string]*identity),
		records: make(map[string]*record),
		people:  make(map[string]*verdict),
	}
	s.fs = fakeserver.New(t, http.HandlerFunc(s.route), fakeserver.WithClock(cfg.now))
	s.Fake = s.fs
	return s, nil
}

// BaseURL is the API's base URL (http://127.0.0.1:<port>), for
// option.WithBaseURL.
func (s *Server) BaseURL() string { return s.fs.URL() }

// TokenURL is the token endpoint's URL, for ekycadmin.WithTokenURL.
func (s *Server) TokenURL() string { return s.fs.URL() + PathToken }

// Close stops the server. NewServer already arranged for it to be called
// through t.Cleanup; calling it again is harmless.
func (s *Server) Close() {
	if s.program != nil {
		s.program.Close()
	}
	s.fs.Close()
}

// String describes the server (its URL only).
func (s *Server) String() string { return "ekycadmintest.Server(" + s.fs.URL() + ")" }

func (s *Server) now() time.Time { return s.cfg.now() }
