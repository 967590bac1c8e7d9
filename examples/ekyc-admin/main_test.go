package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/ekycadmin/ekycadmintest"
)

// cli runs the program against a fake with a credential in the environment.
type cli struct {
	srv          *ekycadmintest.Server
	id, secret   string
	env          map[string]string
	extraSecrets []string
}

func newCLI(t *testing.T, srv *ekycadmintest.Server, perms ...ekycadmintest.Permission) *cli {
	t.Helper()
	id, secret := srv.Credentials(perms...)
	return &cli{srv: srv, id: id, secret: secret, env: map[string]string{
		envClientID:     id,
		envClientSecret: secret,
		envBaseURL:      srv.BaseURL(),
		envTokenURL:     srv.TokenURL(),
	}}
}

// run runs the program and checks that the client secret never shows.
func (c *cli) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut, func(k string) string { return c.env[k] })
	for _, s := range append([]string{c.secret}, c.extraSecrets...) {
		if s != "" && (strings.Contains(out.String(), s) || strings.Contains(errOut.String(), s)) {
			t.Errorf("%v: a secret appears in the output", args)
		}
	}
	return code, out.String(), errOut.String()
}

func TestListPagesWithProgress(t *testing.T) {
	t.Parallel()
	const users, pageSize = 2500, 1000
	srv := ekycadmintest.NewServer(t)
	tokens := map[string]bool{}
	for i := range users {
		id := fmt.Sprintf("user-%04d", i)
		srv.AddSession(id, ekycadmin.StatusCreated)
		for _, r := range srv.Sessions(id) {
			tokens[r.SessionToken] = true
		}
	}
	// The last user has a second session, started.
	last := fmt.Sprintf("user-%04d", users-1)
	if err := srv.SetSessionStatus(last, srv.AddSession(last, ekycadmin.StatusCreated), ekycadmin.StatusStarted); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"json lines", []string{"-page-size", fmt.Sprint(pageSize), "list"}, func(t *testing.T, stdout string) {
			seen := map[string]bool{}
			sessions := 0
			sc := bufio.NewScanner(strings.NewReader(stdout))
			for sc.Scan() {
				var u userJSON
				if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				if seen[u.UserID] {
					t.Errorf("user %s printed twice", u.UserID)
				}
				seen[u.UserID] = true
				sessions += len(u.Sessions)
				for _, s := range u.Sessions {
					if s.ID == "" || s.Key == "" || !s.Status.IsInProgress() {
						t.Errorf("user %s: session %+v", u.UserID, s)
					}
				}
			}
			if len(seen) != users || sessions != users+1 {
				t.Errorf("%d users and %d sessions printed, want %d and %d", len(seen), sessions, users, users+1)
			}
			if strings.Contains(stdout, "sessionToken") || strings.Contains(stdout, `"url"`) {
				t.Error("the JSON output holds session tokens or URLs")
			}
		}},
		{"table", []string{"list", "-output", "table", "-page-size", fmt.Sprint(pageSize)}, func(t *testing.T, stdout string) {
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != users+2 {
				t.Fatalf("%d lines, want a header and %d rows", len(lines), users+1)
			}
			header := lines[0]
			col := strings.Index(header, "SESSION ID")
			statusCol := strings.Index(header, "STATUS")
			if !strings.HasPrefix(header, "USER ID") || col < 0 || statusCol < 0 {
				t.Fatalf("header %q", header)
			}
			started := 0
			for i, l := range lines[1:] {
				// Aligned: every row's second and third columns start
				// where the header's do, across the flushed pages too.
				if l[col-1] != ' ' || l[col] == ' ' || l[statusCol-1] != ' ' || l[statusCol] == ' ' {
					t.Fatalf("row %d not aligned with the header:\n%s\n%s", i, header, l)
				}
				if strings.HasPrefix(l[statusCol:], "started ") {
					started++
				}
			}
			if started != 1 {
				t.Errorf("%d started sessions in the table, want 1", started)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, srv, ekycadmintest.PermissionList)
			before := srv.Count(http.MethodGet, ekycadmintest.PathList)
			code, stdout, stderr := c.run(t, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if got := srv.Count(http.MethodGet, ekycadmintest.PathList) - before; got != 3 {
				t.Errorf("%d list requests, want 3 pages of %d", got, pageSize)
			}
			for _, want := range []string{
				"ekyc-admin: fetched 1000 sessions of 1000 users...\n",
				fmt.Sprintf("ekyc-admin: fetched %d sessions of %d users, done\n", users+1, users),
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			for tok := range tokens {
				if strings.Contains(stdout, tok) {
					t.Fatal("a session token was printed")
				}
			}
			tt.check(t, stdout)
		})
	}

	t.Run("quiet", func(t *testing.T) {
		c := newCLI(t, srv, ekycadmintest.PermissionList)
		code, stdout, stderr := c.run(t, "list", "-quiet")
		if code != exitOK || stderr != "" || strings.Count(stdout, "\n") != users {
			t.Errorf("exit %d, %d lines, stderr %q", code, strings.Count(stdout, "\n"), stderr)
		}
	})
}

func TestCreateThenStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		opts        []ekycadmintest.Option
		wantVerdict ekycadmin.Status
	}{
		{"verdict as the provider wrote it", nil, ekycadmin.StatusApproved},
		{"verdict through the server's mapping", []ekycadmintest.Option{ekycadmintest.WithMappedVerdict()}, ekycadmin.StatusSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ekycadmintest.NewServer(t, tt.opts...)
			srv.AddUser(ekycadmintest.ValidUser("user-1"))
			c := newCLI(t, srv, ekycadmintest.AllPermissions()...)
			// The base URL from the flag this time.
			delete(c.env, envBaseURL)

			code, stdout, stderr := c.run(t, "-base-url", srv.BaseURL(), "create", "-user", "user-1", "-callback", "https://example.com/done?x=1&y=2")
			if code != exitOK {
				t.Fatalf("create: exit %d, stderr:\n%s", code, stderr)
			}
			var created createdJSON
			if err := json.Unmarshal([]byte(stdout), &created); err != nil {
				t.Fatalf("create output %q: %v", stdout, err)
			}
			recs := srv.Sessions("user-1")
			if len(recs) != 1 {
				t.Fatalf("%d sessions on the server, want 1", len(recs))
			}
			rec := recs[0]
			c.extraSecrets = append(c.extraSecrets, rec.SessionToken)
			if created.UserID != "user-1" || created.SessionID != rec.ID || created.Status != ekycadmin.StatusCreated || created.URL != rec.URL || rec.URL == "" {
				t.Errorf("create printed %+v, server has %v", created, rec)
			}
			if rec.Callback != "https://example.com/done?x=1&y=2" {
				t.Errorf("callback %q reached the server", rec.Callback)
			}

			st := status(t, c, "-base-url", srv.BaseURL(), "status", "-user", "user-1")
			if st.TotalSessions != 1 || st.Outcome != "none" || st.Verdict != nil {
				t.Errorf("before the decision: %+v", st)
			}
			if b := st.Buckets["created"]; b == nil || b.ID != rec.ID || b.Status != ekycadmin.StatusCreated {
				t.Errorf("created bucket %+v, want session %s", b, rec.ID)
			}
			if b, ok := st.Buckets["success"]; !ok || b != nil {
				t.Errorf("success bucket %+v (present %v), want null", b, ok)
			}

			if err := srv.Decide("user-1", rec.ID, ekycadmin.StatusApproved, "documents verified"); err != nil {
				t.Fatal(err)
			}
			st = status(t, c, "-base-url", srv.BaseURL(), "status", "-user", "user-1")
			if st.Outcome != "approved" || st.Verdict == nil || st.Verdict.Status != tt.wantVerdict || st.Verdict.Reason != "" || st.TotalSessions != 0 {
				t.Errorf("after approval: %+v verdict %+v", st, st.Verdict)
			}
			st = status(t, c, "-base-url", srv.BaseURL(), "status", "-user", "user-1", "-reason")
			if st.Verdict == nil || st.Verdict.Reason != "documents verified" {
				t.Errorf("-reason: verdict %+v", st.Verdict)
			}

			code, stdout, stderr = c.run(t, "-base-url", srv.BaseURL(), "-output", "table", "status", "-user", "user-1")
			if code != exitOK {
				t.Fatalf("status table: exit %d, stderr:\n%s", code, stderr)
			}
			for _, want := range []string{"user              user-1\n", "outcome           approved\n", "verdict           " + string(tt.wantVerdict) + "\n", "bucket created    -\n"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("status table lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

func status(t *testing.T, c *cli, args ...string) statusJSON {
	t.Helper()
	code, stdout, stderr := c.run(t, args...)
	if code != exitOK {
		t.Fatalf("status: exit %d, stderr:\n%s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status output %q: %v", stdout, err)
	}
	return st
}

func TestCreateTable(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.ValidUser("user-1"))
	c := newCLI(t, srv, ekycadmintest.PermissionCreate)
	// The flag takes the place of the variable, which is not even checked.
	c.env[envBaseURL] = "http://api.example.com"
	code, stdout, stderr := c.run(t, "create", "-output", "table", "-user", "user-1", "-base-url", srv.BaseURL())
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	rec := srv.Sessions("user-1")[0]
	want := "user            user-1\nsession id      " + rec.ID + "\nstatus          created\nonboarding url  " + rec.URL + "\n"
	if stdout != want {
		t.Errorf("got\n%s\nwant\n%s", stdout, want)
	}
}

// A credential without the permission a command needs gives exit 1 and a
// message naming the permission, whichever way the server refuses.
func TestPermissionRefused(t *testing.T) {
	t.Parallel()
	denials := []struct {
		name string
		d    ekycadmintest.PermissionDenial
	}{
		{"401 missing_permissions", ekycadmintest.DenyMissingPermissions},
		{"403", ekycadmintest.DenyForbidden},
		{"500 AccessDeniedException", ekycadmintest.DenyAccessDenied500},
	}
	commands := []struct {
		args  []string
		perms []ekycadmintest.Permission
		need  string
	}{
		{[]string{"list"}, []ekycadmintest.Permission{ekycadmintest.PermissionGet, ekycadmintest.PermissionCreate}, ekycadmin.PermissionList},
		{[]string{"create", "-user", "user-1"}, []ekycadmintest.Permission{ekycadmintest.PermissionList, ekycadmintest.PermissionGet}, ekycadmin.PermissionCreate},
		{[]string{"status", "-user", "user-1"}, []ekycadmintest.Permission{ekycadmintest.PermissionList}, ekycadmin.PermissionGet},
	}
	for _, d := range denials {
		for _, cmd := range commands {
			t.Run(d.name+"/"+cmd.args[0], func(t *testing.T) {
				t.Parallel()
				srv := ekycadmintest.NewServer(t, ekycadmintest.WithPermissionDenial(d.d))
				srv.AddUser(ekycadmintest.ValidUser("user-1"))
				srv.AddSession("user-1", ekycadmin.StatusCreated)
				c := newCLI(t, srv, cmd.perms...)
				code, stdout, stderr := c.run(t, cmd.args...)
				if code != exitAPI {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitAPI, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout %q, want nothing", stdout)
				}
				want := "ekyc-admin " + cmd.args[0] + ": kyc: "
				hint := "  the credential lacks permission " + cmd.need + ": grant it in the Klustr console"
				if !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, hint) {
					t.Errorf("stderr:\n%s\nwant %q and %q", stderr, want, hint)
				}
				if n := srv.SessionCount("user-1"); n != 1 {
					t.Errorf("%d sessions after a refused call, want 1", n)
				}
			})
		}
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	srv.AddUser(ekycadmintest.User{ID: "child", GivenName: "A", FamilyName: "B", BirthDate: "2020-01-01"})
	srv.AddUser(ekycadmintest.User{ID: "nameless", BirthDate: "1990-01-01"})

	tests := []struct {
		name     string
		setup    func(c *cli)
		args     []string
		wantErr  string
		wantHint string
	}{
		{"wrong secret", func(c *cli) { c.env[envClientSecret] = "not-the-secret"; c.extraSecrets = []string{"not-the-secret"} },
			[]string{"list"}, "kyc: cannot obtain token", "could not obtain an access token: check KYC_EKYC_CLIENT_ID, KYC_EKYC_CLIENT_SECRET"},
		{"underage", nil, []string{"create", "-user", "child"}, "400", "at least 14"},
		{"no name", nil, []string{"create", "-user", "nameless"}, "400", "must have a given name"},
		{"nothing listening", func(c *cli) { c.env[envBaseURL] = "http://127.0.0.1:1" },
			[]string{"status", "-user", "x"}, "", "could not reach the server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, srv, ekycadmintest.AllPermissions()...)
			if tt.setup != nil {
				tt.setup(c)
			}
			code, stdout, stderr := c.run(t, tt.args...)
			if code != exitAPI || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) || !strings.Contains(stderr, tt.wantHint) {
				t.Errorf("stderr:\n%s\nwant %q and %q", stderr, tt.wantErr, tt.wantHint)
			}
		})
	}
	if n := srv.TotalSessions(); n != 0 {
		t.Errorf("%d sessions created by refused calls", n)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	tests := []struct {
		name     string
		noCreds  bool
		env      map[string]string
		args     []string
		wantCode int
		want     string // in stderr, or in stdout for help
	}{
		{"no command", false, nil, nil, exitUsage, "usage: ekyc-admin"},
		{"unknown command", false, nil, []string{"delete"}, exitUsage, `unknown command "delete"`},
		{"unknown flag", false, nil, []string{"list", "-verbose"}, exitUsage, "flag provided but not defined: -verbose"},
		{"bad output", false, nil, []string{"-output", "xml", "list"}, exitUsage, `-output must be "json" or "table"`},
		{"bad page size", false, nil, []string{"list", "-page-size", "0"}, exitUsage, "-page-size must be positive"},
		{"extra argument", false, nil, []string{"status", "-user", "u", "more"}, exitUsage, `unexpected argument "more"`},
		{"create without user", false, nil, []string{"create"}, exitUsage, "create needs -user ID"},
		{"status without user", false, nil, []string{"status"}, exitUsage, "status needs -user ID"},
		{"relative callback", false, nil, []string{"create", "-user", "u", "-callback", "/done"}, exitUsage, "invalid argument"},
		{"insecure base URL flag", false, nil, []string{"-base-url", "http://api.example.com", "list"}, exitUsage, "ekyc.base_url (KYC_EKYC_BASE_URL): "},
		{"insecure token URL", false, map[string]string{envTokenURL: "http://auth.example.com/token"}, []string{"list"}, exitUsage, "ekyc.token_url (KYC_EKYC_TOKEN_URL): "},
		{"secret missing", false, map[string]string{envClientSecret: ""}, []string{"list"}, exitUsage, "ekyc.client_secret (KYC_EKYC_CLIENT_SECRET): is required"},
		{"no credential", true, nil, []string{"list"}, exitUsage, "no service credential: set KYC_EKYC_CLIENT_ID and KYC_EKYC_CLIENT_SECRET"},
		{"help flag", false, nil, []string{"-h"}, exitOK, "usage: ekyc-admin"},
		{"help command", false, nil, []string{"help"}, exitOK, "usage: ekyc-admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t, srv, ekycadmintest.AllPermissions()...)
			if tt.noCreds {
				delete(c.env, envClientID)
				delete(c.env, envClientSecret)
			}
			// A half-configured Fractal app in the same environment does
			// not get in the way.
			c.env["KYC_FRACTAL_CLIENT_ID"] = "app"
			for k, v := range tt.env {
				c.env[k] = v
			}
			code, stdout, stderr := c.run(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q; want %q", code, tt.wantCode, stdout, stderr, tt.want)
			}
		})
	}
	if n := srv.Count("", "*"); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

// A table written page by page stays aligned when later pages hold
// narrower values than the first (here, the header is the widest).
func TestListTableAlignedAcrossPages(t *testing.T) {
	t.Parallel()
	srv := ekycadmintest.NewServer(t)
	for i := range 7 {
		srv.AddSession(fmt.Sprintf("u-%d", i), ekycadmin.StatusCreated)
	}
	srv.AddUsers("u-7") // a user without sessions is not listed
	c := newCLI(t, srv, ekycadmintest.PermissionList)
	code, stdout, stderr := c.run(t, "list", "-output", "table", "-page-size", "2")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), stdout)
	}
	for _, h := range []string{"SESSION ID", "STATUS", "CREATED", "MODIFIED"} {
		col := strings.Index(lines[0], h)
		for _, l := range lines[1:] {
			if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
				t.Fatalf("column %s not aligned:\n%s", h, stdout)
			}
		}
	}
	if got := srv.Count(http.MethodGet, ekycadmintest.PathList); got != 4 {
		t.Errorf("%d list requests, want 4 pages of 2", got)
	}
}
