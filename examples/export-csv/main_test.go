package main

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
)

// formulaID is a user id a spreadsheet would run as a formula.
const formulaID = `=HYPERLINK("http://127.0.0.1/x","click")`

// fake starts fractalidtest with a few users and returns it with the
// environment pointing the program at it.
func fake(t *testing.T) (*fractalidtest.Server, map[string]string) {
	t.Helper()
	srv := fractalidtest.NewServer(t, fractalidtest.WithClientAuth(fractalidtest.ClientAuthParams))
	cases := []struct {
		id, level string
		state     fractalidtest.State
	}{
		{"320bfdaa-213e-41fb-8d77-ed98c415f01e", "basic+liveness", fractalidtest.Approved},
		{"320bfdaa-213e-41fb-8d77-ed98c415f01e", "plus", fractalidtest.Pending},
		{"87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10", "basic", fractalidtest.Expired},
		{"a4f2c1d0-9e8b-4b7a-8c6d-5e4f3a2b1c0d", "light+selfie+wallet", fractalidtest.Rejected},
		{formulaID, "basic", fractalidtest.Contacted},
	}
	for _, c := range cases {
		u := srv.AddUser(fractalidtest.User{ID: c.id})
		if err := u.SetCase(c.level, c.state); err != nil {
			t.Fatal(err)
		}
	}
	app := srv.DefaultClient()
	env := srv.Environment()
	return srv, map[string]string{
		envClientID:     app.ID,
		envClientSecret: app.Secret,
		envAuthURL:      env.AuthURL,
		envResourceURL:  env.ResourceURL,
	}
}

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut, func(k string) string { return env[k] })
	if s := env[envClientSecret]; s != "" && (strings.Contains(out.String(), s) || strings.Contains(errOut.String(), s)) {
		t.Errorf("%v: the client secret appears in the output", args)
	}
	return code, out.String(), errOut.String()
}

func parseCSV(t *testing.T, s string) (header []string, rows map[string][]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("not CSV (%v):\n%s", err, s)
	}
	rows = map[string][]string{}
	for _, r := range recs[1:] {
		k := r[0] + " " + r[1]
		if _, dup := rows[k]; dup {
			t.Errorf("row %q twice", k)
		}
		rows[k] = r
	}
	return recs[0], rows
}

func TestExport(t *testing.T) {
	t.Parallel()
	const (
		us   = "320bfdaa-213e-41fb-8d77-ed98c415f01e"
		dk   = "87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10"
		none = "a4f2c1d0-9e8b-4b7a-8c6d-5e4f3a2b1c0d"
		safe = "'" + formulaID // neutralised: a leading quote, shown as text
	)
	tests := []struct {
		name       string
		args       []string
		wantHeader []string
		wantRows   map[string][]string
	}{
		{"plain, streamed", nil,
			[]string{"user_id", "level", "status"},
			map[string][]string{
				us + " basic+liveness":        {us, "basic+liveness", "approved"},
				us + " plus":                  {us, "plus", "pending"},
				dk + " basic":                 {dk, "basic", "expired"},
				none + " light+selfie+wallet": {none, "light+selfie+wallet", "rejected"},
				safe + " basic":               {safe, "basic", "contacted"},
			}},
		{"named columns, streamed", []string{"-columns", "basic, liveness"},
			[]string{"user_id", "level", "status", "basic", "liveness"},
			map[string][]string{
				us + " basic+liveness":        {us, "basic+liveness", "approved", "yes", "yes"},
				us + " plus":                  {us, "plus", "pending", "", ""},
				dk + " basic":                 {dk, "basic", "expired", "yes", ""},
				none + " light+selfie+wallet": {none, "light+selfie+wallet", "rejected", "", ""},
				safe + " basic":               {safe, "basic", "contacted", "yes", ""},
			}},
		{"level columns", []string{"-level-columns"},
			[]string{"user_id", "level", "status", "basic", "plus", "light", "liveness", "selfie", "wallet"},
			map[string][]string{
				us + " basic+liveness":        {us, "basic+liveness", "approved", "yes", "", "", "yes", "", ""},
				us + " plus":                  {us, "plus", "pending", "", "yes", "", "", "", ""},
				dk + " basic":                 {dk, "basic", "expired", "yes", "", "", "", "", ""},
				none + " light+selfie+wallet": {none, "light+selfie+wallet", "rejected", "", "", "yes", "", "yes", "yes"},
				safe + " basic":               {safe, "basic", "contacted", "yes", "", "", "", "", ""},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, env := fake(t)
			code, stdout, stderr := runCLI(t, env, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			header, rows := parseCSV(t, stdout)
			if !slices.Equal(header, tt.wantHeader) {
				t.Errorf("header %q, want %q", header, tt.wantHeader)
			}
			if !reflect.DeepEqual(rows, tt.wantRows) {
				t.Errorf("rows:\n%q\nwant\n%q", rows, tt.wantRows)
			}
			if strings.Contains(stdout, "\n=") || strings.Contains(stdout, ",=") {
				t.Errorf("a cell starts with '=':\n%s", stdout)
			}
			if want := "export-csv: wrote 5 rows from http://127.0.0.1:"; !strings.HasPrefix(stderr, want) {
				t.Errorf("stderr %q, want prefix %q", stderr, want)
			}
			if n := srv.Count(http.MethodGet, "/v2/stats/user-verifications"); n != 1 {
				t.Errorf("%d requests for the list, want 1", n)
			}
		})
	}
}

func TestExportToFile(t *testing.T) {
	t.Parallel()
	srv, env := fake(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "verifications.csv")

	code, stdout, stderr := runCLI(t, env, "-o", path, "-level-columns")
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := parseCSV(t, string(b))
	if len(header) != 9 || len(rows) != 5 {
		t.Errorf("header %q, %d rows", header, len(rows))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want 0600", fi.Mode(), err)
	}
	if !strings.HasSuffix(stderr, " to "+path+"\n") {
		t.Errorf("stderr %q", stderr)
	}

	// A failed export leaves the previous file as it was and no temporary
	// file behind.
	srv.InjectFault(http.MethodGet, "/v2/stats/user-verifications", kyctest.Fault{Kind: kyctest.FaultStatus, Status: http.StatusInternalServerError})
	code, _, stderr = runCLI(t, env, "-o", path)
	if code != exitError || !strings.Contains(stderr, "500") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, b) {
		t.Errorf("the previous export changed (%v)", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left in the directory: %v", ents)
	}

	// Same for a truncated body: no half-written export.
	srv.InjectFault(http.MethodGet, "/v2/stats/user-verifications", kyctest.Fault{Kind: kyctest.FaultTruncate, Times: 3})
	other := filepath.Join(dir, "other.csv")
	code, _, stderr = runCLI(t, env, "-o", other)
	if code != exitError {
		t.Fatalf("truncated: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a file was written for a failed export (%v)", err)
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(srv *fractalidtest.Server, env map[string]string)
		args     []string
		wantCode int
		want     []string
	}{
		{"wrong secret", func(_ *fractalidtest.Server, env map[string]string) { env[envClientSecret] = "wrong-secret" },
			nil, exitError, []string{"export-csv: kyc: cannot obtain token", "could not obtain an access token: check KYC_FRACTAL_CLIENT_ID"}},
		{"statistics refused", func(srv *fractalidtest.Server, _ map[string]string) {
			srv.InjectFault(http.MethodGet, "/v2/stats/user-verifications", kyctest.Fault{Kind: kyctest.FaultStatus, Status: http.StatusForbidden})
		}, nil, exitError, []string{"403", "needs the client.stats:read scope"}},
		{"no credentials", func(_ *fractalidtest.Server, env map[string]string) {
			delete(env, envClientID)
			delete(env, envClientSecret)
		},
			nil, exitUsage, []string{"no application credentials: set KYC_FRACTAL_CLIENT_ID and KYC_FRACTAL_CLIENT_SECRET"}},
		{"unknown environment", func(_ *fractalidtest.Server, env map[string]string) { env[envEnvironment] = "sandbox" },
			nil, exitUsage, []string{`KYC_FRACTAL_ENVIRONMENT must be production or staging, not "sandbox"`}},
		{"bad column", nil, []string{"-columns", "basic,,plus"}, exitUsage, []string{"invalid item column"}},
		{"level columns in -columns", nil, []string{"-columns", "basic+plus"}, exitUsage, []string{"invalid item column"}},
		{"extra argument", nil, []string{"out.csv"}, exitUsage, []string{`unexpected argument "out.csv"`}},
		{"unknown flag", nil, []string{"-x"}, exitUsage, []string{"flag provided but not defined: -x"}},
		{"help", nil, []string{"-h"}, exitOK, []string{"usage: export-csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, env := fake(t)
			secret := env[envClientSecret]
			if tt.setup != nil {
				tt.setup(srv, env)
			}
			code, stdout, stderr := runCLI(t, env, tt.args...)
			if strings.Contains(stderr, secret) || strings.Contains(stderr, "wrong-secret") {
				t.Error("a secret appears on stderr")
			}
			if code != tt.wantCode || stdout != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.wantCode == exitUsage && srv.Count("", "/v2/stats/*") != 0 {
				t.Error("a usage error sent a request")
			}
		})
	}
}
