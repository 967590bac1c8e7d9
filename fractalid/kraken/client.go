package kraken

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/internal/apiclient"
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

// Option configures a Client. Options validate their arguments; NewClient
// returns the first error.
type Option func(*settings) error

type settings struct {
	apiURL       string
	insecureHTTP bool
	lifetime     time.Duration
	margin       time.Duration
	maxFileBytes int64
	logger       *slog.Logger
	api          []apiclient.Option
}

// WithAPIURL overrides the environment's API URL.
func WithAPIURL(u string) Option {
	return func(s *settings) error {
		if err := checkBase(u); err != nil {
			return errors.New("API URL: " + err.Error())
		}
		s.apiURL = u
		return nil
	}
}

// WithTokenLifetime sets how long each API token is valid (its exp claim
// is iat + d), in whole seconds: at least 2 s (short lifetimes are for
// tests), at most MaxTokenLifetime (default DefaultTokenLifetime). A token
// is reused until it has less than the refresh margin left.
func WithTokenLifetime(d time.Duration) Option {
	return func(s *settings) error {
		if d < 2*time.Second || d > MaxTokenLifetime {
			return errors.New("token lifetime must be between 2s and 600s")
		}
		if d%time.Second != 0 {
			return errors.New("token lifetime must be whole seconds")
		}
		s.lifetime = d
		return nil
	}
}

// WithTokenRefreshMargin sets how long before its expiry a cached API token
// is replaced (default DefaultTokenRefreshMargin); it must be shorter than
// the lifetime (NewClient checks), and the HTTP core caps it at half the
// lifetime. Zero reuses a token until it expires.
func WithTokenRefreshMargin(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 || d >= MaxTokenLifetime {
			return errors.New("token refresh margin must be between 0 and 600s")
		}
		s.margin = d
		return nil
	}
}

// WithHTTPClient sends requests through hc. Its transport is wrapped
// (authentication, retries, timeout), never replaced.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		s.api = append(s.api, apiclient.WithHTTPClient(hc))
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(s *settings) error { s.api = append(s.api, apiclient.WithRetryPolicy(p)); return nil }
}

// WithTimeout sets the timeout of each attempt, body included (default 30s).
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return errors.New("timeout must be positive")
		}
		s.api = append(s.api, apiclient.WithTimeout(d))
		return nil
	}
}

// WithMaxResponseBytes caps JSON response bodies (default 10 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return errors.New("max response bytes must be positive")
		}
		s.api = append(s.api, apiclient.WithMaxResponseBytes(n))
		return nil
	}
}

// WithMaxFileBytes caps the bodies File copies (default 50 MiB).
func WithMaxFileBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return errors.New("max file bytes must be positive")
		}
		s.maxFileBytes = n
		return nil
	}
}

// WithLogger logs one debug line per HTTP attempt (method, host, path,
// status, attempt, duration) and failures at warn level. Nothing is logged
// by default; bodies, headers, tokens and the one-time token in the
// session path never are.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error { s.logger = l; return nil }
}

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) Option {
	return func(s *settings) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("user agent must not contain line breaks")
		}
		s.api = append(s.api, apiclient.WithUserAgent(suffix))
		return nil
	}
}

// WithInsecureHTTP allows plain http URLs on non-loopback hosts (tests
// only; loopback hosts may always use http).
func WithInsecureHTTP() Option {
	return func(s *settings) error { s.insecureHTTP = true; return nil }
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
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &settings{lifetime: DefaultTokenLifetime, margin: DefaultTokenRefreshMargin, maxFileBytes: DefaultMaxFileBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, fmt.Errorf("kraken: invalid option: %w", err)
		}
	}
	if s.margin >= s.lifetime {
		return nil, fmt.Errorf("kraken: invalid option: token refresh margin %s is not shorter than the lifetime %s", s.margin, s.lifetime)
	}
	base := s.apiURL
	if base == "" {
		base = cfg.env().APIURL
	}
	lifetime := s.lifetime
	ts := apiclient.TokenSourceFunc(func() (*oauth2.Token, error) {
		tok, exp, err := cfg.apiToken(lifetime)
		if err != nil {
			return nil, &TokenError{Reason: "cannot sign the API token", Err: err}
		}
		return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: exp}, nil
	})
	api := []apiclient.Option{
		apiclient.WithBaseURL(base),
		apiclient.WithErrorDecoder(decodeError),
		apiclient.WithTokenSource(ts),
		apiclient.WithTokenRefreshMargin(s.margin),
		// A 401 may mean the server's clock disagrees with ours about a
		// cached token: one more attempt with a freshly minted token.
		apiclient.WithRenewRule(func(http.Header, []byte) bool { return true }),
	}
	if s.insecureHTTP {
		api = append(api, apiclient.WithInsecureHTTP())
	}
	if s.logger != nil {
		api = append(api, apiclient.WithLogger(slog.New(&pathRedactor{next: s.logger.Handler()})))
	}
	c, err := apiclient.New(append(api, s.api...)...)
	if err != nil {
		return nil, err
	}
	return &Client{api: c, maxFileBytes: s.maxFileBytes}, nil
}

// sessionPrefix is the path of the one-time-token exchange; the token
// that follows it never appears in errors or logs.
const sessionPrefix = "/public/kyc/token/"

// redactedSessionPath replaces the one-time token in a session path.
const redactedSessionPath = sessionPrefix + "[redacted]"

// pathRedactor is a slog.Handler that hides the one-time token in the
// "path" attribute of the core's attempt lines.
type pathRedactor struct{ next slog.Handler }

func (h *pathRedactor) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *pathRedactor) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func redactAttr(a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindString && strings.Contains(a.Value.String(), sessionPrefix) {
		return slog.String(a.Key, redactPath(a.Value.String()))
	}
	return a
}

func (h *pathRedactor) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return &pathRedactor{next: h.next.WithAttrs(red)}
}

func (h *pathRedactor) WithGroup(name string) slog.Handler {
	return &pathRedactor{next: h.next.WithGroup(name)}
}

// redactPath cuts everything after the session prefix.
func redactPath(p string) string {
	if i := strings.Index(p, sessionPrefix); i >= 0 {
		return p[:i] + redactedSessionPath
	}
	return p
}
