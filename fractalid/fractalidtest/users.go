package fractalidtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/kycgo/kyc/fractalid"
)

// Email is one of a user's email addresses.
type Email struct {
	// Address is the email address.
	Address string
	// SourceType is "registration" (the default), "journey" or "obsolete".
	SourceType string
}

// Phone is a user's phone number.
type Phone struct {
	// Number is in E.164 format, for example "+4400000000000".
	Number string
}

// Wallet is a wallet address a user shared.
type Wallet struct {
	// ID is the wallet id; a UUID is generated when empty.
	ID string
	// Address is the wallet address.
	Address string
	// Currency is ada, algo, btc, eth, kar, sol, substrate, sui or xrp. A
	// wallet appears in GET /v2/users/me when the token has the
	// verification scope of the matching wallet add-on (wallet-<currency>;
	// the deprecated "wallet" add-on shows eth wallets).
	Currency string
	// Verified reports whether ownership was confirmed.
	Verified bool
}

// User is a Fractal ID user of the fake. It holds personal data: its
// String, GoString and LogValue print the id only.
type User struct {
	// ID is the user's uid; a UUID is generated when empty.
	ID string
	// Emails holds at most one entry in the real service.
	Emails []Email
	// Phones holds at most one entry in the real service.
	Phones []Phone
	// Wallets are the wallets the user shares with applications.
	Wallets []Wallet
	// Country is the country the statistics group the user under
	// (GET /v2/stats/country-verifications). When empty, the
	// residential_address_country, then the identification_document_country
	// of Details is used; a user with none is left out of that endpoint.
	Country string
	// Details is the data the user submitted, keyed as in the reference
	// (full_name, date_of_birth, residential_address, liveness, sow_type,
	// ...). Each verification case shows the keys that belong to its level
	// or add-ons (the reference's details table); unknown keys appear in
	// every case. A case can override them with CaseDetails.
	Details map[string]any
	// RefusedScopes are scopes the user declines on the consent page: they
	// are left out of the granted scopes, as the reference warns can happen.
	RefusedScopes []fractalid.Scope
}

// String returns the user id only.
func (u User) String() string { return "fractalidtest.User{ID: " + u.ID + "}" }

// GoString is String, so that %#v does not print personal data.
func (u User) GoString() string { return u.String() }

// LogValue logs the user id only.
func (u User) LogValue() slog.Value { return slog.GroupValue(slog.String("id", u.ID)) }

func (u User) clone() User {
	u.Emails = slices.Clone(u.Emails)
	u.Phones = slices.Clone(u.Phones)
	u.Wallets = slices.Clone(u.Wallets)
	u.Details = cloneMap(u.Details)
	u.RefusedScopes = slices.Clone(u.RefusedScopes)
	return u
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}

// State is the scripted state of a verification case.
type State string

// States of a verification case. In the field-table shape they map to
// status/credential as pending/pending, contacted/pending, done/approved,
// done/rejected and done/expired; in the example shape status is the state.
// The statistics endpoints report the state itself.
const (
	// Pending: the user submitted data and Fractal has to act.
	Pending State = "pending"
	// Contacted: Fractal asked the user for more information.
	Contacted State = "contacted"
	// Approved: the user meets the requirements of the level.
	Approved State = "approved"
	// Rejected: the user cannot meet them.
	Rejected State = "rejected"
	// Expired: a proof of address or identity expired.
	Expired State = "expired"
)

func (st State) valid() bool {
	switch st {
	case Pending, Contacted, Approved, Rejected, Expired:
		return true
	}
	return false
}

// CaseOption changes a verification case set with SetCase.
type CaseOption func(*caseRecord) error

// JourneyIncomplete marks the case's journey as not completed
// (journey_completed false): the user has not finished every step yet.
func JourneyIncomplete() CaseOption {
	return func(c *caseRecord) error { c.journeyCompleted = false; return nil }
}

// CaseDetails sets the case's details object instead of deriving it from
// User.Details. A nil map gives "details": null.
func CaseDetails(details map[string]any) CaseOption {
	return func(c *caseRecord) error {
		if _, err := json.Marshal(details); err != nil {
			return fmt.Errorf("fractalidtest: CaseDetails: %w", err)
		}
		c.details = cloneMap(details)
		c.detailsSet = true
		return nil
	}
}

// CaseReport sets the case's deprecated "report" object (raw JSON).
func CaseReport(report json.RawMessage) CaseOption {
	return func(c *caseRecord) error {
		if !json.Valid(report) {
			return errors.New("fractalidtest: CaseReport: invalid JSON")
		}
		c.report = slices.Clone(report)
		return nil
	}
}

type caseRecord struct {
	id               string
	level            fractalid.Level
	state            State
	journeyCompleted bool
	details          map[string]any
	detailsSet       bool
	report           json.RawMessage
}

type userRecord struct {
	user  User
	cases []*caseRecord
}

// FakeUser is a handle on a user of a Server, to change its state later.
type FakeUser struct {
	s  *Server
	id string
}

// ID returns the user's uid.
func (u *FakeUser) ID() string { return u.id }

// String returns the user id only.
func (u *FakeUser) String() string { return "fractalidtest.FakeUser{ID: " + u.id + "}" }

// SetCase sets the state of the user's verification case for level (see
// Server.SetCase).
func (u *FakeUser) SetCase(level string, state State, opts ...CaseOption) error {
	return u.s.SetCase(u.id, level, state, opts...)
}

// Update changes the user's data under the server's lock. fn must not
// change the ID and must not call the server.
func (u *FakeUser) Update(fn func(*User)) error { return u.s.UpdateUser(u.id, fn) }

// User returns a copy of the user's data.
func (u *FakeUser) User() User {
	usr, _ := u.s.User(u.id)
	return usr
}

// AddUser adds a user and returns a handle on it. A missing ID is generated
// (a UUID); wallets without an ID get one. Adding an ID twice replaces the
// user's data and keeps its cases.
func (s *Server) AddUser(u User) *FakeUser {
	u = u.clone()
	if u.ID == "" {
		u.ID = newUUID()
	}
	for i := range u.Wallets {
		if u.Wallets[i].ID == "" {
			u.Wallets[i].ID = newUUID()
		}
	}
	for i := range u.Emails {
		if u.Emails[i].SourceType == "" {
			u.Emails[i].SourceType = "registration"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.users[u.ID]; ok {
		r.user = u
	} else {
		s.users[u.ID] = &userRecord{user: u}
		s.order = append(s.order, u.ID)
	}
	return &FakeUser{s: s, id: u.ID}
}

// User returns a copy of a user's data.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return r.user.clone(), true
}

// Users returns the handles of all users, in the order they were added.
func (s *Server) Users() []*FakeUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*FakeUser, len(s.order))
	for i, id := range s.order {
		out[i] = &FakeUser{s: s, id: id}
	}
	return out
}

// UpdateUser changes a user's data under the server's lock. fn must not
// change the ID and must not call the server.
func (s *Server) UpdateUser(id string, fn func(*User)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return fmt.Errorf("fractalidtest: no user %s", id)
	}
	u := r.user.clone()
	fn(&u)
	if u.ID != id {
		return errors.New("fractalidtest: UpdateUser: the ID cannot change")
	}
	for i := range u.Wallets {
		if u.Wallets[i].ID == "" {
			u.Wallets[i].ID = newUUID()
		}
	}
	r.user = u
	return nil
}

// SetCase creates or changes the user's verification case for level, a
// level or add-on ("basic", "liveness") or a combined level string
// ("plus+selfie"). Calling it again for the same level changes the state
// and keeps the case id. A new case has journey_completed true unless
// JourneyIncomplete is given.
func (s *Server) SetCase(userID, level string, state State, opts ...CaseOption) error {
	lv := fractalid.ParseLevel(level)
	if len(lv) == 0 {
		return errors.New("fractalidtest: SetCase: empty level")
	}
	if !state.valid() {
		return fmt.Errorf("fractalidtest: SetCase: unknown state %q", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[userID]
	if !ok {
		return fmt.Errorf("fractalidtest: SetCase: no user %s", userID)
	}
	c := r.caseFor(lv)
	nc := &caseRecord{id: newUUID(), level: lv, journeyCompleted: true}
	if c != nil {
		cp := *c
		nc = &cp
	}
	nc.state = state
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(nc); err != nil {
			return err
		}
	}
	if c != nil {
		*c = *nc
	} else {
		r.cases = append(r.cases, nc)
	}
	return nil
}

// caseFor returns the case whose level is exactly lv.
func (r *userRecord) caseFor(lv fractalid.Level) *caseRecord {
	key := lv.String()
	for _, c := range r.cases {
		if c.level.String() == key {
			return c
		}
	}
	return nil
}

// covered reports whether some case includes item.
func (r *userRecord) covered(item fractalid.Item) bool {
	for _, c := range r.cases {
		if c.level.Has(item) {
			return true
		}
	}
	return false
}

// country is where the statistics group the user.
func (u *User) country() string {
	if u.Country != "" {
		return u.Country
	}
	for _, k := range []string{"residential_address_country", "identification_document_country"} {
		if v, ok := u.Details[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// detailsItems returns the levels and add-ons whose details include key,
// following the reference's details table, or nil for an unknown key.
func detailsItems(key string) []fractalid.Item {
	const (
		basic, plus, selfie = fractalid.LevelBasic, fractalid.LevelPlus, fractalid.AddOnSelfie
	)
	switch key {
	case "date_of_birth", "full_name", "identification_document_country", "identification_document_number",
		"identification_document_date_of_issue", "identification_document_date_of_expiry":
		return []fractalid.Item{plus, basic}
	case "identification_document_back_file", "identification_document_front_file":
		return []fractalid.Item{selfie, basic}
	case "identification_document_type", "place_of_birth":
		return []fractalid.Item{plus}
	case "identification_document_selfie_file":
		return []fractalid.Item{selfie}
	case "social_security_number":
		return []fractalid.Item{fractalid.AddOnSSN}
	case "articles_of_association_file", "beneficial_owner", "certificate_of_corporate_status_file",
		"certificate_of_good_standing_file", "certificate_of_incorporation_file", "commercial_register_entry_file",
		"commercial_register", "company_name", "company_seat", "jurisdiction", "legal_form", "managing_directors",
		"owner_identity_proof_file", "power_of_attorney_file", "secretary_certificate_file", "shareholders_list_file",
		"transparency_register_entry_file", "unique_identification_number":
		return []fractalid.Item{plus}
	}
	switch {
	case key == "liveness" || strings.HasPrefix(key, "liveness_"):
		return []fractalid.Item{fractalid.AddOnLiveness}
	case strings.HasPrefix(key, "residential_address"):
		return []fractalid.Item{plus}
	case strings.HasPrefix(key, "sow_"):
		return []fractalid.Item{fractalid.AddOnSOW}
	}
	return nil
}
