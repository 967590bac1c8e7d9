package ekycadmin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kycgo/kyc"
)

// Reasons the server gives, verbatim, in {"status", "error": {"reason"}}
// bodies. kyc.APIError.Code holds them when the server sends one of them (in
// any case, with or without the trailing period).
const (
	// ReasonNameRequired: the identity has no name traits (400).
	ReasonNameRequired = "Person is required to have name information."
	// ReasonFamilyNameRequired: the identity has no family name (400).
	ReasonFamilyNameRequired = "Person must have a family name."
	// ReasonGivenNameRequired: the identity has no given name (400).
	ReasonGivenNameRequired = "Person must have a given name."
	// ReasonBirthDateRequired: the identity has no date of birth (400).
	ReasonBirthDateRequired = "Person is required to have a date of birth."
	// ReasonUnderage: the person is younger than 14 (400). The wording,
	// typo included, is the server's.
	ReasonUnderage = "Person can not be verified is age is less than 14."
	// ReasonNoSessions: the user has no session record (404).
	ReasonNoSessions = "No sessions available for the user id."
)

// Sentinels for the reasons CreateSession is refused and for a user
// without sessions, matched through kyc.APIError.Kinds by errors.Is.
var (
	// ErrInvalidName matches a refusal because the identity lacks a name,
	// a given name or a family name (ReasonNameRequired,
	// ReasonGivenNameRequired, ReasonFamilyNameRequired).
	ErrInvalidName = errors.New("ekycadmin: the identity's name is incomplete")
	// ErrInvalidBirthDate matches a refusal because the identity has no
	// date of birth (ReasonBirthDateRequired).
	ErrInvalidBirthDate = errors.New("ekycadmin: the identity has no date of birth")
	// ErrUnderage matches a refusal because the person is younger than 14
	// (ReasonUnderage).
	ErrUnderage = errors.New("ekycadmin: the person is under the minimum age")
	// ErrPersonIncomplete matches any of the three refusals above: the
	// identity cannot be verified until its traits are completed.
	ErrPersonIncomplete = errors.New("ekycadmin: the identity cannot be verified")
	// ErrNoSessions matches "No sessions available for the user id." (it
	// also matches kyc.ErrNotFound).
	ErrNoSessions = errors.New("ekycadmin: the user has no sessions")
)

// Permissions the operations need. They are granted to a credential in the
// Klustr console; they cannot be requested as OAuth scopes.
const (
	// PermissionList is needed by ListSessions and AllSessions.
	PermissionList = "ekyc.session.list"
	// PermissionGet is needed by UserSessions and UserStatus.
	PermissionGet = "ekyc.session.get"
	// PermissionCreate is needed by CreateSession.
	PermissionCreate = "ekyc.session.create"
)

// ErrPagination matches every *PaginationError.
var ErrPagination = errors.New("ekycadmin: inconsistent pagination")

// ErrRepeatedPage matches a *PaginationError for a page that repeats the
// previous one.
var ErrRepeatedPage = errors.New("ekycadmin: the server returned the same page twice")

// PaginationError stops AllSessions when the server's pages cannot be
// followed safely: a page that repeats the previous one (which would loop
// forever), a page longer than the limit, or an offset beyond int32.
type PaginationError struct {
	// Start and Limit are the query of the page that failed.
	Start, Limit int
	// Count is the number of items that page held.
	Count int
	// Repeated is true when the page repeated the previous page.
	Repeated bool
	// Problem describes the failure.
	Problem string
}

// Error implements error.
func (e *PaginationError) Error() string {
	return fmt.Sprintf("ekycadmin: list sessions at start=%d limit=%d: %s", e.Start, e.Limit, e.Problem)
}

// Is makes errors.Is match ErrPagination, and ErrRepeatedPage when Repeated.
func (e *PaginationError) Is(target error) bool {
	return target == ErrPagination || (e.Repeated && target == ErrRepeatedPage)
}

// Exception classes of a Spring catch-all 500 body that are permission
// errors: @PreAuthorize denials caught by the server's generic handler.
var deniedExceptions = [...]string{"AccessDeniedException", "AuthorizationDeniedException"}

// errorBody is the union of the documented error shapes.
type errorBody struct {
	// {"status", "error": {"reason", "id"}, "metadata"} or Spring's
	// {"error": "<ExceptionClass>", "message", "path", "timestamp"}.
	Error              json.RawMessage `json:"error"`
	Message            json.RawMessage `json:"message"`
	MissingPermissions json.RawMessage `json:"missing_permissions"`
}

type errorObject struct {
	Reason json.RawMessage `json:"reason"`
	ID     json.RawMessage `json:"id"`
}

// Longest vendor string kept in Code, ID or Message, and most permissions kept.
const (
	maxFieldLen    = 512
	maxPermissions = 64
)

// decodeError fills e from whichever documented shape body matches. It
// never fails: an unknown or malformed body leaves e with its status
// fields only. It always returns e.
func decodeError(e *kyc.APIError, body []byte) error {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		var v errorBody
		if json.Unmarshal(body, &v) == nil {
			fillFromBody(e, &v)
		}
	}
	if e.Code == "" && e.Header != nil {
		e.Code = bearerError(e.Header.Values("WWW-Authenticate"))
	}
	classify(e)
	return e
}

func fillFromBody(e *kyc.APIError, v *errorBody) {
	freeText := ""
	switch {
	case len(v.Error) > 0 && v.Error[0] == '{':
		var obj errorObject
		if json.Unmarshal(v.Error, &obj) == nil {
			reason := jsonString(obj.Reason)
			switch known, ok := knownReason(reason); {
			case ok:
				e.Code = known
			case isMachineCode(reason):
				e.Code = reason
			default:
				// Free text may echo the submitted identity: keep it
				// out of everything that is printed.
				freeText = reason
			}
			if id := jsonString(obj.ID); isMachineCode(id) {
				e.ID = id
			}
		}
	case len(v.Error) > 0 && v.Error[0] == '"':
		// Spring: "error" is the exception class (the server's handler) or
		// the status phrase (Spring Boot's default error page).
		if code := jsonString(v.Error); isMachineCode(code) {
			e.Code = code
		}
	}
	e.Message = jsonString(v.Message)
	if e.Message == "" {
		e.Message = freeText
	}
	if len(v.MissingPermissions) > 0 && v.MissingPermissions[0] == '[' {
		var raw []json.RawMessage
		if json.Unmarshal(v.MissingPermissions, &raw) == nil {
			perms := make([]string, 0, min(len(raw), maxPermissions))
			for _, r := range raw {
				if len(perms) == maxPermissions {
					break
				}
				if s := jsonString(r); isMachineCode(s) {
					perms = append(perms, s)
				}
			}
			if len(perms) > 0 {
				e.MissingPermissions = perms
			}
		}
	}
}

// maxCodeLen bounds a code printed by Error(): long enough for a fully
// qualified Java exception class.
const maxCodeLen = 128

// isMachineCode reports whether s may be printed as a code: 1 to
// maxCodeLen bytes of ASCII letters, digits and "._-:$". No spaces, no
// "@" or "+": a sentence or an e-mail address is never a code.
func isMachineCode(s string) bool {
	if s == "" || len(s) > maxCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-' || c == ':' || c == '$':
		default:
			return false
		}
	}
	return true
}

// jsonString decodes a JSON string, or gives "" for anything else. The
// result is valid UTF-8 without control characters, at most maxFieldLen bytes.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return clean(s)
}

func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxFieldLen {
		cut := maxFieldLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// bearerError reads error="..." from a Bearer WWW-Authenticate challenge.
func bearerError(values []string) string {
	for _, v := range values {
		if len(v) < 6 || !strings.EqualFold(v[:6], "bearer") {
			continue
		}
		for part := range strings.SplitSeq(v[6:], ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "error") {
				continue
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if len(val) <= 64 && isMachineCode(val) {
				return val
			}
		}
	}
	return ""
}

// normalizeReason compares reasons leniently: case, surrounding spaces and
// a trailing period do not matter.
func normalizeReason(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

var reasonKinds = map[string][]error{
	normalizeReason(ReasonNameRequired):       {ErrInvalidName, ErrPersonIncomplete},
	normalizeReason(ReasonFamilyNameRequired): {ErrInvalidName, ErrPersonIncomplete},
	normalizeReason(ReasonGivenNameRequired):  {ErrInvalidName, ErrPersonIncomplete},
	normalizeReason(ReasonBirthDateRequired):  {ErrInvalidBirthDate, ErrPersonIncomplete},
	normalizeReason(ReasonUnderage):           {ErrUnderage, ErrPersonIncomplete},
	normalizeReason(ReasonNoSessions):         {ErrNoSessions, kyc.ErrNotFound},
}

// knownReasons maps a normalised reason to its Reason constant.
var knownReasons = map[string]string{
	normalizeReason(ReasonNameRequired):       ReasonNameRequired,
	normalizeReason(ReasonFamilyNameRequired): ReasonFamilyNameRequired,
	normalizeReason(ReasonGivenNameRequired):  ReasonGivenNameRequired,
	normalizeReason(ReasonBirthDateRequired):  ReasonBirthDateRequired,
	normalizeReason(ReasonUnderage):           ReasonUnderage,
	normalizeReason(ReasonNoSessions):         ReasonNoSessions,
}

// knownReason returns the Reason constant reason stands for: the same
// words in any case, with or without the trailing period, or a "No
// sessions available ..." variant (which may name the user).
func knownReason(reason string) (string, bool) {
	n := normalizeReason(reason)
	if r, ok := knownReasons[n]; ok {
		return r, true
	}
	if strings.HasPrefix(n, "no sessions available") {
		return ReasonNoSessions, true
	}
	return "", false
}

// classify adds the sentinels the decoded fields match to e.Kinds.
func classify(e *kyc.APIError) {
	add := func(errs ...error) {
		for _, k := range errs {
			if !slices.Contains(e.Kinds, k) {
				e.Kinds = append(e.Kinds, k)
			}
		}
	}
	if len(e.MissingPermissions) > 0 {
		add(kyc.ErrForbidden)
	}
	for _, cls := range deniedExceptions {
		if e.Code == cls || strings.HasSuffix(e.Code, "."+cls) {
			add(kyc.ErrForbidden)
		}
	}
	if kinds, ok := reasonKinds[normalizeReason(e.Code)]; ok {
		add(kinds...)
	}
}
