package fractalid

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// User is the reply of GET /v2/users/me. Which fields are present depends
// on the scopes the token was granted.
//
// User holds personal data: String, GoString, Format and LogValue print the
// uid, counts, levels and statuses only. Marshal it with encoding/json to
// get the data.
type User struct {
	// UID is the anonymised unique user ID (uid:read). Webhooks call it user_id.
	UID string `json:"uid,omitempty"`
	// Emails holds at most one address (contact:read).
	Emails []Email `json:"emails,omitempty"`
	// Phones holds at most one number (contact:read). The documentation's
	// example spells the key "phones:"; both spellings are decoded.
	Phones []Phone `json:"phones,omitempty"`
	// VerificationCases has one case per requested level or add-on (or per
	// combined level string; the documentation shows both).
	VerificationCases []VerificationCase `json:"verification_cases,omitempty"`
	// Wallets lists the wallets the user shared with the application.
	Wallets []Wallet `json:"wallets,omitempty"`
}

// userFields is User without its methods, for decoding.
type userFields User

// userWire decodes a user in one pass: User's fields plus the
// documentation's misspelt "phones:" key.
type userWire struct {
	*userFields
	PhonesColon []Phone `json:"phones:"`
}

func newUserWire(u *User) *userWire { return &userWire{userFields: (*userFields)(u)} }

// finish moves "phones:" into Phones when "phones" was absent.
func (w *userWire) finish() {
	if w.Phones == nil && w.PhonesColon != nil {
		w.Phones = w.PhonesColon
	}
}

// UnmarshalJSON decodes a user, accepting the documentation's misspelt
// "phones:" key as "phones".
func (u *User) UnmarshalJSON(b []byte) error {
	*u = User{}
	w := newUserWire(u)
	if err := json.Unmarshal(b, w); err != nil {
		return err
	}
	w.finish()
	return nil
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
	fmt.Fprintf(&b, "] emails=%d phones=%d wallets=%d}", len(u.Emails), len(u.Phones), len(u.Wallets))
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

// Email is one of the user's email addresses. It prints without the address.
type Email struct {
	Address    string          `json:"address,omitempty"`
	SourceType EmailSourceType `json:"source_type,omitempty"`
}

// String prints the source type only.
func (e Email) String() string {
	return "fractalid.Email{source_type=" + safeToken(string(e.SourceType)) + "}"
}

// Format makes every fmt verb print String.
func (e Email) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// LogValue implements slog.LogValuer without the address.
func (e Email) LogValue() slog.Value {
	return slog.GroupValue(slog.String("source_type", string(e.SourceType)))
}

// Phone is one of the user's phone numbers (E.164). It prints without the number.
type Phone struct {
	Number string `json:"number,omitempty"`
}

// String prints no personal data.
func (p Phone) String() string { return "fractalid.Phone{}" }

// Format makes every fmt verb print String.
func (p Phone) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.String())) }

// LogValue implements slog.LogValuer without the number.
func (p Phone) LogValue() slog.Value { return slog.GroupValue(slog.Bool("present", p.Number != "")) }

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
// id, currency and verified flag, never the address.
type Wallet struct {
	ID       string   `json:"id,omitempty"`
	Address  string   `json:"address,omitempty"`
	Currency Currency `json:"currency,omitempty"`
	// Verified is true when Fractal confirmed ownership (false when absent).
	Verified bool `json:"verified,omitempty"`
}

// String prints the id, currency and verified flag.
func (w Wallet) String() string {
	return fmt.Sprintf("fractalid.Wallet{id=%s currency=%s verified=%t}", safeToken(w.ID), safeToken(string(w.Currency)), w.Verified)
}

// Format makes every fmt verb print String.
func (w Wallet) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(w.String())) }

// LogValue implements slog.LogValuer without the address.
func (w Wallet) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", w.ID), slog.String("currency", string(w.Currency)), slog.Bool("verified", w.Verified))
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
	// JourneyCompleted is true once the user finished every step the
	// scopes require (false when absent).
	JourneyCompleted bool `json:"journey_completed,omitempty"`
	// Details holds the data the user submitted (.details scopes), or nil.
	Details *Details `json:"details,omitempty"`
	// Report is the deprecated Coinfirm AML report of the wallet add-on, or nil.
	//
	// Deprecated: Fractal only returns reports stored earlier.
	Report *Report `json:"report,omitempty"`
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

// String prints the id, level, status, credential and outcome: no personal data.
func (c VerificationCase) String() string {
	nd := 0
	if c.Details != nil {
		nd = c.Details.Len()
	}
	return fmt.Sprintf("fractalid.VerificationCase{id=%s level=%s status=%s credential=%s outcome=%s journey_completed=%t details=%d}",
		safeToken(c.ID), safeToken(c.RawLevel), safeToken(string(c.Status)), safeToken(string(c.Credential)),
		safeToken(string(c.Outcome())), c.JourneyCompleted, nd)
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
		slog.Bool("journey_completed", c.JourneyCompleted),
		slog.Bool("details", c.Details != nil),
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
