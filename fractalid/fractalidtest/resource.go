package fractalidtest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/internal/fakeserver"
)

// routes is the fake's handler: the paths of the three Fractal hosts.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", s.handleAuthorize)
	mux.HandleFunc("/oauth/token", s.handleToken)
	mux.HandleFunc("/v2/users/me", s.handleMe)
	mux.HandleFunc("/v2/stats/total-verifications", s.handleStats)
	mux.HandleFunc("/v2/stats/country-verifications", s.handleStats)
	mux.HandleFunc("/v2/stats/user-verifications", s.handleStats)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fakeserver.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	})
	return mux
}

// resourceError writes a Doorkeeper-style resource server error with an
// RFC 6750 WWW-Authenticate header.
func resourceError(w http.ResponseWriter, status int, code, desc string) {
	v := `Bearer realm="Doorkeeper"`
	if code != "" {
		v += `, error="` + code + `", error_description="` + desc + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	fakeserver.WriteJSON(w, status, fakeserver.OAuthErrorBody{Error: code, ErrorDescription: desc})
}

// authenticate checks the bearer token of a resource request. It returns a
// copy of the token record, or writes the error and returns false. A
// successful use of an access token issued by a refresh revokes the tokens
// it replaced (refresh_token_revoked_on_use). The caller holds s.mu.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, now time.Time) (*tokenRecord, bool) {
	tok, ok := fakeserver.BearerToken(r)
	if !ok {
		resourceError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid")
		return nil, false
	}
	rec, ok := s.access[tok]
	switch {
	case !ok:
		resourceError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid")
		return nil, false
	case rec.revoked:
		resourceError(w, http.StatusUnauthorized, "invalid_token", "The access token was revoked")
		return nil, false
	case rec.expired(now):
		resourceError(w, http.StatusUnauthorized, "invalid_token", "The access token expired")
		return nil, false
	}
	if rec.previousRefresh != "" {
		if prev, ok := s.refresh[rec.previousRefresh]; ok {
			prev.revoked = true
		}
		rec.previousRefresh = ""
	}
	cp := *rec
	return &cp, true
}

func methodGET(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	fakeserver.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
	return false
}

// Wire shapes of GET /v2/users/me.
type (
	meJSON struct {
		UID            *string       `json:"uid,omitempty"`
		Emails         *[]emailJSON  `json:"emails,omitempty"`
		Phones         *[]phoneJSON  `json:"phones,omitempty"`
		PhonesMisspelt *[]phoneJSON  `json:"phones:,omitempty"`
		Wallets        *[]walletJSON `json:"wallets,omitempty"`
		Cases          *[]caseJSON   `json:"verification_cases,omitempty"`
	}
	emailJSON struct {
		Address    string `json:"address"`
		SourceType string `json:"source_type"`
	}
	phoneJSON struct {
		Number string `json:"number"`
	}
	walletJSON struct {
		ID       string `json:"id"`
		Address  string `json:"address"`
		Currency string `json:"currency"`
		Verified bool   `json:"verified"`
	}
	caseJSON struct {
		ID               string          `json:"id,omitempty"`
		Level            string          `json:"level"`
		JourneyCompleted *bool           `json:"journey_completed,omitempty"`
		Status           string          `json:"status"`
		Credential       string          `json:"credential,omitempty"`
		Details          json.RawMessage `json:"details,omitempty"`
		Report           json.RawMessage `json:"report,omitempty"`
	}
)

// handleMe serves GET /v2/users/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	if !methodGET(w, r) {
		return
	}
	now := s.now()
	s.mu.Lock()
	rec, ok := s.authenticate(w, r, now)
	if !ok {
		s.mu.Unlock()
		return
	}
	if rec.userID == "" {
		s.mu.Unlock()
		resourceError(w, http.StatusForbidden, "insufficient_scope", "The access token does not belong to a user.")
		return
	}
	u, ok := s.users[rec.userID]
	if !ok {
		s.mu.Unlock()
		resourceError(w, http.StatusUnauthorized, "invalid_token", "The access token was revoked")
		return
	}
	body := s.renderMe(u, rec.scopes)
	s.mu.Unlock()
	fakeserver.WriteJSON(w, http.StatusOK, body)
}

// renderMe builds the users/me reply for the granted scopes. The caller
// holds s.mu.
func (s *Server) renderMe(u *userRecord, scopes []fractalid.Scope) meJSON {
	var out meJSON
	has := func(sc fractalid.Scope) bool { return slices.Contains(scopes, sc) }
	if has(fractalid.ScopeUID) {
		id := u.user.ID
		out.UID = &id
	}
	if has(fractalid.ScopeContact) {
		emails := make([]emailJSON, 0, len(u.user.Emails))
		for _, e := range u.user.Emails {
			emails = append(emails, emailJSON(e))
		}
		phones := make([]phoneJSON, 0, len(u.user.Phones))
		for _, p := range u.user.Phones {
			phones = append(phones, phoneJSON(p))
		}
		out.Emails = &emails
		if s.cfg.misspelt {
			out.PhonesMisspelt = &phones
		} else {
			out.Phones = &phones
		}
	}
	verified := map[fractalid.Item]bool{}
	details := map[fractalid.Item]bool{}
	for _, sc := range scopes {
		if it, ok := verificationItem(sc); ok {
			verified[it] = true
		}
		if it, ok := detailsItem(sc); ok {
			details[it] = true
		}
	}
	// Wallets: those whose currency matches a granted wallet add-on.
	currencies := map[string]bool{}
	anyWallet := false
	for it := range verified {
		if it == fractalid.AddOnWallet {
			currencies["eth"], anyWallet = true, true
		} else if c, ok := strings.CutPrefix(string(it), "wallet-"); ok {
			currencies[c], anyWallet = true, true
		}
	}
	if anyWallet {
		ws := []walletJSON{}
		for _, wl := range u.user.Wallets {
			if currencies[wl.Currency] {
				ws = append(ws, walletJSON(wl))
			}
		}
		out.Wallets = &ws
	}
	if len(verified) > 0 {
		cases := []caseJSON{}
		for _, c := range u.cases {
			if !allItems(c.level, verified) {
				continue
			}
			cases = append(cases, s.renderCase(u, c, details))
		}
		out.Cases = &cases
	}
	return out
}

func allItems(lv fractalid.Level, set map[fractalid.Item]bool) bool {
	for _, it := range lv {
		if !set[it] {
			return false
		}
	}
	return len(lv) > 0
}

// renderCase builds one verification case. The caller holds s.mu.
func (s *Server) renderCase(u *userRecord, c *caseRecord, detailScopes map[fractalid.Item]bool) caseJSON {
	out := caseJSON{Level: c.level.String(), Report: c.report}
	if s.cfg.shape == ExampleShape {
		out.Status = string(c.state)
	} else {
		out.ID = c.id
		jc := c.journeyCompleted
		out.JourneyCompleted = &jc
		switch c.state {
		case Pending:
			out.Status, out.Credential = "pending", "pending"
		case Contacted:
			out.Status, out.Credential = "contacted", "pending"
		default:
			out.Status, out.Credential = "done", string(c.state)
		}
	}
	granted := slices.DeleteFunc(slices.Clone(c.level), func(it fractalid.Item) bool { return !detailScopes[it] })
	if len(granted) == 0 {
		return out // no details scope: the key is left out
	}
	var d map[string]any
	if c.detailsSet {
		d = c.details
	} else {
		for _, k := range slices.Sorted(maps.Keys(u.user.Details)) {
			items := detailsItems(k)
			if items != nil && !slices.ContainsFunc(items, func(it fractalid.Item) bool { return slices.Contains(granted, it) }) {
				continue
			}
			if d == nil {
				d = map[string]any{}
			}
			d[k] = u.user.Details[k]
		}
	}
	if len(d) == 0 && !c.detailsSet {
		out.Details = json.RawMessage("null")
		return out
	}
	b, err := json.Marshal(d)
	if err != nil {
		b = []byte("null")
	}
	out.Details = b
	return out
}

// handleStats serves GET /v2/stats/*.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	if !methodGET(w, r) {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.authenticate(w, r, now)
	if !ok {
		return
	}
	if rec.userID != "" || !rec.hasScope(fractalid.ScopeClientStats) {
		resourceError(w, http.StatusForbidden, "insufficient_scope", "The access token needs the client.stats:read scope of a client-credentials grant.")
		return
	}
	switch r.URL.Path {
	case "/v2/stats/total-verifications":
		counts := map[string]int{}
		for _, id := range s.order {
			for _, c := range s.users[id].cases {
				counts[string(c.state)]++
			}
		}
		fakeserver.WriteJSON(w, http.StatusOK, counts)
	case "/v2/stats/country-verifications":
		byCountry := map[string]map[string]int{}
		for _, id := range s.order {
			u := s.users[id]
			cc := u.user.country()
			if cc == "" || len(u.cases) == 0 {
				continue
			}
			m := byCountry[cc]
			if m == nil {
				m = map[string]int{}
				byCountry[cc] = m
			}
			for _, c := range u.cases {
				m[string(c.state)]++
			}
		}
		fakeserver.WriteJSON(w, http.StatusOK, byCountry)
	default:
		type row struct {
			UserID     string `json:"user_id"`
			Level      string `json:"level"`
			Credential string `json:"credential"`
		}
		rows := []row{}
		for _, id := range s.order {
			for _, c := range s.users[id].cases {
				rows = append(rows, row{UserID: id, Level: c.level.String(), Credential: string(c.state)})
			}
		}
		fakeserver.WriteJSON(w, http.StatusOK, rows)
	}
}
