package fractalid

import (
	"strings"
)

// Scope is an OAuth scope string. Unknown scopes (legacy ones included)
// are valid values: the SDK never rejects a scope it does not know.
type Scope string

// User basic scopes.
const (
	// ScopeUID grants the anonymised user identifier (uid). It is the default scope.
	ScopeUID Scope = "uid:read"
	// ScopeContact grants the user's email address or phone number.
	ScopeContact Scope = "contact:read"
	// ScopeClientStats grants the statistics API (client-credentials flow only).
	ScopeClientStats Scope = "client.stats:read"
)

// Level scopes.
const (
	ScopeUniqueness        Scope = "verification.uniqueness:read"
	ScopeUniquenessDetails Scope = "verification.uniqueness.details:read"
	ScopeBasic             Scope = "verification.basic:read"
	ScopeBasicDetails      Scope = "verification.basic.details:read"
	ScopePlus              Scope = "verification.plus:read"
	ScopePlusDetails       Scope = "verification.plus.details:read"
)

// Add-on scopes.
const (
	ScopeLiveness               Scope = "verification.liveness:read"
	ScopeLivenessDetails        Scope = "verification.liveness.details:read"
	ScopeSelfie                 Scope = "verification.selfie:read"
	ScopeSelfieDetails          Scope = "verification.selfie.details:read"
	ScopeSOW                    Scope = "verification.sow:read"
	ScopeSOWDetails             Scope = "verification.sow.details:read"
	ScopeSSN                    Scope = "verification.ssn:read"
	ScopeSSNDetails             Scope = "verification.ssn.details:read"
	ScopeTelegram               Scope = "verification.telegram:read"
	ScopeTelegramDetails        Scope = "verification.telegram.details:read"
	ScopeTwitter                Scope = "verification.twitter:read"
	ScopeTwitterDetails         Scope = "verification.twitter.details:read"
	ScopeUniq                   Scope = "verification.uniq:read"
	ScopeUniqDetails            Scope = "verification.uniq.details:read"
	ScopeIDOS                   Scope = "verification.idos:read"
	ScopeIDOSDetails            Scope = "verification.idos.details:read"
	ScopeWallet                 Scope = "verification.wallet:read"         // Deprecated: use a wallet-<chain> add-on.
	ScopeWalletDetails          Scope = "verification.wallet.details:read" // Deprecated: use a wallet-<chain> add-on.
	ScopeWalletADA              Scope = "verification.wallet-ada:read"
	ScopeWalletADADetails       Scope = "verification.wallet-ada.details:read"
	ScopeWalletALGO             Scope = "verification.wallet-algo:read"
	ScopeWalletALGODetails      Scope = "verification.wallet-algo.details:read"
	ScopeWalletBTC              Scope = "verification.wallet-btc:read"
	ScopeWalletBTCDetails       Scope = "verification.wallet-btc.details:read"
	ScopeWalletETH              Scope = "verification.wallet-eth:read"
	ScopeWalletETHDetails       Scope = "verification.wallet-eth.details:read"
	ScopeWalletKAR              Scope = "verification.wallet-kar:read"
	ScopeWalletKARDetails       Scope = "verification.wallet-kar.details:read"
	ScopeWalletSOL              Scope = "verification.wallet-sol:read"
	ScopeWalletSOLDetails       Scope = "verification.wallet-sol.details:read"
	ScopeWalletSubstrate        Scope = "verification.wallet-substrate:read"
	ScopeWalletSubstrateDetails Scope = "verification.wallet-substrate.details:read"
)

// AllScopes lists the 41 current scope strings of the documentation.
func AllScopes() []Scope {
	out := []Scope{ScopeUID, ScopeContact}
	for _, l := range Levels() {
		out = append(out, l.Scope(), l.DetailsScope())
	}
	for _, a := range AddOns() {
		out = append(out, a.Scope(), a.DetailsScope())
	}
	return append(out, ScopeClientStats)
}

// Item is one part of a level string: a KYC level or an add-on. Unknown
// values (legacy "v1", "light", future add-ons) are kept as they are.
type Item string

// KYC levels.
const (
	// LevelUniqueness checks liveness and uniqueness.
	LevelUniqueness Item = "uniqueness"
	// LevelBasic checks an ID document, liveness, age of majority, PEP and sanctions.
	LevelBasic Item = "basic"
	// LevelPlus is basic plus proof of residency and a high-risk-country screen.
	LevelPlus Item = "plus"
	// LevelV1 is a legacy level name still found in old data.
	LevelV1 Item = "v1"
	// LevelLight is a legacy level name still found in old data.
	LevelLight Item = "light"
)

// Add-ons.
const (
	AddOnLiveness        Item = "liveness"
	AddOnSelfie          Item = "selfie"
	AddOnSOW             Item = "sow"
	AddOnSSN             Item = "ssn"
	AddOnTelegram        Item = "telegram"
	AddOnTwitter         Item = "twitter"
	AddOnUniq            Item = "uniq"
	AddOnIDOS            Item = "idos"
	AddOnWallet          Item = "wallet" // Deprecated: use a wallet-<chain> add-on.
	AddOnWalletADA       Item = "wallet-ada"
	AddOnWalletALGO      Item = "wallet-algo"
	AddOnWalletBTC       Item = "wallet-btc"
	AddOnWalletETH       Item = "wallet-eth"
	AddOnWalletKAR       Item = "wallet-kar"
	AddOnWalletSOL       Item = "wallet-sol"
	AddOnWalletSubstrate Item = "wallet-substrate"
	// AddOnVideo is a former add-on (a live Video-ID call) still found in old data.
	AddOnVideo Item = "video"
)

// Levels returns the three current KYC levels.
func Levels() []Item { return []Item{LevelUniqueness, LevelBasic, LevelPlus} }

// AddOns returns the sixteen current add-ons (the deprecated "wallet" included).
func AddOns() []Item {
	return []Item{AddOnLiveness, AddOnSelfie, AddOnSOW, AddOnSSN, AddOnTelegram, AddOnTwitter, AddOnUniq, AddOnIDOS,
		AddOnWallet, AddOnWalletADA, AddOnWalletALGO, AddOnWalletBTC, AddOnWalletETH, AddOnWalletKAR, AddOnWalletSOL, AddOnWalletSubstrate}
}

// IsLevel reports whether i is a KYC level, current or legacy.
func (i Item) IsLevel() bool {
	switch i {
	case LevelUniqueness, LevelBasic, LevelPlus, LevelV1, LevelLight:
		return true
	}
	return false
}

// IsKnown reports whether i is a level or add-on this package names.
func (i Item) IsKnown() bool {
	if i.IsLevel() || i == AddOnVideo {
		return true
	}
	for _, a := range AddOns() {
		if a == i {
			return true
		}
	}
	return false
}

// Scope is the verification scope of the item: verification.<item>:read.
func (i Item) Scope() Scope { return Scope("verification." + string(i) + ":read") }

// DetailsScope is the details scope of the item: verification.<item>.details:read.
func (i Item) DetailsScope() Scope { return Scope("verification." + string(i) + ".details:read") }

// Level is a parsed level string such as "basic+liveness+wallet-eth": the
// items in the order they appeared. A level string may hold a single add-on
// (webhooks carry single items such as "liveness").
type Level []Item

// ParseLevel splits a level string on "+". Empty parts are dropped and
// surrounding spaces trimmed; unknown items are kept. It never fails: an
// empty string gives an empty Level.
func ParseLevel(s string) Level {
	if s == "" {
		return nil
	}
	n := strings.Count(s, "+") + 1
	out := make(Level, 0, n)
	for part := range strings.SplitSeq(s, "+") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		out = append(out, Item(part))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// String formats the level back: items joined with "+".
func (l Level) String() string {
	var b strings.Builder
	for i, it := range l {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(string(it))
	}
	return b.String()
}

// Base returns the first item that is a KYC level, or "" if none is.
func (l Level) Base() Item {
	for _, it := range l {
		if it.IsLevel() {
			return it
		}
	}
	return ""
}

// AddOns returns the items that are not KYC levels.
func (l Level) AddOns() []Item {
	var out []Item
	for _, it := range l {
		if !it.IsLevel() {
			out = append(out, it)
		}
	}
	return out
}

// Has reports whether the level contains item.
func (l Level) Has(item Item) bool {
	for _, it := range l {
		if it == item {
			return true
		}
	}
	return false
}

// Covers reports whether l contains every item of want.
func (l Level) Covers(want Level) bool {
	for _, w := range want {
		if !l.Has(w) {
			return false
		}
	}
	return true
}

// ScopeOption changes what ScopesFor returns.
type ScopeOption func(*scopeSet)

type scopeSet struct {
	details bool
	contact bool
}

// WithDetails adds the .details scopes, so /v2/users/me returns the data
// the user submitted.
func WithDetails() ScopeOption { return func(s *scopeSet) { s.details = true } }

// WithContact adds contact:read (the user's email or phone).
func WithContact() ScopeOption { return func(s *scopeSet) { s.contact = true } }

// ScopesFor returns the scopes that request level (with its add-ons):
// uid:read, then per item its verification scope (and details scope with
// WithDetails). The result has no duplicates; empty items are skipped.
//
//	fractalid.ScopesFor(fractalid.ParseLevel("basic+liveness"), fractalid.WithDetails())
func ScopesFor(level Level, opts ...ScopeOption) []Scope {
	var set scopeSet
	for _, o := range opts {
		o(&set)
	}
	out := []Scope{ScopeUID}
	if set.contact {
		out = append(out, ScopeContact)
	}
	seen := map[Item]bool{}
	for _, it := range level {
		if it == "" || seen[it] {
			continue
		}
		seen[it] = true
		out = append(out, it.Scope())
		if set.details {
			out = append(out, it.DetailsScope())
		}
	}
	return out
}

// JoinScopes joins scopes with single spaces, as the authorize URL wants.
func JoinScopes(scopes []Scope) string {
	var b strings.Builder
	for i, s := range scopes {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// ParseScopes splits a space-separated scope string (the token's "scope" field).
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		out = append(out, Scope(f))
	}
	return out
}
