package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/integrations"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
	"github.com/kycgo/kyc/webhooks"
)

// Extra variables of the quickstart (the others are package integrations').
const (
	// envAuthCode is an authorization code Fractal sent to the redirect URI.
	envAuthCode = "KYC_FRACTAL_AUTH_CODE"
	// envIncodeLoginHint is the email to request an Incode onboarding link for.
	envIncodeLoginHint = "KYC_INCODE_LOGIN_HINT"
)

// runReal runs the steps against the real services described by the
// environment. Fractal defaults to staging here (the library's default is
// production): the quickstart is a trial run.
func runReal(ctx context.Context, out io.Writer, getenv func(string) string) error {
	lookup := func(k string) (string, bool) {
		v := getenv(k)
		if k == integrations.EnvFractalEnvironment && v == "" {
			return integrations.EnvStaging, true
		}
		return v, v != ""
	}
	settings, err := integrations.LoadEnv(lookup)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	app := settings.Fractal
	env, err := app.ResolveEnvironment()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "kyc-go %s quickstart: using the REAL %s services (%s)\n", kyc.Version, env.Name, env.FrontendURL)
	p := &printer{w: out}

	if err := runRealFractal(ctx, p, app, getenv(envAuthCode)); err != nil {
		return err
	}
	if err := runRealWebhook(ctx, p, app); err != nil {
		return err
	}
	if err := runRealEKYC(ctx, p, settings.EKYC); err != nil {
		return err
	}
	p.title("Back-office statistics (client credentials, scope client.stats:read)")
	stats, err := app.StatsClient()
	if err != nil {
		return err
	}
	totals, err := stats.TotalVerifications(ctx)
	if err != nil {
		return fmt.Errorf("total verifications: %w", err)
	}
	p.line("total verifications: %d (approved %d, pending %d, rejected %d)", totals.Total(),
		totals.Get(fractalid.StatusApproved), totals.Get(fractalid.StatusPending), totals.Get(fractalid.StatusRejected))
	if err := runRealIncode(ctx, p, settings.Incode, getenv(envIncodeLoginHint)); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nAll %d steps done.\n", p.step)
	return nil
}

func runRealFractal(ctx context.Context, p *printer, app *integrations.FractalApp, code string) error {
	p.title("Fractal ID consent URL (open it in a browser and approve)")
	if app.RedirectURI == "" {
		p.line("skipped: set %s to your application's registered redirect URI", integrations.EnvFractalRedirectURI)
		return nil
	}
	level := fractalid.ParseLevel("basic+liveness")
	cfg, err := app.Config(fractalid.ScopesFor(level, fractalid.WithContact())...)
	if err != nil {
		return err
	}
	authURL, err := cfg.AuthCodeURL("quickstart")
	if err != nil {
		return err
	}
	p.line("%s", authURL)
	p.title("Exchange the code and GET /v2/users/me")
	if code == "" {
		p.line("skipped: after approving, copy the code parameter of the redirect and run again with %s=<code>", envAuthCode)
		return nil
	}
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return fmt.Errorf("exchange: %w", err)
	}
	p.line("token type %q, granted scopes: %s", tok.TokenType, fractalid.JoinScopes(fractalid.GrantedScopes(tok)))
	// A real application saves each rotated token (encrypted) in its
	// database; the quickstart keeps it in memory for this run.
	store := fractalid.TokenStoreFunc(func(context.Context, *oauth2.Token) error { return nil })
	ts, err := cfg.TokenSource(tok, store)
	if err != nil {
		return err
	}
	client, err := fractalid.NewClient(ts, fractalid.WithEnvironment(cfg.Environment))
	if err != nil {
		return err
	}
	me, err := client.Me(ctx)
	if err != nil {
		return fmt.Errorf("me: %w", err)
	}
	p.line("%v", me)
	p.line("approved for %s: %v", level, me.IsApproved(level))
	return nil
}

func runRealWebhook(ctx context.Context, p *printer, app *integrations.FractalApp) error {
	p.title("A signed webhook, received by a local handler and verified")
	verifier, err := app.Verifier()
	if err != nil {
		p.line("skipped: set %s (the webhook secret token from the dashboard)", integrations.EnvFractalWebhookSecret)
		return nil //nolint:nilerr // no webhook secret configured: the step is optional
	}
	secret := ""
	for _, s := range app.WebhookDefaultSecrets {
		secret = s.Reveal()
	}
	if secret == "" {
		for _, list := range app.WebhookSecrets {
			for _, s := range list {
				secret = s.Reveal()
			}
		}
	}
	done := make(chan *webhooks.Event, 1)
	srv := newWebhookServer(webhooks.NewHandler(verifier, func(_ context.Context, ev *webhooks.Event) error {
		done <- ev
		return nil
	}))
	defer srv.Close()
	body := fmt.Sprintf(`{"type":"verification_approved","data":{"level":"basic","user_id":"00000000-0000-4000-8000-000000000000","timestamp":%q}}`, time.Now().UTC().Format(time.RFC3339))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign([]byte(body), secret))
	res, err := srv.Client().Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("local handler answered %d to a correctly signed event", res.StatusCode)
	}
	p.line("a test event signed with your webhook secret was verified: %v", <-done)
	return nil
}

func runRealEKYC(ctx context.Context, p *printer, cred *integrations.EKYCCredential) error {
	p.title("EKYC admin sessions API (service credentials)")
	if cred == nil {
		p.line("skipped: set %s and %s", integrations.EnvEKYCClientID, integrations.EnvEKYCClientSecret)
		return nil
	}
	client, err := cred.Client()
	if err != nil {
		return err
	}
	n := 0
	for us, err := range client.AllSessions(ctx, &ekycadmin.ListOptions{Limit: 10}) {
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		n++
		if n == 1 {
			st, err := client.UserStatus(ctx, us.UserID)
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			p.line("first user's status: %v", st)
		}
		if n == 10 {
			break
		}
	}
	p.line("listed %d user(s) (first page only); no session was created: CreateSession starts a real verification", n)
	return nil
}

func runRealIncode(ctx context.Context, p *printer, in *integrations.IncodeIntegration, loginHint string) error {
	p.title("Incode onboarding link (experimental endpoint)")
	if in == nil || loginHint == "" {
		p.line("skipped: set the KYC_INCODE_* variables and %s (the person's email)", envIncodeLoginHint)
		return nil
	}
	client, err := in.Client()
	if err != nil {
		return err
	}
	link, err := client.RequestNewOnboarding(ctx, &incode.OnboardingRequest{LoginHint: loginHint})
	if err != nil {
		return fmt.Errorf("request onboarding: %w", err)
	}
	p.line("onboarding requested: %v (send the person its link)", link)
	return nil
}

// runIncodeFake requests an onboarding link from the embedded Incode fake.
func runIncodeFake(ctx context.Context, p *printer) error {
	p.title("Incode onboarding link (Integrations Ecosystem, experimental endpoint)")
	srv, err := incodetest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	client, err := incode.NewClient(srv.ClientOptions()...)
	if err != nil {
		return err
	}
	link, err := client.RequestNewOnboarding(ctx, &incode.OnboardingRequest{
		LoginHint:           "new.hire@example.com",
		Notification:        &incode.Notification{Type: incode.NotifyEmail, Email: "new.hire@example.com"},
		LinkLifetimeMinutes: 60,
	})
	if err != nil {
		return fmt.Errorf("request onboarding: %w", err)
	}
	if n := len(srv.Onboardings()); n != 1 {
		return fmt.Errorf("the fake holds %d onboardings, want 1", n)
	}
	if link.URL == "" {
		return errors.New("no onboarding link")
	}
	p.line("interview %s created; Incode e-mails the link (valid 60 minutes)", link.InterviewID)
	return nil
}
