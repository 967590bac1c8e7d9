package main

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/kycgo/kyc/fractalid"
)

// KYC statuses the status page shows.
const (
	statusApproved  = "approved"
	statusRejected  = "rejected"
	statusExpired   = "expired"
	statusPending   = "pending"
	statusNotShared = "not shared"
)

// session is what the app keeps about a signed-in user: the anonymised uid
// and the KYC status. No name, email, document or file URL is kept.
type session struct {
	// UID is Fractal's anonymised user id.
	UID string
	// Status is approved, rejected, expired, pending or "not shared" for
	// Level.
	Status string
	// Level is the level the app asked for, such as "basic+liveness".
	Level string
	// Cases are the newest verification case of each level: level and
	// outcome only.
	Cases []caseView
	// Missing lists the items of Level whose scope the user did not grant.
	Missing []string

	expires time.Time
}

// caseView is one verification case as the status page shows it.
type caseView struct {
	Level   string
	Outcome string
}

// String prints the uid and status only.
func (s *session) String() string { return "session{uid=" + s.UID + " status=" + s.Status + "}" }

// summarize turns GET /v2/users/me into a session: the status of level and
// the level and outcome of each newest case. granted are the scopes the
// token endpoint granted (nil when unknown).
func summarize(u *fractalid.User, level fractalid.Level, granted []fractalid.Scope) *session {
	s := &session{UID: u.UID, Level: level.String()}
	for _, c := range u.NewestCases() {
		out := string(c.Outcome())
		if out == "" {
			out = "unknown"
		}
		s.Cases = append(s.Cases, caseView{Level: c.Level().String(), Outcome: out})
	}
	if granted != nil {
		for _, it := range level {
			if !slices.Contains(granted, it.Scope()) {
				s.Missing = append(s.Missing, string(it))
			}
		}
	}
	s.Status = levelStatus(u, level)
	if s.Status != statusApproved && len(s.Missing) > 0 {
		s.Status = statusNotShared
	}
	return s
}

// levelStatus is approved when every item of level is approved; else
// rejected or expired when the newest case of one of its items says so;
// else pending.
func levelStatus(u *fractalid.User, level fractalid.Level) string {
	if u.IsApproved(level) {
		return statusApproved
	}
	status := statusPending
	for _, c := range u.NewestCases() {
		if !slices.ContainsFunc(c.Level(), level.Has) {
			continue
		}
		switch c.Outcome() {
		case fractalid.StatusRejected:
			return statusRejected
		case fractalid.StatusExpired:
			status = statusExpired
		}
	}
	return status
}

// errTooManySessions is returned when the store is full of live sessions.
var errTooManySessions = errors.New("webapp: too many sessions")

// sessionStore keeps sessions in memory, keyed by a random id. Expired
// sessions are dropped when read and when the store is full.
type sessionStore struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]*session
}

func newSessionStore(ttl time.Duration, maxSessions int, now func() time.Time) *sessionStore {
	return &sessionStore{ttl: ttl, max: maxSessions, now: now, m: make(map[string]*session)}
}

// create stores s under a new random id and returns the id.
func (st *sessionStore) create(s *session) (string, error) {
	id, err := randomID()
	if err != nil {
		return "", err
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= st.max {
		for k, v := range st.m {
			if !now.Before(v.expires) {
				delete(st.m, k)
			}
		}
		if len(st.m) >= st.max {
			return "", errTooManySessions
		}
	}
	c := *s
	c.expires = now.Add(st.ttl)
	st.m[id] = &c
	return id, nil
}

// get returns a copy of the live session with this id.
func (st *sessionStore) get(id string) (*session, bool) {
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[id]
	if !ok {
		return nil, false
	}
	if !now.Before(s.expires) {
		delete(st.m, id)
		return nil, false
	}
	c := *s
	return &c, true
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	delete(st.m, id)
	st.mu.Unlock()
}

// len is the number of stored sessions, live or not yet dropped.
func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}
