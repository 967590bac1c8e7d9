package fractalid_test

import (
	"bytes"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/fractalidtest"
	"github.com/kycgo/kyc/internal/flaky"
	"github.com/kycgo/kyc/option"
)

// Per-call options against fractalidtest: a per-call timeout and
// NoRetries change that call only, while a concurrent call on the same
// client keeps the client's timeout and retry policy; WithResponseInto
// reports the fake's request ID of a successful call.

// copyURI is a second request URI on the resource host, read with
// DownloadFile, so that two calls of one client can be given different
// fates by the flaky transport.
const copyURI = mePath + "?copy=1"

// newCallEnv builds a client on a flaky transport in front of the fake.
func newCallEnv(t *testing.T, plans map[string]flaky.Plan) (*fractalidtest.Server, *fractalid.Client, *flaky.Transport) {
	t.Helper()
	srv := fractalidtest.NewServer(t)
	u := srv.AddUser(fractalidtest.User{})
	tok, err := srv.IssueToken(u.ID(), fractalid.ScopeUID)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	fl := flaky.New(tr, plans)
	c, err := fractalid.NewClient(oauth2.StaticTokenSource(tok),
		fractalid.WithEnvironment(srv.Environment()),
		option.WithHTTPClient(&http.Client{Transport: fl}),
		option.WithTimeout(5*time.Second),
		option.WithRetryPolicy(fastRetries))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, fl
}

func TestCallOptionsApplyToOneCall(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		// Me waits 2s before each attempt, the download 200ms.
		srv, c, fl := newCallEnv(t, map[string]flaky.Plan{mePath: {Delay: 2 * time.Second}, copyURI: {Delay: 200 * time.Millisecond}})
		var wg sync.WaitGroup
		var meErr, dlErr error
		wg.Go(func() {
			_, meErr = c.Me(t.Context(), option.WithTimeout(50*time.Millisecond), option.NoRetries())
		})
		wg.Go(func() {
			_, dlErr = c.DownloadFile(t.Context(), srv.Environment().ResourceURL+copyURI, &bytes.Buffer{})
		})
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(meErr, &te) || !te.Timeout() || te.Attempts != 1 {
			t.Fatalf("Me with a 50ms per-call timeout and no retries: %v (%T), want a timeout after 1 attempt", meErr, meErr)
		}
		if dlErr != nil {
			t.Fatalf("concurrent download under the client's 5s timeout: %v", dlErr)
		}
		if n := fl.Attempts(mePath); n != 1 {
			t.Errorf("Me attempts = %d, want 1", n)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		// Both calls' first two attempts fail to connect.
		srv, c, fl := newCallEnv(t, map[string]flaky.Plan{mePath: {Fail: 2}, copyURI: {Fail: 2}})
		var wg sync.WaitGroup
		var meErr, dlErr error
		wg.Go(func() { _, meErr = c.Me(t.Context(), option.NoRetries()) })
		wg.Go(func() {
			_, dlErr = c.DownloadFile(t.Context(), srv.Environment().ResourceURL+copyURI, &bytes.Buffer{})
		})
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(meErr, &te) || te.Attempts != 1 {
			t.Fatalf("Me with NoRetries: %v (%T), want a transport error after 1 attempt", meErr, meErr)
		}
		if dlErr != nil || fl.Attempts(copyURI) != 3 {
			t.Fatalf("concurrent download: err %v after %d attempts, want success on the 3rd (client policy)", dlErr, fl.Attempts(copyURI))
		}
		// The client is unchanged: a later Me retries past the one
		// failure left.
		if _, err := c.Me(t.Context()); err != nil || fl.Attempts(mePath) != 3 {
			t.Fatalf("later Me: %v after %d attempts in all, want success on the 3rd", err, fl.Attempts(mePath))
		}
	})
}

// The statistics client: the same, with UserVerifications given the
// per-call options while TotalVerifications runs beside it.
func TestStatsCallOptionsApplyToOneCall(t *testing.T) {
	t.Parallel()
	const (
		usersPath = "/v2/stats/user-verifications"
		totalPath = "/v2/stats/total-verifications"
	)
	newStats := func(t *testing.T, plans map[string]flaky.Plan) (*fractalid.StatsClient, *flaky.Transport) {
		t.Helper()
		srv := fractalidtest.NewServer(t)
		srv.AddUser(fractalidtest.User{})
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		fl := flaky.New(tr, plans)
		app := srv.DefaultClient()
		stats, err := fractalid.NewStatsClient(fractalid.WithCredentials(app.ID, app.Secret), fractalid.WithEnvironment(srv.Environment()),
			option.WithHTTPClient(&http.Client{Transport: fl}), option.WithTimeout(5*time.Second), option.WithRetryPolicy(fastRetries))
		if err != nil {
			t.Fatal(err)
		}
		return stats, fl
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		stats, fl := newStats(t, map[string]flaky.Plan{usersPath: {Delay: 2 * time.Second}, totalPath: {Delay: 200 * time.Millisecond}})
		var wg sync.WaitGroup
		var usersErr, totalErr error
		wg.Go(func() {
			_, usersErr = stats.UserVerifications(t.Context(), option.WithTimeout(50*time.Millisecond), option.NoRetries())
		})
		wg.Go(func() { _, totalErr = stats.TotalVerifications(t.Context()) })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(usersErr, &te) || !te.Timeout() || te.Attempts != 1 || fl.Attempts(usersPath) != 1 {
			t.Fatalf("UserVerifications with a 50ms per-call timeout and no retries: %v (%T), %d attempts", usersErr, usersErr, fl.Attempts(usersPath))
		}
		if totalErr != nil {
			t.Fatalf("concurrent TotalVerifications under the client's 5s timeout: %v", totalErr)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		stats, fl := newStats(t, map[string]flaky.Plan{usersPath: {Fail: 2}, totalPath: {Fail: 2}})
		var wg sync.WaitGroup
		var exportErr, totalErr error
		wg.Go(func() {
			exportErr = stats.ExportUserVerifications(t.Context(), &bytes.Buffer{}, nil, option.NoRetries())
		})
		wg.Go(func() { _, totalErr = stats.TotalVerifications(t.Context()) })
		wg.Wait()
		var te *kyc.TransportError
		if !errors.As(exportErr, &te) || te.Attempts != 1 {
			t.Fatalf("export with NoRetries: %v (%T), want a transport error after 1 attempt", exportErr, exportErr)
		}
		if totalErr != nil || fl.Attempts(totalPath) != 3 {
			t.Fatalf("concurrent TotalVerifications: %v after %d attempts, want success on the 3rd", totalErr, fl.Attempts(totalPath))
		}
		if _, err := stats.UserVerifications(t.Context()); err != nil || fl.Attempts(usersPath) != 3 {
			t.Fatalf("later UserVerifications: %v after %d attempts in all, want success on the 3rd", err, fl.Attempts(usersPath))
		}
	})
}

func TestWithResponseIntoReportsRequestID(t *testing.T) {
	t.Parallel()
	srv, c, _ := newCallEnv(t, nil)
	var resp kyc.Response
	if _, err := c.Me(t.Context(), option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	log := srv.Requests()
	last := log[len(log)-1]
	if resp.StatusCode != http.StatusOK || resp.Attempts != 1 || resp.RequestID == "" || resp.RequestID != last.RequestID {
		t.Fatalf("response %+v, want 200 after 1 attempt with request ID %q", resp, last.RequestID)
	}

	// The statistics client too.
	app := srv.DefaultClient()
	stats, err := fractalid.NewStatsClient(fractalid.WithCredentials(app.ID, app.Secret), fractalid.WithEnvironment(srv.Environment()))
	if err != nil {
		t.Fatal(err)
	}
	var sresp kyc.Response
	if _, err := stats.TotalVerifications(t.Context(), option.WithResponseInto(&sresp)); err != nil {
		t.Fatal(err)
	}
	log = srv.Requests()
	if last := log[len(log)-1]; sresp.RequestID == "" || sresp.RequestID != last.RequestID || last.Path != "/v2/stats/total-verifications" {
		t.Fatalf("stats response %+v, want request ID %q of %s", sresp, last.RequestID, last.Path)
	}
}

func TestCallOptionHeaderAndValidation(t *testing.T) {
	t.Parallel()
	srv, c, _ := newCallEnv(t, nil)
	if _, err := c.Me(t.Context(), option.WithHeader("X-Trace-Tag", "one")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatal(err)
	}
	log := srv.Requests()
	if got := log[len(log)-2].Header.Get("X-Trace-Tag"); got != "one" {
		t.Errorf("per-call header = %q, want one", got)
	}
	if got := log[len(log)-1].Header.Get("X-Trace-Tag"); got != "" {
		t.Errorf("per-call header leaked into the next call: %q", got)
	}
	before := len(srv.Requests())
	for _, o := range []option.CallOption{option.WithTimeout(0), option.WithHeader("Bad Key", "v"), option.WithResponseInto(nil), option.WithRetryPolicy(option.RetryPolicy{MaxRetries: -1})} {
		if _, err := c.Me(t.Context(), o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("invalid per-call option: %v, want ErrInvalidArgument", err)
		}
	}
	if n := len(srv.Requests()); n != before {
		t.Errorf("invalid per-call options sent %d requests", n-before)
	}
}
