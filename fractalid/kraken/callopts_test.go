package kraken_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// Every I/O method takes per-call options; they change that call only.
func TestPerCallOptions(t *testing.T) {
	ctx := context.Background()
	srv := krakentest.NewServer(t)
	ott := completeOnce(t, srv)
	c := newClient(t, srv, option.NoRetries())

	var resp kyc.Response
	sess, err := c.Session(ctx, ott, option.WithResponseInto(&resp), option.WithHeader("X-Trace", "t-1"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	if resp.StatusCode != http.StatusOK || resp.RequestID == "" || last.Header.Get("X-Trace") != "t-1" {
		t.Errorf("response %+v, header %q", resp, last.Header.Get("X-Trace"))
	}

	// A per-call retry policy on a client without retries.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	fast := option.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond, MaxRetryAfter: time.Second}
	if _, err := c.Status(ctx, sess.UserID, option.WithRetryPolicy(fast)); err != nil {
		t.Fatalf("retried status: %v", err)
	}
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
	if _, err := c.Status(ctx, sess.UserID); !errors.Is(err, kyc.ErrServer) {
		t.Fatalf("the client's no-retry policy was changed: %v", err)
	}

	// A per-call timeout ends a hang of Data and of File.
	srv.InjectFault(http.MethodGet, "/public/kyc/*", kyctest.Fault{Kind: kyctest.FaultHang, Times: 2})
	if _, err := c.Data(ctx, sess.UserID, option.WithTimeout(50*time.Millisecond)); err == nil {
		t.Fatal("Data: hang not cut by the per-call timeout")
	}
	var buf bytes.Buffer
	if _, err := c.File(ctx, sess.UserID, kraken.FileSelfie, &buf, option.WithTimeout(50*time.Millisecond)); err == nil {
		t.Fatal("File: hang not cut by the per-call timeout")
	}
	srv.ClearFaults()
	if n, err := c.File(ctx, sess.UserID, kraken.FileSelfie, &buf, option.WithResponseInto(&resp)); err != nil || n == 0 || resp.StatusCode != http.StatusOK {
		t.Fatalf("File: %d, %v", n, err)
	}

	// An invalid per-call option fails before anything is sent.
	before := srv.Count("", "/public/kyc/*")
	if _, err := c.Status(ctx, sess.UserID, option.WithTimeout(-1)); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("invalid call option: %v", err)
	}
	if srv.Count("", "/public/kyc/*") != before {
		t.Error("a request went out with an invalid option")
	}
}

func TestClientOptionsOfOtherPackagesAreRefused(t *testing.T) {
	srv := krakentest.NewServer(t)
	for name, o := range map[string]option.ClientOption{
		"fractalid.WithMaxFileBytes": fractalid.WithMaxFileBytes(1),
		"option.WithTokenSource":     option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})),
	} {
		_, err := kraken.NewClient(srv.Config(), o)
		if !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := kraken.NewClient(srv.Config(), fractalid.WithMaxFileBytes(1))
	if err == nil || !strings.Contains(err.Error(), "fractalid.WithMaxFileBytes") {
		t.Errorf("the error does not name the option: %v", err)
	}
	// A kraken option given to another client names itself too.
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})
	if _, err := fractalid.NewClient(ts, kraken.WithMaxFileBytes(1)); err == nil || !strings.Contains(err.Error(), "kraken.WithMaxFileBytes") {
		t.Errorf("fractalid and a kraken option: %v", err)
	}
}

// A redirect of the exchange to another origin is refused; neither the API
// token nor the one-time token follows it or shows in the error.
func TestSessionRedirectRefused(t *testing.T) {
	srv := krakentest.NewServer(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed to %s", r.URL.Path)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	c := newClient(t, srv, option.WithBaseURL(redirector.URL))
	const ott = "one-time-token-that-must-not-leak-123"
	_, err := c.Session(context.Background(), ott)
	var re *kyc.RedirectError
	if !errors.Is(err, kyc.ErrRedirectRefused) || !errors.As(err, &re) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), ott) || strings.Contains(re.Path, ott) {
		t.Errorf("the one-time token shows: %v", err)
	}
}
