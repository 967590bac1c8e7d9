package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/webhooks"
)

// TestRun runs the program and checks what it prints.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"KYC link built for level basic+liveness+idos",
		"OneTimeToken: [redacted]",
		"state approved",
		"a second exchange of the same token is refused",
		"status: approved (final: true)",
		"green: true",
		"webhook verified (handler answered 200)",
		"Status:approved",
		"wrong signature is refused with 401",
		"all steps passed.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	p := krakentest.DefaultOutcome().Person
	for _, pii := range []string{p.FirstName + " ", p.LastName, p.Email, p.DOB, p.Document.Number, "token=ey"} {
		if strings.Contains(text, pii) {
			t.Errorf("output shows %q:\n%s", pii, text)
		}
	}
}

// TestHelp: -h prints the usage and is not an error (main exits 0); flags
// and arguments are refused.
func TestHelp(t *testing.T) {
	var errOut bytes.Buffer
	if err := parseArgs([]string{"-h"}, &errOut); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "usage: kraken") {
		t.Errorf("-h: %v\n%s", err, errOut.String())
	}
	for _, args := range [][]string{{"-x"}, {"extra"}} {
		errOut.Reset()
		if err := parseArgs(args, &errOut); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v: %v", args, err)
		}
	}
	if err := parseArgs(nil, &errOut); err != nil {
		t.Errorf("no arguments: %v", err)
	}
}

// The webhook receiver has every server timeout set.
func TestWebhookServerTimeouts(t *testing.T) {
	s := newWebhookServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 || s.WriteTimeout <= webhooks.DefaultHandlerTimeout {
		t.Errorf("timeouts: header %s, read %s, write %s, idle %s", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}
