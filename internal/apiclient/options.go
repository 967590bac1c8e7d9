package apiclient

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
)

// Option configures a Client. Options validate their arguments.
type Option func(*config) error

type config struct {
	baseURL      string
	allowHTTP    bool
	httpClient   *http.Client
	tokenSource  oauth2.TokenSource
	uaSuffix     string
	timeout      time.Duration
	retry        RetryPolicy
	maxBody      int64
	logger       *slog.Logger
	header       http.Header
	errorDecoder ErrorDecoder
	// refreshMargin is how long before expiry a cached token is renewed.
	refreshMargin time.Duration
	// renew decides whether a 401 blames the token.
	renew RenewRule
	// tokenClock is the clock the token cache reads (nil: time.Now).
	tokenClock func() time.Time
	// tracer is nil when tracing is off.
	tracer trace.Tracer
}

// ErrorDecoder turns a non-2xx reply into the error a caller sees. It gets
// a *kyc.APIError already filled with status, method, path, request ID,
// headers and a body excerpt, and may fill vendor fields (Code, Message,
// MissingPermissions, Kinds) from body. It returns the error to surface,
// usually e itself.
type ErrorDecoder func(e *kyc.APIError, body []byte) error

// WithBaseURL sets the API's base URL. It must be https unless its host is
// a loopback address or WithInsecureHTTP is given.
func WithBaseURL(raw string) Option {
	return func(c *config) error { c.baseURL = raw; return nil }
}

// WithInsecureHTTP allows a plain http base URL on any host (tests only).
func WithInsecureHTTP() Option {
	return func(c *config) error { c.allowHTTP = true; return nil }
}

// WithHTTPClient makes the client send through hc. Its transport is wrapped,
// never replaced; its Timeout and Jar are kept. Its CheckRedirect, if
// any, decides about redirects, within the client's own policy: a
// redirect to another origin is refused unless CheckRedirect allows it,
// and then goes without the client's credentials and headers; a redirect
// from https to http, or one that would send the request body to another
// origin, is always refused (see kyc.RedirectError).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTokenSource authenticates every request with a Bearer token from ts.
// Tokens are cached until they expire, and concurrent calls share one
// fetch, which runs detached from any one call's context (bounded by twice
// the WithTimeout timeout; through TokenContext when ts is a
// ContextTokenSource): a call whose context ends while it waits returns at
// once with its context's error. When the API answers 401 with an RFC 6750 invalid_token challenge
// (the token was revoked or expired early), the cached token is dropped and the call is sent once more, only if ts
// then yields a different token: give a non-caching source (see
// ClientCredentialsSource) so a fresh token can be fetched.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("nil oauth2.TokenSource")
		}
		c.tokenSource = ts
		return nil
	}
}

// WithTokenRefreshMargin makes the client fetch a new token when the cached
// one has less than d left (default 10s, as oauth2.ReuseTokenSource). The
// margin never exceeds half the token's lifetime, counted from when it
// arrived, so a short-lived token is still reused.
func WithTokenRefreshMargin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Hour {
			return errors.New("token refresh margin must be between 0 and 1h")
		}
		c.refreshMargin = d
		return nil
	}
}

// WithTokenClock makes the token cache read time from now instead of
// time.Now: a vendor package that signs its own tokens on an injectable
// clock gives the same clock, so a token's expiry is compared with the
// time it was signed on.
func WithTokenClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil token clock")
		}
		c.tokenClock = now
		return nil
	}
}

// WithRenewRule replaces the default rule (an RFC 6750 invalid_token
// challenge in WWW-Authenticate) for when a 401 leads to one more attempt
// with a fresh token.
func WithRenewRule(r RenewRule) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("nil renew rule")
		}
		c.renew = r
		return nil
	}
}

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) Option {
	return func(c *config) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("user agent must not contain line breaks")
		}
		c.uaSuffix = strings.TrimSpace(suffix)
		return nil
	}
}

// WithTimeout sets the timeout of each attempt, body included (default 30s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("timeout must be positive")
		}
		c.timeout = d
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithMaxResponseBytes caps response bodies (default 10 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("max response bytes must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger logs one line per attempt (method, host, path, status,
// attempt, duration) at debug level, and failures at warn level. Nothing is
// logged without it. Headers, query values, bodies and tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithHeader adds a header to every request to the base URL's origin
// (scheme, host and port), for example an API key. It is removed from a
// request to any other origin, and never follows a redirect there.
func WithHeader(key, value string) Option {
	return func(c *config) error {
		if key == "" || strings.ContainsAny(key+value, "\r\n") {
			return errors.New("invalid header")
		}
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set(key, value)
		return nil
	}
}

// WithErrorDecoder installs the vendor's error decoder.
func WithErrorDecoder(d ErrorDecoder) Option {
	return func(c *config) error { c.errorDecoder = d; return nil }
}

// WithTracerProvider makes the client trace its calls with tp: a span per
// call and a child span per HTTP attempt (see trace.go). Nil turns tracing
// off, the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tracer = nil
		if tp != nil {
			c.tracer = tp.Tracer(TracerName, trace.WithInstrumentationVersion(kyc.Version))
		}
		return nil
	}
}
