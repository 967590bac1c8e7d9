package kraken_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// bearerRecorder records the Authorization header of each request.
type bearerRecorder struct {
	next   http.RoundTripper
	tokens []string
}

func (b *bearerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	b.tokens = append(b.tokens, r.Header.Get("Authorization"))
	return b.next.RoundTrip(r)
}

func TestAPITokenIsCachedAndRenewed(t *testing.T) {
	// A fake clock drives the claims, the cache and the fake's checks:
	// nothing depends on how fast the machine runs.
	clock := kyctest.NewClock(time.Unix(1_900_000_000, 500_000_000))
	srv := krakentest.NewServer(t, krakentest.WithClock(clock.Now))
	ott := completeOnce(t, srv)
	rec := &bearerRecorder{next: srv.HTTPClient().Transport}
	cfg := srv.Config()
	c, err := kraken.NewClient(cfg, option.WithHTTPClient(&http.Client{Transport: rec}), kraken.WithTokenLifetime(6*time.Second), kraken.WithTokenRefreshMargin(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := c.Session(context.Background(), ott)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		clock.Advance(500 * time.Millisecond)
		if _, err := c.Status(context.Background(), sess.UserID); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.tokens) != 4 || rec.tokens[0] != rec.tokens[3] || !strings.HasPrefix(rec.tokens[0], "Bearer ey") {
		t.Fatalf("tokens not reused: %d requests", len(rec.tokens))
	}
	_, p, _ := splitJWT(t, strings.TrimPrefix(rec.tokens[0], "Bearer "))
	if !strings.HasPrefix(p, `{"api":true,"clientId":"`+srv.ClientID()+`","iat":1900000000,"exp":1900000006}`) {
		t.Errorf("API claims %s", p)
	}
	// Signed at x.5 s, exp is 5.5 s ahead: the margin is capped at half of
	// that, 2.75 s, so the token serves until 3.25 s after x.0.
	clock.Set(time.Unix(1_900_000_003, 249_000_000))
	if _, err := c.Status(context.Background(), sess.UserID); err != nil {
		t.Fatal(err)
	}
	if rec.tokens[4] != rec.tokens[3] {
		t.Error("token renewed before the refresh margin")
	}
	clock.Set(time.Unix(1_900_000_003, 250_000_000))
	if _, err := c.Status(context.Background(), sess.UserID); err != nil {
		t.Fatal(err)
	}
	if rec.tokens[5] == rec.tokens[4] {
		t.Error("token not renewed within the refresh margin")
	}
	if _, err := kraken.NewClient(cfg, kraken.WithTokenLifetime(60*time.Second), kraken.WithTokenRefreshMargin(60*time.Second)); err == nil {
		t.Error("margin equal to the lifetime accepted")
	}
}

// A token the server stops accepting (its clock moved) is replaced once.
func TestExpiredTokenIsReplacedAfter401(t *testing.T) {
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	cfg := srv.Config()
	cfg.Now = time.Now // our clock, while the fake's moves
	c, _ := kraken.NewClient(cfg, srv.ClientOptions()...)
	sess, err := c.Session(context.Background(), ott)
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(10 * time.Minute) // the cached token is expired for the fake
	if _, err := c.Status(context.Background(), sess.UserID); !errors.Is(err, kyc.ErrUnauthorized) {
		// our clock is 10 minutes behind: a fresh token is expired too
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Refusals()); n != 2 {
		t.Errorf("%d refusals, want the cached token and one fresh one", n)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	fast := option.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetryAfter: time.Second}
	c := newClient(t, srv, option.WithRetryPolicy(fast))
	// A 503 burst on the exchange is retried; the token is used once.
	srv.InjectFault(http.MethodGet, "/public/kyc/token/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503, Times: 2})
	sess, err := c.Session(ctx, ott)
	if err != nil {
		t.Fatal(err)
	}
	// A truncated data body is an error, never half a model.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultTruncate})
	if d, err := newClient(t, srv, option.NoRetries()).Data(ctx, sess.UserID); err == nil || d != nil {
		t.Fatalf("truncated: %v, %v", d, err)
	}
	// An HTML error page.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultHTMLError, Status: 502, Times: 3})
	if _, err := c.Status(ctx, sess.UserID); !errors.Is(err, kyc.ErrServer) {
		t.Fatalf("html: %v", err)
	}
	// An oversized JSON body stops at the cap.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultOversize, Size: 2 << 20})
	small := newClient(t, srv, option.WithMaxResponseBytes(1<<20))
	if _, err := small.Data(ctx, sess.UserID); !errors.Is(err, kyc.ErrResponseTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	// A file over the cap: the bytes up to the cap, then an error.
	capped := newClient(t, srv, kraken.WithMaxFileBytes(8))
	var buf bytes.Buffer
	n, err := capped.File(ctx, sess.UserID, kraken.FileIDFront, &buf)
	if !errors.Is(err, kyc.ErrResponseTooLarge) || n != 8 || buf.Len() != 8 {
		t.Fatalf("file cap: %d, %v", n, err)
	}
	// A hang ends with the caller's context.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultHang})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.Status(cctx, sess.UserID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
	// A reset after the exchange was processed: the retry finds the token used.
	srv.ClearFaults()
	ott2 := completeOnce(t, srv)
	srv.InjectFault(http.MethodGet, "/public/kyc/token/*", kyctest.Fault{Kind: kyctest.FaultResetAfterRead})
	_, err = c.Session(ctx, ott2)
	if err == nil || strings.Contains(err.Error(), ott2) {
		t.Fatalf("reset after read: %v", err)
	}
}

func TestSessionTokenNeverLogged(t *testing.T) {
	ctx := context.Background()
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	var logs bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv, option.WithLogger(l), option.NoRetries())
	sess, err := c.Session(ctx, ott)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Session(ctx, ott) // 404
	if err == nil {
		t.Fatal("reuse accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, cerr := c.Session(cctx, ott)
	if !errors.Is(cerr, context.Canceled) {
		t.Fatalf("cancelled: %v", cerr)
	}
	srv.InjectFault("", "/public/kyc/token/*", kyctest.Fault{Kind: kyctest.FaultResetBeforeRead})
	_, terr := c.Session(ctx, ott)
	srv.InjectFault("", "/public/kyc/token/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 200, Body: "{", ContentType: "application/json"})
	_, derr := c.Session(ctx, ott)
	for _, e := range []error{err, cerr, terr, derr} {
		if e == nil {
			t.Fatal("an injected failure gave no error")
		}
		if strings.Contains(e.Error(), ott) {
			t.Errorf("error shows the one-time token: %v", e)
		}
	}
	if strings.Contains(logs.String(), ott) || !strings.Contains(logs.String(), "[redacted]") || !strings.Contains(logs.String(), `"status":200`) {
		t.Errorf("logs:\n%s", logs.String())
	}
	if _, err := c.Status(ctx, sess.UserID); err != nil {
		t.Fatal(err)
	}
}

func TestDataLenient(t *testing.T) {
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	c := newClient(t, srv)
	sess, err := c.Session(context.Background(), ott)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"info":{"firstNameEn":"Ada","dob":19900131,"idDocs":[{"number":42,"country":"DEU"}]},"email":"ada@example.test","extra":{"x":1}}`
	srv.InjectFault("", "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 200, Body: body})
	d, err := c.Data(context.Background(), sess.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Info.FirstNameEn != "Ada" || d.Info.DOB != "" || len(d.Info.IDDocs) != 1 || d.Info.IDDocs[0].Country != "DEU" || d.Email != "ada@example.test" || string(d.Raw) != body {
		t.Errorf("data %+v raw %s", d.Info, d.Raw)
	}
	srv.InjectFault("", "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 200, Body: `[1]`})
	if _, err := c.Data(context.Background(), sess.UserID); !errors.Is(err, kyc.ErrDecode) {
		t.Errorf("array: %v", err)
	}
	srv.InjectFault("", "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 200, Body: `{"state":"approved"}`})
	if _, err := c.Status(context.Background(), sess.UserID); !errors.Is(err, kyc.ErrDecode) {
		t.Errorf("status without status: %v", err)
	}
}

func TestClientArguments(t *testing.T) {
	srv := krakentest.NewServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	if _, err := c.Session(ctx, ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error(err)
	}
	if _, err := c.Status(ctx, "a b"); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error(err)
	}
	if _, err := c.Data(ctx, ""); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error(err)
	}
	if _, err := c.File(ctx, "u", "", io.Discard); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error(err)
	}
	if _, err := c.File(ctx, "u", kraken.FileSelfie, nil); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Error(err)
	}
	// ".." is escaped, never a path step.
	if _, err := c.Status(ctx, ".."); !errors.Is(err, kyc.ErrNotFound) {
		t.Errorf("..: %v", err)
	}
	cfg := srv.Config()
	for name, opt := range map[string]option.ClientOption{
		"lifetime 0":     kraken.WithTokenLifetime(0),
		"lifetime 2.5s":  kraken.WithTokenLifetime(2*time.Second + 500*time.Millisecond),
		"margin":         kraken.WithTokenRefreshMargin(-1),
		"api url":        option.WithBaseURL("ftp://x"),
		"nil client":     option.WithHTTPClient(nil),
		"timeout":        option.WithTimeout(0),
		"file cap":       kraken.WithMaxFileBytes(0),
		"response cap":   option.WithMaxResponseBytes(-1),
		"user agent":     option.WithUserAgent("a\nb"),
		"http to remote": option.WithBaseURL("http://kraken.example.test"),
	} {
		if _, err := kraken.NewClient(cfg, opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// WithInsecureHTTP lets a remote http URL through.
	if _, err := kraken.NewClient(cfg, option.WithBaseURL("http://kraken.example.test"), option.WithInsecureHTTP()); err != nil {
		t.Error(err)
	}
	// option.WithBaseURL overrides the environment.
	other := krakentest.NewServer(t, krakentest.WithClientID(srv.ClientID()), krakentest.WithPublicKey(&srv.SigningKey().PublicKey))
	c2, _ := kraken.NewClient(cfg, option.WithBaseURL(other.URL()))
	if _, err := c2.Status(ctx, "nobody"); !errors.Is(err, kyc.ErrNotFound) || other.Count("", "/public/kyc/*") != 1 || srv.Count("", "/public/kyc/*") != 1 {
		t.Errorf("override: %v", err)
	}
}

// Session refuses, before any request, what cannot be a one-time token:
// short or common words (which the error text itself holds, so they could
// not be kept out of it) and characters outside the URL-safe set. A
// well-formed unknown token reaches the server and gives a typed 404
// without the token in its text.
func TestSessionRefusesMalformedOneTimeTokens(t *testing.T) {
	srv := krakentest.NewServer(t)
	c := newClient(t, srv)
	ctx := context.Background()
	for _, tok := range []string{"", "GET", "o", "Found", "kyc", " ", "short-token-15c",
		"MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr/Cskq3Jevso", "MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr+Cskq3Jevso=", "MXES5XpDzMRAHyMI3Jx5K3nrxzZ jWjEr",
		"MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr%2FCskq3Jevso", "MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr\nCskq3Jevso", strings.Repeat("a", 513)} {
		_, err := c.Session(ctx, tok)
		if !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%q: err = %v", tok, err)
		}
		if len(tok) > 5 && strings.Contains(err.Error(), tok) {
			t.Errorf("the refusal quotes the token: %v", err)
		}
	}
	if n := srv.Count("", "/public/kyc/token/*"); n != 0 {
		t.Errorf("%d exchange requests sent for malformed tokens", n)
	}
	for _, tok := range []string{"MXES5XpDzMRAHyMI3Jx5K3nrxzZjWjEr-Cskq3Jevso", "0123456789abcdef", "a.b~c_d-e.f~g_h-"} {
		_, err := c.Session(ctx, tok)
		var ae *kyc.APIError
		if !errors.Is(err, kyc.ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
			t.Errorf("%q: err = %v", tok, err)
			continue
		}
		if strings.Contains(err.Error(), tok) || strings.Contains(fmt.Sprintf("%+v", err), tok) || strings.Contains(ae.Path, tok) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
	if n := srv.Count("", "/public/kyc/token/*"); n != 3 {
		t.Errorf("%d exchange requests, want 3", n)
	}
	// A token from the fake is accepted.
	if _, err := c.Session(ctx, completeOnce(t, srv)); err != nil {
		t.Fatal(err)
	}
}

// The cache keeps a token until the exp it was signed with, not a second
// longer: signed at x.9 s, the exp claim is floor(now) + lifetime, and
// with no refresh margin the token must be replaced when the clock
// reaches that exp (the fake refuses a token whose exp is not after now).
func TestAPITokenCachedUntilItsSignedExp(t *testing.T) {
	clock := kyctest.NewClock(time.Unix(1_900_000_000, 900_000_000))
	srv := krakentest.NewServer(t, krakentest.WithClock(clock.Now))
	rec := &bearerRecorder{next: srv.HTTPClient().Transport}
	c, err := kraken.NewClient(srv.Config(), option.WithHTTPClient(&http.Client{Transport: rec}), option.NoRetries(),
		kraken.WithTokenLifetime(2*time.Second), kraken.WithTokenRefreshMargin(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Status(ctx, "nobody"); !errors.Is(err, kyc.ErrNotFound) {
		t.Fatal(err)
	}
	clock.Advance(1099 * time.Millisecond) // 1 ms before exp: still valid
	if _, err := c.Status(ctx, "nobody"); !errors.Is(err, kyc.ErrNotFound) {
		t.Fatal(err)
	}
	clock.Advance(time.Millisecond) // now == exp: expired
	if _, err := c.Status(ctx, "nobody"); !errors.Is(err, kyc.ErrNotFound) {
		t.Fatal(err)
	}
	if len(rec.tokens) != 3 || rec.tokens[0] != rec.tokens[1] || rec.tokens[1] == rec.tokens[2] {
		t.Errorf("%d requests; first token reused %v, renewed at exp %v", len(rec.tokens), len(rec.tokens) > 1 && rec.tokens[0] == rec.tokens[1], len(rec.tokens) > 2 && rec.tokens[1] != rec.tokens[2])
	}
	if r := srv.Refusals(); len(r) != 0 {
		t.Errorf("an expired token was sent: %d refusals", len(r))
	}
}
