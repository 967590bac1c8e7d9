// Command kraken walks through Fractal's Kraken platform on the in-process
// fake (package krakentest): it builds a KYC link signed with an ES512
// key, completes the hosted page as a user would, reads the redirect,
// exchanges the one-time token, reads the status and the review, and
// verifies a status webhook with the handler of package webhooks.
//
// Run it:
//
//	go run ./examples/kraken
//
// It takes no flags; -h prints its usage.
//
// Against the real platform the same code takes a kraken.Config built
// from your client ID and the private key whose public half Fractal
// registered (kraken.ParsePrivateKey), with kraken.Production or
// kraken.Staging; the user opens the link in a browser and comes back to
// your redirect URL instead of krakentest's Complete.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

const usage = `usage: kraken

Walks through Fractal's Kraken platform on the embedded fake Kraken on
127.0.0.1: a signed KYC link, the hosted page, the redirect, the one-time
token exchange, status, data and a verified webhook. Exits non-zero if a
step fails. It takes no flags.
`

// parseArgs checks the command line: the example takes no flags or
// arguments, but answers -h with its usage (flag.ErrHelp).
func parseArgs(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kraken", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("unexpected arguments")
	}
	return nil
}

func main() {
	if err := parseArgs(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kraken:", err)
		cancel()
		os.Exit(1)
	}
}

// newWebhookServer returns the server for a webhook handler with every
// timeout set, as a real receiver should be (see the README's webhook
// section): the handler bounds reading the body itself, the server bounds
// the headers, the whole request, the reply and idle connections.
func newWebhookServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10*time.Second + webhooks.DefaultHandlerTimeout + 2*time.Second,
		IdleTimeout:       60 * time.Second,
	}
}

func run(ctx context.Context, out io.Writer) error {
	srv, err := krakentest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintln(out, "using the embedded fake Kraken at", srv.URL())

	// 1. The link: an ES512 JWT with no expiry, tied to a state the
	// application keeps in the user's session.
	cfg := srv.Config()
	state := "state-" + fmt.Sprint(time.Now().UnixNano())
	link, err := cfg.KYCURL(kraken.LevelBasicLivenessIDOS, state)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "1. KYC link built for level", kraken.LevelBasicLivenessIDOS, "(a signed token; not printed)")

	// 2. The user completes the hosted page; the fake's Complete does what
	// the browser would and reports the redirect.
	done, err := srv.Complete(ctx, link, krakentest.Redirect)
	if err != nil {
		return err
	}
	r := httptest.NewRequest(http.MethodGet, done.RedirectURL.String(), nil)
	ret, err := kraken.ParseRedirect(r, state)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "2. back at the redirect URL with a one-time token:", ret)

	// 3. Exchange, status, data.
	c, err := kraken.NewClient(cfg, option.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		return err
	}
	sess, err := c.Session(ctx, ret.OneTimeToken)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3. one-time token exchanged: user %s, state %s\n", sess.UserID, sess.State)
	if _, err := c.Session(ctx, ret.OneTimeToken); errors.Is(err, kyc.ErrNotFound) {
		fmt.Fprintln(out, "   a second exchange of the same token is refused:", err)
	}
	st, err := c.Status(ctx, sess.UserID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "4. status: %s (final: %t)\n", st.Status, st.Status.Final())
	data, err := c.Data(ctx, sess.UserID)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "5. data read:", data, "green:", data.Green())

	// 4. The webhook, verified by the webhooks handler.
	v, err := kraken.NewWebhookVerifier(srv.WebhookSecret())
	if err != nil {
		return err
	}
	events := make(chan *kraken.WebhookEvent, 1)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	recv := newWebhookServer(webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		events <- ev.Kraken
		return nil
	}))
	go func() { _ = recv.Serve(ln) }()
	defer func() { _ = recv.Close() }()
	recvURL := "http://" + ln.Addr().String()
	d, err := srv.SendWebhook(ctx, recvURL, sess.UserID)
	if err != nil {
		return err
	}
	select {
	case ev := <-events:
		fmt.Fprintf(out, "6. webhook verified (handler answered %d): %v\n", d.StatusCode, ev)
	case <-ctx.Done():
		return ctx.Err()
	}
	d, err = srv.SendWebhook(ctx, recvURL, sess.UserID, krakentest.WithBadSignature())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   a webhook with a wrong signature is refused with %d\n", d.StatusCode)
	fmt.Fprintln(out, "all steps passed.")
	return nil
}
