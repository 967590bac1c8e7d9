package apiclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/internal/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.Main(m)
}

// TestConcurrentCallsShareOneRefresh: 1,000 concurrent calls on one client
// whose token has expired cause exactly one token request, and every call
// carries the refreshed token.
func TestConcurrentCallsShareOneRefresh(t *testing.T) {
	var tokenRequests atomic.Int32
	var apiCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		time.Sleep(20 * time.Millisecond) // widen the race window
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "refresh-1" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"fresh","token_type":"bearer","expires_in":7200,"refresh_token":"refresh-2","created_at":1700000000}`)
	})
	mux.HandleFunc("GET /v2/users/me", func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		if r.Header.Get("Authorization") != "Bearer fresh" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"uid":"u1"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tokenClient, err := NewHTTPClient(WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	expired := &oauth2.Token{AccessToken: "stale", RefreshToken: "refresh-1", Expiry: time.Now().Add(-time.Minute)}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, tokenClient)
	c, err := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithTokenSource(conf.TokenSource(ctx, expired)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				UID string `json:"uid"`
			}
			if _, err := c.Do(context.Background(), &Request{Path: "/v2/users/me"}, &out); err != nil {
				errs <- err
				return
			}
			if out.UID != "u1" {
				errs <- fmt.Errorf("uid = %q", out.UID)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := tokenRequests.Load(); got != 1 {
		t.Fatalf("token requests = %d, want 1", got)
	}
	if got := apiCalls.Load(); got != n {
		t.Fatalf("API calls = %d, want %d", got, n)
	}
	srv.Client().CloseIdleConnections()
}
