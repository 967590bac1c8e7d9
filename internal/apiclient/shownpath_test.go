package apiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
)

// TestShownPathHidesTheRealPath: with Request.ShownPath set, no error and
// no log line of the call names the real path (which holds a secret), on
// every way a call can fail.
func TestShownPathHidesTheRealPath(t *testing.T) {
	const secret = "S3CRET-PATH-TOKEN-0123456789"
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("case") {
		case "404":
			http.Error(w, `{"message":"no"}`, http.StatusNotFound)
		case "decode":
			_, _ = w.Write([]byte(`{"a":`))
		case "size":
			_, _ = w.Write([]byte(`"` + strings.Repeat("x", 100) + `"`))
		case "redirect":
			http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
		case "hang":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c, err := New(WithBaseURL(srv.URL), WithHTTPClient(srv.Client()), WithRetryPolicy(NoRetries), WithMaxResponseBytes(50),
		WithTimeout(100*time.Millisecond), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want error
	}{{"404", kyc.ErrNotFound}, {"decode", kyc.ErrDecode}, {"size", kyc.ErrResponseTooLarge}, {"redirect", kyc.ErrRedirectRefused}, {"hang", nil}} {
		var out any
		_, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/token/" + secret, ShownPath: "/token/[redacted]",
			Query: url.Values{"case": {tc.name}}}, &out)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Fatalf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		if txt := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(txt, secret) || !strings.Contains(err.Error(), "/token/[redacted]") {
			t.Errorf("%s: error %q", tc.name, txt)
		}
	}
	if strings.Contains(logs.String(), secret) || !strings.Contains(logs.String(), "path=/token/[redacted]") {
		t.Errorf("log lines:\n%s", logs.String())
	}
}
