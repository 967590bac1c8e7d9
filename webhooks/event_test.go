package webhooks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

// Payloads as the Fractal ID docs show them (reference section 5.3).
const (
	docApproved   = `{"type":"verification_approved","data":{"level":"basic","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`
	docContacted  = `{"type":"verification_contacted","data":{"level":"basic","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`
	docRejected   = `{"type":"verification_rejected","data":{"level":"liveness","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`
	docCredential = `{"type":"credential_shared","data":{"idos_human_id":"IDOS_HUMAN_UUID","credential_id":"IDOS_CREDENTIAL_DATA_ID","shared_at":"2020-04-02T13:35:35Z"}}`
	docEmail      = `{"type":"email_changed","data":{"user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","email":"john.snow@fractal.id"}}`
	docRevoked    = `{"type":"authorization_revoked","data":{"user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812"}}`
	docUnknown    = `{"type":"level_upgraded","data":{"user_id":"u1","levels":["basic","plus"]}}`
	docKraken     = `{"id":"USER_ID","status":"rejected","note":"Rejection reason"}`
	userID        = "14ec6af0-12f8-4bce-a6ab-01ce87fa1812"
)

var docTime = time.Date(2020, 4, 2, 13, 35, 35, 0, time.UTC)

func TestParseDocumentedEvents(t *testing.T) {
	for _, tc := range []struct {
		body  string
		typ   webhooks.EventType
		level string
	}{
		{docApproved, webhooks.EventVerificationApproved, "basic"},
		{docContacted, webhooks.EventVerificationContacted, "basic"},
		{docRejected, webhooks.EventVerificationRejected, "liveness"},
	} {
		ev, err := webhooks.Parse([]byte(tc.body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.typ, err)
		}
		if ev.Type != tc.typ || !ev.Type.Known() || ev.Verification == nil {
			t.Fatalf("Parse(%s) = %#v", tc.typ, ev)
		}
		d := ev.Verification
		if d.Level != tc.level || d.UserID != userID || !d.Timestamp.Time.Equal(docTime) || d.Timestamp.Raw != "2020-04-02T13:35:35Z" {
			t.Errorf("%s data = %+v", tc.typ, d)
		}
		if ev.UserID() != userID || ev.Level() != tc.level || !ev.Timestamp().Time.Equal(docTime) {
			t.Errorf("%s accessors: %q %q %v", tc.typ, ev.UserID(), ev.Level(), ev.Timestamp())
		}
	}

	ev, err := webhooks.Parse([]byte(docCredential))
	if err != nil || ev.Type != webhooks.EventCredentialShared || ev.CredentialShared == nil {
		t.Fatalf("credential_shared: %v %#v", err, ev)
	}
	if c := ev.CredentialShared; c.IDOSHumanID != "IDOS_HUMAN_UUID" || c.CredentialID != "IDOS_CREDENTIAL_DATA_ID" || !c.SharedAt.Time.Equal(docTime) {
		t.Errorf("credential_shared data = %+v", c)
	}
	if ev.UserID() != "" || ev.Level() != "" || !ev.Timestamp().Time.Equal(docTime) {
		t.Errorf("credential_shared accessors")
	}

	ev, err = webhooks.Parse([]byte(docEmail))
	if err != nil || ev.EmailChanged == nil || ev.EmailChanged.Email != "john.snow@fractal.id" || ev.UserID() != userID {
		t.Fatalf("email_changed: %v %#v", err, ev)
	}
	if !ev.Timestamp().IsZero() {
		t.Errorf("email_changed has no timestamp, got %v", ev.Timestamp())
	}

	ev, err = webhooks.Parse([]byte(docRevoked))
	if err != nil || ev.AuthorizationRevoked == nil || ev.UserID() != userID {
		t.Fatalf("authorization_revoked: %v %#v", err, ev)
	}

	ev, err = webhooks.Parse([]byte(docUnknown))
	if err != nil {
		t.Fatalf("unknown type: %v", err)
	}
	if ev.Type != "level_upgraded" || ev.Type.Known() || string(ev.Data) != `{"user_id":"u1","levels":["basic","plus"]}` {
		t.Errorf("unknown type: %#v data %s", ev, ev.Data)
	}
	if ev.Verification != nil || ev.EmailChanged != nil || ev.CredentialShared != nil || ev.AuthorizationRevoked != nil || ev.Kraken != nil {
		t.Errorf("unknown type has typed data")
	}

	ev, err = webhooks.ParseKraken([]byte(docKraken))
	if err != nil || ev.Type != webhooks.EventKrakenStatus || ev.Kraken == nil || ev.Kraken.UserID != "USER_ID" || ev.Kraken.Status != "rejected" || ev.Kraken.Note != "Rejection reason" {
		t.Fatalf("kraken: %v %#v", err, ev)
	}
}

func TestParseDataDoesNotAliasPayload(t *testing.T) {
	body := []byte(docUnknown)
	ev, err := webhooks.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if !json.Valid(ev.Data) {
		t.Errorf("Data aliases the payload: %s", ev.Data)
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name, body string
		wantRaw    string
		wantTime   time.Time
	}{
		{"historical v1 without timestamp", `{"type":"verification_approved","data":{"level":"v1","user_id":"u"}}`, "", time.Time{}},
		{"null timestamp", `{"type":"verification_approved","data":{"level":"basic","user_id":"u","timestamp":null}}`, "", time.Time{}},
		{"fractional and offset", `{"type":"verification_approved","data":{"timestamp":"2020-04-02T15:35:35.5+02:00"}}`, "2020-04-02T15:35:35.5+02:00", docTime.Add(500 * time.Millisecond)},
		{"space separator, no zone", `{"type":"verification_approved","data":{"timestamp":"2020-04-02 13:35:35"}}`, "2020-04-02 13:35:35", docTime},
		{"unix seconds", `{"type":"verification_approved","data":{"timestamp":1585834535}}`, "1585834535", docTime},
		{"unix millis string", `{"type":"verification_approved","data":{"timestamp":"1585834535000"}}`, "1585834535000", docTime},
		{"garbage kept raw", `{"type":"verification_approved","data":{"timestamp":"yesterday"}}`, "yesterday", time.Time{}},
		{"object kept raw", `{"type":"verification_approved","data":{"timestamp":{"s":1}}}`, `{"s":1}`, time.Time{}},
		{"unknown fields", `{"type":"verification_approved","extra":1,"data":{"level":"basic","future":[1,2]}}`, "", time.Time{}},
		{"missing data", `{"type":"verification_rejected"}`, "", time.Time{}},
		{"null data", `{"type":"verification_rejected","data":null}`, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := webhooks.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ts := ev.Timestamp()
			if ts.Raw != tt.wantRaw || !ts.Time.Equal(tt.wantTime) {
				t.Errorf("timestamp = %+v, want raw %q time %v", ts, tt.wantRaw, tt.wantTime)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	secretish := "john.snow@fractal.id"
	for _, body := range []string{
		``, `null`, `[]`, `"x"`, `{`, `{"type":1}`, `{"data":{}}`, `{"type":""}`,
		`{"type":"verification_approved","data":"` + secretish + `"}`,
		`{"type":"email_changed","data":{"email":["` + secretish + `"]}}`,
		`{"type":"verification_approved","data":{"user_id":42}}`,
		`{"type":"email_changed","data":{"email":"` + secretish + `"}}trailing`,
	} {
		ev, err := webhooks.Parse([]byte(body))
		if !errors.Is(err, webhooks.ErrInvalidPayload) || ev != nil {
			t.Errorf("Parse(%q) = %v, %v; want ErrInvalidPayload", body, ev, err)
			continue
		}
		if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), "john") {
			t.Errorf("Parse(%q) error echoes the body: %v", body, err)
		}
	}
	_, err := webhooks.Parse([]byte(`{"type":"x"`))
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("syntax error not reachable with errors.As: %v", err)
	}
	if _, err := webhooks.ParseKraken([]byte(`[1]`)); !errors.Is(err, webhooks.ErrInvalidPayload) {
		t.Errorf("ParseKraken([1]) = %v", err)
	}
}

func TestEventPrintingHidesPII(t *testing.T) {
	const email = "john.snow@fractal.id"
	ev, err := webhooks.Parse([]byte(docEmail))
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	logger.Info("event", "event", ev, "data", ev.EmailChanged)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("event", "event", *ev)
	outputs := []string{
		ev.String(), fmt.Sprint(ev), fmt.Sprintf("%v %+v %#v %s", ev, ev, ev, ev),
		fmt.Sprintf("%v %+v %#v", *ev, *ev, *ev),
		fmt.Sprintf("%v %+v %#v", ev.EmailChanged, ev.EmailChanged, ev.EmailChanged),
		ev.DedupKey(), logBuf.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, email) || strings.Contains(out, "john") {
			t.Errorf("output leaks the email: %s", out)
		}
	}
	if got := ev.String(); got != "email_changed user_id="+userID {
		t.Errorf("String = %q", got)
	}
	if !strings.Contains(logBuf.String(), userID) {
		t.Errorf("log lacks the user id: %s", logBuf.String())
	}

	kr, _ := webhooks.ParseKraken([]byte(docKraken))
	if s := kr.String(); strings.Contains(s, "Rejection") || s != "kraken_status user_id=USER_ID status=rejected" {
		t.Errorf("Kraken String = %q", s)
	}
	ap, _ := webhooks.Parse([]byte(docApproved))
	if s := ap.String(); s != "verification_approved user_id="+userID+" level=basic timestamp=2020-04-02T13:35:35Z" {
		t.Errorf("approved String = %q", s)
	}
	unk, _ := webhooks.Parse([]byte(docUnknown))
	if s := fmt.Sprintf("%v", unk); s != "level_upgraded" {
		t.Errorf("unknown String = %q", s)
	}
}

func TestDedupKey(t *testing.T) {
	key := func(body string) string {
		t.Helper()
		ev, err := webhooks.Parse([]byte(body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", body, err)
		}
		return ev.DedupKey()
	}
	a := key(docApproved)
	if !strings.HasPrefix(a, "verification_approved:") || len(a) != len("verification_approved:")+32 {
		t.Errorf("key shape: %q", a)
	}
	same := []string{
		// A retry, re-encoded with other spacing and key order, is the same event.
		`{"data": {"timestamp":"2020-04-02T13:35:35Z", "user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812", "level":"basic"}, "type":"verification_approved"}`,
	}
	for _, s := range same {
		if key(s) != a {
			t.Errorf("re-encoded delivery has another key")
		}
	}
	differ := []string{
		docContacted, // other type
		strings.Replace(docApproved, `"basic"`, `"liveness"`, 1), // other level
		strings.Replace(docApproved, "13:35:35", "13:35:36", 1),  // other time
		strings.Replace(docApproved, "14ec6af0", "24ec6af0", 1),  // other user
		`{"type":"verification_approved","data":{"level":"basic14ec6af0-12f8-4bce-a6ab-01ce87fa1812","user_id":"","timestamp":"2020-04-02T13:35:35Z"}}`, // field boundaries
	}
	seen := map[string]bool{a: true}
	for _, d := range differ {
		k := key(d)
		if seen[k] {
			t.Errorf("key collision for %s", d)
		}
		seen[k] = true
	}
	if key(docEmail) == key(strings.Replace(docEmail, "john.snow", "jon.snow", 1)) {
		t.Errorf("email change to another address has the same key")
	}
	if key(docUnknown) != key(`{"type":"level_upgraded","data":{ "user_id" : "u1", "levels" : ["basic","plus"] }}`) {
		t.Errorf("unknown type: whitespace changes the key")
	}
	kr1, _ := webhooks.ParseKraken([]byte(docKraken))
	kr2, _ := webhooks.ParseKraken([]byte(strings.Replace(docKraken, "rejected", "approved", 1)))
	if kr1.DedupKey() == kr2.DedupKey() {
		t.Errorf("Kraken statuses share a key")
	}
}

func TestTimestampJSON(t *testing.T) {
	var ts webhooks.Timestamp
	if err := json.Unmarshal([]byte(`"2020-04-02T13:35:35Z"`), &ts); err != nil || !ts.Time.Equal(docTime) {
		t.Fatalf("%v %+v", err, ts)
	}
	b, err := json.Marshal(ts)
	if err != nil || string(b) != `"2020-04-02T13:35:35Z"` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if b, _ := json.Marshal(webhooks.Timestamp{}); string(b) != "null" {
		t.Errorf("zero Marshal = %s", b)
	}
	if ts.String() != "2020-04-02T13:35:35Z" {
		t.Errorf("String = %q", ts.String())
	}
	if got := webhooks.ParseTimestamp("2020-04-02T13:35:35Z"); !got.Time.Equal(docTime) {
		t.Errorf("ParseTimestamp = %+v", got)
	}
}

func TestKrakenDataPrintingHidesNote(t *testing.T) {
	const note = "passport of Jane Roe expired"
	d := webhooks.KrakenData{UserID: "USER_ID", Status: "rejected", Note: note}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("kraken", "data", d, "ptr", &d)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("kraken", "data", d)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", d, d, d, d), fmt.Sprintf("%v %+v %#v", &d, &d, &d), logBuf.String()} {
		if strings.Contains(out, "Jane") || !strings.Contains(out, "USER_ID") {
			t.Errorf("output = %s", out)
		}
	}
}

// TestDedupKeyStable pins the keys: a deduplicator's store outlives an
// upgrade, so the same notification must keep its key across versions.
func TestDedupKeyStable(t *testing.T) {
	for body, want := range map[string]string{
		docApproved:                            "verification_approved:ee49a2337de549e754386e5ac73073a6",
		docContacted:                           "verification_contacted:3a7a65382022d62e6c0e20bb71c320c4",
		docCredential:                          "credential_shared:103364609f86e4eb197af437b60de763",
		docEmail:                               "email_changed:f078cc38e356e7e23905bfeb70b6f430",
		docRevoked:                             "authorization_revoked:ec256a97d1d68d01a86dcc6e7f832f52",
		docUnknown:                             "level_upgraded:9514e51aea5a6024a8e84b5a9890382b",
		`{"type":"x","data":{ "a" : [1, 2] }}`: "x:068afc572eac642477f83d4dd223f392",
	} {
		ev, err := webhooks.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.DedupKey(); got != want {
			t.Errorf("DedupKey(%s) = %s, want %s", body, got, want)
		}
	}
	kr, _ := webhooks.ParseKraken([]byte(docKraken))
	if got := kr.DedupKey(); got != "kraken_status:0d7cf4c73e0843f4d2803a4f2a5b7f77" {
		t.Errorf("Kraken DedupKey = %s", got)
	}
}
