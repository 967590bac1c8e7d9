package ekycadmin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc/internal/logvalue"
)

// Status is the status of a verification session or the person-level
// verdict. The server writes Veriff's values as they come (lower-cased),
// and maps some of them on another path, so "approved" and "success", and
// "declined" and "rejected", mean the same outcome; the helpers treat them
// alike. Unknown values are kept as they are.
type Status string

// Statuses the API is documented or observed to send.
const (
	// StatusCreated: the session exists; the user has not started.
	StatusCreated Status = "created"
	// StatusStarted: the user started the hosted flow.
	StatusStarted Status = "started"
	// StatusSubmitted: the user submitted; a decision is pending.
	StatusSubmitted Status = "submitted"
	// StatusApproved: verified (Veriff's word).
	StatusApproved Status = "approved"
	// StatusSuccess: verified (the server's mapping of "approved").
	StatusSuccess Status = "success"
	// StatusDeclined: refused (Veriff's word).
	StatusDeclined Status = "declined"
	// StatusRejected: refused (the server's mapping of "declined").
	StatusRejected Status = "rejected"
	// StatusExpired: the session expired before a decision.
	StatusExpired Status = "expired"
	// StatusAbandoned: the user abandoned the session (also the server's
	// mapping of "expired").
	StatusAbandoned Status = "abandoned"
)

func (s Status) norm() Status { return Status(strings.ToLower(strings.TrimSpace(string(s)))) }

// IsApproved reports whether s is a positive final outcome ("approved" or "success").
func (s Status) IsApproved() bool {
	n := s.norm()
	return n == StatusApproved || n == StatusSuccess
}

// IsDeclined reports whether s is a negative final outcome ("declined" or "rejected").
func (s Status) IsDeclined() bool {
	n := s.norm()
	return n == StatusDeclined || n == StatusRejected
}

// IsExpired reports whether s ended without a decision ("expired" or "abandoned").
func (s Status) IsExpired() bool {
	n := s.norm()
	return n == StatusExpired || n == StatusAbandoned
}

// IsFinal reports whether s is final: approved, declined or expired in any
// of their spellings.
func (s Status) IsFinal() bool { return s.IsApproved() || s.IsDeclined() || s.IsExpired() }

// IsInProgress reports whether s is a known non-final status: created,
// started or submitted. An unknown or empty status is neither final nor
// in progress.
func (s Status) IsInProgress() bool {
	switch s.norm() {
	case StatusCreated, StatusStarted, StatusSubmitted:
		return true
	}
	return false
}

// IsKnown reports whether s is one of the Status constants (case-insensitive).
func (s Status) IsKnown() bool { return s.IsFinal() || s.IsInProgress() }

// Timestamp is a date as the server writes it (a string; the format is
// ISO 8601 but not fixed by the API). It is kept as sent; Time parses it.
type Timestamp string

// timestampLayouts are the formats Time accepts, most likely first.
var timestampLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // Jackson's +0000 offset
	"2006-01-02T15:04:05.999999999",      // no zone: read as UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// Time parses t. It reports false for an empty or unparseable value.
// Values without a zone are read as UTC; a string of digits is read as
// Unix milliseconds.
func (t Timestamp) Time() (time.Time, bool) {
	s := strings.TrimSpace(string(t))
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range timestampLayouts {
		if v, err := time.Parse(l, s); err == nil {
			return v, true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

// Session is one verification session (PersonVerificationSession).
//
// SessionToken and URL give access to the user's hosted verification and
// OriginalRequest may hold personal data: String, GoString and LogValue
// print ID and Status only.
type Session struct {
	// SessionToken is the verification provider's session token (camelCase
	// in JSON, unlike the other fields). Treat it as a secret.
	SessionToken string `json:"sessionToken,omitempty"`
	// URL is the hosted verification page to send the user to.
	URL string `json:"url,omitempty"`
	// ID is the verification provider's session id.
	ID string `json:"id,omitempty"`
	// Status is the session's status.
	Status Status `json:"status,omitempty"`
	// CreationDate is when the session was stored. The create call never
	// sets it, so it is often empty.
	CreationDate Timestamp `json:"creation_date,omitempty"`
	// ModifiedDate is when the session last changed; often empty.
	ModifiedDate Timestamp `json:"modified_date,omitempty"`
	// OriginalRequest is the request the session was made from, when the
	// server kept it (never for sessions made by CreateSession).
	OriginalRequest *OriginalRequest `json:"original_request,omitempty"`
}

// String prints the session's id and status only.
func (s Session) String() string {
	return fmt.Sprintf("ekycadmin.Session{ID:%q Status:%q}", s.ID, string(s.Status))
}

// GoString is String, so %#v prints no secret or personal data either.
func (s Session) GoString() string { return s.String() }

// LogValue logs the session's id and status only.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID), slog.String("status", string(s.Status)))
}

// OriginalRequest is the request a session was created from
// (PersonVerificationRequest). Fields the API does not document are kept
// in Extra; they may hold personal data, and String, GoString and LogValue
// never print them.
type OriginalRequest struct {
	// Callback is where the user is sent after the hosted flow.
	Callback string `json:"callback,omitempty"`
	// OrgID is the organisation the session belongs to.
	OrgID string `json:"org_id,omitempty"`
	// Extra holds undocumented fields, raw.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the documented fields and keeps the others in Extra.
func (r *OriginalRequest) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	var out OriginalRequest
	for k, v := range all {
		var dst *string
		switch k {
		case "callback":
			dst = &out.Callback
		case "org_id":
			dst = &out.OrgID
		default:
			if out.Extra == nil {
				out.Extra = map[string]json.RawMessage{}
			}
			out.Extra[k] = v
			continue
		}
		if string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("original_request.%s: not a string", k)
		}
	}
	*r = out
	return nil
}

// MarshalJSON encodes the documented fields and Extra.
func (r OriginalRequest) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Extra)+2)
	for k, v := range r.Extra {
		m[k] = v
	}
	if r.Callback != "" {
		m["callback"] = r.Callback
	}
	if r.OrgID != "" {
		m["org_id"] = r.OrgID
	}
	return json.Marshal(m)
}

// String prints the organisation id only.
func (r OriginalRequest) String() string {
	return fmt.Sprintf("ekycadmin.OriginalRequest{OrgID:%q}", r.OrgID)
}

// GoString is String.
func (r OriginalRequest) GoString() string { return r.String() }

// LogValue logs the organisation id only.
func (r OriginalRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("org_id", r.OrgID))
}

// UserSessions is one user's sessions (EkycUserSession).
type UserSessions struct {
	// UserID is the user's identity id (JSON "id").
	UserID string `json:"id"`
	// Sessions maps a key the server generates per create call (not the
	// session's ID) to the session. Map order means nothing; use Sorted.
	Sessions Sessions `json:"sessions,omitempty"`
}

// Sessions maps the server's per-create key to a session. Printed or
// logged whole (fmt, slog text or JSON), it shows each session's String
// (id and status), never a session token or callback.
type Sessions map[string]Session

// LogValue logs each key with its session's String, keys sorted.
func (s Sessions) LogValue() slog.Value { return logvalue.Map(s) }

// Page is one page of ListSessions. Printed or logged whole (fmt, slog
// text or JSON), it shows each element's String (user id and session
// count), never a session token.
type Page []UserSessions

// LogValue logs each element's String.
func (p Page) LogValue() slog.Value { return logvalue.Slice(p) }

// SessionEntry is one element of UserSessions.Sorted.
type SessionEntry struct {
	// Key is the session's key in UserSessions.Sessions.
	Key string
	// Session is the session.
	Session Session
}

// String prints the entry's key, id and status only.
func (e SessionEntry) String() string {
	return fmt.Sprintf("ekycadmin.SessionEntry{Key:%q ID:%q Status:%q}", e.Key, e.Session.ID, string(e.Session.Status))
}

// GoString is String.
func (e SessionEntry) GoString() string { return e.String() }

// LogValue logs the entry's key, id and status only.
func (e SessionEntry) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", e.Key), slog.String("id", e.Session.ID), slog.String("status", string(e.Session.Status)))
}

// Sorted returns the sessions in a stable order: by CreationDate (oldest
// first; sessions without a parseable date last), then by ID, then by key.
func (u UserSessions) Sorted() []SessionEntry {
	type item struct {
		SessionEntry
		t     time.Time
		dated bool
	}
	items := make([]item, 0, len(u.Sessions))
	for k, s := range u.Sessions {
		t, ok := s.CreationDate.Time()
		items = append(items, item{SessionEntry{k, s}, t, ok})
	}
	slices.SortFunc(items, func(a, b item) int {
		switch {
		case a.dated && !b.dated:
			return -1
		case !a.dated && b.dated:
			return 1
		case a.dated && b.dated:
			if c := a.t.Compare(b.t); c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(a.Session.ID, b.Session.ID), strings.Compare(a.Key, b.Key))
	})
	out := make([]SessionEntry, len(items))
	for i, it := range items {
		out[i] = it.SessionEntry
	}
	return out
}

// String prints the user id and the number of sessions only.
func (u UserSessions) String() string {
	return fmt.Sprintf("ekycadmin.UserSessions{UserID:%q Sessions:%d}", u.UserID, len(u.Sessions))
}

// GoString is String.
func (u UserSessions) GoString() string { return u.String() }

// LogValue logs the user id and the number of sessions only.
func (u UserSessions) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", u.UserID), slog.Int("sessions", len(u.Sessions)))
}

// Verification is the person-level verdict (PersonVerification).
type Verification struct {
	// Status is the final outcome of the person's verification.
	Status Status `json:"status,omitempty"`
	// Reason is the decision reason, when the provider gave one. It is
	// never printed by String or LogValue.
	Reason string `json:"reason,omitempty"`
	// Timestamp is when the verdict was written.
	Timestamp Timestamp `json:"timestamp,omitempty"`
}

// String prints the status only.
func (v Verification) String() string {
	return fmt.Sprintf("ekycadmin.Verification{Status:%q}", string(v.Status))
}

// GoString is String.
func (v Verification) GoString() string { return v.String() }

// LogValue logs the status only.
func (v Verification) LogValue() slog.Value {
	return slog.GroupValue(slog.String("status", string(v.Status)))
}

// UserStatus is a user's verification status (UserStatusResponse).
//
// The person's final outcome is Verification.Status (see Outcome): the
// server removes a session from the user's map once it is decided, so the
// Success, Rejected and Expired buckets are rarely filled.
type UserStatus struct {
	// Timestamp is the server's time when it built the reply.
	Timestamp Timestamp `json:"timestamp,omitempty"`
	// TotalSessions is the number of sessions still in the user's map.
	TotalSessions int `json:"total_sessions"`
	// Verification is the person-level verdict, when one exists.
	Verification *Verification `json:"verification,omitempty"`
	// Created .. Expired hold the first session found in each status, nil when none.
	Created   *Session `json:"created,omitempty"`
	Started   *Session `json:"started,omitempty"`
	Submitted *Session `json:"submitted,omitempty"`
	Success   *Session `json:"success,omitempty"`
	Rejected  *Session `json:"rejected,omitempty"`
	Expired   *Session `json:"expired,omitempty"`
}

// Outcome returns Verification.Status, or "" when there is no verdict.
func (u UserStatus) Outcome() Status {
	if u.Verification == nil {
		return ""
	}
	return u.Verification.Status
}

// String prints the counts and the outcome only.
func (u UserStatus) String() string {
	return fmt.Sprintf("ekycadmin.UserStatus{TotalSessions:%d Outcome:%q}", u.TotalSessions, string(u.Outcome()))
}

// GoString is String.
func (u UserStatus) GoString() string { return u.String() }

// LogValue logs the counts and the outcome only.
func (u UserStatus) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("total_sessions", u.TotalSessions), slog.String("outcome", string(u.Outcome())))
}

// CreateSessionRequest is the body of CreateSession (SessionRequest).
type CreateSessionRequest struct {
	// Callback is the absolute http(s) URL the user is sent to after the
	// hosted verification. Optional.
	Callback string `json:"callback,omitempty"`
}

// ListOptions selects one page of ListSessions.
//
// Start is always sent, 0 included, whenever ListOptions is given; Limit is
// sent when positive (0 leaves the server's default, DefaultPageSize).
type ListOptions struct {
	// Start is the offset of the first user (0-based).
	Start int `url:"start"`
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int `url:"limit,omitempty"`
}
