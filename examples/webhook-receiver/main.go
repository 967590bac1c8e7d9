// Command webhook-receiver serves a Fractal ID webhook callback URL: it
// verifies each notification's X-Fractal-Signature against the webhook
// secret token, refuses anything that does not verify, suppresses
// duplicate deliveries and logs each event (type and ids only, never
// personal data).
//
// Run it:
//
//	KYC_FRACTAL_WEBHOOK_SECRET=my-webhook-token go run ./examples/webhook-receiver -addr 127.0.0.1:8080
//
// Print a curl command that sends a correctly signed test event to it:
//
//	KYC_FRACTAL_WEBHOOK_SECRET=my-webhook-token go run ./examples/webhook-receiver -print-curl
//
// Flags:
//
//	-addr        listen address (default 127.0.0.1:8080)
//	-path        callback path (default /webhooks/fractal)
//	-secret      webhook secret token (default $KYC_FRACTAL_WEBHOOK_SECRET)
//	-print-curl  print a curl command sending a signed test event, then exit
//	-redis       redis:// URL: share deduplication with other replicas in Redis
//	-postgres    postgres:// URL: share deduplication in PostgreSQL (expired
//	             rows are pruned at start and hourly) and, when
//	             KYC_FRACTAL_CLIENT_ID, KYC_FRACTAL_CLIENT_SECRET and
//	             KYC_TOKEN_KEYS are set, re-read GET /v2/users/me for the
//	             notification's user with the token stored by examples/webapp
//	             -postgres (KYC_FRACTAL_ENVIRONMENT: staging or production)
//
// Without -redis or -postgres duplicates are suppressed within this
// process only. This example is a module of its own (it brings the Redis
// and PostgreSQL drivers); from the repository root, go run finds it
// through go.work.
//
// The secret is the webhook secret token from the Fractal dashboard's
// webhook settings, not the OAuth client secret.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kycgo/kyc/webhooks"
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
	fmt.Fprintln(stderr, "webhook-receiver:", err)
	return 1
}

type options struct {
	addr, path, secret    string
	redisURL, postgresURL string
	printCurl             bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("webhook-receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.path, "path", "/webhooks/fractal", "callback path")
	// The default is read after parsing, so that -h never prints the secret.
	fs.StringVar(&o.secret, "secret", "", "webhook secret token (default $KYC_FRACTAL_WEBHOOK_SECRET)")
	fs.BoolVar(&o.printCurl, "print-curl", false, "print a curl command that sends a signed test event, then exit")
	fs.StringVar(&o.redisURL, "redis", "", "redis:// URL to share deduplication between replicas")
	fs.StringVar(&o.postgresURL, "postgres", "", "postgres:// URL to share deduplication and re-read users with stored tokens")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.secret == "" {
		o.secret = os.Getenv("KYC_FRACTAL_WEBHOOK_SECRET")
	}
	if o.secret == "" {
		return nil, errors.New("no webhook secret: set KYC_FRACTAL_WEBHOOK_SECRET or -secret")
	}
	if !strings.HasPrefix(o.path, "/") {
		return nil, errors.New("-path must start with /")
	}
	return o, nil
}

// TestEvent is the body -print-curl sends.
const TestEvent = `{"type":"verification_approved","data":{"level":"basic","user_id":"14ec6af0-12f8-4bce-a6ab-01ce87fa1812","timestamp":"2020-04-02T13:35:35Z"}}`

// CurlCommand returns a shell command that posts TestEvent, signed with secret, to url.
func CurlCommand(url, secret string) string {
	sig := webhooks.Sign([]byte(TestEvent), secret)
	return fmt.Sprintf("curl -sS -i -X POST %s -H 'Content-Type: application/json' -H '%s: %s' --data-raw '%s'",
		url, webhooks.SignatureHeader, sig, TestEvent)
}

// NewHandler returns the receiver's handler: verified events are logged
// through logger and counted in seen (when not nil). Duplicates are
// suppressed in memory.
func NewHandler(secret string, logger *slog.Logger, seen func(*webhooks.Event)) (http.Handler, error) {
	return newHandler(secret, logger, seen, &stores{dedup: webhooks.NewMemoryDeduplicator(0, 0)})
}

// newHandler is NewHandler on the deduplicator of st and, when st.users
// is set, with a re-read of the notification's user.
func newHandler(secret string, logger *slog.Logger, seen func(*webhooks.Event), st *stores) (http.Handler, error) {
	v, err := webhooks.NewVerifier(webhooks.WithDefaultSecrets(secret))
	if err != nil {
		return nil, err
	}
	return webhooks.NewHandler(v, func(ctx context.Context, ev *webhooks.Event) error {
		// The event's LogValue prints the type and ids, never personal data.
		logger.InfoContext(ctx, "fractal webhook", "event", ev)
		if st.users != nil {
			if err := st.users.reread(ctx, ev); err != nil {
				return err
			}
		}
		if seen != nil {
			seen(ev)
		}
		return nil
	}, webhooks.WithDeduplicator(st.dedup), webhooks.WithLogger(logger)), nil
}

// Server timeouts. The handler bounds reading the body itself
// (webhooks.DefaultReadTimeout, 5s) and gives the function
// webhooks.DefaultHandlerTimeout (8s); the server bounds the rest: the
// headers, the whole request, the whole exchange and idle keep-alive
// connections.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	// writeTimeout covers reading the request and running the function.
	writeTimeout = readTimeout + webhooks.DefaultHandlerTimeout + 2*time.Second
	idleTimeout  = 60 * time.Second
)

// NewServer returns the receiver's http.Server with every timeout set, so
// that no sender can hold a connection for as long as it likes.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.printCurl {
		fmt.Fprintln(stdout, CurlCommand("http://"+o.addr+o.path, o.secret))
		return nil
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	st, err := openStores(ctx, o.redisURL, o.postgresURL, os.Getenv, logger)
	if err != nil {
		return err
	}
	defer st.close()
	h, err := newHandler(o.secret, logger, nil, st)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(o.path, h)
	srv := NewServer(o.addr, mux)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	// With -postgres, expired deduplication rows are deleted at start and
	// hourly until the server stops. Deferred calls run in reverse: stop
	// ends the pruning, waitPruning waits for it, then st.close closes
	// the pool.
	waitPruning := st.startPruning(ctx, pruneInterval, logger)
	defer waitPruning()
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", o.addr, "path", o.path)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}
