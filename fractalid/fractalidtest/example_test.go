package fractalidtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// exampleT stands in for the *testing.T your test function receives, so
// that these examples run on their own.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func newExampleT() *exampleT                     { return &exampleT{} }
func (t *exampleT) Helper()                      {}
func (t *exampleT) Cleanup(f func())             { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (t *exampleT) Errorf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
func (t *exampleT) Logf(string, ...any)          {}
func (t *exampleT) Name() string                 { return "Example" }
func (t *exampleT) done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A user approved for the basic level, read through the SDK: five lines of
// set-up.
func ExampleNewServer() {
	t := newExampleT() // in a test: func TestX(t *testing.T)
	defer t.done()

	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	_ = u.SetCase("basic", fractalidtest.Approved)
	tok, _ := srv.IssueToken(u.ID(), fractalid.ScopeBasic)
	client, _ := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(srv.Environment()))

	me, err := client.Me(context.Background())
	fmt.Println(me.IsApproved(fractalid.ParseLevel("basic")), err)
	// Output: true <nil>
}

// The authorization-code flow without a browser: Approve plays the user on
// the consent page and returns the callback URL.
func ExampleServer_Approve() {
	t := newExampleT()
	defer t.done()

	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{Emails: []fractalidtest.Email{{Address: "ada@example.com"}}})
	cfg := srv.Config(fractalid.ScopeUID, fractalid.ScopeContact)

	authURL, _ := cfg.AuthCodeURL("state-1")
	callback, _ := srv.Approve(authURL, u.ID())
	code, _ := cfg.ParseCallback(httptest.NewRequest(http.MethodGet, callback.String(), nil), "state-1")
	tok, err := cfg.Exchange(context.Background(), code)
	fmt.Println(fractalid.GrantedScopes(tok), err)
	// Output: [uid:read contact:read] <nil>
}

// Two 503 replies, then success: the client's retries absorb the burst and
// the request log shows three requests.
func ExampleServer_InjectFault() {
	t := newExampleT()
	defer t.done()

	srv := fractalidtest.NewServer(t)
	tok, _ := srv.IssueToken(srv.AddUser(fractalidtest.User{}).ID())
	srv.InjectFault("GET", "/v2/users/me", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2})
	client, _ := fractalid.NewClient(oauth2.StaticTokenSource(tok), fractalid.WithEnvironment(srv.Environment()),
		option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))

	_, err := client.Me(context.Background())
	for _, r := range srv.Requests() {
		fmt.Println(r)
	}
	fmt.Println(err)
	// Output:
	// GET /v2/users/me -> 503 (status)
	// GET /v2/users/me -> 503 (status)
	// GET /v2/users/me -> 200
	// <nil>
}

// Statistics computed from the fake's users, read with the stats client.
func ExampleServer_stats() {
	t := newExampleT()
	defer t.done()

	srv := fractalidtest.NewServer(t)
	_ = srv.AddUser(fractalidtest.User{Country: "DK"}).SetCase("basic", fractalidtest.Approved)
	_ = srv.AddUser(fractalidtest.User{Country: "DK"}).SetCase("basic", fractalidtest.Contacted)
	app := srv.DefaultClient()
	stats, _ := fractalid.NewStatsClient(fractalid.WithEnvironment(srv.Environment()), fractalid.WithCredentials(app.ID, app.Secret))

	byCountry, err := stats.CountryVerifications(context.Background())
	fmt.Println(byCountry["DK"].Get(fractalid.StatusApproved), byCountry["DK"].Get(fractalid.StatusContacted), err)
	// Output: 1 1 <nil>
}

// Signed notifications delivered twice to a webhooks.NewHandler: the
// deduplicator lets the function see each one once.
func ExampleServer_SendWebhooks() {
	t := newExampleT()
	defer t.done()

	srv := fractalidtest.NewServer(t)
	v, _ := webhooks.NewVerifier(webhooks.WithDefaultSecrets(srv.DefaultClient().WebhookSecret))
	var calls atomic.Int32
	receiver := httptest.NewServer(webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		calls.Add(1)
		return nil
	}, webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(0, 0))))
	defer receiver.Close()

	at := time.Date(2020, 4, 2, 13, 35, 35, 0, time.UTC)
	deliveries, err := srv.SendWebhooks(context.Background(), receiver.URL, []fractalidtest.Notification{
		fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, "user-1", "basic", at),
		fractalidtest.VerificationNotification(webhooks.EventVerificationApproved, "user-1", "liveness", at),
	}, fractalidtest.WithDuplicate())
	for _, d := range deliveries {
		fmt.Println(d.Type, d.StatusCode)
	}
	fmt.Println(calls.Load(), err)
	// Output:
	// verification_approved 200
	// verification_approved 200
	// verification_approved 200
	// verification_approved 200
	// 2 <nil>
}
