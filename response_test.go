package kyc_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
)

// A kyc.Response never prints its header, through any verb or slog.
func TestResponseNeverPrintsHeader(t *testing.T) {
	t.Parallel()
	const secret = "SENTINEL-SET-COOKIE-4e1f"
	r := kyc.Response{StatusCode: 200, RequestID: "req-1", Attempts: 2, Header: http.Header{"Set-Cookie": {"session=" + secret}}}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out = append(out, fmt.Sprintf(verb, r), fmt.Sprintf(verb, &r))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("reply", "response", r)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("reply", "response", r)
	out = append(out, buf.String())
	for _, s := range out {
		if strings.Contains(s, secret) {
			t.Fatalf("header leaked: %s", s)
		}
	}
	if got := r.String(); got != `kyc.Response{StatusCode: 200, RequestID: "req-1", Attempts: 2}` {
		t.Fatalf("String() = %s", got)
	}
	if !strings.Contains(buf.String(), `"request_id":"req-1"`) {
		t.Fatalf("slog output lacks the request ID: %s", buf.String())
	}
}
