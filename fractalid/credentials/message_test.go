package credentials_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
)

// docExample is the example message of reference §7.1, copied by hand.
const docExample = "I authorize Defistarter (dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd) to get a proof from Fractal that:\n" +
	"- I passed KYC level plus+liveness\n" +
	"- I am not a citizen of the following countries: Germany (DE)\n" +
	"- I am not a resident of the following countries: Canada (CA), Germany (DE), United States of America (US)\n" +
	"I also allow access to my data that was used to pass this level."

func docSpec() credentials.MessageSpec {
	return credentials.MessageSpec{
		ApplicationName: "Defistarter",
		ClientID:        "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd",
		Type:            credentials.KYC,
		Level:           fractalid.ParseLevel("plus+liveness"),
		NotCitizenOf:    []credentials.Country{"DE"},
		NotResidentOf:   []credentials.Country{"CA", "DE", "US"},
		DataAccess:      true,
	}
}

func TestBuildMessageReproducesTheDocumentationExample(t *testing.T) {
	got, err := credentials.BuildMessage(docSpec())
	if err != nil {
		t.Fatal(err)
	}
	if got != docExample {
		t.Fatalf("BuildMessage:\n%q\nwant\n%q", got, docExample)
	}
	spec, err := credentials.ParseMessage(docExample)
	if err != nil {
		t.Fatal(err)
	}
	again, err := credentials.BuildMessage(*spec)
	if err != nil || again != docExample {
		t.Fatalf("ParseMessage then BuildMessage = %q, %v", again, err)
	}
}

func TestBuildMessageOptionalLines(t *testing.T) {
	base := credentials.MessageSpec{ApplicationName: "My dApp", ClientID: "abc123", Level: fractalid.ParseLevel("uniqueness")}
	got, err := credentials.BuildMessage(base)
	if err != nil {
		t.Fatal(err)
	}
	want := "I authorize My dApp (abc123) to get a proof from Fractal that:\n- I passed KYC level uniqueness"
	if got != want {
		t.Errorf("minimal message %q, want %q", got, want)
	}
	kyb := base
	kyb.Type = credentials.KYB
	kyb.Level = fractalid.ParseLevel("basic+liveness")
	kyb.NotCitizenOf = []credentials.Country{"TW", "KR"}
	got, err = credentials.BuildMessage(kyb)
	if err != nil {
		t.Fatal(err)
	}
	want = "I authorize My dApp (abc123) to get a proof from Fractal that:\n- I passed KYB level basic+liveness\n" +
		"- I am not a citizen of the following countries: Taiwan, Province of China (TW), South Korea (KR)"
	if got != want {
		t.Errorf("KYB message %q, want %q", got, want)
	}
	spec, err := credentials.ParseMessage(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.NotCitizenOf) != 2 || spec.NotCitizenOf[0] != "TW" || spec.NotCitizenOf[1] != "KR" || spec.Type != credentials.KYB {
		t.Errorf("ParseMessage read %+v", spec)
	}
	renamed, err := credentials.BuildMessage(kyb, credentials.WithCountryName("KR", "Korea (KR)"))
	if !errors.Is(err, credentials.ErrInvalidMessageSchema) {
		t.Errorf("a name holding a code: %q, %v", renamed, err)
	}
	renamed, err = credentials.BuildMessage(kyb, credentials.WithCountryName("KR", "Republic of Korea"))
	if err != nil || !strings.HasSuffix(renamed, "Republic of Korea (KR)") {
		t.Errorf("WithCountryName: %q, %v", renamed, err)
	}
}

func TestBuildMessageRefusesWhatTheAPIRefuses(t *testing.T) {
	level := fractalid.ParseLevel
	cases := []struct {
		name string
		edit func(*credentials.MessageSpec)
		want error
	}{
		{"uniqueness with citizenship", func(s *credentials.MessageSpec) { s.Level = level("uniqueness"); s.NotResidentOf = nil }, credentials.ErrInvalidConfiguration},
		{"uniqueness with residency", func(s *credentials.MessageSpec) { s.Level = level("uniqueness"); s.NotCitizenOf = nil }, credentials.ErrInvalidConfiguration},
		{"basic with residency", func(s *credentials.MessageSpec) { s.Level = level("basic+liveness") }, credentials.ErrInvalidConfiguration},
		{"empty citizenship list", func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{} }, credentials.ErrEmptyCountryList},
		{"empty residency list", func(s *credentials.MessageSpec) { s.NotResidentOf = []credentials.Country{} }, credentials.ErrEmptyCountryList},
		{"unknown code", func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{"XX"} }, credentials.ErrInvalidCountry},
		{"Kosovo's user-assigned code", func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{"XK"} }, credentials.ErrInvalidCountry},
		{"lower-case code", func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{"de"} }, credentials.ErrInvalidCountry},
		{"alpha-3 code", func(s *credentials.MessageSpec) { s.NotCitizenOf = []credentials.Country{"DEU"} }, credentials.ErrInvalidCountry},
		{"repeated code", func(s *credentials.MessageSpec) { s.NotResidentOf = []credentials.Country{"DE", "DE"} }, credentials.ErrInvalidCountry},
		{"empty level", func(s *credentials.MessageSpec) { s.Level = nil }, credentials.ErrInvalidLevel},
		{"add-on first", func(s *credentials.MessageSpec) { s.Level = level("liveness+plus") }, credentials.ErrInvalidLevel},
		{"legacy level", func(s *credentials.MessageSpec) { s.Level = level("v1") }, credentials.ErrInvalidLevel},
		{"two levels", func(s *credentials.MessageSpec) { s.Level = level("plus+basic") }, credentials.ErrInvalidLevel},
		{"repeated add-on", func(s *credentials.MessageSpec) { s.Level = level("plus+liveness+liveness") }, credentials.ErrInvalidLevel},
		{"upper-case add-on", func(s *credentials.MessageSpec) { s.Level = level("plus+Liveness") }, credentials.ErrInvalidLevel},
		{"selfie with uniqueness", func(s *credentials.MessageSpec) {
			s.Level = level("uniqueness+selfie")
			s.NotCitizenOf, s.NotResidentOf = nil, nil
		}, credentials.ErrInvalidLevel},
		{"KYT", func(s *credentials.MessageSpec) { s.Type = "KYT" }, credentials.ErrInvalidMessageSchema},
		{"empty name", func(s *credentials.MessageSpec) { s.ApplicationName = "" }, credentials.ErrInvalidMessageSchema},
		{"name with a line break", func(s *credentials.MessageSpec) { s.ApplicationName = "A\n- I passed KYC level plus" }, credentials.ErrInvalidMessageSchema},
		{"name with spaces around", func(s *credentials.MessageSpec) { s.ApplicationName = " A" }, credentials.ErrInvalidMessageSchema},
		{"client id with a space", func(s *credentials.MessageSpec) { s.ClientID = "a b" }, credentials.ErrInvalidMessageSchema},
		{"client id with a parenthesis", func(s *credentials.MessageSpec) { s.ClientID = "a)b" }, credentials.ErrInvalidMessageSchema},
		{"empty client id", func(s *credentials.MessageSpec) { s.ClientID = "" }, credentials.ErrInvalidMessageSchema},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := docSpec()
			tc.edit(&spec)
			got, err := credentials.BuildMessage(spec)
			if !errors.Is(err, tc.want) || !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Fatalf("BuildMessage = %q, %v; want %v", got, err, tc.want)
			}
			var me *credentials.MessageError
			if !errors.As(err, &me) || me.Field == "" {
				t.Errorf("error %v is not a *MessageError with a field", err)
			}
		})
	}
	// Allowed: basic with citizenship only, unknown but well-formed add-ons.
	spec := docSpec()
	spec.Level, spec.NotResidentOf = fractalid.ParseLevel("basic+liveness+wallet-zkp"), nil
	if _, err := credentials.BuildMessage(spec); err != nil {
		t.Errorf("basic with citizenship and a new add-on: %v", err)
	}
}

func TestParseMessageRefusals(t *testing.T) {
	cases := []struct {
		name, text string
		want       error
	}{
		{"final line break", docExample + "\n", credentials.ErrInvalidMessageSchema},
		{"CRLF", strings.ReplaceAll(docExample, "\n", "\r\n"), credentials.ErrInvalidMessageSchema},
		{"lines swapped", strings.Replace(strings.Replace(docExample, "citizen", "XX", 1), "resident", "citizen", 1), credentials.ErrInvalidMessageSchema},
		{"one line", strings.SplitN(docExample, "\n", 2)[0], credentials.ErrInvalidMessageSchema},
		{"lower-case code", strings.Replace(docExample, "(DE)", "(de)", 1), credentials.ErrInvalidCountry},
		{"unknown code", strings.Replace(docExample, "(DE)", "(ZZ)", 1), credentials.ErrInvalidCountry},
		{"trailing separator", strings.Replace(docExample, "Germany (DE)\n", "Germany (DE), \n", 1), credentials.ErrInvalidCountry},
		{"empty list", strings.Replace(docExample, "countries: Germany (DE)", "countries: ", 1), credentials.ErrEmptyCountryList},
		{"double plus", strings.Replace(docExample, "plus+liveness", "plus++liveness", 1), credentials.ErrInvalidLevel},
		{"basic with residency", strings.Replace(docExample, "plus+liveness", "basic+liveness", 1), credentials.ErrInvalidConfiguration},
		{"no client id", strings.Replace(docExample, " (dc3aa", " dc3aa", 1), credentials.ErrInvalidMessageSchema},
		{"64 KiB of names", strings.Replace(docExample, "Defistarter", strings.Repeat("D", 64<<10), 1), credentials.ErrInvalidMessageSchema},
		{"data line twice", docExample + "\nI also allow access to my data that was used to pass this level.", credentials.ErrInvalidMessageSchema},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := credentials.ParseMessage(tc.text)
			if !errors.Is(err, tc.want) || spec != nil {
				t.Fatalf("ParseMessage = %+v, %v; want %v", spec, err, tc.want)
			}
		})
	}
}

func TestCountries(t *testing.T) {
	all := credentials.Countries()
	if len(all) != 249 {
		t.Errorf("%d codes, want the 249 officially assigned", len(all))
	}
	for _, c := range all {
		if len(c) != 2 || strings.ToUpper(string(c)) != string(c) || c.Name() == "" || strings.Contains(c.Name(), "\n") {
			t.Errorf("code %q name %q", c, c.Name())
		}
	}
	withParens := credentials.MessageSpec{ApplicationName: "A", ClientID: "b", Level: fractalid.ParseLevel("basic"),
		NotCitizenOf: []credentials.Country{"CC", "FK", "VA"}}
	msg, err := credentials.BuildMessage(withParens)
	if err != nil {
		t.Fatal(err)
	}
	if spec, err := credentials.ParseMessage(msg); err != nil || len(spec.NotCitizenOf) != 3 || spec.NotCitizenOf[2] != "VA" {
		t.Errorf("names with parentheses: %q -> %+v, %v", msg, spec, err)
	}
	if c, err := credentials.ParseCountry("us"); err != nil || c != "US" || c.Name() != "United States of America" {
		t.Errorf("ParseCountry(us) = %q %v", c, err)
	}
	if _, err := credentials.ParseCountry("XK"); !errors.Is(err, credentials.ErrInvalidCountry) {
		t.Errorf("ParseCountry(XK) = %v", err)
	}
	if credentials.AllowsResidency(fractalid.ParseLevel("basic")) || !credentials.AllowsResidency(fractalid.ParseLevel("plus+liveness")) ||
		!credentials.AllowsCitizenship(fractalid.ParseLevel("basic")) || credentials.AllowsCitizenship(fractalid.ParseLevel("uniqueness")) {
		t.Error("Allows* disagree with the level table")
	}
}
