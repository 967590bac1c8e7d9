// Command incode-onboarding runs Incode's hosted onboarding flow end to end
// against the in-process fake (incodetest): it starts a session and gets
// its hosted link, the fake person finishes the flow, the onboarding-status
// webhook arrives at a local receiver, and the program reads the status
// and the score, decides, and approves the person when the verdict is
// "approved".
//
//	go run ./examples/incode-onboarding
//	go run ./examples/incode-onboarding -outcome warn
//
// Flags:
//
//	-outcome   how the fake flow ends: pass, warn, fail, manual_review,
//	           expired or score_not_ready (default pass)
//	-review    with -outcome manual_review: approve or reject (default: leave pending)
//
// ONBOARDING_FINISHED only means the person reached the end of the flow;
// the verdict comes from the score's overall status (incode.Decide). The
// session token is kept in memory here; a real backend keeps it encrypted
// next to the interview id. Nothing secret or personal is printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/integrations/incode/incodetest"
)

func main() {
	os.Exit(exitStatus(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitStatus maps run's error to the exit status, printing it: -h (the
// flag package already printed the usage) is not an error.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "incode-onboarding:", err)
	return 1
}

// webhookHeader is the static header the webhook receiver checks (set in
// Incode's Dashboard under Configuration → Webhooks → custom headers).
const webhookHeader = "x-incode-secret"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("incode-onboarding", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outcome := fs.String("outcome", string(incodetest.OutcomePass), "how the fake flow ends: pass, warn, fail, manual_review, expired, score_not_ready")
	review := fs.String("review", "", "with -outcome manual_review: approve or reject")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *review != "" && *review != "approve" && *review != "reject" {
		return fmt.Errorf("-review must be approve or reject")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// 1. The webhook receiver: checks the static header, parses the
	// payload and hands it over (a real handler enqueues and returns).
	hookValue := incode.NewSecret("demo-" + fmt.Sprint(time.Now().UnixNano()))
	hooks := make(chan *incode.Webhook, 16)
	handler, err := incode.NewWebhookHandler(webhookHeader, hookValue, func(_ context.Context, w *incode.Webhook) error {
		select {
		case hooks <- w:
			return nil
		default:
			return errors.New("queue full")
		}
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// Every timeout set, as a real receiver should be: the handler bounds
	// reading the body itself (incode.WebhookReadTimeout), the server
	// bounds the headers, the whole request, the reply and idle
	// connections.
	recv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	go func() { _ = recv.Serve(ln) }()
	defer func() { _ = recv.Close() }()

	// 2. The fake Incode, delivering its webhooks to the receiver.
	srv, err := incodetest.Start(incodetest.WithOutcome(incodetest.Outcome(*outcome)),
		incodetest.WithWebhook("http://"+ln.Addr().String()+"/incode", webhookHeader, hookValue.Reveal()))
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := incode.NewClient(srv.ClientOptions()...)
	if err != nil {
		return err
	}

	// 3. Start a session and get its hosted link.
	h, err := c.StartHostedOnboarding(ctx, &incode.StartRequest{ExternalCustomerID: "user-42", RedirectionURL: "https://example.com/kyc/done"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "started session %s; hosted link on %s\n", h.InterviewID, srv.URL())
	sessionToken := h.Token // keep it encrypted next to the interview id

	// 4. The person goes through the hosted flow (the fake plays them).
	final, err := srv.Finish(h.InterviewID)
	if err != nil {
		return err
	}
	if *review != "" {
		if err := srv.Review(h.InterviewID, *review == "approve"); err != nil {
			return err
		}
		final = incode.ManualReviewApproved
		if *review == "reject" {
			final = incode.ManualReviewRejected
		}
	}

	// 5. Webhooks arrive: wait for the last status.
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w := <-hooks:
			fmt.Fprintf(stdout, "webhook: %s (%s)\n", w.Event(), w.Outcome())
			if w.Onboarding == nil || w.Onboarding.Status != final {
				continue
			}
			return decide(ctx, c, w.InterviewID(), sessionToken, stdout)
		}
	}
}

// decide reads the status and the score with the session token, decides
// and approves an approved person once.
func decide(ctx context.Context, c *incode.Client, interviewID string, token incode.Secret, stdout io.Writer) error {
	target := incode.BySessionToken(token)
	status, err := c.OnboardingStatus(ctx, target)
	if err != nil {
		return err
	}
	score, err := c.Score(ctx, target)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "status %s, overall score %s (ready %t)\n", status, score.OverallStatus(), score.Ready())
	if _, err := c.CloseSession(ctx, token); err != nil { // freeze it before trusting it
		return err
	}
	d := incode.Decide(status, score)
	fmt.Fprintf(stdout, "decision: %s (%s)\n", d.Verdict, d.Reason)
	if d.Verdict != incode.Approved {
		return nil
	}
	a, err := c.Approve(ctx, incode.ByInterviewID(interviewID))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "approved: customer %s (existing %t)\n", a.UUID, a.ExistingCustomer)
	return nil
}
