package fractalid

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"

	"github.com/kycgo/kyc/internal/logvalue"
)

// User is the reply of GET /v2/users/me. Which fields are present depends
// on the scopes the token was granted.
//
// Nothing in the reply is lost: keys this package does not model (at the
// top level, in each verification case, email, phone and wallet) are kept
// as raw JSON in the Extra maps, and a boolean the server left out is told
// apart from one sent as false (nil versus a pointer to false). Marshalling
// a decoded User with encoding/json gives back the keys and values of the
// body it came from (in another order and spacing): a key sent with an
// empty value ("", [], false) or null is written back as it came, and so is
// an element of emails, phones, wallets or verification_cases sent as null.
//
// User holds personal data: String, GoString, Format and LogValue print the
// uid, counts, levels and statuses only (never an Extra key or value).
// Marshal it with encoding/json to get the data.
type User struct {
	// UID is the anonymised unique user ID (uid:read). Webhooks call it user_id.
	UID string `json:"uid,omitempty"`
	// Emails holds at most one address (contact:read).
	Emails Emails `json:"emails,omitempty"`
	// Phones holds at most one number (contact:read). The documentation's
	// example spells the key "phones:"; both spellings are decoded, and a
	// body that used "phones:" is marshalled back with it.
	Phones Phones `json:"phones,omitempty"`
	// VerificationCases has one case per requested level or add-on (or per
	// combined level string; the documentation shows both).
	VerificationCases VerificationCases `json:"verification_cases,omitempty"`
	// Wallets lists the wallets the user shared with the application.
	Wallets Wallets `json:"wallets,omitempty"`
	// Extra holds the top-level keys this package does not model (Fractal
	// added and removed such keys before: person, institution,
	// verifications), as raw JSON. MarshalJSON writes them back; a modelled
	// key wins over an Extra entry with the same name.
	Extra map[string]json.RawMessage `json:"-"`

	keys        keyState
	phonesColon bool // Phones came from the "phones:" key
}

// Emails is a user's e-mail addresses. Index or range over it to read
// them; printed or logged whole (fmt, slog text or JSON), it shows each
// element's String, never an address.
type Emails []Email

// LogValue logs each element's String.
func (e Emails) LogValue() slog.Value { return logvalue.Slice(e) }

// Phones is a user's phone numbers. Printed or logged whole, it shows each
// element's String, never a number.
type Phones []Phone

// LogValue logs each element's String.
func (p Phones) LogValue() slog.Value { return logvalue.Slice(p) }

// VerificationCases is a user's verification cases. Printed or logged
// whole, it shows each case's String (id, level, statuses), never details.
type VerificationCases []VerificationCase

// LogValue logs each case's String.
func (c VerificationCases) LogValue() slog.Value { return logvalue.Slice(c) }

// Wallets is the wallets a user shared. Printed or logged whole, it shows
// each element's String, never an address.
type Wallets []Wallet

// LogValue logs each element's String.
func (w Wallets) LogValue() slog.Value { return logvalue.Slice(w) }

// Field indexes of User in keyState.
const (
	userUID = iota
	userEmails
	userPhones
	userCases
	userWallets
)

var userType = reflect.TypeFor[User]()

// UnmarshalJSON decodes a user in one pass over b, accepting the
// documentation's misspelt "phones:" key as "phones" ("phones" wins when
// both are sent; the other is kept in Extra). A modelled key whose value
// has the wrong type is an error; unknown keys go to Extra.
func (u *User) UnmarshalJSON(b []byte) error { return unmarshalAt(b, u.decodeAt) }

func (u *User) decodeAt(b []byte, i int) (int, error) {
	*u = User{}
	s, isNull, err := openObjectAt(b, i, &u.keys, userType, "")
	if err != nil || isNull {
		return s.i, err
	}
	var colon []byte
	for {
		key, ok, err := s.nextKey()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		end := 0
		switch string(key) {
		case "uid":
			err = s.stringField(&u.keys, userUID, &u.UID, "uid")
		case "emails":
			end, err = decodeArrayAt(&u.keys, userEmails, b, s.i, &u.Emails, "emails", (*Email).decodeAt)
		case "phones":
			end, err = decodeArrayAt(&u.keys, userPhones, b, s.i, &u.Phones, "phones", (*Phone).decodeAt)
		case "verification_cases":
			end, err = decodeArrayAt(&u.keys, userCases, b, s.i, &u.VerificationCases, "verification_cases", (*VerificationCase).decodeAt)
		case "wallets":
			end, err = decodeArrayAt(&u.keys, userWallets, b, s.i, &u.Wallets, "wallets", (*Wallet).decodeAt)
		case "phones:":
			colon, err = s.value()
		default:
			err = s.extra(&u.Extra, key)
		}
		if err != nil {
			return 0, err
		}
		if end > 0 {
			s.at(end)
		}
	}
	if colon == nil {
		return s.i, nil
	}
	if u.keys.isPresent(userPhones) || u.keys.isNull(userPhones) {
		return s.i, addExtra(&u.Extra, []byte("phones:"), colon)
	}
	if _, err := decodeArrayAt(&u.keys, userPhones, colon, 0, &u.Phones, "phones:", (*Phone).decodeAt); err != nil {
		return 0, err
	}
	u.phonesColon = true
	return s.i, nil
}

// MarshalJSON writes the modelled keys (those that are set, and those the
// decoded body carried even when empty or null) and the Extra keys. A User
// decoded from null and left empty is written as null.
func (u User) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(&u.keys)
	w.str(userUID, "uid", u.UID)
	w.array(userEmails, "emails", len(u.Emails), func(j int) ([]byte, error) { return u.Emails[j].MarshalJSON() })
	phonesKey := "phones"
	if u.phonesColon {
		phonesKey = "phones:"
	}
	w.array(userPhones, phonesKey, len(u.Phones), func(j int) ([]byte, error) { return u.Phones[j].MarshalJSON() })
	w.array(userCases, "verification_cases", len(u.VerificationCases), func(j int) ([]byte, error) { return u.VerificationCases[j].MarshalJSON() })
	w.array(userWallets, "wallets", len(u.Wallets), func(j int) ([]byte, error) { return u.Wallets[j].MarshalJSON() })
	w.extra(u.Extra)
	return w.finish()
}

// String prints the uid, the cases (level and outcome) and how many
// emails, phones and wallets the user has: no personal data.
func (u User) String() string {
	var b strings.Builder
	b.WriteString("fractalid.User{uid=")
	b.WriteString(strconv.Quote(u.UID))
	b.WriteString(" cases=[")
	for i := range u.VerificationCases {
		if i > 0 {
			b.WriteByte(' ')
		}
		c := &u.VerificationCases[i]
		b.WriteString(safeToken(c.RawLevel))
		b.WriteByte(':')
		b.WriteString(safeToken(string(c.Outcome())))
	}
	fmt.Fprintf(&b, "] emails=%d phones=%d wallets=%d%s}", len(u.Emails), len(u.Phones), len(u.Wallets), extraCount(u.Extra))
	return b.String()
}

// GoString prints the same as String.
func (u User) GoString() string { return u.String() }

// Format makes every fmt verb print String.
func (u User) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(u.String())) }

// LogValue implements slog.LogValuer with ids, levels and statuses only.
func (u User) LogValue() slog.Value {
	// One "[id ]level:outcome" string per case: handlers render a string
	// slice well, unlike a slice of group values.
	cases := make([]string, 0, len(u.VerificationCases))
	for i := range u.VerificationCases {
		c := &u.VerificationCases[i]
		s := safeToken(c.RawLevel) + ":" + safeToken(string(c.Outcome()))
		if c.ID != "" {
			s = safeToken(c.ID) + " " + s
		}
		cases = append(cases, s)
	}
	return slog.GroupValue(
		slog.String("uid", u.UID),
		slog.Any("verification_cases", cases),
		slog.Int("emails", len(u.Emails)),
		slog.Int("phones", len(u.Phones)),
		slog.Int("wallets", len(u.Wallets)),
		slog.Int("extra", len(u.Extra)),
	)
}

// safeToken keeps level and status strings printable and short, since
// they come from the network.
func safeToken(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' || r == '\\' || r > 0x7e }) {
		return strconv.QuoteToASCII(s)
	}
	return s
}

// EmailSourceType says where an email address came from. Unknown values are kept.
type EmailSourceType string

// Email source types.
const (
	// EmailRegistration is the verified address the user logs in with.
	EmailRegistration EmailSourceType = "registration"
	// EmailJourney is an unverified address collected during the journey.
	EmailJourney EmailSourceType = "journey"
	// EmailObsolete is a verified login address the user no longer uses.
	EmailObsolete EmailSourceType = "obsolete"
)

// Email is one of the user's email addresses. It prints without the
// address and without its Extra keys.
type Email struct {
	Address    string          `json:"address,omitempty"`
	SourceType EmailSourceType `json:"source_type,omitempty"`
	// Extra holds the keys this package does not model, as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`

	keys keyState
}

const (
	emailAddress = iota
	emailSourceType
)

var emailType = reflect.TypeFor[Email]()

// UnmarshalJSON decodes an email object, keeping unknown keys in Extra.
func (e *Email) UnmarshalJSON(b []byte) error { return unmarshalAt(b, e.decodeAt) }

func (e *Email) decodeAt(b []byte, i int) (int, error) {
	*e = Email{}
	s, isNull, err := openObjectAt(b, i, &e.keys, emailType, "emails")
	if err != nil || isNull {
		return s.i, err
	}
	for {
		key, ok, err := s.nextKey()
		if err != nil || !ok {
			return s.i, err
		}
		switch string(key) {
		case "address":
			err = s.stringField(&e.keys, emailAddress, &e.Address, "emails.address")
		case "source_type":
			err = s.stringField(&e.keys, emailSourceType, (*string)(&e.SourceType), "emails.source_type")
		default:
			err = s.extra(&e.Extra, key)
		}
		if err != nil {
			return 0, err
		}
	}
}

// MarshalJSON writes the address, the source type and the Extra keys. An
// Email decoded from null (an element sent as null) and left empty is
// written as null.
func (e Email) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(&e.keys)
	w.str(emailAddress, "address", e.Address)
	w.str(emailSourceType, "source_type", string(e.SourceType))
	w.extra(e.Extra)
	return w.finish()
}

// String prints the source type only.
func (e Email) String() string {
	return "fractalid.Email{source_type=" + safeToken(string(e.SourceType)) + extraCount(e.Extra) + "}"
}

// GoString prints the same as String.
func (e Email) GoString() string { return e.String() }

// Format makes every fmt verb print String.
func (e Email) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// LogValue implements slog.LogValuer without the address.
func (e Email) LogValue() slog.Value {
	return slog.GroupValue(slog.String("source_type", string(e.SourceType)), slog.Int("extra", len(e.Extra)))
}

// extraCount prints how many Extra keys there are, when there are any:
// never the keys or values, which come from the network.
func extraCount(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	return " extra=" + strconv.Itoa(len(m))
}

// Phone is one of the user's phone numbers (E.164). It prints without the
// number and without its Extra keys.
type Phone struct {
	Number string `json:"number,omitempty"`
	// Extra holds the keys this package does not model, as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`

	keys keyState
}

const phoneNumber = 0

var phoneType = reflect.TypeFor[Phone]()

// UnmarshalJSON decodes a phone object, keeping unknown keys in Extra.
func (p *Phone) UnmarshalJSON(b []byte) error { return unmarshalAt(b, p.decodeAt) }

func (p *Phone) decodeAt(b []byte, i int) (int, error) {
	*p = Phone{}
	s, isNull, err := openObjectAt(b, i, &p.keys, phoneType, "phones")
	if err != nil || isNull {
		return s.i, err
	}
	for {
		key, ok, err := s.nextKey()
		if err != nil || !ok {
			return s.i, err
		}
		if string(key) == "number" {
			err = s.stringField(&p.keys, phoneNumber, &p.Number, "phones.number")
		} else {
			err = s.extra(&p.Extra, key)
		}
		if err != nil {
			return 0, err
		}
	}
}

// MarshalJSON writes the number and the Extra keys. A Phone decoded from
// null (an element sent as null) and left empty is written as null.
func (p Phone) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(&p.keys)
	w.str(phoneNumber, "number", p.Number)
	w.extra(p.Extra)
	return w.finish()
}

// String prints no personal data.
func (p Phone) String() string {
	return "fractalid.Phone{" + strings.TrimPrefix(extraCount(p.Extra), " ") + "}"
}

// GoString prints the same as String.
func (p Phone) GoString() string { return p.String() }

// Format makes every fmt verb print String.
func (p Phone) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.String())) }

// LogValue implements slog.LogValuer without the number.
func (p Phone) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("present", p.Number != ""), slog.Int("extra", len(p.Extra)))
}

// Currency is a wallet currency. Unknown values are kept.
type Currency string

// Wallet currencies.
const (
	CurrencyADA       Currency = "ada"
	CurrencyALGO      Currency = "algo"
	CurrencyBTC       Currency = "btc"
	CurrencyETH       Currency = "eth" // any EVM address collected with wallet-eth
	CurrencyKAR       Currency = "kar"
	CurrencySOL       Currency = "sol"
	CurrencySubstrate Currency = "substrate"
	CurrencySUI       Currency = "sui"
	CurrencyXRP       Currency = "xrp"
)

// Wallet is a wallet the user shared with the application. It prints its
// id, currency and verified flag, never the address or its Extra keys.
type Wallet struct {
	ID       string   `json:"id,omitempty"`
	Address  string   `json:"address,omitempty"`
	Currency Currency `json:"currency,omitempty"`
	// Verified is whether Fractal confirmed ownership: nil when the reply
	// did not say (the v2 example leaves it out), else true or false. Use
	// IsVerified for a plain boolean.
	Verified *bool `json:"verified,omitempty"`
	// Extra holds the keys this package does not model (old replies carried
	// created_at and updated_at), as raw JSON.
	Extra map[string]json.RawMessage `json:"-"`

	keys keyState
}

const (
	walletID = iota
	walletAddress
	walletCurrency
	walletVerified
)

var walletType = reflect.TypeFor[Wallet]()

// IsVerified reports whether the reply said the wallet is verified (false
// when it said false or did not say).
func (w *Wallet) IsVerified() bool { return w.Verified != nil && *w.Verified }

// UnmarshalJSON decodes a wallet object, keeping unknown keys in Extra.
func (w *Wallet) UnmarshalJSON(b []byte) error { return unmarshalAt(b, w.decodeAt) }

func (w *Wallet) decodeAt(b []byte, i int) (int, error) {
	*w = Wallet{}
	s, isNull, err := openObjectAt(b, i, &w.keys, walletType, "wallets")
	if err != nil || isNull {
		return s.i, err
	}
	for {
		key, ok, err := s.nextKey()
		if err != nil || !ok {
			return s.i, err
		}
		switch string(key) {
		case "id":
			err = s.stringField(&w.keys, walletID, &w.ID, "wallets.id")
		case "address":
			err = s.stringField(&w.keys, walletAddress, &w.Address, "wallets.address")
		case "currency":
			err = s.stringField(&w.keys, walletCurrency, (*string)(&w.Currency), "wallets.currency")
		case "verified":
			err = s.boolField(&w.keys, walletVerified, &w.Verified, "wallets.verified")
		default:
			err = s.extra(&w.Extra, key)
		}
		if err != nil {
			return 0, err
		}
	}
}

// MarshalJSON writes the modelled keys and the Extra keys. A Wallet
// decoded from null (an element sent as null) and left empty is written as
// null.
func (w Wallet) MarshalJSON() ([]byte, error) {
	o := newObjectWriter(&w.keys)
	o.str(walletID, "id", w.ID)
	o.str(walletAddress, "address", w.Address)
	o.str(walletCurrency, "currency", string(w.Currency))
	o.boolPtr(walletVerified, "verified", w.Verified)
	o.extra(w.Extra)
	return o.finish()
}

// optBool prints a boolean that may be absent: true, false or unset.
func optBool(b *bool) string {
	if b == nil {
		return "unset"
	}
	return strconv.FormatBool(*b)
}

// String prints the id, currency and verified flag (true, false or unset).
func (w Wallet) String() string {
	return fmt.Sprintf("fractalid.Wallet{id=%s currency=%s verified=%s%s}", safeToken(w.ID), safeToken(string(w.Currency)), optBool(w.Verified), extraCount(w.Extra))
}

// GoString prints the same as String.
func (w Wallet) GoString() string { return w.String() }

// Format makes every fmt verb print String.
func (w Wallet) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

// LogValue implements slog.LogValuer without the address.
func (w Wallet) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", w.ID), slog.String("currency", string(w.Currency)),
		slog.String("verified", optBool(w.Verified)), slog.Int("extra", len(w.Extra)))
}

// Status is the status or credential of a verification case. Unknown
// values are kept.
type Status string

// Case statuses. The field table documents status as pending, contacted
// or done with the outcome in credential (pending, approved, rejected);
// the v2 examples put approved or pending in status and omit credential.
const (
	StatusPending   Status = "pending"
	StatusContacted Status = "contacted"
	StatusDone      Status = "done"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusExpired   Status = "expired"
)

// VerificationCase is the verification of one level or add-on (or one
// combined level string).
type VerificationCase struct {
	// ID identifies the case (absent from the v2 examples).
	ID string `json:"id,omitempty"`
	// RawLevel is the level string as sent, such as "plus" or
	// "basic+liveness+wallet-eth". Level parses it.
	RawLevel string `json:"level,omitempty"`
	// Status is the process state (pending, contacted, done) or, in the
	// v2 examples, the outcome. Use Outcome.
	Status Status `json:"status,omitempty"`
	// Credential is the outcome (pending, approved, rejected), when sent.
	Credential Status `json:"credential,omitempty"`
	// JourneyCompleted is the journey_completed flag: nil when the reply
	// did not carry it (the v2 examples leave it out, and whether the
	// server still sends it is an open question), else true once the user
	// finished every step the scopes require, false until then. Use
	// IsJourneyCompleted for a plain boolean.
	JourneyCompleted *bool `json:"journey_completed,omitempty"`
	// Details holds the data the user submitted (.details scopes), or nil.
	Details *Details `json:"details,omitempty"`
	// Report is the deprecated Coinfirm AML report of the wallet add-on, or nil.
	//
	// Deprecated: Fractal only returns reports stored earlier.
	Report *Report `json:"report,omitempty"`
	// Extra holds the keys of the case this package does not model, as raw
	// JSON. MarshalJSON writes them back.
	Extra map[string]json.RawMessage `json:"-"`

	keys keyState
}

const (
	caseID = iota
	caseLevel
	caseStatus
	caseCredential
	caseJourney
	caseDetails
	caseReport
)

var caseType = reflect.TypeFor[VerificationCase]()

// IsJourneyCompleted reports whether the reply said the journey is
// completed (false when it said false or did not say; tell the two apart
// with JourneyCompleted == nil).
func (c *VerificationCase) IsJourneyCompleted() bool {
	return c.JourneyCompleted != nil && *c.JourneyCompleted
}

// UnmarshalJSON decodes a case in one pass, keeping unknown keys in Extra.
// A modelled key whose value has the wrong type is an error.
func (c *VerificationCase) UnmarshalJSON(b []byte) error { return unmarshalAt(b, c.decodeAt) }

func (c *VerificationCase) decodeAt(b []byte, i int) (int, error) {
	*c = VerificationCase{}
	s, isNull, err := openObjectAt(b, i, &c.keys, caseType, "verification_cases")
	if err != nil || isNull {
		return s.i, err
	}
	for {
		key, ok, err := s.nextKey()
		if err != nil || !ok {
			return s.i, err
		}
		switch string(key) {
		case "id":
			err = s.stringField(&c.keys, caseID, &c.ID, "verification_cases.id")
		case "level":
			err = s.stringField(&c.keys, caseLevel, &c.RawLevel, "verification_cases.level")
		case "status":
			err = s.stringField(&c.keys, caseStatus, (*string)(&c.Status), "verification_cases.status")
		case "credential":
			err = s.stringField(&c.keys, caseCredential, (*string)(&c.Credential), "verification_cases.credential")
		case "journey_completed":
			err = s.boolField(&c.keys, caseJourney, &c.JourneyCompleted, "verification_cases.journey_completed")
		case "details":
			c.Details = nil
			if s.peekNull() {
				c.keys.setNull(caseDetails)
				break
			}
			d := new(Details)
			end, derr := d.decodeAt(b, s.i)
			if err = derr; err == nil {
				s.at(end)
				c.Details = d
				c.keys.setPresent(caseDetails)
			}
		case "report":
			c.Report = nil
			if s.peekNull() {
				c.keys.setNull(caseReport)
				break
			}
			var val []byte
			if val, err = s.value(); err == nil {
				r := new(Report)
				if err = r.UnmarshalJSON(val); err == nil {
					c.Report = r
					c.keys.setPresent(caseReport)
				}
			}
		default:
			err = s.extra(&c.Extra, key)
		}
		if err != nil {
			return 0, err
		}
	}
}

// MarshalJSON writes the modelled keys (those set, and those the decoded
// body carried even when empty or null) and the Extra keys. A case decoded
// from null (an element sent as null) and left empty is written as null.
func (c VerificationCase) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(&c.keys)
	w.str(caseID, "id", c.ID)
	w.str(caseLevel, "level", c.RawLevel)
	w.str(caseStatus, "status", string(c.Status))
	w.str(caseCredential, "credential", string(c.Credential))
	w.boolPtr(caseJourney, "journey_completed", c.JourneyCompleted)
	w.value(caseDetails, "details", c.Details == nil, c.Details)
	w.value(caseReport, "report", c.Report == nil, c.Report)
	w.extra(c.Extra)
	return w.finish()
}

// Level parses RawLevel.
func (c *VerificationCase) Level() Level { return ParseLevel(c.RawLevel) }

// Outcome is the case's decision: Credential when present, else Status
// when it holds an outcome (approved, rejected, expired), StatusPending
// while pending or contacted, and "" when status is done without a
// credential or unknown.
func (c *VerificationCase) Outcome() Status {
	if c.Credential != "" {
		return c.Credential
	}
	switch c.Status {
	case StatusApproved, StatusRejected, StatusExpired:
		return c.Status
	case StatusPending, StatusContacted:
		return StatusPending
	}
	return ""
}

// Approved reports whether the case's outcome is approved.
func (c *VerificationCase) Approved() bool { return c.Outcome() == StatusApproved }

// String prints the id, level, status, credential, outcome, the
// journey_completed flag (true, false or unset) and counts: no personal
// data.
func (c VerificationCase) String() string {
	nd := 0
	if c.Details != nil {
		nd = c.Details.Len()
	}
	return fmt.Sprintf("fractalid.VerificationCase{id=%s level=%s status=%s credential=%s outcome=%s journey_completed=%s details=%d%s}",
		safeToken(c.ID), safeToken(c.RawLevel), safeToken(string(c.Status)), safeToken(string(c.Credential)),
		safeToken(string(c.Outcome())), optBool(c.JourneyCompleted), nd, extraCount(c.Extra))
}

// GoString prints the same as String.
func (c VerificationCase) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c VerificationCase) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue implements slog.LogValuer with ids, levels and statuses only.
func (c VerificationCase) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID),
		slog.String("level", c.RawLevel),
		slog.String("status", string(c.Status)),
		slog.String("credential", string(c.Credential)),
		slog.String("outcome", string(c.Outcome())),
		slog.String("journey_completed", optBool(c.JourneyCompleted)),
		slog.Bool("details", c.Details != nil),
		slog.Int("extra", len(c.Extra)),
	)
}

// sameItems reports whether a and b hold the same items, in any order.
func sameItems(a, b Level) bool {
	return len(a) > 0 && a.Covers(b) && b.Covers(a)
}

// CaseFor returns the newest case whose level has exactly the items of
// level (in any order), or nil. The API sends no timestamps: the last
// matching case in the reply's order is taken as the newest.
func (u *User) CaseFor(level Level) *VerificationCase {
	if u == nil || len(level) == 0 {
		return nil
	}
	for i := len(u.VerificationCases) - 1; i >= 0; i-- {
		c := &u.VerificationCases[i]
		if sameItems(c.Level(), level) {
			return c
		}
	}
	return nil
}

// NewestCases returns the newest case of each distinct level (levels with
// the same items in another order count as one), in the order the levels
// first appear. The last case of a level in the reply is the newest.
func (u *User) NewestCases() []*VerificationCase {
	if u == nil {
		return nil
	}
	var out []*VerificationCase
	var levels []Level
outer:
	for i := range u.VerificationCases {
		c := &u.VerificationCases[i]
		l := c.Level()
		for j, seen := range levels {
			if sameItems(seen, l) || (len(seen) == 0 && len(l) == 0) {
				out[j] = c
				continue outer
			}
		}
		levels = append(levels, l)
		out = append(out, c)
	}
	return out
}

// IsApproved reports whether the user is approved for every item (level
// and add-on) of every given level: each item must appear in the level of
// an approved case among NewestCases. With the per-item cases the prose
// documents and the combined cases the examples show, both
// IsApproved(ParseLevel("basic+liveness")) and
// IsApproved(ParseLevel("basic"), ParseLevel("liveness")) work. No level,
// or an empty one, is never approved. A level does not imply another
// (plus does not approve basic).
func (u *User) IsApproved(levels ...Level) bool {
	if u == nil || len(levels) == 0 {
		return false
	}
	newest := u.NewestCases()
	for _, want := range levels {
		if len(want) == 0 {
			return false
		}
		for _, item := range want {
			ok := false
			for _, c := range newest {
				if c.Approved() && c.Level().Has(item) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}
