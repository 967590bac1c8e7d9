package credentials

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kycgo/kyc/fractalid"
)

// VerificationType is what the proof is about: a person (KYC) or a company (KYB).
type VerificationType string

// Verification types.
const (
	// KYC proves a person's verification.
	KYC VerificationType = "KYC"
	// KYB proves a company's verification; the country lists then apply to
	// the person representing the company.
	KYB VerificationType = "KYB"
)

// Country is an ISO 3166-1 alpha-2 code in upper case, such as "DE".
type Country string

// ParseCountry reads an ISO 3166-1 alpha-2 code in either case and
// refuses codes that are not officially assigned (ErrInvalidCountry).
func ParseCountry(s string) (Country, error) {
	c := Country(strings.ToUpper(s))
	if _, ok := countryNames[c]; !ok || len(s) != 2 {
		return "", fmt.Errorf("%w: not an assigned ISO 3166-1 alpha-2 code", ErrInvalidCountry)
	}
	return c, nil
}

// IsKnown reports whether c is an officially assigned ISO 3166-1 alpha-2 code.
func (c Country) IsKnown() bool { _, ok := countryNames[c]; return ok }

// Name is the English name BuildMessage writes for c ("United States of
// America" for US), or "" for an unknown code.
func (c Country) Name() string { return countryNames[c] }

// Countries returns every officially assigned code, sorted.
func Countries() []Country {
	out := make([]Country, 0, len(countryNames))
	for c := range countryNames {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// MessageSpec is the typed content of the message a wallet signs to ask
// Fractal for a proof. BuildMessage turns it into the exact protocol string.
type MessageSpec struct {
	// ApplicationName is the application's name as the dashboard shows it.
	ApplicationName string
	// ClientID is the application's client id as the dashboard shows it.
	ClientID string
	// Type is KYC or KYB; empty means KYC.
	Type VerificationType
	// Level is "<level>[+<addon>]*": one of uniqueness, basic or plus,
	// then add-ons, for example fractalid.ParseLevel("plus+liveness").
	Level fractalid.Level
	// NotCitizenOf, when not nil, adds the line "I am not a citizen of the
	// following countries". Allowed with basic and plus. A non-nil empty
	// list is refused, as the API refuses an empty list.
	NotCitizenOf []Country
	// NotResidentOf, when not nil, adds the line "I am not a resident of the
	// following countries". Allowed with plus only.
	NotResidentOf []Country
	// DataAccess adds the line that gives the application access to the
	// data the user passed the level with.
	DataAccess bool
}

// Lines of the protocol string (reference §7.1).
const (
	linePrefix      = "I authorize "
	lineSuffix      = ") to get a proof from Fractal that:"
	passedPrefix    = "- I passed "
	citizenPrefix   = "- I am not a citizen of the following countries: "
	residentPrefix  = "- I am not a resident of the following countries: "
	dataAccessLine  = "I also allow access to my data that was used to pass this level."
	levelSeparator  = " level "
	countrySep      = ", "
	maxNameLen      = 256
	maxCountryCount = 300
	// maxMessageLen bounds what ParseMessage reads: 5 lines of names of at
	// most 256 bytes and two lists of at most 300 countries fit in far less.
	maxMessageLen = 64 << 10
)

// MessageOption changes how BuildMessage writes a message.
type MessageOption func(*messageSettings)

type messageSettings struct {
	names map[Country]string
}

// WithCountryName makes BuildMessage write name for code instead of the
// built-in English name. The built-in names (those of the
// i18n-iso-countries package) match the documentation's example; the
// names Fractal's server expects for other countries are not documented,
// so this option lets a caller follow what Fractal's dashboard shows. The
// name must not contain line breaks or a code in parentheses (" (XX)").
func WithCountryName(code Country, name string) MessageOption {
	return func(s *messageSettings) {
		if s.names == nil {
			s.names = map[Country]string{}
		}
		s.names[code] = name
	}
}

// BuildMessage writes the exact message of the Credentials API for spec:
//
//	I authorize <application_name> (<client_id>) to get a proof from Fractal that:
//	- I passed <KYC|KYB> level <level>
//	- I am not a citizen of the following countries: <Name (CC), ...>     (optional)
//	- I am not a resident of the following countries: <Name (CC), ...>    (optional)
//	I also allow access to my data that was used to pass this level.      (optional)
//
// Lines are separated by "\n", with no final line break. Before any
// request, it refuses what the API would refuse, with a *MessageError:
// a level that does not start with uniqueness, basic or plus
// (ErrInvalidLevel), a country list the level does not allow
// (ErrInvalidConfiguration: uniqueness allows none, basic citizenship
// only, plus both), a present but empty list (ErrEmptyCountryList), an
// unknown or repeated country code (ErrInvalidCountry), and names or ids
// that would break the format (ErrInvalidMessageSchema).
func BuildMessage(spec MessageSpec, opts ...MessageOption) (string, error) {
	var ms messageSettings
	for _, o := range opts {
		if o != nil {
			o(&ms)
		}
	}
	if err := checkName("ApplicationName", spec.ApplicationName, false); err != nil {
		return "", err
	}
	if err := checkClientID(spec.ClientID); err != nil {
		return "", err
	}
	typ := spec.Type
	if typ == "" {
		typ = KYC
	}
	if typ != KYC && typ != KYB {
		return "", &MessageError{Field: "Type", Reason: "must be KYC or KYB", Err: ErrInvalidMessageSchema}
	}
	if err := checkLevel(spec.Level); err != nil {
		return "", err
	}
	if err := checkRestrictions(spec.Level.Base(), spec.NotCitizenOf != nil, spec.NotResidentOf != nil); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(linePrefix)
	b.WriteString(spec.ApplicationName)
	b.WriteString(" (")
	b.WriteString(spec.ClientID)
	b.WriteString(lineSuffix)
	b.WriteString("\n" + passedPrefix)
	b.WriteString(string(typ))
	b.WriteString(levelSeparator)
	b.WriteString(spec.Level.String())
	for _, l := range []struct {
		field, prefix string
		list          []Country
	}{{"NotCitizenOf", citizenPrefix, spec.NotCitizenOf}, {"NotResidentOf", residentPrefix, spec.NotResidentOf}} {
		if l.list == nil {
			continue
		}
		text, err := writeCountries(l.field, l.list, ms.names)
		if err != nil {
			return "", err
		}
		b.WriteString("\n" + l.prefix)
		b.WriteString(text)
	}
	if spec.DataAccess {
		b.WriteString("\n" + dataAccessLine)
	}
	return b.String(), nil
}

func writeCountries(field string, list []Country, names map[Country]string) (string, error) {
	if len(list) == 0 {
		return "", &MessageError{Field: field, Reason: "present but empty (leave it nil for no line)", Err: ErrEmptyCountryList}
	}
	if len(list) > maxCountryCount {
		return "", &MessageError{Field: field, Reason: "too many countries", Err: ErrInvalidCountry}
	}
	var b strings.Builder
	seen := make(map[Country]bool, len(list))
	for i, c := range list {
		where := field + "[" + strconv.Itoa(i) + "]"
		if !c.IsKnown() {
			return "", &MessageError{Field: where, Reason: "not an assigned upper-case ISO 3166-1 alpha-2 code", Err: ErrInvalidCountry}
		}
		if seen[c] {
			return "", &MessageError{Field: where, Reason: "country listed twice", Err: ErrInvalidCountry}
		}
		seen[c] = true
		name := c.Name()
		if n, ok := names[c]; ok {
			name = n
			if err := checkName(where+" name", name, true); err != nil {
				return "", err
			}
		}
		if i > 0 {
			b.WriteString(countrySep)
		}
		b.WriteString(name)
		b.WriteString(" (")
		b.WriteString(string(c))
		b.WriteString(")")
	}
	return b.String(), nil
}

// checkName accepts printable text without line breaks (and, for a
// country name, without " (XX)" inside).
func checkName(field, s string, country bool) error {
	if strings.TrimSpace(s) == "" {
		return &MessageError{Field: field, Reason: "empty", Err: ErrInvalidMessageSchema}
	}
	if len(s) > maxNameLen {
		return &MessageError{Field: field, Reason: "longer than 256 bytes", Err: ErrInvalidMessageSchema}
	}
	if s != strings.TrimSpace(s) {
		return &MessageError{Field: field, Reason: "leading or trailing space", Err: ErrInvalidMessageSchema}
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return &MessageError{Field: field, Reason: "contains a line break or control character", Err: ErrInvalidMessageSchema}
		}
	}
	if country && (codeInName.MatchString(s) || strings.Contains(s, countrySep+"(")) {
		return &MessageError{Field: field, Reason: `contains " (CC)", which would end the entry`, Err: ErrInvalidMessageSchema}
	}
	return nil
}

// checkClientID accepts a non-empty id without spaces, control characters
// or parentheses (the dashboard shows 64 hex digits; no format is documented).
func checkClientID(id string) error {
	if id == "" {
		return &MessageError{Field: "ClientID", Reason: "empty", Err: ErrInvalidMessageSchema}
	}
	if len(id) > maxNameLen {
		return &MessageError{Field: "ClientID", Reason: "longer than 256 bytes", Err: ErrInvalidMessageSchema}
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '(' || r == ')' || r == 0x2028 || r == 0x2029 {
			return &MessageError{Field: "ClientID", Reason: "contains a space, control character or parenthesis", Err: ErrInvalidMessageSchema}
		}
	}
	return nil
}

// checkLevel accepts "<level>[+<addon>]*": the first item uniqueness,
// basic or plus, then distinct add-ons of lower-case letters, digits and
// hyphens (unknown add-ons are accepted: Fractal adds new ones). selfie is
// refused with uniqueness, as the documentation's support matrix says.
func checkLevel(l fractalid.Level) error {
	if len(l) == 0 {
		return &MessageError{Field: "Level", Reason: "empty", Err: ErrInvalidLevel}
	}
	switch l[0] {
	case fractalid.LevelUniqueness, fractalid.LevelBasic, fractalid.LevelPlus:
	default:
		return &MessageError{Field: "Level", Reason: "must start with uniqueness, basic or plus", Err: ErrInvalidLevel}
	}
	seen := map[fractalid.Item]bool{}
	for i, it := range l {
		where := "Level[" + strconv.Itoa(i) + "]"
		if !isLevelToken(string(it)) {
			return &MessageError{Field: where, Reason: "must be lower-case letters, digits and hyphens", Err: ErrInvalidLevel}
		}
		if i > 0 && it.IsLevel() {
			return &MessageError{Field: where, Reason: "a second level where an add-on is expected", Err: ErrInvalidLevel}
		}
		if seen[it] {
			return &MessageError{Field: where, Reason: "repeated", Err: ErrInvalidLevel}
		}
		seen[it] = true
	}
	if l[0] == fractalid.LevelUniqueness && seen[fractalid.AddOnSelfie] {
		return &MessageError{Field: "Level", Reason: "selfie is not available with uniqueness", Err: ErrInvalidLevel}
	}
	return nil
}

func isLevelToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkRestrictions applies the level table of reference §7.1.
func checkRestrictions(base fractalid.Item, citizen, resident bool) error {
	switch {
	case base == fractalid.LevelUniqueness && (citizen || resident):
		return &MessageError{Field: "NotCitizenOf/NotResidentOf", Reason: "uniqueness allows no country restriction", Err: ErrInvalidConfiguration}
	case base == fractalid.LevelBasic && resident:
		return &MessageError{Field: "NotResidentOf", Reason: "basic allows citizenship restrictions only", Err: ErrInvalidConfiguration}
	}
	return nil
}

// AllowsCitizenship reports whether a level allows a citizenship list (basic and plus).
func AllowsCitizenship(l fractalid.Level) bool {
	b := l.Base()
	return len(l) > 0 && l[0] == b && (b == fractalid.LevelBasic || b == fractalid.LevelPlus)
}

// AllowsResidency reports whether a level allows a residency list (plus only).
func AllowsResidency(l fractalid.Level) bool {
	return len(l) > 0 && l[0] == fractalid.LevelPlus
}

// countryEntry is one "Name (CC)" of a list; the name is matched lazily so
// that names holding ", " ("Taiwan, Province of China") still split right.
var countryEntry = regexp.MustCompile(`^([^\n]+?) \(([A-Z]{2})\)(?:, |$)`)

// codeInName finds " (CC)" inside a name, which would end the entry early.
var codeInName = regexp.MustCompile(` \([A-Z]{2}\)`)

// ParseMessage reads a message in the protocol format, strictly: the lines
// in the documented order, separated by "\n", no final line break, the
// level and country rules of BuildMessage. Country names are not checked
// against the built-in table (only the codes are), since the names
// Fractal's server accepts are not documented. Errors are *MessageError.
func ParseMessage(text string) (*MessageSpec, error) {
	schema := func(line int, reason string) error {
		return &MessageError{Field: "line " + strconv.Itoa(line), Reason: reason, Err: ErrInvalidMessageSchema}
	}
	if len(text) > maxMessageLen {
		return nil, schema(0, "longer than 64 KiB")
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 2 || len(lines) > 5 {
		return nil, schema(0, "want 2 to 5 lines")
	}
	first, ok := strings.CutPrefix(lines[0], linePrefix)
	if !ok {
		return nil, schema(1, `must start with "I authorize "`)
	}
	first, ok = strings.CutSuffix(first, lineSuffix)
	if !ok {
		return nil, schema(1, `must end with ") to get a proof from Fractal that:"`)
	}
	i := strings.LastIndex(first, " (")
	if i < 0 {
		return nil, schema(1, "no client id in parentheses")
	}
	spec := &MessageSpec{ApplicationName: first[:i], ClientID: first[i+2:]}
	if err := checkName("ApplicationName", spec.ApplicationName, false); err != nil {
		return nil, err
	}
	if err := checkClientID(spec.ClientID); err != nil {
		return nil, err
	}
	passed, ok := strings.CutPrefix(lines[1], passedPrefix)
	if !ok {
		return nil, schema(2, `must start with "- I passed "`)
	}
	typ, level, ok := strings.Cut(passed, levelSeparator)
	if !ok || (typ != string(KYC) && typ != string(KYB)) {
		return nil, schema(2, `must be "- I passed KYC level ..." or "- I passed KYB level ..."`)
	}
	spec.Type = VerificationType(typ)
	for item := range strings.SplitSeq(level, "+") {
		if !isLevelToken(item) {
			return nil, &MessageError{Field: "Level", Reason: "must be items of lower-case letters, digits and hyphens joined by +", Err: ErrInvalidLevel}
		}
	}
	spec.Level = fractalid.ParseLevel(level)
	if err := checkLevel(spec.Level); err != nil {
		return nil, err
	}
	rest := lines[2:]
	if len(rest) > 0 {
		if l, ok := strings.CutPrefix(rest[0], citizenPrefix); ok {
			list, err := parseCountries("NotCitizenOf", l)
			if err != nil {
				return nil, err
			}
			spec.NotCitizenOf, rest = list, rest[1:]
		}
	}
	if len(rest) > 0 {
		if l, ok := strings.CutPrefix(rest[0], residentPrefix); ok {
			list, err := parseCountries("NotResidentOf", l)
			if err != nil {
				return nil, err
			}
			spec.NotResidentOf, rest = list, rest[1:]
		}
	}
	if len(rest) > 0 && rest[0] == dataAccessLine {
		spec.DataAccess, rest = true, rest[1:]
	}
	if len(rest) > 0 {
		return nil, schema(len(lines)-len(rest)+1, "unexpected line (optional lines come in the documented order, each once)")
	}
	if err := checkRestrictions(spec.Level.Base(), spec.NotCitizenOf != nil, spec.NotResidentOf != nil); err != nil {
		return nil, err
	}
	return spec, nil
}

func parseCountries(field, s string) ([]Country, error) {
	if s == "" {
		return nil, &MessageError{Field: field, Reason: "empty list", Err: ErrEmptyCountryList}
	}
	var out []Country
	seen := map[Country]bool{}
	for s != "" {
		m := countryEntry.FindStringSubmatchIndex(s)
		if m == nil {
			return nil, &MessageError{Field: field, Reason: `entries must be "Name (CC)" separated by ", "`, Err: ErrInvalidCountry}
		}
		name, code := s[m[2]:m[3]], Country(s[m[4]:m[5]])
		where := field + "[" + strconv.Itoa(len(out)) + "]"
		if strings.TrimSpace(name) != name {
			return nil, &MessageError{Field: where, Reason: "name with surrounding spaces", Err: ErrInvalidCountry}
		}
		if !code.IsKnown() {
			return nil, &MessageError{Field: where, Reason: "not an assigned ISO 3166-1 alpha-2 code", Err: ErrInvalidCountry}
		}
		if seen[code] {
			return nil, &MessageError{Field: where, Reason: "country listed twice", Err: ErrInvalidCountry}
		}
		if len(out) >= maxCountryCount {
			return nil, &MessageError{Field: field, Reason: "too many countries", Err: ErrInvalidCountry}
		}
		seen[code] = true
		out = append(out, code)
		trailing := strings.HasSuffix(s[:m[1]], countrySep)
		s = s[m[1]:]
		if trailing && s == "" {
			return nil, &MessageError{Field: field, Reason: "list ends with a separator", Err: ErrInvalidCountry}
		}
	}
	return out, nil
}
