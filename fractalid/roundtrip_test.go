package fractalid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// PII sentinels of the round-trip bodies: none may appear in any printed
// form of the decoded user.
const (
	piiEmail     = "sentinel-mail@pii.example"
	piiPhone     = "+4915112345678"
	piiWallet    = "0xSENTINELWALLETADDRESS"
	piiName      = "Sentinel Fullname"
	piiExtraKey  = "sentinel_extra_key"
	piiExtraVal  = "sentinel-extra-value"
	piiCaseExtra = "sentinel-case-extra"
	piiLegacy    = "Sentinel Legacy Person"
)

// roundTripBodies carry unknown keys at every level (top level, case,
// email, phone, wallet, details, report), booleans sent as false, as true
// and left out, empty values, nulls and the misspelt "phones:" key.
var roundTripBodies = map[string]string{
	"unknown keys everywhere": `{
  "uid": "7f1e2d3c-4b5a-4968-8776-655443322110",
  "person": {"full_name": "` + piiLegacy + `", "nested": [1, {"a": null}]},
  "` + piiExtraKey + `": "` + piiExtraVal + `",
  "emails": [{"address": "` + piiEmail + `", "source_type": "registration", "verified_at": "2025-01-01", "primary": false}],
  "phones": [{"number": "` + piiPhone + `", "country": "DE", "meta": {"carrier": null}}],
  "wallets": [
    {"id": "w-1", "address": "` + piiWallet + `", "currency": "eth", "verified": false, "created_at": "2020-01-01"},
    {"id": "w-2", "address": "` + piiWallet + `2", "currency": "kar"},
    {"id": "w-3", "address": "` + piiWallet + `3", "currency": "sol", "verified": true, "labels": ["a", "b"]}
  ],
  "verification_cases": [
    {"id": "c-1", "level": "basic+liveness", "status": "done", "credential": "approved", "journey_completed": false,
     "risk": {"score": 12.5, "note": "` + piiCaseExtra + `"},
     "details": {"full_name": "` + piiName + `", "liveness": false, "new_key": {"x": [true]}, "place_of_birth": "", "wallet_check_reports": [], "sow_type": null},
     "report": {"report_id": "r-1", "address": "` + piiWallet + `", "unknown": 1}},
    {"level": "plus", "status": "pending", "details": null, "report": null},
    {"id": "", "level": "wallet-eth", "status": "approved", "journey_completed": true, "credential": null, "flags": []}
  ]
}`,
	"empty and null top-level values": `{"uid": "", "emails": [], "phones": null, "wallets": [], "verification_cases": [], "institution": null, "verifications": [{"level": "v1", "details": {}}]}`,
	"misspelt phones key":             `{"uid": "u-2", "phones:": [{"number": "` + piiPhone + `", "x": 1}], "emails": [{"address": "` + piiEmail + `"}]}`,
	"both phones keys":                `{"phones": [{"number": "` + piiPhone + `"}], "phones:": [{"number": "+10000000000"}]}`,
	"empty object":                    `{}`,
	"null array elements":             `{"emails":[null],"wallets":[null,{}],"verification_cases":[null,{}]}`,
	"null and set elements":           `{"emails":[{"address":"` + piiEmail + `"},null],"phones":[null,{"number":"` + piiPhone + `"},null],"wallets":[{"verified":null},null],"verification_cases":[{"details":null},null]}`,
	"null element under phones:":      `{"phones:":[null,{}]}`,
}

// Decode, marshal, decode both into generic maps: same keys, same values.
func TestUserRoundTripKeepsEveryKey(t *testing.T) {
	for name, body := range roundTripBodies {
		t.Run(name, func(t *testing.T) {
			var u User
			if err := json.Unmarshal([]byte(body), &u); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(u)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("marshalled user is not JSON: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip differs:\n got %s\nwant %s", canon(t, got), canon(t, want))
			}
			// A pointer marshals the same, and a second round trip is stable.
			out2, err := json.Marshal(&u)
			if err != nil || !bytes.Equal(out, out2) {
				t.Errorf("pointer marshal differs: %v\n%s\n%s", err, out, out2)
			}
			var again User
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatal(err)
			}
			out3, _ := json.Marshal(again)
			if !bytes.Equal(out, out3) {
				t.Errorf("second round trip differs:\n%s\n%s", out, out3)
			}
			checkNoPII(t, &u)
		})
	}
}

func canon(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The booleans tell false from absent, and the unknown keys are where a
// user looks for them.
func TestUserFalseVersusAbsentAndExtra(t *testing.T) {
	var u User
	if err := json.Unmarshal([]byte(roundTripBodies["unknown keys everywhere"]), &u); err != nil {
		t.Fatal(err)
	}
	c := u.VerificationCases
	if c[0].JourneyCompleted == nil || *c[0].JourneyCompleted || c[0].IsJourneyCompleted() {
		t.Errorf("case 1: journey_completed false must decode as a pointer to false, got %v", c[0].JourneyCompleted)
	}
	if c[1].JourneyCompleted != nil || c[1].IsJourneyCompleted() {
		t.Errorf("case 2: absent journey_completed must stay nil")
	}
	if c[2].JourneyCompleted == nil || !c[2].IsJourneyCompleted() {
		t.Errorf("case 3: journey_completed true")
	}
	w := u.Wallets
	if w[0].Verified == nil || *w[0].Verified || w[1].Verified != nil || !w[2].IsVerified() || w[1].IsVerified() {
		t.Errorf("wallet verified flags: %v %v %v", w[0].Verified, w[1].Verified, w[2].Verified)
	}
	if c[0].Details == nil || c[0].Details.Liveness == nil || *c[0].Details.Liveness {
		t.Errorf("details liveness false")
	}
	if c[1].Details != nil || c[1].Report != nil {
		t.Errorf("null details and report must decode as nil")
	}
	for _, k := range []string{"person", piiExtraKey} {
		if _, ok := u.Extra[k]; !ok {
			t.Errorf("top-level Extra lacks %q: %d keys", k, len(u.Extra))
		}
	}
	if len(u.Extra) != 2 {
		t.Errorf("top-level Extra has %d keys, want 2", len(u.Extra))
	}
	if string(u.Emails[0].Extra["primary"]) != "false" || len(u.Phones[0].Extra) != 2 || string(w[0].Extra["created_at"]) != `"2020-01-01"` {
		t.Errorf("email/phone/wallet Extra: %v %v %v", u.Emails[0].Extra, u.Phones[0].Extra, w[0].Extra)
	}
	if !bytes.Contains(c[0].Extra["risk"], []byte(piiCaseExtra)) || string(c[2].Extra["flags"]) != "[]" {
		t.Errorf("case Extra: %d / %d keys", len(c[0].Extra), len(c[2].Extra))
	}
	// credential null: a modelled key sent as null is not an unknown key.
	if _, ok := c[2].Extra["credential"]; ok || c[2].Credential != "" {
		t.Errorf("credential null went to Extra")
	}

	// The misspelt key decodes into Phones and marshals back as sent; with
	// both spellings "phones" wins and the other is kept.
	var m User
	if err := json.Unmarshal([]byte(roundTripBodies["misspelt phones key"]), &m); err != nil || len(m.Phones) != 1 || m.Phones[0].Number != piiPhone {
		t.Fatalf("phones: %v", err)
	}
	var both User
	if err := json.Unmarshal([]byte(roundTripBodies["both phones keys"]), &both); err != nil || both.Phones[0].Number != piiPhone || both.Extra["phones:"] == nil {
		t.Fatalf("both phones keys: %v", err)
	}
}

// A User built in code marshals its set fields only, and its Extra keys
// never override a modelled key.
func TestUserMarshalBuiltInCode(t *testing.T) {
	f := false
	u := User{
		UID:               "u-1",
		Wallets:           []Wallet{{Currency: CurrencyETH, Verified: &f}},
		VerificationCases: []VerificationCase{{RawLevel: "basic", Status: StatusPending}},
		Extra:             map[string]json.RawMessage{"uid": json.RawMessage(`"other"`), "new": json.RawMessage(`{"a":1}`), "bad": json.RawMessage(`{`)},
	}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"uid":"u-1","wallets":[{"currency":"eth","verified":false}],"verification_cases":[{"level":"basic","status":"pending"}],"new":{"a":1}}`
	var g, w any
	_ = json.Unmarshal(b, &g)
	_ = json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

// checkNoPII renders u in every printed form (fmt verbs on the user, its
// cases, emails, phones, wallets and details; slog text and JSON) and
// fails on any sentinel, Extra keys and values included.
func checkNoPII(t *testing.T, u *User) {
	t.Helper()
	var forms []string
	add := func(vs ...any) {
		for _, v := range vs {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				forms = append(forms, fmt.Sprintf(verb, v))
			}
		}
	}
	add(*u, u)
	for i := range u.VerificationCases {
		c := &u.VerificationCases[i]
		add(*c, c)
		if c.Details != nil {
			add(*c.Details, c.Details)
		}
		if c.Report != nil {
			add(*c.Report, c.Report)
		}
	}
	for i := range u.Emails {
		add(u.Emails[i], &u.Emails[i])
	}
	for i := range u.Phones {
		add(u.Phones[i], &u.Phones[i])
	}
	for i := range u.Wallets {
		add(u.Wallets[i], &u.Wallets[i])
	}
	add(u.Emails, u.Phones, u.Wallets, u.VerificationCases)
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		// Each element is logged on its own: slog's JSON handler marshals a
		// slice with encoding/json, which gives the data by design.
		l.Info("user", "user", u, "value", *u)
		for i := range u.VerificationCases {
			l.Info("case", "case", u.VerificationCases[i], "details", u.VerificationCases[i].Details)
		}
		for i := range u.Emails {
			l.Info("email", "email", u.Emails[i])
		}
		for i := range u.Phones {
			l.Info("phone", "phone", u.Phones[i])
		}
		for i := range u.Wallets {
			l.Info("wallet", "wallet", u.Wallets[i])
		}
	}
	forms = append(forms, logs.String())
	all := strings.Join(forms, "\n")
	for _, s := range []string{piiEmail, piiPhone, piiWallet, piiName, piiExtraKey, piiExtraVal, piiCaseExtra, piiLegacy, "sentinel"} {
		if strings.Contains(all, s) {
			i := strings.Index(all, s)
			t.Errorf("personal data %q printed: ...%s...", s, all[max(0, i-80):min(len(all), i+40)])
		}
	}
}

// An element sent as null decodes as the zero element (it prints and logs
// as one), is written back as null, and is written as an object once a
// field is set.
func TestUserNullArrayElements(t *testing.T) {
	var u User
	body := `{"emails":[null],"phones":[null],"wallets":[null,{}],"verification_cases":[null,{}]}`
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatal(err)
	}
	if len(u.Emails) != 1 || len(u.Phones) != 1 || len(u.Wallets) != 2 || len(u.VerificationCases) != 2 {
		t.Fatalf("lengths %d %d %d %d", len(u.Emails), len(u.Phones), len(u.Wallets), len(u.VerificationCases))
	}
	prints := func(v any) string {
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})).Info("x", "v", v)
		return fmt.Sprintf("%v|%+v|%#v|", v, v, v) + buf.String()
	}
	for _, c := range []struct{ got, zero any }{
		{u.Emails[0], Email{}}, {u.Phones[0], Phone{}}, {u.Wallets[0], Wallet{}}, {u.VerificationCases[0], VerificationCase{}},
	} {
		if g, z := prints(c.got), prints(c.zero); g != z {
			t.Errorf("a null element prints\n%s\nnot as the zero element\n%s", g, z)
		}
	}
	for _, m := range []json.Marshaler{u.Emails[0], u.Phones[0], u.Wallets[0], u.VerificationCases[0]} {
		if b, err := m.MarshalJSON(); err != nil || string(b) != "null" {
			t.Errorf("%T: %s, %v; want null", m, b, err)
		}
	}
	if b, _ := json.Marshal(u.Wallets[1]); string(b) != "{}" {
		t.Errorf("an element sent as {} marshals %s", b)
	}

	u.Emails[0].SourceType = EmailJourney
	u.Wallets[0].Extra = map[string]json.RawMessage{"k": json.RawMessage(`1`)}
	u.VerificationCases[0].RawLevel = "basic"
	out, err := json.Marshal(u)
	const want = `{"emails":[{"source_type":"journey"}],"phones":[null],"verification_cases":[{"level":"basic"},{}],"wallets":[{"k":1},{}]}`
	var g, w any
	if err != nil || json.Unmarshal(out, &g) != nil || json.Unmarshal([]byte(want), &w) != nil || !reflect.DeepEqual(g, w) {
		t.Errorf("after edits: %v\n got %s\nwant %s", err, out, want)
	}

	// The zero values built in code stay objects; a value decoded from a
	// bare null is written back as null.
	if b, _ := json.Marshal([]Email{{}}); string(b) != "[{}]" {
		t.Errorf("built in code: %s", b)
	}
	var e Email
	if err := json.Unmarshal([]byte(`null`), &e); err != nil {
		t.Fatal(err)
	}
	var top User
	if err := json.Unmarshal([]byte(` null `), &top); err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{e, top} {
		if b, err := json.Marshal(v); err != nil || string(b) != "null" {
			t.Errorf("%T decoded from null marshals %s, %v", v, b, err)
		}
	}
}

// A modelled key of the wrong type is an *json.UnmarshalTypeError that
// names the value's kind as encoding/json does (decoding the same body
// into plain structs gives the same Value).
func TestUserWrongTypeNamesKind(t *testing.T) {
	type plainCase struct {
		Level   string          `json:"level"`
		Details *map[string]any `json:"details"`
		Report  *struct{}       `json:"report"`
	}
	type plainWallet struct {
		Verified *bool `json:"verified"`
	}
	type plain struct {
		UID     string        `json:"uid"`
		Emails  []struct{}    `json:"emails"`
		Phones  []struct{}    `json:"phones"`
		Phones2 []struct{}    `json:"phones:"`
		Wallets []plainWallet `json:"wallets"`
		Cases   []plainCase   `json:"verification_cases"`
	}
	for _, tt := range []struct{ body, kind string }{
		{`{"emails":{}}`, "object"},
		{`{"emails": {"address":"x"}}`, "object"},
		{`{"emails":"x"}`, "string"},
		{`{"emails":1}`, "number"},
		{`{"emails":-1.5e3}`, "number"},
		{`{"emails":true}`, "bool"},
		{`{"emails":[1]}`, "number"},
		{`{"emails":[[]]}`, "array"},
		{`{"emails":["x"]}`, "string"},
		{`{"phones":{}}`, "object"},
		{`{"phones:":{}}`, "object"},
		{`{"wallets":{}}`, "object"},
		{`{"verification_cases":{}}`, "object"},
		{`{"uid":{}}`, "object"},
		{`{"uid":[]}`, "array"},
		{`{"uid":false}`, "bool"},
		{`{"wallets":[{"verified":{}}]}`, "object"},
		{`{"wallets":[{"verified":"yes"}]}`, "string"},
		{`{"verification_cases":[{"level":{}}]}`, "object"},
		{`{"verification_cases":[{"details":[]}]}`, "array"},
		{`{"verification_cases":[{"report":"x"}]}`, "string"},
	} {
		var u User
		err := json.Unmarshal([]byte(tt.body), &u)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Value != tt.kind {
			t.Errorf("%s: %v, want a type error for %s", tt.body, err, tt.kind)
			continue
		}
		if !strings.Contains(err.Error(), "cannot unmarshal "+tt.kind+" into") {
			t.Errorf("%s: %q", tt.body, err)
		}
		var p plain
		if err := json.Unmarshal([]byte(tt.body), &p); !errors.As(err, &te) || te.Value != tt.kind {
			t.Errorf("%s: encoding/json says %v", tt.body, err)
		}
	}

	// The slice type is the field's.
	var te *json.UnmarshalTypeError
	var u User
	if err := u.UnmarshalJSON([]byte(`{"emails":{}}`)); !errors.As(err, &te) || te.Type != reflect.TypeFor[Emails]() {
		t.Errorf("type of the emails error: %v", err)
	}
	// Bytes that start no JSON value are malformed, not of a wrong type.
	for _, b := range []string{`{"uid":x}`, `{"emails":x}`, `{"wallets":[{"verified":x}]}`} {
		if err := u.UnmarshalJSON([]byte(b)); err == nil || errors.As(err, &te) {
			t.Errorf("%s: %v, want a malformed JSON error", b, err)
		}
	}
	for in, want := range map[string]string{`{}`: "object", `[]`: "array", `""`: "string", `true`: "bool", `false`: "bool",
		`null`: "null", `0`: "number", `-1`: "number", `9`: "number", `x`: "", ``: "", `}`: ""} {
		if got := jsonKindName([]byte(in)); got != want {
			t.Errorf("jsonKindName(%q) = %q, want %q", in, got, want)
		}
	}
}
