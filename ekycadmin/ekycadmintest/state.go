package ekycadmintest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/internal/fakeserver"
)

// MinAge is the youngest age the API verifies.
const MinAge = 14

// BirthDateLayout is the layout of User.BirthDate.
const BirthDateLayout = "2006-01-02"

// User is an identity in the fake's identity store: the traits a session
// creation reads. A user exists for the fake once added with AddUser.
//
// GivenName and FamilyName both empty means the identity has no name
// information at all; BirthDate empty means it has no date of birth.
// String and LogValue print the ID only.
type User struct {
	// ID is the identity id, used in the API's paths.
	ID string
	// GivenName and FamilyName are the name traits.
	GivenName, FamilyName string
	// BirthDate is the date of birth as "YYYY-MM-DD", or "".
	BirthDate string
	// Gender is "M" or "F" (the server defaults a missing gender to "M").
	Gender string
}

// String prints the user's ID only.
func (u User) String() string { return "ekycadmintest.User{ID:" + u.ID + "}" }

// GoString is String.
func (u User) GoString() string { return u.String() }

// LogValue logs the user's ID only.
func (u User) LogValue() slog.Value { return slog.GroupValue(slog.String("id", u.ID)) }

// ValidUser returns a user the API can verify: given and family names, and
// a date of birth making the person 36 on 2026-01-01.
func ValidUser(id string) User {
	return User{ID: id, GivenName: "Jane", FamilyName: "Doe", BirthDate: "1990-01-01", Gender: "F"}
}

type identity struct {
	User
	birth time.Time // zero when BirthDate == ""
}

type oauthClient struct {
	secret  string
	perms   []string
	revoked bool
}

// session is one stored PersonVerificationSession with its map key.
type session struct {
	key          string
	id           string
	sessionToken string
	url          string
	status       string
	callback     string
}

type record struct {
	sessions []*session // creation order; the JSON map is built from it
}

type verdict struct {
	status, reason string
	at             time.Time
}

// SessionRecord is a stored session as a test can inspect it.
// String prints the key, ID and status only.
type SessionRecord struct {
	// Key is the session's key in the user's sessions map.
	Key string
	// ID is the verification provider's session id.
	ID string
	// SessionToken and URL are what CreateSession returned.
	SessionToken, URL string
	// Status is the session's current status.
	Status Status
	// Callback is the callback the create request carried, if any (the
	// real server passes it to the provider and does not return it).
	Callback string
}

// String prints the key, ID and status only.
func (r SessionRecord) String() string {
	return fmt.Sprintf("ekycadmintest.SessionRecord{Key:%q ID:%q Status:%q}", r.Key, r.ID, string(r.Status))
}

// GoString is String.
func (r SessionRecord) GoString() string { return r.String() }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Credentials registers a new client (a service credential) holding perms
// and returns its id and secret, for ekycadmin.WithCredentials. Permissions
// are bound to a token when it is issued, as the real token server does:
// a change made later with SetPermissions applies to new tokens only.
func (s *Server) Credentials(perms ...Permission) (clientID, clientSecret string) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	clientID = "client-" + hex.EncodeToString(b[:])
	clientSecret = fakeserver.NewToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = &oauthClient{secret: clientSecret, perms: permStrings(perms)}
	return clientID, clientSecret
}

func permStrings(perms []Permission) []string {
	out := make([]string, 0, len(perms))
	for _, p := range perms {
		if !slices.Contains(out, string(p)) {
			out = append(out, string(p))
		}
	}
	return out
}

// SetPermissions replaces the permissions of a client made by Credentials.
// Tokens already issued keep the permissions they were issued with.
func (s *Server) SetPermissions(clientID string, perms ...Permission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		s.t.Errorf("ekycadmintest: SetPermissions: unknown client %q", clientID)
		return
	}
	c.perms = permStrings(perms)
}

// RevokeClient disables a client: its token requests fail with
// invalid_client and its tokens stop working.
func (s *Server) RevokeClient(clientID string) {
	s.mu.Lock()
	if c, ok := s.clients[clientID]; ok {
		c.revoked = true
	}
	s.mu.Unlock()
	s.fs.Tokens().RevokeSubject(clientID)
}

// Token issues an access token with perms directly (no client, no token
// request), for clients built with a static token source.
func (s *Server) Token(perms ...Permission) string {
	return s.fs.Tokens().Issue("static-token", permStrings(perms), s.cfg.tokenTTL)
}

// RevokeToken makes an access token stop working.
func (s *Server) RevokeToken(token string) { s.fs.Tokens().Revoke(token) }

// AddUser adds (or replaces) an identity. An empty ID or a malformed
// BirthDate fails the test.
func (s *Server) AddUser(u User) {
	s.t.Helper()
	if u.ID == "" {
		s.t.Fatal("ekycadmintest: AddUser: empty ID")
		return
	}
	id := &identity{User: u}
	if u.BirthDate != "" {
		b, err := time.Parse(BirthDateLayout, u.BirthDate)
		if err != nil {
			s.t.Fatalf("ekycadmintest: AddUser %s: BirthDate must be YYYY-MM-DD", u.ID)
			return
		}
		id.birth = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = id
}

// AddUsers adds a ValidUser for each id.
func (s *Server) AddUsers(ids ...string) {
	s.t.Helper()
	for _, id := range ids {
		s.AddUser(ValidUser(id))
	}
}

// age is the person's age in whole years at now.
func age(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		y--
	}
	return y
}

// validate applies the server's checks, in its order, and returns the
// refusal reason or "".
func validate(u *identity, now time.Time) string {
	switch {
	case u.GivenName == "" && u.FamilyName == "":
		return ekycadmin.ReasonNameRequired
	case u.FamilyName == "":
		return ekycadmin.ReasonFamilyNameRequired
	case u.GivenName == "":
		return ekycadmin.ReasonGivenNameRequired
	case u.birth.IsZero():
		return ekycadmin.ReasonBirthDateRequired
	case age(u.birth, now) < MinAge:
		return ekycadmin.ReasonUnderage
	}
	return ""
}

// newSessionLocked stores a new session for userID, making the user's
// record if needed.
func (s *Server) newSessionLocked(userID, status, callback string) *session {
	tok := fakeserver.NewToken()
	se := &session{
		key:          newUUID(),
		id:           newUUID(),
		sessionToken: tok,
		url:          s.fs.URL() + "/v/" + tok,
		status:       status,
		callback:     callback,
	}
	r, ok := s.records[userID]
	if !ok {
		r = &record{}
		s.records[userID] = r
		s.order = append(s.order, userID)
	}
	r.sessions = append(r.sessions, se)
	return se
}

// AddSession stores a session for userID directly, without a request and
// without the identity checks (the user need not exist), and returns the
// session's ID. Use it to set up many users quickly.
func (s *Server) AddSession(userID string, status Status) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == "" {
		status = ekycadmin.StatusCreated
	}
	return s.newSessionLocked(userID, string(status), "").id
}

// Sessions returns the user's stored sessions in creation order (nil when
// the user has no session record).
func (s *Server) Sessions(userID string) []SessionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[userID]
	if !ok {
		return nil
	}
	out := make([]SessionRecord, 0, len(r.sessions))
	for _, se := range r.sessions {
		out = append(out, SessionRecord{Key: se.key, ID: se.id, SessionToken: se.sessionToken, URL: se.url, Status: Status(se.status), Callback: se.callback})
	}
	return out
}

// SessionCount is the number of sessions in the user's map.
func (s *Server) SessionCount(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.records[userID]; ok {
		return len(r.sessions)
	}
	return 0
}

// TotalSessions is the number of sessions of all users.
func (s *Server) TotalSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		n += len(r.sessions)
	}
	return n
}

// Verdict returns the person-level verdict of a user, if a decision was made.
func (s *Server) Verdict(userID string) (status Status, reason string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.people[userID]
	if !ok {
		return "", "", false
	}
	return Status(v.status), v.reason, true
}

// ErrNoSuchSession is returned by SetSessionStatus and Decide for a session
// the user does not have (any more).
var ErrNoSuchSession = errors.New("ekycadmintest: no such session")

// ErrBadVerdict is returned by Decide for a status the person-level
// verdict cannot hold.
var ErrBadVerdict = errors.New("ekycadmintest: status is not a verdict the API can report")

func (s *Server) findLocked(userID, sessionID string) (*record, int, error) {
	r, ok := s.records[userID]
	if !ok {
		return nil, 0, ErrNoSuchSession
	}
	for i, se := range r.sessions {
		if se.id == sessionID || se.key == sessionID {
			return r, i, nil
		}
	}
	return nil, 0, ErrNoSuchSession
}

// SetSessionStatus plays the verification provider's event webhook: it
// overwrites the session's status (sessionID is the session's ID or its
// map key) and nothing else, so the session moves to that bucket of the
// user's status. Events carry "started" and "submitted".
func (s *Server) SetSessionStatus(userID, sessionID string, status Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, i, err := s.findLocked(userID, sessionID)
	if err != nil {
		return err
	}
	r.sessions[i].status = string(status)
	return nil
}

// verdictStatuses is PersonVerification.status's enum.
var verdictStatuses = []string{"started", "expired", "abandoned", "rejected", "success", "submitted", "declined", "approved"}

// removedOn are the decisions that remove the session from the user's map.
var removedOn = []string{"approved", "declined", "rejected", "expired", "abandoned"}

// Decide plays the verification provider's decision webhook for a session
// (its ID or map key), as the real server handles it:
//   - the person-level verdict (UserStatus.verification) gets the
//     lower-cased status as is, or the server's mapping under
//     WithMappedVerdict, with reason and the current time;
//   - the session is removed from the user's map when the decision is
//     approved, declined, rejected, expired or abandoned, so it leaves
//     every bucket and total_sessions drops.
//
// It returns ErrNoSuchSession for an unknown session and ErrBadVerdict for
// a status outside the verdict's enum (without WithMappedVerdict).
func (s *Server) Decide(userID, sessionID string, status Status, reason string) error {
	st := strings.ToLower(strings.TrimSpace(string(status)))
	verdictStatus := st
	if s.cfg.mapVerdict {
		switch st {
		case "approved":
			verdictStatus = "success"
		case "declined":
			verdictStatus = "rejected"
		case "expired":
			verdictStatus = "abandoned"
		default:
			verdictStatus = "started"
		}
	} else if !slices.Contains(verdictStatuses, st) {
		return ErrBadVerdict
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, i, err := s.findLocked(userID, sessionID)
	if err != nil {
		return err
	}
	s.people[userID] = &verdict{status: verdictStatus, reason: reason, at: s.now()}
	if slices.Contains(removedOn, st) {
		r.sessions = slices.Delete(r.sessions, i, i+1)
	}
	return nil
}
