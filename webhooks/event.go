package webhooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// EventType is the "type" of a Fractal ID notification. Values outside the
// constants below are kept as they are: new types are not an error.
type EventType string

// The notification types Fractal ID documents, plus the historical
// authorization_revoked and the Kraken status notification.
const (
	// EventVerificationApproved: the user was approved for one level or
	// add-on (one notification per level). Data: [VerificationData].
	EventVerificationApproved EventType = "verification_approved"
	// EventVerificationContacted: the user was asked for more information.
	// Data: [VerificationData].
	EventVerificationContacted EventType = "verification_contacted"
	// EventVerificationRejected: the user failed the check for a level. No
	// reason is given, by design. Data: [VerificationData].
	EventVerificationRejected EventType = "verification_rejected"
	// EventCredentialShared: idOS credentials were approved and shared on
	// the user's behalf. Data: [CredentialSharedData].
	EventCredentialShared EventType = "credential_shared"
	// EventEmailChanged: the user confirmed a new email address. Data:
	// [EmailChangedData].
	EventEmailChanged EventType = "email_changed"
	// EventAuthorizationRevoked: the user revoked the application's access.
	// Documented in 2019 and since removed; old deliveries may still carry
	// it. Data: [AuthorizationRevokedData].
	EventAuthorizationRevoked EventType = "authorization_revoked"
	// EventKrakenStatus is assigned by this package to notifications of
	// Fractal's Kraken platform, whose bodies carry no type. Data:
	// [KrakenData].
	EventKrakenStatus EventType = "kraken_status"
)

// Known reports whether t is one of the types this package decodes into a
// typed payload.
func (t EventType) Known() bool {
	switch t {
	case EventVerificationApproved, EventVerificationContacted, EventVerificationRejected,
		EventCredentialShared, EventEmailChanged, EventAuthorizationRevoked, EventKrakenStatus:
		return true
	}
	return false
}

// Event is a verified (when it comes from a [Verifier]) and decoded
// notification. Exactly one of the typed fields is set for a known type;
// all are nil for an unknown type, whose payload stays in Data.
//
// Event's String, GoString and LogValue show the type and identifiers only,
// never the email address or any other personal data; Data and the typed
// fields are yours to handle with the same care.
type Event struct {
	// Type is the notification type, as sent.
	Type EventType
	// Data is the "data" object as received (for a Kraken notification,
	// the whole body). It is a copy: it does not alias the body.
	Data json.RawMessage

	// Verification is set for verification_approved,
	// verification_contacted and verification_rejected.
	Verification *VerificationData
	// CredentialShared is set for credential_shared.
	CredentialShared *CredentialSharedData
	// EmailChanged is set for email_changed.
	EmailChanged *EmailChangedData
	// AuthorizationRevoked is set for authorization_revoked.
	AuthorizationRevoked *AuthorizationRevokedData
	// Kraken is set for notifications of the Kraken platform.
	Kraken *KrakenData
}

// VerificationData is the payload of the three verification notifications:
// {"level":"basic","user_id":"…","timestamp":"2020-04-02T13:35:35Z"}.
// One notification is sent per level and per add-on, in any order.
type VerificationData struct {
	// Level is one level or add-on name ("basic", "plus", "liveness", the
	// historical "v1", ...).
	Level string `json:"level"`
	// UserID is the Fractal user id (a UUID).
	UserID string `json:"user_id"`
	// Timestamp is when the verification changed state. The earliest
	// verification_approved payloads have none.
	Timestamp Timestamp `json:"timestamp"`
}

// CredentialSharedData is the payload of credential_shared. It has no user
// id and no level; its time field is shared_at.
type CredentialSharedData struct {
	// IDOSHumanID is the user's idOS human id.
	IDOSHumanID string `json:"idos_human_id"`
	// CredentialID is the idOS credential data id to fetch and decrypt.
	CredentialID string `json:"credential_id"`
	// SharedAt is when the credential was shared.
	SharedAt Timestamp `json:"shared_at"`
}

// EmailChangedData is the payload of email_changed. It has no timestamp.
// Its String, GoString and LogValue omit the email address.
type EmailChangedData struct {
	// UserID is the Fractal user id.
	UserID string `json:"user_id"`
	// Email is the new address: personal data, do not log it.
	Email string `json:"email"`
}

// String returns the user id only.
func (d EmailChangedData) String() string { return "{UserID:" + d.UserID + " Email:[redacted]}" }

// GoString returns the user id only.
func (d EmailChangedData) GoString() string {
	return "webhooks.EmailChangedData{UserID:" + strconv.Quote(d.UserID) + ", Email:\"[redacted]\"}"
}

// LogValue logs the user id only.
func (d EmailChangedData) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", d.UserID))
}

// AuthorizationRevokedData is the payload of the historical
// authorization_revoked notification.
type AuthorizationRevokedData struct {
	// UserID is the Fractal user id.
	UserID string `json:"user_id"`
}

// KrakenData is the body of a Kraken platform notification:
// {"id":"USER_ID","status":"approved|rejected","note":"Rejection reason"}.
type KrakenData struct {
	// UserID is the "id" field: the Kraken user id.
	UserID string `json:"id"`
	// Status is "approved" or "rejected" (other values are kept).
	Status string `json:"status"`
	// Note is the free-text rejection reason; it may hold personal data
	// and is not shown by Event's String or LogValue.
	Note string `json:"note"`
}

// String returns the user id and status only, never the note.
func (d KrakenData) String() string { return "{UserID:" + d.UserID + " Status:" + d.Status + "}" }

// GoString returns the user id and status only.
func (d KrakenData) GoString() string {
	return "webhooks.KrakenData{UserID:" + strconv.Quote(d.UserID) + ", Status:" + strconv.Quote(d.Status) + "}"
}

// LogValue logs the user id and status only.
func (d KrakenData) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", d.UserID), slog.String("status", d.Status))
}

// Timestamp is a notification time decoded leniently. Fractal sends RFC 3339
// UTC with whole seconds ("2020-04-02T13:35:35Z"); other RFC 3339 forms, a
// space instead of "T", a missing zone (read as UTC) and Unix seconds or
// milliseconds are accepted too. A value that does not parse is not an
// error: Time stays zero and Raw keeps it.
type Timestamp struct {
	// Time is the parsed instant, or the zero Time when the field was
	// absent, null or not understood.
	Time time.Time
	// Raw is the value as sent: the string's contents, or the JSON text of
	// a non-string value. Empty when the field was absent or null.
	Raw string
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// ParseTimestamp parses s as [Timestamp.UnmarshalJSON] parses a JSON string.
func ParseTimestamp(s string) Timestamp {
	t := Timestamp{Raw: s}
	for _, layout := range timestampLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return t
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time = unixTime(n)
	}
	return t
}

func unixTime(n int64) time.Time {
	const msThreshold = 100_000_000_000 // seconds this large are year 5138+
	if n >= msThreshold || n <= -msThreshold {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// UnmarshalJSON decodes a string or a number and never fails on a value it
// does not understand: it keeps it in Raw.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = Timestamp{}
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = ParseTimestamp(s)
	default:
		*t = Timestamp{Raw: string(b)}
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			t.Time = unixTime(n)
		}
	}
	return nil
}

// MarshalJSON encodes Raw as a JSON string, or null when it is empty.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.Raw == "" {
		return []byte("null"), nil
	}
	return json.Marshal(t.Raw)
}

// IsZero reports whether the timestamp is absent.
func (t Timestamp) IsZero() bool { return t.Raw == "" && t.Time.IsZero() }

// String returns Raw.
func (t Timestamp) String() string { return t.Raw }

// envelope is the outer shape. Verifier's type lookup decodes the same
// struct with the same decoder, so the type a secret was chosen for is the
// type that is parsed.
type envelope struct {
	Type EventType       `json:"type"`
	Data json.RawMessage `json:"data"`
}

// payloadError hides the decoder's message (which can quote input) behind a
// fixed text while still matching ErrInvalidPayload and the underlying
// *json.SyntaxError or *json.UnmarshalTypeError with errors.Is / errors.As.
type payloadError struct {
	msg string
	err error
}

func (e *payloadError) Error() string   { return e.msg }
func (e *payloadError) Unwrap() []error { return []error{ErrInvalidPayload, e.err} }

func invalidPayload(what string, err error) error {
	msg := ErrInvalidPayload.Error() + ": " + what
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg += " (syntax error at offset " + strconv.FormatInt(se.Offset, 10) + ")"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		msg += " (wrong JSON type for field " + strconv.Quote(te.Field) + ")"
	}
	if err == nil {
		return &payloadError{msg: msg, err: ErrInvalidPayload}
	}
	return &payloadError{msg: msg, err: err}
}

// Parse decodes a Fractal ID notification body. It does not verify
// anything: call it only on a body that [Verify] accepted, or use
// [Verifier.Verify], which verifies and then parses.
//
// The envelope must be a JSON object with a non-empty string "type". For a
// known type the "data" object is decoded into the matching typed field;
// unknown fields are ignored and a missing "data" leaves the typed fields
// empty. An unknown type is not an error: its data is kept in Event.Data.
// Errors match [ErrInvalidPayload].
func Parse(payload []byte) (*Event, error) {
	return parse(payload, false)
}

// parse is Parse; with alias, Event.Data may share payload's memory.
func parse(payload []byte, alias bool) (*Event, error) {
	if ev, ok := parseFast(payload, alias); ok {
		return ev, nil
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, invalidPayload("not a notification object", err)
	}
	return parseEnvelope(&env)
}

// parseEnvelope decodes the typed data of a decoded envelope.
func parseEnvelope(env *envelope) (*Event, error) {
	if env.Type == "" {
		return nil, invalidPayload("missing event type", nil)
	}
	ev := &Event{Type: env.Type}
	if len(env.Data) > 0 && !bytes.Equal(env.Data, []byte("null")) {
		ev.Data = env.Data
	}
	var target any
	switch env.Type {
	case EventVerificationApproved, EventVerificationContacted, EventVerificationRejected:
		ev.Verification = new(VerificationData)
		target = ev.Verification
	case EventCredentialShared:
		ev.CredentialShared = new(CredentialSharedData)
		target = ev.CredentialShared
	case EventEmailChanged:
		ev.EmailChanged = new(EmailChangedData)
		target = ev.EmailChanged
	case EventAuthorizationRevoked:
		ev.AuthorizationRevoked = new(AuthorizationRevokedData)
		target = ev.AuthorizationRevoked
	default:
		return ev, nil
	}
	if ev.Data != nil {
		if err := json.Unmarshal(ev.Data, target); err != nil {
			return nil, invalidPayload("bad data for "+string(env.Type), err)
		}
	}
	return ev, nil
}

// ParseKraken decodes the body of a Kraken platform notification,
// {"id":"…","status":"…","note":"…"}, into an Event of type
// [EventKrakenStatus]. Like [Parse], it does not verify anything.
func ParseKraken(payload []byte) (*Event, error) {
	var d KrakenData
	if err := json.Unmarshal(payload, &d); err != nil {
		return nil, invalidPayload("not a Kraken notification object", err)
	}
	var data bytes.Buffer
	if err := json.Compact(&data, payload); err != nil { // cannot fail after Unmarshal
		return nil, invalidPayload("not a Kraken notification object", err)
	}
	return &Event{Type: EventKrakenStatus, Data: data.Bytes(), Kraken: &d}, nil
}

// UserID returns the Fractal user id of the notification (user_id, or id
// for Kraken), or "" when it has none (credential_shared, unknown types).
func (e *Event) UserID() string {
	switch {
	case e.Verification != nil:
		return e.Verification.UserID
	case e.EmailChanged != nil:
		return e.EmailChanged.UserID
	case e.AuthorizationRevoked != nil:
		return e.AuthorizationRevoked.UserID
	case e.Kraken != nil:
		return e.Kraken.UserID
	}
	return ""
}

// Level returns the level or add-on of a verification notification, or "".
func (e *Event) Level() string {
	if e.Verification != nil {
		return e.Verification.Level
	}
	return ""
}

// Timestamp returns the time the notification carries (timestamp, or
// shared_at for credential_shared), or the zero Timestamp when it has none.
// Use it to order notifications, which may arrive out of order.
func (e *Event) Timestamp() Timestamp {
	switch {
	case e.Verification != nil:
		return e.Verification.Timestamp
	case e.CredentialShared != nil:
		return e.CredentialShared.SharedAt
	}
	return Timestamp{}
}

// DedupKey returns a key identifying the notification for duplicate
// suppression. Fractal delivers at least once and sends no event id, so the
// key is derived from the content: (type, user_id, level, timestamp) for
// verification notifications, (type, idos_human_id, credential_id,
// shared_at) for credential_shared, (type, user_id, email) for
// email_changed, (type, user_id) for authorization_revoked, (type, id,
// status, note) for Kraken and (type, compacted data) for unknown types.
//
// The key is the type, a colon and a hex SHA-256 prefix of those fields, so
// it holds no personal data (no email address) and can be stored as is.
// Two notifications with the same fields get the same key: an approval of
// the same level for the same user without a timestamp (the oldest
// payloads) or a change back to an earlier email address within the
// deduplication window is therefore seen as a duplicate.
func (e *Event) DedupKey() string {
	// The hash input is built in a stack buffer (it grows on the heap only
	// for unusually long fields) and hashed in one call: one allocation,
	// the key itself.
	var stack [256]byte
	in := appendField(stack[:0], string(e.Type))
	switch {
	case e.Verification != nil:
		d := e.Verification
		in = appendField(in, d.UserID)
		in = appendField(in, d.Level)
		in = appendField(in, d.Timestamp.Raw)
	case e.CredentialShared != nil:
		d := e.CredentialShared
		in = appendField(in, d.IDOSHumanID)
		in = appendField(in, d.CredentialID)
		in = appendField(in, d.SharedAt.Raw)
	case e.EmailChanged != nil:
		in = appendField(in, e.EmailChanged.UserID)
		in = appendField(in, e.EmailChanged.Email)
	case e.AuthorizationRevoked != nil:
		in = appendField(in, e.AuthorizationRevoked.UserID)
	case e.Kraken != nil:
		in = appendField(in, e.Kraken.UserID)
		in = appendField(in, e.Kraken.Status)
		in = appendField(in, e.Kraken.Note)
	default:
		var c bytes.Buffer
		if json.Compact(&c, e.Data) == nil {
			in = appendField(in, c.String())
		} else {
			in = appendField(in, string(e.Data))
		}
	}
	sum := sha256.Sum256(in)
	var hx [32]byte
	hex.Encode(hx[:], sum[:16])
	var k strings.Builder
	k.Grow(len(e.Type) + 1 + len(hx))
	k.WriteString(string(e.Type))
	k.WriteByte(':')
	k.Write(hx[:])
	return k.String()
}

// appendField appends s to a DedupKey hash input, prefixed by its length.
func appendField(in []byte, s string) []byte {
	in = binary.AppendUvarint(in, uint64(len(s)))
	return append(in, s...)
}

// idAttrs lists the non-personal identifiers of e, in a fixed order.
func (e Event) idAttrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("type", string(e.Type))}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	switch {
	case e.Verification != nil:
		add("user_id", e.Verification.UserID)
		add("level", e.Verification.Level)
		add("timestamp", e.Verification.Timestamp.Raw)
	case e.CredentialShared != nil:
		add("idos_human_id", e.CredentialShared.IDOSHumanID)
		add("credential_id", e.CredentialShared.CredentialID)
		add("shared_at", e.CredentialShared.SharedAt.Raw)
	case e.EmailChanged != nil:
		add("user_id", e.EmailChanged.UserID)
	case e.AuthorizationRevoked != nil:
		add("user_id", e.AuthorizationRevoked.UserID)
	case e.Kraken != nil:
		add("user_id", e.Kraken.UserID)
		add("status", e.Kraken.Status)
	}
	return attrs
}

// String returns the type and identifiers, for example
// "verification_approved user_id=… level=basic timestamp=…". It never
// includes the email address, a Kraken note or unknown data.
func (e Event) String() string {
	var b strings.Builder
	for i, a := range e.idAttrs() {
		if i == 0 {
			b.WriteString(a.Value.String())
			continue
		}
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value.String())
	}
	return b.String()
}

// GoString is like String, so that %#v does not print personal data.
func (e Event) GoString() string {
	return "webhooks.Event{" + e.String() + "}"
}

// LogValue logs the type and identifiers only, like String.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(e.idAttrs()...)
}
