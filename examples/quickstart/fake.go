package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// runFake runs every step against the embedded fake servers.
func runFake(ctx context.Context, out io.Writer) error {
	p := &printer{w: out}
	fmt.Fprintf(out, "kyc-go %s quickstart: using the embedded fake servers on 127.0.0.1 (no credentials set)\n", kyc.Version)

	fractal, err := fractalidtest.Start()
	if err != nil {
		return fmt.Errorf("start fake Fractal ID: %w", err)
	}
	defer fractal.Close()
	user := fractal.AddUser(fractalidtest.User{
		Emails:  []fractalidtest.Email{{Address: "ada@example.com"}},
		Details: map[string]any{"full_name": "Ada Lovelace", "date_of_birth": "1990-12-10", "residential_address_country": "PT"},
	})
	for _, item := range []string{"basic", "liveness"} {
		if err := user.SetCase(item, fractalidtest.Approved); err != nil {
			return err
		}
	}
	if err := runFractalUserFlow(ctx, p, fractal, user.ID()); err != nil {
		return err
	}
	if err := runWebhook(ctx, p, fractal, user.ID()); err != nil {
		return err
	}
	if err := runEKYC(ctx, p); err != nil {
		return err
	}
	if err := runStats(ctx, p, fractal); err != nil {
		return err
	}
	if err := runIncodeFake(ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nAll %d steps passed.\n", p.step)
	return nil
}

func runFractalUserFlow(ctx context.Context, p *printer, fractal *fractalidtest.Server, userID string) error {
	level := fractalid.ParseLevel("basic+liveness")
	cfg := fractal.Config(fractalid.ScopesFor(level, fractalid.WithDetails(), fractalid.WithContact())...)

	p.title("Fractal ID consent URL (send the user's browser there)")
	state := "quickstart-state-1f4e" // use a fresh random value per login, kept in the user's session
	authURL, err := cfg.AuthCodeURL(state)
	if err != nil {
		return err
	}
	p.line("%s", redactQuery(authURL, "state"))

	p.title("The user approves on the consent page (played by the fake) and comes back to the redirect URI")
	callback, err := fractal.Approve(authURL, userID)
	if err != nil {
		return err
	}
	req := httptest.NewRequest(http.MethodGet, callback.String(), nil)
	code, err := cfg.ParseCallback(req, state)
	if err != nil {
		return fmt.Errorf("callback: %w", err)
	}
	p.line("callback checked: state matches, authorization code received (%d characters, never logged)", len(code))

	p.title("Exchange the code for tokens")
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	p.line("token type %q, expires in %s, refresh token present: %v", tok.TokenType, time.Until(tok.Expiry).Round(time.Minute), tok.RefreshToken != "")
	p.line("granted scopes: %s", fractalid.JoinScopes(fractalid.GrantedScopes(tok)))

	var saved struct {
		sync.Mutex
		n int
	}
	store := fractalid.TokenStoreFunc(func(_ context.Context, t *oauth2.Token) error {
		saved.Lock()
		defer saved.Unlock()
		saved.n++ // a real application writes t to its database, encrypted
		return nil
	})
	ts, err := cfg.TokenSource(tok, store)
	if err != nil {
		return err
	}
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(fractal.Environment()))
	if err != nil {
		return err
	}

	p.title("GET /v2/users/me")
	me, err := client.Me(ctx)
	if err != nil {
		return fmt.Errorf("me: %w", err)
	}
	p.line("uid %s, %d email(s), %d verification case(s)", me.UID, len(me.Emails), len(me.VerificationCases))
	for _, c := range me.NewestCases() {
		p.line("  case %-10s outcome %-9s journey completed %v", c.RawLevel, c.Outcome(), optBool(c.JourneyCompleted))
	}
	approved := me.IsApproved(level)
	p.line("approved for %s: %v", level, approved)
	if !approved {
		return errors.New("the fake user should be approved for basic+liveness")
	}
	p.line("printing the user shows ids only: %v", me)

	p.title("Token refresh (Fractal rotates the refresh token on every refresh)")
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	ts2, err := cfg.TokenSource(&expired, store)
	if err != nil {
		return err
	}
	client2, err := client.ForToken(ts2)
	if err != nil {
		return err
	}
	if _, err := client2.Me(ctx); err != nil {
		return fmt.Errorf("me after refresh: %w", err)
	}
	saved.Lock()
	n := saved.n
	saved.Unlock()
	if n != 1 {
		return fmt.Errorf("the rotated token was saved %d times, want 1", n)
	}
	p.line("the expired access token was refreshed; the new refresh token was handed to the store (%d save)", n)
	return nil
}

func runWebhook(ctx context.Context, p *printer, fractal *fractalidtest.Server, userID string) error {
	p.title("A signed webhook, received by a local handler and verified")
	app := fractal.DefaultClient()
	verifier, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(app.WebhookSecret))
	if err != nil {
		return err
	}
	got := make(chan *webhooks.Event, 1)
	srv := newWebhookServer(webhooks.NewHandler(verifier, func(_ context.Context, ev *webhooks.Event) error {
		got <- ev
		return nil
	}))
	defer srv.Close()
	n := fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, userID, "basic", fractal.Now())
	d, err := fractal.SendWebhook(ctx, srv.URL+"/webhooks/fractal", n)
	if err != nil {
		return err
	}
	if !d.OK() {
		return fmt.Errorf("webhook answered %d", d.StatusCode)
	}
	ev := <-got
	p.line("delivered with %s, handler answered %d", webhooks.SignatureHeader, d.StatusCode)
	p.line("verified event: %v (level %s)", ev, ev.Level())
	tampered, err := fractal.SendWebhook(ctx, srv.URL+"/webhooks/fractal", n, fractalidtest.WithBadSignature())
	if err != nil {
		return err
	}
	if tampered.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("a badly signed webhook answered %d, want 401", tampered.StatusCode)
	}
	p.line("a badly signed copy was refused with %d before reaching the handler", tampered.StatusCode)
	return nil
}

func runEKYC(ctx context.Context, p *printer) error {
	p.title("EKYC admin sessions API (service credentials)")
	srv, err := ekycadmintest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	id, secret := srv.Credentials(ekycadmintest.AllPermissions()...)
	client, err := ekycadmin.NewClient(option.WithBaseURL(srv.BaseURL()), ekycadmin.WithTokenURL(srv.TokenURL()), ekycadmin.WithCredentials(id, secret))
	if err != nil {
		return err
	}
	for _, u := range []string{"user-001", "user-002", "user-003"} {
		srv.AddUser(ekycadmintest.ValidUser(u))
	}
	s, err := client.CreateSession(ctx, "user-002", &ekycadmin.CreateSessionRequest{Callback: "https://app.example.com/kyc/done"})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	p.line("created session %s (status %s); send the user to its URL", s.ID, s.Status)
	for _, u := range []string{"user-001", "user-003"} {
		if _, err := client.CreateSession(ctx, u, nil); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
	}
	users, sessions := 0, 0
	for us, err := range client.AllSessions(ctx, &ekycadmin.ListOptions{Limit: 2}) {
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		users++
		sessions += len(us.Sessions)
	}
	p.line("listed %d users with %d sessions through the AllSessions iterator (pages of 2)", users, sessions)
	st, err := client.UserStatus(ctx, "user-002")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	p.line("user-002 before the decision: %d open session(s), no verdict yet (outcome %q)", st.TotalSessions, st.Outcome())
	if err := srv.Decide("user-002", s.ID, "approved", "documents verified"); err != nil {
		return err
	}
	st, err = client.UserStatus(ctx, "user-002")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if !st.Outcome().IsApproved() {
		return fmt.Errorf("outcome %q, want approved", st.Outcome())
	}
	p.line("user-002 after the provider's decision: outcome %q (final: %v)", st.Outcome(), st.Outcome().IsFinal())
	return nil
}

func runStats(ctx context.Context, p *printer, fractal *fractalidtest.Server) error {
	p.title("Back-office statistics (client credentials, scope client.stats:read)")
	app := fractal.DefaultClient()
	stats, err := fractalid.NewStatsClient(fractalid.WithCredentials(app.ID, app.Secret), fractalid.WithEnvironment(fractal.Environment()))
	if err != nil {
		return err
	}
	totals, err := stats.TotalVerifications(ctx)
	if err != nil {
		return fmt.Errorf("total verifications: %w", err)
	}
	p.line("total verifications: %d (approved %d, pending %d, rejected %d)", totals.Total(),
		totals.Get(fractalid.StatusApproved), totals.Get(fractalid.StatusPending), totals.Get(fractalid.StatusRejected))
	return nil
}

// redactQuery hides the value of one query parameter in a URL for printing.
func redactQuery(raw, key string) string {
	i := strings.Index(raw, key+"=")
	if i < 0 {
		return raw
	}
	j := strings.IndexByte(raw[i:], '&')
	if j < 0 {
		return raw[:i] + key + "=..."
	}
	return raw[:i] + key + "=..." + raw[i+j:]
}

// optBool prints a flag the reply may leave out: true, false or "not sent".
func optBool(b *bool) string {
	if b == nil {
		return "not sent"
	}
	return strconv.FormatBool(*b)
}
