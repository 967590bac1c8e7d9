package apiclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycgo/kyc"
)

// TestRetriedReplyDrainedForReuse: a retried 503 whose body is larger than
// the 4 KiB the retry engine reads is drained by the policy, so the retry
// reuses the connection; the last reply, which the caller gets as an
// error, keeps its body.
func TestRetriedReplyDrainedForReuse(t *testing.T) {
	t.Parallel()
	big := `{"error":"` + strings.Repeat("x", 16<<10) + `"}`
	tests := []struct {
		name      string
		failures  int32
		wantErr   bool
		wantConns int64
	}{
		{"503 with a 16 KiB body, then 200", 1, false, 1},
		{"503 with a 16 KiB body every time", 3, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if calls.Add(1) <= tt.failures {
					w.WriteHeader(http.StatusServiceUnavailable)
					_, _ = w.Write([]byte(big))
					return
				}
				_, _ = w.Write([]byte(`{"ok":true}`))
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			c, err := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()),
				WithRetryPolicy(RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
			if err != nil {
				t.Fatal(err)
			}
			var out struct{ OK bool }
			_, err = c.Do(context.Background(), &Request{Path: "/x"}, &out)
			if tt.wantErr {
				var ae *kyc.APIError
				if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Attempts != 3 || len(ae.Body) != maxErrorBody {
					t.Fatalf("error %v; want a 503 after 3 attempts with its body kept", err)
				}
			} else if err != nil || !out.OK {
				t.Fatalf("Do = %v, %v", out, err)
			}
			if n := conns.Load(); n != tt.wantConns {
				t.Errorf("%d connections, want %d", n, tt.wantConns)
			}
		})
	}
}
