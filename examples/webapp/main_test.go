package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
)

func noEnv(string) string { return "" }

// startRun runs the program as `go run ./examples/webapp -addr 127.0.0.1:0`
// would, and returns the URL it prints and a func that stops it and
// returns its error.
func startRun(t *testing.T, getenv func(string) string, args ...string) (openURL string, output *strings.Builder, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, getenv, pw, slog.New(slog.DiscardHandler))
		pw.Close()
		done <- err
	}()
	output = &strings.Builder{}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		for range lines { // drain until run closes the pipe
		}
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after its context was canceled")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	for line := range lines {
		output.WriteString(line + "\n")
		if u, ok := strings.CutPrefix(line, "Open "); ok {
			return u, output, stop
		}
	}
	err := stop()
	t.Fatalf("run printed no URL (err %v):\n%s", err, output)
	return "", nil, nil
}

// TestRunDemo runs main's code path with no credentials: the fake starts
// in-process, the printed URL works end to end and the program stops
// cleanly.
func TestRunDemo(t *testing.T) {
	openURL, out, stop := startRun(t, noEnv, "-addr", "127.0.0.1:0")
	if !strings.HasPrefix(openURL, "http://127.0.0.1:") || !strings.Contains(out.String(), "in-process fake Fractal ID") ||
		!strings.Contains(out.String(), "is approved for basic+liveness") {
		t.Fatalf("output:\n%s", out)
	}
	client, _ := newBrowserClient(t)
	lp := do(t, client, http.MethodPost, strings.TrimSuffix(openURL, "/")+"/login", nil)
	cb := consent(t, client, lp.location(t), "approve")
	if p := do(t, client, http.MethodGet, cb, nil); p.status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", p.status, p.text())
	}
	st := do(t, client, http.MethodGet, openURL+"status", nil)
	if !strings.Contains(st.text(), "Status: approved (basic+liveness)") {
		t.Fatalf("status page:\n%s", st.text())
	}
	if strings.Contains(st.body, "Demo User") || strings.Contains(st.body, "demo.user@example.com") {
		t.Error("personal data of the demo user on the status page")
	}
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestRunLevelFlag(t *testing.T) {
	openURL, out, stop := startRun(t, noEnv, "-addr", "127.0.0.1:0", "-level", "plus+selfie")
	if !strings.Contains(out.String(), "approved for plus+selfie") {
		t.Fatalf("output:\n%s", out)
	}
	client, _ := newBrowserClient(t)
	lp := do(t, client, http.MethodPost, openURL+"login", nil)
	cb := consent(t, client, lp.location(t), "approve")
	do(t, client, http.MethodGet, cb, nil)
	if st := do(t, client, http.MethodGet, openURL+"status", nil); !strings.Contains(st.text(), "Status: approved (plus+selfie)") {
		t.Fatalf("status page:\n%s", st.text())
	}
	client.CloseIdleConnections()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRunRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"-nope"}, nil, "flag provided but not defined"},
		{"empty level", []string{"-level", "+"}, nil, "-level is empty"},
		{"partial credentials", nil, map[string]string{envClientID: "id"}, "set KYC_FRACTAL_CLIENT_SECRET and KYC_FRACTAL_REDIRECT_URI too"},
		{"bad listen address", []string{"-addr", "127.0.0.1:-1"}, nil, "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, io.Discard, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRealConfig(t *testing.T) {
	creds := map[string]string{envClientID: "id", envClientSecret: "s3cr3t-value", envRedirectURI: "https://shop.example.test/callback"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range creds {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantEnv string // "" = demo (nil config)
		wantErr string
	}{
		{"nothing set: demo", nil, "", ""},
		{"default staging", creds, "staging", ""},
		{"staging", with(map[string]string{envEnvironment: "staging"}), "staging", ""},
		{"production", with(map[string]string{envEnvironment: "production"}), "production", ""},
		{"case-insensitive", with(map[string]string{envEnvironment: "Production"}), "production", ""},
		{"unknown environment", with(map[string]string{envEnvironment: "sandbox"}), "", "must be staging or production"},
		{"secret missing", map[string]string{envClientID: "id", envRedirectURI: "x"}, "", "set KYC_FRACTAL_CLIENT_SECRET too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := realConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantEnv == "" {
				if cfg != nil {
					t.Fatalf("config %v, want the demo", cfg)
				}
				return
			}
			want := map[string]fractalid.Environment{"staging": fractalid.Staging, "production": fractalid.Production}[tt.wantEnv]
			if cfg == nil || cfg.Environment != want || cfg.ClientID != "id" || cfg.ClientSecret != "s3cr3t-value" {
				t.Fatalf("config %v", cfg)
			}
			if strings.Contains(cfg.String(), "s3cr3t-value") {
				t.Error("the client secret is printed")
			}
		})
	}
}

// TestHelpExitsZero: -h prints the usage and exits 0.
func TestHelpExitsZero(t *testing.T) {
	var out, errOut strings.Builder
	err := run(t.Context(), []string{"-h"}, noEnv, &out, slog.New(slog.DiscardHandler))
	if code := exitStatus(err, &errOut); code != 0 || errOut.Len() != 0 {
		t.Errorf("-h: exit status %d, stderr %q", code, errOut.String())
	}
	if !strings.Contains(out.String(), "-addr") {
		t.Errorf("-h output:\n%s", out.String())
	}
	if code := exitStatus(run(t.Context(), []string{"-no-such-flag"}, noEnv, &out, slog.New(slog.DiscardHandler)), &errOut); code == 0 {
		t.Errorf("unknown flag: exit status 0")
	}
}
