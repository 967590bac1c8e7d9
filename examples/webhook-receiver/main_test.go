package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/kycgo/kyc/webhooks"
)

func TestReceiverVerifiesLogsAndDeduplicates(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	var events []*webhooks.Event
	h, err := NewHandler("test-secret", slog.New(slog.NewTextHandler(&logs, nil)), func(ev *webhooks.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(TestEvent))
		req.Header.Set(webhooks.SignatureHeader, sig)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	good := webhooks.Sign([]byte(TestEvent), "test-secret")
	if got := post(good); got != http.StatusOK {
		t.Fatalf("signed event: status %d", got)
	}
	if got := post(good); got != http.StatusOK {
		t.Fatalf("duplicate: status %d", got)
	}
	if got := post(webhooks.Sign([]byte(TestEvent), "wrong")); got != http.StatusUnauthorized {
		t.Fatalf("bad signature: status %d", got)
	}
	if len(events) != 1 || events[0].UserID() != "14ec6af0-12f8-4bce-a6ab-01ce87fa1812" {
		t.Fatalf("events = %v", events)
	}
	if !strings.Contains(logs.String(), "verification_approved") || strings.Contains(logs.String(), "test-secret") {
		t.Errorf("logs:\n%s", logs.String())
	}
}

func TestPrintCurl(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-print-curl", "-secret", "s3", "-addr", "127.0.0.1:9999"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	want := webhooks.Sign([]byte(TestEvent), "s3")
	if !strings.HasPrefix(line, "curl ") || !strings.Contains(line, "http://127.0.0.1:9999/webhooks/fractal") || !strings.Contains(line, want) {
		t.Fatalf("curl line = %q", line)
	}
}

// TestCurlLineIsAccepted runs the printed curl command (when curl exists)
// against the receiver's handler.
func TestCurlLineIsAccepted(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	h, err := NewHandler("s3", slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	out, err := exec.Command("sh", "-c", CurlCommand(srv.URL+"/webhooks/fractal", "s3")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "200 OK") {
		t.Fatalf("curl: %v\n%s", err, out)
	}
}

func TestMissingSecret(t *testing.T) {
	t.Setenv("KYC_FRACTAL_WEBHOOK_SECRET", "")
	var out bytes.Buffer
	if err := run(t.Context(), nil, &out, &out); err == nil || !strings.Contains(err.Error(), "KYC_FRACTAL_WEBHOOK_SECRET") {
		t.Fatalf("err = %v", err)
	}
}

// TestHelpExitsZero: -h prints the usage and exits 0, and the usage never
// shows the secret taken from the environment.
func TestHelpExitsZero(t *testing.T) {
	t.Setenv("KYC_FRACTAL_WEBHOOK_SECRET", "env-secret-7f3a")
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-h"}, &out, &errOut)
	if code := exitStatus(err, &errOut); code != 0 {
		t.Errorf("-h: exit status %d (%v)", code, err)
	}
	if !strings.Contains(errOut.String(), "-print-curl") || strings.Contains(errOut.String(), "help requested") {
		t.Errorf("-h output:\n%s", errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "env-secret-7f3a") {
		t.Errorf("-h prints the secret")
	}
	errOut.Reset()
	if code := exitStatus(run(t.Context(), []string{"-no-such-flag"}, &out, &errOut), &errOut); code == 0 {
		t.Errorf("unknown flag: exit status 0")
	}
}

// TestServerTimeouts: the receiver's server bounds every phase of a
// connection, and leaves the handler the time it needs.
func TestServerTimeouts(t *testing.T) {
	srv := NewServer("127.0.0.1:0", http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.ReadTimeout < webhooks.DefaultReadTimeout || srv.WriteTimeout <= srv.ReadTimeout+webhooks.DefaultHandlerTimeout {
		t.Errorf("read %v / write %v leave the handler too little time", srv.ReadTimeout, srv.WriteTimeout)
	}
}
