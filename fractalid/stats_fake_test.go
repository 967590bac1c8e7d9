package fractalid_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// statsFakeSetup starts the fake with the documented client authentication
// (client_id and client_secret as parameters) and three users.
func statsFakeSetup(t *testing.T) (*fractalidtest.Server, *fractalid.StatsClient, [3]string) {
	t.Helper()
	srv := fractalidtest.NewServer(t, fractalidtest.WithClientAuth(fractalidtest.ClientAuthParams))
	us := srv.AddUser(fractalidtest.User{ID: "320bfdaa-213e-41fb-8d77-ed98c415f01e", Country: "US"})
	dk := srv.AddUser(fractalidtest.User{ID: "87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10", Country: "DK"})
	none := srv.AddUser(fractalidtest.User{ID: "a4f2c1d0-9e8b-4b7a-8c6d-5e4f3a2b1c0d"})
	for _, c := range []struct {
		u     *fractalidtest.FakeUser
		level string
		state fractalidtest.State
	}{
		{us, "basic+liveness", fractalidtest.Approved},
		{us, "plus", fractalidtest.Pending},
		{dk, "basic", fractalidtest.Expired},
		{none, "light+selfie+wallet", fractalidtest.Rejected},
	} {
		if err := c.u.SetCase(c.level, c.state); err != nil {
			t.Fatal(err)
		}
	}
	app := srv.DefaultClient()
	c, err := fractalid.NewStatsClient(
		fractalid.WithCredentials(app.ID, app.Secret),
		fractalid.WithEnvironment(srv.Environment()),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, [3]string{us.ID(), dk.ID(), none.ID()}
}

func TestStatsAgainstFake(t *testing.T) {
	t.Parallel()
	srv, c, ids := statsFakeSetup(t)
	ctx := t.Context()

	total, err := c.TotalVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fractalid.StatusCounts{"approved": 1, "pending": 1, "expired": 1, "rejected": 1}); !reflect.DeepEqual(total, want) {
		t.Errorf("total = %v, want %v", total, want)
	}
	if total.Get(fractalid.StatusContacted) != 0 || total.Total() != 4 {
		t.Errorf("contacted %d, total %d", total.Get(fractalid.StatusContacted), total.Total())
	}

	byCountry, err := c.CountryVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCountry := map[string]fractalid.StatusCounts{"US": {"approved": 1, "pending": 1}, "DK": {"expired": 1}}
	if !reflect.DeepEqual(byCountry, wantCountry) {
		t.Errorf("by country = %v, want %v", byCountry, wantCountry)
	}

	rows, err := c.UserVerifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("rows = %+v", rows)
	}
	got := map[string]fractalid.Status{}
	for _, r := range rows {
		got[r.UserID+" "+r.Level().String()] = r.Status
	}
	want := map[string]fractalid.Status{
		ids[0] + " basic+liveness":      fractalid.StatusApproved,
		ids[0] + " plus":                fractalid.StatusPending,
		ids[1] + " basic":               fractalid.StatusExpired,
		ids[2] + " light+selfie+wallet": fractalid.StatusRejected,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if n := srv.Count("POST", "/oauth/token"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestStatsExportAgainstFake(t *testing.T) {
	t.Parallel()
	_, c, _ := statsFakeSetup(t)
	var buf bytes.Buffer
	if err := c.ExportUserVerifications(t.Context(), &buf, []fractalid.ExportOption{fractalid.WithItemColumns(fractalid.LevelBasic, fractalid.LevelPlus, fractalid.AddOnLiveness)}); err != nil {
		t.Fatal(err)
	}
	want := "user_id,level,status,basic,plus,liveness\n" +
		"320bfdaa-213e-41fb-8d77-ed98c415f01e,basic+liveness,approved,yes,,yes\n" +
		"320bfdaa-213e-41fb-8d77-ed98c415f01e,plus,pending,,yes,\n" +
		"87dd7fcb-5b1a-4c55-9d3e-1f0e2b7c9a10,basic,expired,yes,,\n" +
		"a4f2c1d0-9e8b-4b7a-8c6d-5e4f3a2b1c0d,light+selfie+wallet,rejected,,,\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestStatsFaultsAgainstFake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     kyctest.Fault
		wantErr   error
		wantCalls int
	}{
		{"503 burst is retried", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2}, nil, 3},
		{"html 502 is retried", kyctest.Fault{Kind: kyctest.FaultHTMLError}, nil, 2},
		{"reset after read is retried (GET)", kyctest.Fault{Kind: kyctest.FaultResetAfterRead}, nil, 2},
		{"truncated body", kyctest.Fault{Kind: kyctest.FaultTruncate}, kyc.ErrDecode, 1},
		{"oversized body", kyctest.Fault{Kind: kyctest.FaultOversize, Size: 2 << 20}, kyc.ErrResponseTooLarge, 1},
		{"long Retry-After not waited for", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 429, RetryAfter: "3600"}, kyc.ErrRateLimited, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fractalidtest.NewServer(t)
			srv.AddUser(fractalidtest.User{Country: "US"}).SetCase("basic", fractalidtest.Approved)
			app := srv.DefaultClient()
			c, err := fractalid.NewStatsClient(
				fractalid.WithCredentials(app.ID, app.Secret),
				fractalid.WithEnvironment(srv.Environment()),
				option.WithMaxResponseBytes(1<<20),
				option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 2 * time.Millisecond, MaxRetryAfter: time.Second}),
			)
			if err != nil {
				t.Fatal(err)
			}
			srv.InjectFault("GET", "/v2/stats/*", tt.fault)
			rows, err := c.UserVerifications(t.Context())
			if tt.wantErr == nil {
				if err != nil || len(rows) != 1 {
					t.Fatalf("rows, err = %v, %v", rows, err)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if rows != nil {
					t.Errorf("rows %v with error", rows)
				}
			}
			if n := srv.Count("GET", "/v2/stats/user-verifications"); n != tt.wantCalls {
				t.Errorf("requests = %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestStatsUserTokenIsRefused(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID(), fractalid.ScopeUID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := fractalid.NewStatsClient(
		option.WithTokenSource(oauth2.StaticTokenSource(tok)),
		fractalid.WithEnvironment(srv.Environment()),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TotalVerifications(t.Context())
	var apiErr *kyc.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, fractalid.ErrInsufficientScope) || !errors.Is(err, kyc.ErrForbidden) {
		t.Fatalf("err = %v, want insufficient_scope", err)
	}
	if apiErr.StatusCode != 403 || apiErr.RequiredPermission != string(fractalid.ScopeClientStats) {
		t.Errorf("status %d, permission %q", apiErr.StatusCode, apiErr.RequiredPermission)
	}
}

func TestStatsWrongSecretAgainstFake(t *testing.T) {
	t.Parallel()
	srv := fractalidtest.NewServer(t)
	app := srv.DefaultClient()
	c, err := fractalid.NewStatsClient(
		fractalid.WithCredentials(app.ID, "not-the-secret"),
		fractalid.WithEnvironment(srv.Environment()),
	)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TotalVerifications(t.Context())
	var te *kyc.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Fatalf("err = %v, want TokenError invalid_client", err)
	}
	if n := srv.Count("GET", "/v2/stats/total-verifications"); n != 0 {
		t.Errorf("stats requested %d times without a token", n)
	}
}
