package fractalid

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeFixture(t testing.TB, name string) *User {
	t.Helper()
	var u User
	if err := json.Unmarshal(readFixture(t, name), &u); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return &u
}

func TestDecodeSeedExample(t *testing.T) {
	u := decodeFixture(t, "users_me_seed.json")
	if u.UID != "b76ab44d-b71e-4d19-b6f9-f6e88cd73946" {
		t.Errorf("uid = %q", u.UID)
	}
	if len(u.Emails) != 1 || u.Emails[0].Address != "example@frctls.com" || u.Emails[0].SourceType != EmailRegistration {
		t.Errorf("emails = %+v", u.Emails[0].Address)
	}
	if len(u.Phones) != 1 || u.Phones[0].Number != "+44000000000" {
		t.Errorf("the \"phones:\" key was not decoded: %d phones", len(u.Phones))
	}
	if len(u.Wallets) != 1 || u.Wallets[0].Currency != CurrencyETH || u.Wallets[0].Address != "0x2003" || u.Wallets[0].Verified != nil {
		t.Errorf("wallets = %v", u.Wallets)
	}
	if len(u.VerificationCases) != 3 {
		t.Fatalf("cases = %d", len(u.VerificationCases))
	}
	c0, c1, c2 := u.VerificationCases[0], u.VerificationCases[1], u.VerificationCases[2]
	if c0.RawLevel != "plus+selfie" || c0.Outcome() != StatusPending || c0.Details != nil {
		t.Errorf("case 0 = %v", c0)
	}
	if c1.Outcome() != StatusApproved || c1.Report != nil || c1.Details == nil {
		t.Fatalf("case 1 = %v", c1)
	}
	d := c1.Details
	want := Details{
		ResidentialAddressCountry:     "DE",
		ResidentialAddressProofFile:   "<URL>",
		ResidentialAddress:            "Wiener Straße 10, Berlin, 10999",
		IdentificationDocumentType:    DocumentPassport,
		PlaceOfBirth:                  "Berlin",
		DateOfBirth:                   Date{1967, time.August, 16},
		FullName:                      "David Muller",
		IdentificationDocumentCountry: "DE",
		IdentificationDocumentNumber:  "123456789",
	}
	got := *d
	got.keys = keyState{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details differ:\n got %#v\nwant %#v", mustJSON(t, d), mustJSON(t, want))
	}
	if c2.Report == nil || c2.Report.ReportID != "28df…1fcb" || c2.Report.AssetsCount != 4 || !c2.Report.MockResponse || c2.Report.Version != "3.3" {
		t.Errorf("report = %+v", c2.Report)
	}
	if !json.Valid(c2.Report.Raw) || !bytes.Contains(c2.Report.Raw, []byte(`"report_block_height": 1`)) {
		t.Errorf("report raw not kept: %s", c2.Report.Raw)
	}
	if got := c2.Level(); got.String() != "basic+liveness+wallet-eth" || got.Base() != LevelBasic {
		t.Errorf("level = %v", got)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeAllDetails(t *testing.T) {
	raw := readFixture(t, "users_me_all_details.json")
	u := decodeFixture(t, "users_me_all_details.json")
	d := u.VerificationCases[0].Details
	if d == nil {
		t.Fatal("no details")
	}
	if len(d.Extra) != 0 {
		t.Errorf("every documented key must be typed, Extra has %d keys: %v", len(d.Extra), keys(d.Extra))
	}
	// Every key of the fixture maps to a set field.
	var m struct {
		VerificationCases []struct {
			Details map[string]json.RawMessage `json:"details"`
		} `json:"verification_cases"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Len(), len(m.VerificationCases[0].Details); got != want {
		t.Errorf("Len = %d, fixture has %d keys", got, want)
	}
	if len(detailsFieldIndex()) != len(m.VerificationCases[0].Details) {
		t.Errorf("fixture has %d keys, package knows %d", len(m.VerificationCases[0].Details), len(detailsFieldIndex()))
	}
	if d.DateOfBirth != (Date{1967, 8, 16}) || d.ResidentialAddressProofDateOfExpiry != (Date{2024, 2, 29}) {
		t.Errorf("dates: %v %v", d.DateOfBirth, d.ResidentialAddressProofDateOfExpiry)
	}
	if d.Liveness == nil || !*d.Liveness || d.SOWType != SOWSalary || d.SOWEstimatedNetWorthCurrency != SOWCurrencyEUR || d.SOWEstimatedNetWorthValue != "250000.50" {
		t.Errorf("typed values wrong")
	}
	if len(d.WalletCheckReports) != 1 || d.AccreditedInvestor == nil {
		t.Errorf("deprecated keys not decoded")
	}
	files := 0
	for k, v := range d.Files() {
		if !strings.HasSuffix(k, "_file") || !strings.Contains(string(v), k) {
			t.Errorf("file %s = %s", k, v)
		}
		files++
	}
	if files != 52 {
		t.Errorf("files = %d, want 52", files)
	}
	c := u.VerificationCases[0]
	if c.ID != "case-1" || !c.IsJourneyCompleted() || c.Status != StatusDone || c.Outcome() != StatusApproved {
		t.Errorf("case = %v", c)
	}
	if w := u.Wallets[0]; w.ID == "" || !w.IsVerified() {
		t.Errorf("wallet = %v", w)
	}

	// Golden: the re-encoded user.
	out, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "users_me_all_details.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(want)) {
		t.Errorf("re-encoded user differs from %s (run go test -run TestDecodeAllDetails -update)", golden)
	}
	// The round trip is lossless.
	var again User
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&again, u) {
		t.Error("round trip changed the user")
	}
}

func keys[M ~map[string]V, V any](m M) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDecodeUnknownFieldsAndValues(t *testing.T) {
	u := decodeFixture(t, "users_me_unknown.json")
	if u.Emails[0].SourceType != "sso_login" || u.Wallets[1].Currency != "doge" || u.Wallets[0].Currency != CurrencyXRP {
		t.Errorf("unknown enum values must be kept")
	}
	c := u.VerificationCases[0]
	if c.Status != "under_review" || c.Credential != "manual_check" || c.Outcome() != "manual_check" {
		t.Errorf("status/credential = %q/%q outcome %q", c.Status, c.Credential, c.Outcome())
	}
	d := c.Details
	if d.FullName != "Ana Example" || d.IdentificationDocumentType != "residence_permit" || d.SOWType != "lottery" || d.SOWEstimatedNetWorthCurrency != "CHF" {
		t.Errorf("typed fields = %s", mustJSON(t, d))
	}
	if d.SOWEstimatedNetWorthValue != "1250000" {
		t.Errorf("numeric string from a number = %q", d.SOWEstimatedNetWorthValue)
	}
	if d.IdentificationDocumentDateOfIssue != (Date{2019, 5, 4}) {
		t.Errorf("date-time date = %v", d.IdentificationDocumentDateOfIssue)
	}
	if !d.DateOfBirth.IsZero() || d.Liveness != nil {
		t.Errorf("values of the wrong type must stay zero")
	}
	wantExtra := map[string]string{
		"date_of_birth":     `"1990-02-30"`,
		"liveness":          `"yes"`,
		"telegram_username": `"@ana"`,
		"nested_new_key":    `{"a":[1,2,{"b":"c"}]}`,
		"new_proof_file":    `"https://files.example.test/new.pdf"`,
		"weird_key":         `"escaped"`,
	}
	if len(d.Extra) != len(wantExtra) {
		t.Errorf("extra keys = %v", keys(d.Extra))
	}
	for k, v := range wantExtra {
		var got, want any
		_ = json.Unmarshal(d.Extra[k], &got)
		_ = json.Unmarshal([]byte(v), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Extra[%q] = %s, want %s", k, d.Extra[k], v)
		}
	}
	var files []string
	for k := range d.Files() {
		files = append(files, k)
	}
	if strings.Join(files, ",") != "liveness_audit_best_file,new_proof_file" {
		t.Errorf("files = %v", files)
	}
	if c.Report == nil || c.Report.CScore != 0 || c.Report.AssetsCount != 2 || !bytes.Contains(c.Report.Raw, []byte(`"high"`)) {
		t.Errorf("lenient report = %+v", c.Report)
	}
	// Extra survives a round trip.
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var d2 Details
	if err := json.Unmarshal(b, &d2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d2.Extra, mustCompact(t, d.Extra)) || d2.FullName != d.FullName {
		t.Errorf("round trip lost data: %s", b)
	}
	if got := u.VerificationCases[1].Outcome(); got != StatusExpired {
		t.Errorf("expired outcome = %q", got)
	}
	if got := u.VerificationCases[2].Outcome(); got != "" {
		t.Errorf("done without credential = %q, want unknown", got)
	}
}

func mustCompact(t *testing.T, m map[string]json.RawMessage) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			t.Fatal(err)
		}
		out[k] = b.Bytes()
	}
	return out
}

func TestDecodeErrors(t *testing.T) {
	for _, body := range []string{
		`{"uid": 5}`,
		`{"verification_cases": [{"level": "basic", "details": []}]}`,
		`{"verification_cases": [{"level": "basic", "details": "x"}]}`,
		`{"verification_cases": [{"level": "basic", "report": 3}]}`,
		`{"verification_cases": {}}`,
		`{"uid": "a"`,
		`[]`,
	} {
		var u User
		if err := json.Unmarshal([]byte(body), &u); err == nil {
			t.Errorf("%s: want an error", body)
		}
	}
	var u User
	if err := json.Unmarshal([]byte(`{"phones":[{"number":"1"}],"phones:":[{"number":"2"}]}`), &u); err != nil || u.Phones[0].Number != "1" {
		t.Errorf("phones must win over phones: (%v)", err)
	}
	if err := json.Unmarshal([]byte(`{"verification_cases":[{"details":{"full_name":"x"}}]}`), &u); err != nil || u.Phones != nil || u.VerificationCases[0].Details.FullName != "x" {
		t.Errorf("decoding into a used User must reset it")
	}
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		status, credential Status
		want               Status
	}{
		{StatusDone, StatusApproved, StatusApproved},
		{StatusDone, StatusRejected, StatusRejected},
		{StatusPending, StatusPending, StatusPending},
		{StatusApproved, "", StatusApproved},
		{StatusRejected, "", StatusRejected},
		{StatusExpired, "", StatusExpired},
		{StatusPending, "", StatusPending},
		{StatusContacted, "", StatusPending},
		{StatusDone, "", ""},
		{"", "", ""},
		{"weird", "", ""},
		{StatusApproved, StatusRejected, StatusRejected}, // credential wins
	} {
		c := VerificationCase{Status: tc.status, Credential: tc.credential}
		if got := c.Outcome(); got != tc.want {
			t.Errorf("status %q credential %q: outcome %q, want %q", tc.status, tc.credential, got, tc.want)
		}
	}
}

func TestUserHelpers(t *testing.T) {
	u := &User{VerificationCases: []VerificationCase{
		{ID: "1", RawLevel: "basic", Status: StatusApproved},
		{ID: "2", RawLevel: "liveness", Status: StatusDone, Credential: StatusApproved},
		{ID: "3", RawLevel: "plus+selfie", Status: StatusPending},
		{ID: "4", RawLevel: "wallet-eth", Status: StatusApproved},
		{ID: "5", RawLevel: "wallet-eth", Status: StatusRejected},
		{ID: "6", RawLevel: "selfie+plus", Status: StatusApproved},
		{ID: "7", RawLevel: "sow+ssn", Status: StatusApproved},
	}}
	for _, tc := range []struct {
		level string
		want  string
	}{
		{"basic", "1"},
		{"liveness", "2"},
		{"plus+selfie", "6"},
		{"selfie+plus", "6"},
		{"wallet-eth", "5"},
		{"plus", ""},
		{"", ""},
	} {
		c := u.CaseFor(ParseLevel(tc.level))
		got := ""
		if c != nil {
			got = c.ID
		}
		if got != tc.want {
			t.Errorf("CaseFor(%q) = %q, want %q", tc.level, got, tc.want)
		}
	}
	var ids []string
	for _, c := range u.NewestCases() {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "1,2,6,5,7" {
		t.Errorf("NewestCases = %v", ids)
	}
	for _, tc := range []struct {
		levels []string
		want   bool
	}{
		{[]string{"basic"}, true},
		{[]string{"basic+liveness"}, true},
		{[]string{"basic", "liveness"}, true},
		{[]string{"plus+selfie"}, true},
		{[]string{"plus"}, true},
		{[]string{"sow"}, true},
		{[]string{"wallet-eth"}, false}, // the newest wallet-eth case is rejected
		{[]string{"basic+wallet-eth"}, false},
		{[]string{"uniqueness"}, false},
		{[]string{""}, false},
		{nil, false},
	} {
		var ls []Level
		for _, s := range tc.levels {
			ls = append(ls, ParseLevel(s))
		}
		if got := u.IsApproved(ls...); got != tc.want {
			t.Errorf("IsApproved(%q) = %t, want %t", tc.levels, got, tc.want)
		}
	}
	var nilUser *User
	if nilUser.IsApproved(ParseLevel("basic")) || nilUser.CaseFor(ParseLevel("basic")) != nil || nilUser.NewestCases() != nil {
		t.Error("nil user helpers")
	}
	seed := decodeFixture(t, "users_me_seed.json")
	if !seed.IsApproved(ParseLevel("plus")) || !seed.IsApproved(ParseLevel("basic+liveness+wallet-eth")) || seed.IsApproved(ParseLevel("selfie")) {
		t.Error("seed approvals")
	}
}

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Date
		ok   bool
	}{
		{`"1967-08-16"`, Date{1967, 8, 16}, true},
		{`"2024-02-29"`, Date{2024, 2, 29}, true},
		{`"2023-02-29"`, Date{}, false},
		{`"2023-13-01"`, Date{}, false},
		{`"2023-00-01"`, Date{}, false},
		{`"2019-05-04T10:00:00Z"`, Date{2019, 5, 4}, true},
		{`"2019-05-04 10:00"`, Date{2019, 5, 4}, true},
		{`"2019-5-4"`, Date{}, false},
		{`""`, Date{}, true},
		{`null`, Date{}, true},
		{`"\u0032019-05-04"`, Date{2019, 5, 4}, true},
		{`20190504`, Date{}, false},
		{`"+019-05-04"`, Date{}, false},
	} {
		got, ok := dateFromJSON([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %v %t, want %v %t", tc.in, got, ok, tc.want, tc.ok)
		}
		var d Date
		if err := json.Unmarshal([]byte(tc.in), &d); err != nil || d != tc.want {
			t.Errorf("UnmarshalJSON(%s) = %v, %v", tc.in, d, err)
		}
	}
	d, err := ParseDate("2000-01-31")
	if err != nil || d.String() != "2000-01-31" || !d.IsValid() {
		t.Errorf("ParseDate = %v %v", d, err)
	}
	if _, err := ParseDate("2000-01-32"); err == nil {
		t.Error("ParseDate accepted day 32")
	}
	if b, _ := json.Marshal(Date{}); string(b) != "null" {
		t.Errorf("zero date = %s", b)
	}
	if b, _ := json.Marshal(d); string(b) != `"2000-01-31"` {
		t.Errorf("date = %s", b)
	}
	if _, err := json.Marshal(Date{2000, 2, 30}); err == nil {
		t.Error("invalid date marshalled")
	}
	var td Date
	if err := td.UnmarshalText([]byte("2000-02-30")); err == nil {
		t.Error("UnmarshalText is strict")
	}
	if err := td.UnmarshalText([]byte("2001-02-03")); err != nil || td != (Date{2001, 2, 3}) {
		t.Errorf("UnmarshalText = %v %v", td, err)
	}
	if tb, _ := td.MarshalText(); string(tb) != "2001-02-03" {
		t.Errorf("MarshalText = %s", tb)
	}
	if !(Date{2000, 1, 1}).Before(Date{2000, 1, 2}) || !(Date{2001, 1, 1}).After(Date{2000, 12, 31}) || (Date{2000, 3, 1}).Compare(Date{2000, 3, 1}) != 0 {
		t.Error("Compare")
	}
	if DateOf(time.Date(2020, 6, 7, 23, 0, 0, 0, time.UTC)) != (Date{2020, 6, 7}) || !td.In(time.UTC).Equal(time.Date(2001, 2, 3, 0, 0, 0, 0, time.UTC)) {
		t.Error("DateOf/In")
	}
}

func TestNumericString(t *testing.T) {
	for in, want := range map[string]NumericString{`"12.5"`: "12.5", `12.5`: "12.5", `-3`: "-3", `true`: "", `null`: ""} {
		var n NumericString
		if err := json.Unmarshal([]byte(in), &n); err != nil || n != want {
			t.Errorf("%s: %q %v", in, n, err)
		}
	}
}

func FuzzDecodeUser(f *testing.F) {
	for _, name := range []string{"users_me_seed.json", "users_me_all_details.json", "users_me_unknown.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"verification_cases":[{"details":{"a\"b":1,"x":[{"}":"]"}]}}]}`))
	f.Add([]byte(`{"phones:":null,"verification_cases":[{"details":null,"report":{}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"phones:":[null],"wallets":[null,{"verified":null}]}`))
	for _, body := range roundTripBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// The details decoder also runs on bytes nobody validated.
		var d Details
		if d.UnmarshalJSON(b) == nil {
			for k, v := range d.Extra {
				if !json.Valid(v) {
					t.Fatalf("direct: Extra[%q] is not valid JSON: %q", k, v)
				}
			}
		}
		// So does the user decoder, directly.
		var direct User
		if direct.UnmarshalJSON(b) == nil {
			for k, v := range direct.Extra {
				if !json.Valid(v) {
					t.Fatalf("direct: User.Extra[%q] is not valid JSON: %q", k, v)
				}
			}
		}
		var u User
		err := json.Unmarshal(b, &u)
		if err != nil {
			return
		}
		_ = u.String()
		_ = u.LogValue().String()
		u.IsApproved(ParseLevel("basic+liveness"))
		for _, c := range u.VerificationCases {
			_ = c.String()
			if c.Details != nil {
				_ = c.Details.String()
				for k, v := range c.Details.Extra {
					if !json.Valid(v) {
						t.Fatalf("Extra[%q] is not valid JSON: %q", k, v)
					}
				}
			}
		}
		// What decoded re-encodes and decodes to the same value.
		out, err := json.Marshal(&u)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again User
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		// Nothing is lost: the second encoding is the first.
		out2, err := json.Marshal(&again)
		var v1, v2 any
		if err != nil || json.Unmarshal(out, &v1) != nil || json.Unmarshal(out2, &v2) != nil || !reflect.DeepEqual(v1, v2) {
			t.Fatalf("round trip not stable: %v\n%s\n%s", err, out, out2)
		}
		// And the first keeps the body's keys and values.
		var in, re any
		if json.Unmarshal(b, &in) == nil && json.Unmarshal(out, &re) == nil && !reflect.DeepEqual(in, re) && !hasDuplicateKeys(b) {
			t.Fatalf("round trip changed the body:\n%s\n%s", b, out)
		}
	})
}

// hasDuplicateKeys reports whether some object of the JSON value b repeats
// a key (the last one wins in encoding/json and here, but the generic
// comparison then differs in ways that do not matter).
func hasDuplicateKeys(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: v == '{', keys: map[string]bool{}, key: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.key {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.obj {
			top.key = true
		}
	}
}
