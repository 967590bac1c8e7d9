package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kycgo/kyc/fractalid"
)

// Environment variables that select the real Fractal ID service.
const (
	envClientID     = "KYC_FRACTAL_CLIENT_ID"
	envClientSecret = "KYC_FRACTAL_CLIENT_SECRET"
	envRedirectURI  = "KYC_FRACTAL_REDIRECT_URI"
	// envEnvironment is the name package integrations reads too.
	envEnvironment = "KYC_FRACTAL_ENVIRONMENT"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	code := exitStatus(run(ctx, os.Args[1:], os.Getenv, os.Stdout, logger), os.Stderr)
	stop()
	os.Exit(code)
}

// exitStatus maps run's error to the exit status, printing it: -h (the
// flag package already printed the usage) is not an error.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "webapp:", err)
	return 1
}

// run parses the flags, sets up the real service or the in-process fake,
// and serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (the demo listens on loopback only)")
	levelStr := fs.String("level", "basic+liveness", "KYC level to ask for and check")
	postgresURL := fs.String("postgres", "", "postgres:// URL: keep users' tokens in the database (keys in $"+envTokenKeys+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := fractalid.ParseLevel(*levelStr)
	if len(level) == 0 {
		return errors.New("-level is empty")
	}
	live, err := realConfig(getenv)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	cfg := appConfig{Level: level, Logger: logger}
	if *postgresURL != "" {
		tokens, closePool, err := openTokenStore(ctx, *postgresURL, getenv)
		if err != nil {
			return err
		}
		defer closePool()
		cfg.Tokens = tokens
		fmt.Fprintln(out, "Users' tokens are kept in PostgreSQL, encrypted.")
	}
	var openURL string
	if live != nil {
		cfg.Fractal = *live
		ru, _ := url.Parse(live.RedirectURL)
		openURL = (&url.URL{Scheme: ru.Scheme, Host: ru.Host, Path: "/"}).String()
		fmt.Fprintf(out, "Using Fractal ID %s (%s) with client %s.\n", live.Environment.Name, live.Environment.FrontendURL, live.ClientID)
		fmt.Fprintf(out, "Listening on %s; the redirect URI %s must reach this server.\n", ln.Addr(), live.RedirectURL)
	} else {
		tcp, ok := ln.Addr().(*net.TCPAddr)
		if !ok || !tcp.IP.IsLoopback() {
			return fmt.Errorf("the demo listens on a loopback address only (got %s): use -addr 127.0.0.1:PORT", ln.Addr())
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", tcp.Port)
		d, err := startDemo(base+"/callback", level)
		if err != nil {
			return err
		}
		defer d.close()
		cfg.Fractal = d.config
		openURL = base + "/"
		fmt.Fprintf(out, "No %s set: using the in-process fake Fractal ID at %s.\n", envClientID, d.server.URL())
		fmt.Fprintf(out, "Demo user %s is approved for %s.\n", d.user, level)
	}

	a, err := newApp(cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * callTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(out, "Open %s\n", openURL)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// realConfig reads the real service's settings from the environment: nil
// when none of the credentials is set, an error when only some are.
func realConfig(getenv func(string) string) (*fractalid.Config, error) {
	id, secret, redirect := getenv(envClientID), getenv(envClientSecret), getenv(envRedirectURI)
	if id == "" && secret == "" && redirect == "" {
		return nil, nil
	}
	var missing []string
	for _, v := range []struct{ name, value string }{{envClientID, id}, {envClientSecret, secret}, {envRedirectURI, redirect}} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("set %s too (or none of them for the demo)", strings.Join(missing, " and "))
	}
	name := getenv(envEnvironment)
	var env fractalid.Environment
	switch strings.ToLower(name) {
	case "", "staging":
		env = fractalid.Staging
	case "production":
		env = fractalid.Production
	default:
		return nil, fmt.Errorf("%s must be staging or production, not %q", envEnvironment, name)
	}
	return &fractalid.Config{ClientID: id, ClientSecret: secret, RedirectURL: redirect, Environment: env}, nil
}
