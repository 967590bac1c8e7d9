package option_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/ekycadmin"
	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/integrations/incode"
	"github.com/kycgo/kyc/option"
)

var ts = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})

// newEKYC builds an ekycadmin client with opts after a valid base.
func newEKYC(opts ...option.ClientOption) error {
	_, err := ekycadmin.NewClient(append([]option.ClientOption{option.WithTokenSource(ts)}, opts...)...)
	return err
}

func TestInvalidOptionsFailConstruction(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]option.ClientOption{
		"zero timeout":       option.WithTimeout(0),
		"negative retries":   option.WithRetryPolicy(option.RetryPolicy{MaxRetries: -1}),
		"retries no wait":    option.WithRetryPolicy(option.RetryPolicy{MaxRetries: 1}),
		"header line break":  option.WithHeader("X-A", "a\r\nB: b"),
		"header authz":       option.WithHeader("authorization", "Bearer x"),
		"nil http client":    option.WithHTTPClient(nil),
		"empty base URL":     option.WithBaseURL(""),
		"nil token source":   option.WithTokenSource(nil),
		"user agent newline": option.WithUserAgent("a\nb"),
		"zero max body":      option.WithMaxResponseBytes(0),
		"another vendor's":   fractalid.WithEnvironment(fractalid.Staging),
		"incode's API key":   incode.WithAPIKey("k"),
		"http base, no flag": option.WithBaseURL("http://api.example.com"),
		"malformed base URL": option.WithBaseURL("https://exa mple.com/%zz"),
	} {
		if err := newEKYC(o); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestVendorOptionNamesItself(t *testing.T) {
	t.Parallel()
	_, err := fractalid.NewClient(ts, ekycadmin.WithAPIKey("k"))
	if err == nil || !strings.Contains(err.Error(), "ekycadmin.WithAPIKey is not an option of this client") {
		t.Fatalf("error %v, want it to name ekycadmin.WithAPIKey", err)
	}
	if strings.Contains(err.Error(), `"k"`) {
		t.Fatal("the error quotes the key")
	}
}

func TestSharedOptionsWorkEverywhere(t *testing.T) {
	t.Parallel()
	shared := []option.ClientOption{
		option.WithTimeout(time.Second), option.NoRetries(), option.WithHeader("X-App", "a"),
		option.WithHTTPClient(&http.Client{}), option.WithLogger(nil), option.WithUserAgent("app/1"),
		option.WithMaxResponseBytes(1 << 20), option.WithTracerProvider(nil),
		option.WithRetryPolicy(option.DefaultRetryPolicy()),
	}
	if _, err := fractalid.NewClient(ts, shared...); err != nil {
		t.Errorf("fractalid.NewClient: %v", err)
	}
	if _, err := fractalid.NewStatsClient(append(shared, option.WithTokenSource(ts))...); err != nil {
		t.Errorf("fractalid.NewStatsClient: %v", err)
	}
	if err := newEKYC(shared...); err != nil {
		t.Errorf("ekycadmin.NewClient: %v", err)
	}
	if _, err := incode.NewClient(append(shared, incode.WithAPIKey("k"))...); err != nil {
		t.Errorf("incode.NewClient: %v", err)
	}
	// Options that make no sense for a client are refused, not ignored.
	if _, err := fractalid.NewClient(ts, option.WithTokenSource(ts)); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("fractalid.NewClient with option.WithTokenSource: %v", err)
	}
	if _, err := fractalid.NewClient(ts, fractalid.WithCredentials("id", "secret")); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("fractalid.NewClient with WithCredentials: %v", err)
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	t.Parallel()
	p := option.DefaultRetryPolicy()
	if p.MaxRetries != 2 || p.MinWait != 500*time.Millisecond || p.MaxWait != 8*time.Second || p.MaxRetryAfter != 30*time.Second {
		t.Fatalf("DefaultRetryPolicy() = %+v", p)
	}
}
