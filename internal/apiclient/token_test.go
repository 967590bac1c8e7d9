package apiclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
)

// TestTokenWaitEndsWithCallerContext: calls waiting for a token from a
// stalled token endpoint return within a few milliseconds of their own
// context ending (cancelled or past its deadline), with an error matching
// the context's; the one fetch goes on and serves every other caller.
func TestTokenWaitEndsWithCallerContext(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	unstall := func() { releaseOnce.Do(func() { close(release) }) }
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokenSrv.Close()
	// On the old code a waiting call only returned with the fetch: let the
	// test fail rather than hang.
	safety := time.AfterFunc(3*time.Second, unstall)
	defer safety.Stop()
	defer unstall()
	var apiCalls atomic.Int32
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			apiCalls.Add(1)
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	defer apiSrv.Close()

	thc, err := NewHTTPClient(WithHTTPClient(tokenSrv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	cc := &clientcredentials.Config{ClientID: "id", ClientSecret: "secret", TokenURL: tokenSrv.URL + "/token"}
	src := ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc)
	c, err := New(WithBaseURL(apiSrv.URL), WithHTTPClient(apiSrv.Client()), WithTokenSource(src))
	if err != nil {
		t.Fatal(err)
	}

	const waiters = 8
	results := make(chan error, waiters)
	for range waiters {
		go func() {
			_, err := c.Do(context.Background(), &Request{Path: "/x"}, nil)
			results <- err
		}()
	}
	for hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	// A cancelled caller.
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt time.Time
	time.AfterFunc(50*time.Millisecond, func() { cancelledAt = time.Now(); cancel() })
	_, err = c.Do(ctx, &Request{Path: "/x"}, nil)
	late := time.Since(cancelledAt)
	if !errors.Is(err, context.Canceled) || errors.Is(err, kyc.ErrToken) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	// A few milliseconds in practice; the bound leaves room for a loaded
	// machine running the race detector (the old code took the full 3s).
	if late > 250*time.Millisecond {
		t.Errorf("cancelled caller returned %v after its context ended", late)
	}

	// A caller whose deadline passes.
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer dcancel()
	start := time.Now()
	_, err = c.Do(dctx, &Request{Path: "/x"}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("caller past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 280*time.Millisecond {
		t.Errorf("caller with a 30ms deadline returned after %v", d)
	}

	// The fetch finishes for the others.
	unstall()
	for range waiters {
		if err := <-results; err != nil {
			t.Errorf("waiting caller: %v", err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if n := apiCalls.Load(); n != waiters {
		t.Errorf("%d API calls with the token, want %d", n, waiters)
	}
}

// TestTokenFetchSharedAndBounded: with a plain source (no context), any
// number of concurrent callers share one fetch, a cancelled one returns at
// once, the cache is usable (invalidate does not block) while the fetch
// runs, and a fetch that never ends fails after the fetch timeout.
func TestTokenFetchSharedAndBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fetches atomic.Int32
		gate := make(chan struct{})
		src := TokenSourceFunc(func() (*oauth2.Token, error) {
			fetches.Add(1)
			<-gate
			return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(time.Hour)}, nil
		})
		cs := newCachingSource(src, time.Minute, 10*time.Second, nil)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 50 {
			wg.Go(func() {
				if tok, err := cs.token(context.Background()); err == nil && tok.AccessToken == "t" {
					ok.Add(1)
				}
			})
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := cs.token(ctx); done <- err }()
		synctest.Wait()
		cs.invalidate("other") // must not wait for the fetch
		start := time.Now()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || time.Since(start) != 0 {
			t.Errorf("cancelled waiter: %v after %v", err, time.Since(start))
		}
		close(gate)
		wg.Wait()
		if fetches.Load() != 1 || ok.Load() != 50 {
			t.Errorf("%d fetches, %d callers served; want 1 and 50", fetches.Load(), ok.Load())
		}

		// A fetch that never returns fails after the fetch timeout.
		stuck := make(chan struct{})
		cs = newCachingSource(TokenSourceFunc(func() (*oauth2.Token, error) { <-stuck; return nil, errors.New("late") }), 0, 10*time.Second, nil)
		start = time.Now()
		_, err := cs.token(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 10*time.Second {
			t.Errorf("stuck fetch: %v after %v", err, time.Since(start))
		}
		close(stuck)
	})
}

// TestShortLivedTokenReused: a 60-second token with a one-minute refresh
// margin (ekycadmin's) is reused across ten calls spread over 20 seconds.
func TestShortLivedTokenReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fetches atomic.Int32
		src := TokenSourceFunc(func() (*oauth2.Token, error) {
			fetches.Add(1)
			return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(60 * time.Second)}, nil
		})
		mt := httpmock.NewMockTransport()
		mt.RegisterNoResponder(httpmock.NewStringResponder(200, `{}`))
		c, err := New(WithBaseURL(base), WithHTTPClient(&http.Client{Transport: mt}), WithTokenSource(src), WithTokenRefreshMargin(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if _, err := c.Do(context.Background(), &Request{Path: "/x"}, nil); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
		}
		if n := fetches.Load(); n != 1 {
			t.Errorf("%d token fetches for ten calls, want 1", n)
		}
		// Past half its lifetime the token is renewed.
		time.Sleep(15 * time.Second)
		if _, err := c.Do(context.Background(), &Request{Path: "/x"}, nil); err != nil {
			t.Fatal(err)
		}
		if n := fetches.Load(); n != 2 {
			t.Errorf("%d token fetches after 35s, want 2", n)
		}
	})
}

// TestFetchContext: a fetch context has the long-lived context's values
// and ends with either context.
func TestFetchContext(t *testing.T) {
	type key struct{}
	long, cancelLong := context.WithCancel(context.WithValue(context.Background(), key{}, "client"))
	defer cancelLong()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	fctx, done := FetchContext(long, ctx)
	if fctx.Value(key{}) != "client" {
		t.Error("values of the long-lived context lost")
	}
	if d, ok := fctx.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Errorf("deadline %v %v, want ctx's", d, ok)
	}
	cancel()
	<-fctx.Done()
	done()

	fctx, done = FetchContext(long, context.Background())
	defer done()
	cancelLong()
	<-fctx.Done()
	if !errors.Is(fctx.Err(), context.Canceled) {
		t.Errorf("err %v", fctx.Err())
	}
}
