package fractalid

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAllScopes(t *testing.T) {
	all := AllScopes()
	if len(all) != 41 {
		t.Fatalf("AllScopes has %d scopes, the documentation lists 41", len(all))
	}
	seen := map[Scope]bool{}
	for _, s := range all {
		if seen[s] {
			t.Errorf("duplicate scope %q", s)
		}
		seen[s] = true
	}
	for _, s := range []Scope{ScopeUID, ScopeContact, ScopeClientStats, ScopeBasic, ScopeBasicDetails, ScopePlusDetails,
		ScopeUniqueness, ScopeLivenessDetails, ScopeSOW, ScopeSSNDetails, ScopeIDOS, ScopeWallet, ScopeWalletSubstrateDetails, ScopeWalletETH} {
		if !seen[s] {
			t.Errorf("AllScopes misses %q", s)
		}
	}
	if AddOnWalletKAR.Scope() != ScopeWalletKAR || AddOnWalletKAR.DetailsScope() != ScopeWalletKARDetails {
		t.Error("item scopes")
	}
}

func TestScopesFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		level string
		opts  []ScopeOption
		want  string
	}{
		{"level only", "basic", nil, "uid:read verification.basic:read"},
		{"details", "basic+liveness", []ScopeOption{WithDetails()},
			"uid:read verification.basic:read verification.basic.details:read verification.liveness:read verification.liveness.details:read"},
		{"contact", "plus", []ScopeOption{WithContact()}, "uid:read contact:read verification.plus:read"},
		{"both", "plus+selfie", []ScopeOption{WithContact(), WithDetails()},
			"uid:read contact:read verification.plus:read verification.plus.details:read verification.selfie:read verification.selfie.details:read"},
		{"duplicates", "basic+basic+wallet-eth+basic", nil, "uid:read verification.basic:read verification.wallet-eth:read"},
		{"empty", "", []ScopeOption{WithDetails()}, "uid:read"},
		{"unknown item kept", "basic+kyb", nil, "uid:read verification.basic:read verification.kyb:read"},
		{"docs sample", "basic+liveness", []ScopeOption{WithContact(), WithDetails()},
			"uid:read contact:read verification.basic:read verification.basic.details:read verification.liveness:read verification.liveness.details:read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := JoinScopes(ScopesFor(ParseLevel(tc.level), tc.opts...))
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if back := JoinScopes(ParseScopes(got)); back != got {
				t.Errorf("ParseScopes round trip: %q", back)
			}
		})
	}
	if got := ScopesFor(Level{"", LevelBasic}); len(got) != 2 {
		t.Errorf("empty items must be skipped: %q", got)
	}
	if ParseScopes("  ") != nil || len(ParseScopes(" uid:read\tcontact:read ")) != 2 {
		t.Error("ParseScopes whitespace")
	}
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in      string
		items   []Item
		str     string
		base    Item
		addOns  []Item
		unknown bool
	}{
		{"basic", []Item{LevelBasic}, "basic", LevelBasic, nil, false},
		{"plus+selfie", []Item{LevelPlus, AddOnSelfie}, "plus+selfie", LevelPlus, []Item{AddOnSelfie}, false},
		{"basic+liveness+wallet-eth", []Item{LevelBasic, AddOnLiveness, AddOnWalletETH}, "basic+liveness+wallet-eth", LevelBasic, []Item{AddOnLiveness, AddOnWalletETH}, false},
		{"liveness", []Item{AddOnLiveness}, "liveness", "", []Item{AddOnLiveness}, false},
		{" basic + sow ", []Item{LevelBasic, AddOnSOW}, "basic+sow", LevelBasic, []Item{AddOnSOW}, false},
		{"++basic++", []Item{LevelBasic}, "basic", LevelBasic, nil, false},
		{"v1", []Item{LevelV1}, "v1", LevelV1, nil, false},
		{"light+video", []Item{LevelLight, AddOnVideo}, "light+video", LevelLight, []Item{AddOnVideo}, false},
		{"basic+kyb", []Item{LevelBasic, "kyb"}, "basic+kyb", LevelBasic, []Item{"kyb"}, true},
		{"", nil, "", "", nil, false},
		{"+", nil, "", "", nil, false},
	} {
		l := ParseLevel(tc.in)
		if !slices.Equal([]Item(l), tc.items) {
			t.Errorf("ParseLevel(%q) = %q, want %q", tc.in, l, tc.items)
		}
		if l.String() != tc.str || l.Base() != tc.base || !slices.Equal(l.AddOns(), tc.addOns) {
			t.Errorf("%q: String %q Base %q AddOns %q", tc.in, l.String(), l.Base(), l.AddOns())
		}
		unknown := false
		for _, it := range l {
			if !it.IsKnown() {
				unknown = true
			}
		}
		if unknown != tc.unknown {
			t.Errorf("%q: unknown = %t", tc.in, unknown)
		}
	}
	l := ParseLevel("basic+liveness+sow")
	if !l.Has(AddOnSOW) || l.Has(AddOnSSN) || !l.Covers(ParseLevel("sow+basic")) || l.Covers(ParseLevel("basic+ssn")) || !l.Covers(nil) {
		t.Error("Has/Covers")
	}
	for _, it := range append(Levels(), AddOns()...) {
		if !it.IsKnown() {
			t.Errorf("%q not known", it)
		}
	}
	if len(Levels()) != 3 || len(AddOns()) != 16 {
		t.Error("levels/add-ons count")
	}
}

func TestEnvironment(t *testing.T) {
	for _, env := range []Environment{Production, Staging} {
		if err := env.Validate(); err != nil {
			t.Errorf("%s: %v", env.Name, err)
		}
	}
	if Production.AuthorizeURL() != "https://app.fractal.id/authorize" || Production.TokenURL() != "https://auth.fractal.id/oauth/token" {
		t.Error("production URLs")
	}
	if Staging.AuthorizeURL() != "https://app.staging.sandbox.fractal.id/authorize" || Staging.TokenURL() != "https://auth.staging.sandbox.fractal.id/oauth/token" ||
		Staging.ResourceURL != "https://resource.staging.sandbox.fractal.id" {
		t.Error("staging URLs")
	}
	trailing := Environment{FrontendURL: "https://app.example/", AuthURL: "https://auth.example/", ResourceURL: "https://res.example"}
	if trailing.AuthorizeURL() != "https://app.example/authorize" || trailing.TokenURL() != "https://auth.example/oauth/token" {
		t.Error("trailing slash")
	}
	for name, env := range map[string]Environment{
		"zero":          {},
		"http":          {FrontendURL: "http://app.example", AuthURL: "https://a.example", ResourceURL: "https://r.example"},
		"query":         {FrontendURL: "https://app.example?x=1", AuthURL: "https://a.example", ResourceURL: "https://r.example"},
		"relative":      {FrontendURL: "https://app.example", AuthURL: "/auth", ResourceURL: "https://r.example"},
		"no resource":   {FrontendURL: "https://app.example", AuthURL: "https://a.example"},
		"bad scheme":    {FrontendURL: "ftp://app.example", AuthURL: "https://a.example", ResourceURL: "https://r.example"},
		"user info":     {FrontendURL: "https://u:p@app.example", AuthURL: "https://a.example", ResourceURL: "https://r.example"},
		"fragment only": {FrontendURL: "https://app.example#x", AuthURL: "https://a.example", ResourceURL: "https://r.example"},
	} {
		if err := env.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, env)
		}
	}
	loop := Environment{FrontendURL: "http://127.0.0.1:8080", AuthURL: "http://localhost:1", ResourceURL: "http://[::1]:2"}
	if err := loop.Validate(); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"basic", "plus+selfie", "basic+liveness+wallet-eth", " basic + sow ", "++", "", "v1", "a b+c", "\xff+basic", "basic+\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := ParseLevel(s)
		str := l.String()
		again := ParseLevel(str)
		if !slices.Equal(l, again) {
			t.Fatalf("ParseLevel(String()) not stable: %q -> %q -> %q", s, l, again)
		}
		for _, it := range l {
			if it == "" || strings.Contains(string(it), "+") || strings.TrimSpace(string(it)) != string(it) {
				t.Fatalf("bad item %q from %q", it, s)
			}
		}
		if utf8.ValidString(s) && len(str) > len(s) {
			t.Fatalf("String longer than input")
		}
		if !l.Covers(l) {
			t.Fatal("a level must cover itself")
		}
		_ = ScopesFor(l, WithDetails())
	})
}
