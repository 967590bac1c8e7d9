package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/option"
)

// Environment variables holding the application's settings (the names
// package integrations reads).
const (
	envClientID     = "KYC_FRACTAL_CLIENT_ID"
	envClientSecret = "KYC_FRACTAL_CLIENT_SECRET"
	envEnvironment  = "KYC_FRACTAL_ENVIRONMENT"
	envAuthURL      = "KYC_FRACTAL_AUTH_URL"
	envResourceURL  = "KYC_FRACTAL_RESOURCE_URL"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

type options struct {
	out          string
	levelColumns bool
	columns      []fractalid.Item
	timeout      time.Duration
}

// usageError is a mistake in the command line or the configuration: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("export-csv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	var columns string
	fs.StringVar(&o.out, "o", "-", `output file ("-" is stdout)`)
	fs.BoolVar(&o.levelColumns, "level-columns", false, "add a yes/empty column for every level and add-on found in the rows")
	fs.StringVar(&columns, "columns", "", "comma-separated levels or add-ons to add as yes/empty columns, in order")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "timeout of each HTTP attempt, body included")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: export-csv [-o file.csv] [-level-columns] [-columns basic,plus,liveness] [-timeout 2m]")
		fmt.Fprintln(stderr, "environment: "+envClientID+", "+envClientSecret+" (required), "+envEnvironment+" (production|staging), "+envAuthURL+", "+envResourceURL)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	if o.out == "" {
		return nil, usagef(`-o needs a file name ("-" for stdout)`)
	}
	if o.timeout <= 0 {
		return nil, usagef("-timeout must be positive")
	}
	if columns != "" {
		for c := range strings.SplitSeq(columns, ",") {
			o.columns = append(o.columns, fractalid.Item(strings.TrimSpace(c)))
		}
	}
	return o, nil
}

// run is the whole program: it parses args, reads the settings through env,
// exports and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "export-csv:", err)
		}
		return exitUsage
	}
	return report(stderr, export(ctx, o, stdout, stderr, env))
}

func export(ctx context.Context, o *options, stdout, stderr io.Writer, env func(string) string) error {
	var exportOpts []fractalid.ExportOption
	if len(o.columns) > 0 {
		exportOpts = append(exportOpts, fractalid.WithItemColumns(o.columns...))
	}
	if o.levelColumns {
		exportOpts = append(exportOpts, fractalid.WithLevelColumns())
	}
	// Check the export options before anything is sent.
	if err := fractalid.ExportCSV(io.Discard, nil, exportOpts...); err != nil {
		return err
	}
	client, envName, err := newClient(o, env)
	if err != nil {
		return err
	}
	// The list is fetched before the output is opened: a failed request
	// leaves no file behind (and an existing one untouched).
	rows, err := client.UserVerifications(ctx)
	if err != nil {
		return err
	}
	name := o.out
	if name == "-" {
		name = "stdout"
		err = write(stdout, rows, o, exportOpts)
	} else {
		err = writeFile(o.out, func(w io.Writer) error { return write(w, rows, o, exportOpts) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "export-csv: wrote %d rows from %s to %s\n", len(rows), envName, name)
	return nil
}

// newClient builds the statistics client from the environment.
func newClient(o *options, env func(string) string) (*fractalid.StatsClient, string, error) {
	id, secret := strings.TrimSpace(env(envClientID)), env(envClientSecret)
	var missing []string
	if id == "" {
		missing = append(missing, envClientID)
	}
	if secret == "" {
		missing = append(missing, envClientSecret)
	}
	if len(missing) > 0 {
		return nil, "", usagef("no application credentials: set %s", strings.Join(missing, " and "))
	}
	var fe fractalid.Environment
	switch name := strings.TrimSpace(env(envEnvironment)); name {
	case "", "production":
		fe = fractalid.Production
	case "staging":
		fe = fractalid.Staging
	default:
		return nil, "", usagef("%s must be production or staging, not %q", envEnvironment, name)
	}
	if u := strings.TrimSpace(env(envAuthURL)); u != "" {
		fe.AuthURL = u
	}
	if u := strings.TrimSpace(env(envResourceURL)); u != "" {
		fe.ResourceURL = u
	}
	label := fe.Name
	if env(envResourceURL) != "" {
		label = fe.ResourceURL
	}
	c, err := fractalid.NewStatsClient(
		fractalid.WithCredentials(id, secret),
		fractalid.WithEnvironment(fe),
		option.WithTimeout(o.timeout),
		option.WithUserAgent("export-csv-example"),
	)
	return c, label, err
}

// write writes the CSV: with -level-columns through ExportCSV, which needs
// every row to choose the columns; otherwise row by row through the
// streaming exporter.
func write(w io.Writer, rows []fractalid.UserVerification, o *options, opts []fractalid.ExportOption) error {
	bw := bufio.NewWriter(w)
	if o.levelColumns {
		if err := fractalid.ExportCSV(bw, rows, opts...); err != nil {
			return err
		}
	} else {
		e, err := fractalid.NewCSVExporter(bw, opts...)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := e.Write(r); err != nil {
				return err
			}
		}
		if err := e.Flush(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// writeFile writes path through a temporary file in the same directory
// (mode 0600: the rows are user ids) and renames it into place once fill
// succeeded and the data is on disk, so path holds either the old content or
// the complete export.
func writeFile(path string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating output: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// report prints err (if any) with a hint and returns the exit status. The
// errors of package fractalid never hold secrets or bodies.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "export-csv:", err)
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, kyc.ErrInvalidArgument) {
		return exitUsage
	}
	if h := hint(err); h != "" {
		fmt.Fprintln(stderr, "  "+h)
	}
	return exitError
}

func hint(err error) string {
	var (
		tokenErr *kyc.TokenError
		trErr    *kyc.TransportError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.As(err, &tokenErr):
		return "could not obtain an access token: check " + envClientID + ", " + envClientSecret + " and " + envEnvironment
	case errors.Is(err, kyc.ErrForbidden):
		return "the application may not read statistics: its token needs the client.stats:read scope"
	case errors.Is(err, kyc.ErrUnauthorized):
		return "the access token was refused: check that the credentials belong to " + envEnvironment + "'s deployment"
	case errors.Is(err, kyc.ErrResponseTooLarge):
		return "the list is larger than the statistics client accepts (64 MiB by default)"
	case errors.As(err, &trErr):
		return "could not reach the server: check the network and " + envResourceURL
	}
	return ""
}
