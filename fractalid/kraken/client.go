package kraken

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// Token lifetimes of the API tokens the client mints.
const (
	// MaxTokenLifetime is the longest API token lifetime Kraken accepts:
	// "max 10min for API tokens".
	MaxTokenLifetime = 600 * time.Second
	// DefaultTokenLifetime is the lifetime of the API tokens the client
	// mints unless WithTokenLifetime says otherwise: half the maximum, so
	// a server clock a little behind ours still sees at most 600 s.
	DefaultTokenLifetime = 300 * time.Second
	// DefaultTokenRefreshMargin is how long before its expiry a cached API
	// token is replaced by a new one.
	DefaultTokenRefreshMargin = 30 * time.Second
	// DefaultMaxFileBytes caps a File body unless WithMaxFileBytes says otherwise.
	DefaultMaxFileBytes = 50 << 20
)

// settings is the kraken configuration the package's own client options
// write to; the shared ones (package option) go to the apiclient.Settings
// that holds it.
type settings struct {
	lifetime     time.Duration
	margin       time.Duration
	maxFileBytes int64
}

// vendorOption is a client option over the kraken settings.
func vendorOption(name string, f func(*settings) error) option.ClientOption {
	return apiclient.VendorOption("kraken."+name, f)
}

// WithTokenLifetime sets how long each API token is valid (its exp claim
// is iat + d), in whole seconds: at least 2 s (short lifetimes are for
// tests), at most MaxTokenLifetime (default DefaultTokenLifetime). A token
// is reused until it has less than the refresh margin left.
func WithTokenLifetime(d time.Duration) option.ClientOption {
	return vendorOption("WithTokenLifetime", func(s *settings) error {
		if d < 2*time.Second || d > MaxTokenLifetime {
			return errors.New("token lifetime must be between 2s and 600s")
		}
		if d%time.Second != 0 {
			return errors.New("token lifetime must be whole seconds")
		}
		s.lifetime = d
		return nil
	})
}

// WithTokenRefreshMargin sets how long before its expiry a cached API token
// is replaced (default DefaultTokenRefreshMargin); it must be shorter than
// the lifetime (NewClient checks), and the HTTP core caps it at half the
// lifetime. Zero reuses a token until it expires.
func WithTokenRefreshMargin(d time.Duration) option.ClientOption {
	return vendorOption("WithTokenRefreshMargin", func(s *settings) error {
		if d < 0 || d >= MaxTokenLifetime {
			return errors.New("token refresh margin must be between 0 and 600s")
		}
		s.margin = d
		return nil
	})
}

// WithMaxFileBytes caps the bodies File copies (default 50 MiB).
func WithMaxFileBytes(n int64) option.ClientOption {
	return vendorOption("WithMaxFileBytes", func(s *settings) error {
		if n <= 0 {
			return errors.New("max file bytes must be positive")
		}
		s.maxFileBytes = n
		return nil
	})
}

// Client calls the Kraken API with ES512-signed API tokens
// ({"api": true, "clientId", "iat", "exp"}), minted from the Config's key
// and reused until shortly before they expire. It is safe for concurrent
// use. The API token goes only to the API host.
type Client struct {
	api          *apiclient.Client
	maxFileBytes int64
}

// NewClient returns a client for cfg's environment.
//
// It takes the options of package option (timeout, retries, HTTP client,
// logger, tracing, option.WithBaseURL for the API host, ...) and
// WithTokenLifetime, WithTokenRefreshMargin and WithMaxFileBytes. The
// client signs its own API tokens: option.WithTokenSource is refused.
func NewClient(cfg Config, opts ...option.ClientOption) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &settings{lifetime: DefaultTokenLifetime, margin: DefaultTokenRefreshMargin, maxFileBytes: DefaultMaxFileBytes}
	s, err := apiclient.Configure("kraken", v, opts)
	if err != nil {
		return nil, err
	}
	if s.TokenSource != nil {
		return nil, fmt.Errorf("kraken: %w: the client signs its own API tokens; option.WithTokenSource is not an option of it", kyc.ErrInvalidArgument)
	}
	if v.margin >= v.lifetime {
		return nil, fmt.Errorf("kraken: %w: token refresh margin %s is not shorter than the lifetime %s", kyc.ErrInvalidArgument, v.margin, v.lifetime)
	}
	base := s.BaseURL
	if base == "" {
		base = cfg.env().APIURL
	}
	lifetime := v.lifetime
	ts := apiclient.TokenSourceFunc(func() (*oauth2.Token, error) {
		tok, exp, err := cfg.apiToken(lifetime)
		if err != nil {
			return nil, &kyc.TokenError{Reason: "cannot sign the API token", Err: err}
		}
		return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: exp}, nil
	})
	core := append(s.CoreOptions(),
		apiclient.WithBaseURL(base),
		apiclient.WithErrorDecoder(decodeError),
		apiclient.WithTokenSource(ts),
		apiclient.WithTokenRefreshMargin(v.margin),
		apiclient.WithTokenClock(cfg.now),
		// A 401 may mean the server's clock disagrees with ours about a
		// cached token: one more attempt with a freshly minted token.
		apiclient.WithRenewRule(func(http.Header, []byte) bool { return true }),
	)
	c, err := apiclient.New(core...)
	if err != nil {
		return nil, err
	}
	return &Client{api: c, maxFileBytes: v.maxFileBytes}, nil
}

// sessionPrefix is the path of the one-time-token exchange; the token
// that follows it never appears in errors or logs (the call's ShownPath is
// redactedSessionPath).
const sessionPrefix = "/public/kyc/token/"

// redactedSessionPath replaces the one-time token in a session path.
const redactedSessionPath = sessionPrefix + "[redacted]"

// redactPath cuts everything after the session prefix.
func redactPath(p string) string {
	if i := strings.Index(p, sessionPrefix); i >= 0 {
		return p[:i] + redactedSessionPath
	}
	return p
}
