package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/integrations"
	"github.com/kycgo/kyc/option"
)

// Environment variables holding the service credential, read with package
// integrations.
const (
	envClientID     = integrations.EnvEKYCClientID
	envClientSecret = integrations.EnvEKYCClientSecret
	envTokenURL     = integrations.EnvEKYCTokenURL
	envBaseURL      = integrations.EnvEKYCBaseURL
)

// Exit statuses.
const (
	exitOK    = 0
	exitAPI   = 1
	exitUsage = 2
)

const (
	outputJSON  = "json"
	outputTable = "table"
)

const usageText = `usage: ekyc-admin [global flags] <command> [flags]

commands:
  list                             every user's sessions (all pages)
  create -user ID [-callback URL]  create a verification session for a user
  status -user ID [-reason]        a user's status and final outcome

global flags (before or after the command):
  -base-url URL        API base URL (default $KYC_EKYC_BASE_URL, else the package default)
  -token-url URL       token endpoint (default $KYC_EKYC_TOKEN_URL, else the package default)
  -output json|table   output format (default json: one JSON object per line)
  -page-size N         users per page for list (default 1024)

environment: KYC_EKYC_CLIENT_ID and KYC_EKYC_CLIENT_SECRET (required),
KYC_EKYC_TOKEN_URL, KYC_EKYC_BASE_URL, KYC_EKYC_API_KEY (optional).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// globals are the flags every command accepts.
type globals struct {
	baseURL  string
	tokenURL string
	output   string
	pageSize int
}

// register adds the global flags to fs, with the current values as defaults,
// so that they can be given before or after the command.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", g.baseURL, "API base URL (default $"+envBaseURL+")")
	fs.StringVar(&g.tokenURL, "token-url", g.tokenURL, "token endpoint (default $"+envTokenURL+")")
	fs.StringVar(&g.output, "output", g.output, "output format: json or table")
	fs.IntVar(&g.pageSize, "page-size", g.pageSize, "users per page for list")
}

func (g *globals) check() error {
	if g.output != outputJSON && g.output != outputTable {
		return fmt.Errorf("-output must be %q or %q, not %q", outputJSON, outputTable, g.output)
	}
	if g.pageSize <= 0 {
		return fmt.Errorf("-page-size must be positive, not %d", g.pageSize)
	}
	return nil
}

// usageError is a mistake in the command line or the configuration: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole program: it parses args, reads the credential through
// env, runs one command and returns the exit status. Nothing is read from
// or written to the process's own environment or streams.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	g := globals{output: outputJSON, pageSize: ekycadmin.DefaultPageSize}
	fs := flag.NewFlagSet("ekyc-admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	g.register(fs)
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	name, rest := fs.Arg(0), fs.Args()[1:]

	var cmd func(context.Context, *ekycadmin.Client, *globals, io.Writer, io.Writer) error
	sub := flag.NewFlagSet("ekyc-admin "+name, flag.ContinueOnError)
	sub.SetOutput(stderr)
	g.register(sub)
	switch name {
	case "list":
		c := &listCmd{}
		sub.BoolVar(&c.quiet, "quiet", false, "no progress on stderr")
		cmd = c.run
	case "create":
		c := &createCmd{}
		sub.StringVar(&c.user, "user", "", "user (identity) id (required)")
		sub.StringVar(&c.callback, "callback", "", "absolute http(s) URL the user is sent to afterwards")
		cmd = c.run
	case "status":
		c := &statusCmd{}
		sub.StringVar(&c.user, "user", "", "user (identity) id (required)")
		sub.BoolVar(&c.reason, "reason", false, "also print the decision reason (the provider's free text)")
		cmd = c.run
	case "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "ekyc-admin: unknown command %q\n\n%s", name, usageText)
		return exitUsage
	}
	if err := sub.Parse(rest); err != nil {
		return parseStatus(err)
	}
	if sub.NArg() > 0 {
		fmt.Fprintf(stderr, "ekyc-admin %s: unexpected argument %q\n", name, sub.Arg(0))
		return exitUsage
	}
	if err := g.check(); err != nil {
		fmt.Fprintf(stderr, "ekyc-admin %s: %v\n", name, err)
		return exitUsage
	}
	client, err := newClient(&g, env)
	if err != nil {
		return report(stderr, name, err)
	}
	return report(stderr, name, cmd(ctx, client, &g, stdout, stderr))
}

// parseStatus maps a flag parsing error (already printed by the flag
// package) to an exit status: -h is not an error.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// newClient builds the client with package integrations: the service
// credential's variables are read through env, with -base-url and
// -token-url taking the place of KYC_EKYC_BASE_URL and KYC_EKYC_TOKEN_URL,
// and validated together (every problem at once, by variable, never a
// value). Only the KYC_EKYC_* section is read, so unrelated settings in the
// environment (a half-configured Fractal app, say) do not get in the way.
func newClient(g *globals, env func(string) string) (*ekycadmin.Client, error) {
	lookup := func(name string) (string, bool) {
		v := env(name)
		switch {
		case name == integrations.EnvEKYCBaseURL && g.baseURL != "":
			v = g.baseURL
		case name == integrations.EnvEKYCTokenURL && g.tokenURL != "":
			v = g.tokenURL
		}
		return v, v != ""
	}
	if env(integrations.EnvEKYCClientID) == "" && env(integrations.EnvEKYCClientSecret) == "" {
		return nil, usagef("no service credential: set %s and %s", integrations.EnvEKYCClientID, integrations.EnvEKYCClientSecret)
	}
	settings, err := integrations.LoadEnv(lookup, integrations.OnlySections(integrations.SectionEKYC))
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return settings.EKYC.Client(option.WithUserAgent("ekyc-admin-example"))
}

// report prints err (if any) with a hint and returns the exit status.
// The errors of package ekycadmin never hold secrets or bodies, so they are
// printed as they are.
func report(stderr io.Writer, name string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "ekyc-admin %s: %v\n", name, err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, kyc.ErrInvalidArgument) {
		return exitUsage
	}
	if h := hint(name, err); h != "" {
		fmt.Fprintf(stderr, "  %s\n", h)
	}
	return exitAPI
}

// hint explains the usual causes of an error in the words of the operator.
func hint(name string, err error) string {
	var (
		apiErr   *kyc.APIError
		tokenErr *kyc.TokenError
		trErr    *kyc.TransportError
		pageErr  *ekycadmin.PaginationError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, kyc.ErrReauthorizationRequired), errors.As(err, &tokenErr):
		return "could not obtain an access token: check " + envClientID + ", " + envClientSecret + " and the token URL"
	case errors.Is(err, kyc.ErrForbidden):
		perms := ""
		if errors.As(err, &apiErr) {
			perms = strings.Join(apiErr.MissingPermissions, ", ")
			if perms == "" {
				perms = apiErr.RequiredPermission
			}
		}
		if perms == "" {
			return "the credential is not allowed to do this: check its permissions in the Klustr console"
		}
		return "the credential lacks permission " + perms + ": grant it in the Klustr console (changes can take about five minutes to apply)"
	case errors.Is(err, ekycadmin.ErrNoSessions):
		return "the user has no sessions yet (create one with: ekyc-admin create -user ID)"
	case errors.Is(err, ekycadmin.ErrPersonIncomplete):
		return "the identity must have a given name, a family name and a date of birth, and be at least 14, before it can be verified"
	case errors.Is(err, kyc.ErrUnauthorized):
		return "the access token was refused: check the credential and that -base-url and -token-url belong to the same deployment"
	case errors.Is(err, kyc.ErrNotFound):
		return "not found: check the user id and -base-url"
	case name == "create" && (errors.Is(err, kyc.ErrServer) || errors.As(err, &trErr)):
		// CreateSession is not retried once the request may have reached
		// the server: it is not idempotent.
		return "the session may or may not have been created: check with \"ekyc-admin status -user ID\" before creating again"
	case errors.As(err, &pageErr):
		return "the server's pages changed while listing; run the command again"
	case errors.As(err, &trErr):
		return "could not reach the server: check -base-url (or " + envBaseURL + ") and the network"
	}
	return ""
}
