// Command quickstart walks through kyc-go end to end and exits non-zero if
// any step fails.
//
// With no credentials in the environment it starts the SDK's fake servers
// in-process (fractalidtest, ekycadmintest, incodetest) and runs every
// step against them on 127.0.0.1:
//
//  1. the Fractal ID consent URL, the user's consent (played by the fake),
//     the code exchange, GET /v2/users/me with the verification cases and an
//     approval check, and a token refresh that hands the rotated refresh
//     token to the application's store;
//  2. a signed webhook delivered to a local handler and verified;
//  3. the EKYC admin flow: create a session, list with the iterator, read
//     the status before and after the provider's decision;
//  4. the back-office statistics totals;
//  5. an Incode onboarding link request.
//
// With KYC_FRACTAL_CLIENT_ID set (and the other variables documented in
// package integrations, e.g. KYC_FRACTAL_CLIENT_SECRET,
// KYC_FRACTAL_REDIRECT_URI), it runs against the real services instead,
// on Fractal's staging environment unless KYC_FRACTAL_ENVIRONMENT says
// otherwise, and says so. Steps that need a person in a browser print what
// to do: set KYC_FRACTAL_AUTH_CODE to the code Fractal sent to your
// redirect URI to run the exchange and GET /v2/users/me. Steps whose
// credentials are missing are skipped with a message.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/kycgo/kyc/webhooks"
)

const usage = `usage: quickstart

Runs every step of kyc-go end to end and exits non-zero if any fails.
With no credentials in the environment it runs against the embedded fake
servers on 127.0.0.1; with KYC_FRACTAL_CLIENT_ID set (and the variables
documented in package integrations) it runs against the real services.
It takes no flags.
`

// parseArgs checks the command line: the quickstart takes no flags or
// arguments, but answers -h with its usage.
func parseArgs(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart: FAILED:", err)
		cancel()
		os.Exit(1)
	}
}

// run picks the mode from the environment and runs every step.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	if getenv("KYC_FRACTAL_CLIENT_ID") != "" {
		return runReal(ctx, out, getenv)
	}
	return runFake(ctx, out)
}

// printer numbers the steps and indents their details.
type printer struct {
	w    io.Writer
	step int
}

func (p *printer) title(format string, args ...any) {
	p.step++
	fmt.Fprintf(p.w, "\n%d. %s\n", p.step, fmt.Sprintf(format, args...))
}

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, "   %s\n", fmt.Sprintf(format, args...))
}

// newWebhookServer starts a loopback server for a webhook handler with
// every timeout set, as a real receiver should be (see the README's
// webhook section): the handler bounds reading the body itself, the
// server bounds the headers, the whole request, the reply and idle
// connections.
func newWebhookServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Config.ReadTimeout = 10 * time.Second
	srv.Config.WriteTimeout = 10*time.Second + webhooks.DefaultHandlerTimeout + 2*time.Second
	srv.Config.IdleTimeout = 60 * time.Second
	srv.Start()
	return srv
}
