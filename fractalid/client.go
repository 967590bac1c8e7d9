package fractalid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc/internal/apiclient"
)

// DefaultMaxFileBytes caps a DownloadFile body unless WithMaxFileBytes says otherwise.
const DefaultMaxFileBytes = 50 << 20

// Option configures a Client. Options validate their arguments; NewClient
// returns the first error.
type Option func(*settings) error

// settings collects the options of a Client.
type settings struct {
	env          Environment
	resourceURL  string
	insecureHTTP bool
	httpClient   *http.Client
	logger       *slog.Logger
	maxFileBytes int64
	api          []apiclient.Option
}

func newSettings(opts []Option) (*settings, error) {
	s := &settings{env: Production, maxFileBytes: DefaultMaxFileBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, fmt.Errorf("fractalid: invalid option: %w", err)
		}
	}
	return s, nil
}

// baseURL is the resource server URL: WithResourceURL, else the environment's.
func (s *settings) baseURL() string {
	if s.resourceURL != "" {
		return s.resourceURL
	}
	return s.env.ResourceURL
}

// apiOptions are the apiclient options for a client of the resource server.
func (s *settings) apiOptions() []apiclient.Option {
	opts := []apiclient.Option{apiclient.WithBaseURL(s.baseURL()), apiclient.WithErrorDecoder(decodeResourceError)}
	if s.insecureHTTP {
		opts = append(opts, apiclient.WithInsecureHTTP())
	}
	return append(opts, s.api...)
}

// WithEnvironment selects the Fractal ID hosts (default Production).
func WithEnvironment(env Environment) Option {
	return func(s *settings) error {
		if err := env.Validate(); err != nil {
			return err
		}
		s.env = env
		return nil
	}
}

// WithResourceURL overrides the resource server URL of the environment.
func WithResourceURL(u string) Option {
	return func(s *settings) error {
		if u == "" {
			return errors.New("empty resource URL")
		}
		s.resourceURL = u
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
		s.httpClient = hc
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

// WithMaxFileBytes caps the bodies DownloadFile copies (default 50 MiB).
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
// by default; bodies, headers, query values and tokens never are.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		s.api = append(s.api, apiclient.WithLogger(l))
		return nil
	}
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

// Client calls the Fractal ID resource server on behalf of one user (one
// token source). Build one per user; it is safe for concurrent use.
type Client struct {
	api          *apiclient.Client
	set          *settings
	maxFileBytes int64
}

// NewClient returns a client that authenticates with ts (for example
// Config.TokenSource). The token is sent only to the resource host.
func NewClient(ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, fmt.Errorf("fractalid: %w: nil token source", ErrInvalidArgument)
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	return newClient(ts, s)
}

func newClient(ts oauth2.TokenSource, s *settings) (*Client, error) {
	// A Config.TokenSource source implements apiclient.TokenInvalidator: a
	// 401 the resource server blames on the token makes the core invalidate
	// it, refresh, and send the call once more.
	api, err := apiclient.New(append(s.apiOptions(), apiclient.WithTokenSource(ts), apiclient.WithRenewRule(renewOnRefusedToken))...)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, set: s, maxFileBytes: s.maxFileBytes}, nil
}

// renewOnRefusedToken is the resource server's RenewRule: the reference
// leaves its 401 shape unknown, so any 401 whose error code (from
// WWW-Authenticate or the body) is absent or invalid_token blames the token.
func renewOnRefusedToken(h http.Header, body []byte) bool {
	e := &APIError{StatusCode: http.StatusUnauthorized, Header: h}
	_ = decodeResourceError(e, body)
	return e.Code == "" || e.Code == "invalid_token"
}

// ForToken returns a client with the same options that authenticates with
// ts: one client per user in a multi-user server.
func (c *Client) ForToken(ts oauth2.TokenSource) (*Client, error) {
	if ts == nil {
		return nil, fmt.Errorf("fractalid: %w: nil token source", ErrInvalidArgument)
	}
	return newClient(ts, c.set)
}

// mePath is the path of the user-information endpoint.
const mePath = "/v2/users/me"

// Me returns the user's data: GET /v2/users/me. Which fields are set
// depends on the scopes granted. An expired or revoked token gives an
// error matching ErrUnauthorized, a missing scope one matching
// ErrForbidden; a body that does not decode gives a *DecodeError and no user.
//
// With a token source from Config.TokenSource, a 401 forces one refresh
// and one retry; if the refresh token is refused too, Me returns a
// *ReauthorizationRequiredError.
func (c *Client) Me(ctx context.Context) (*User, error) {
	u := new(User)
	_, err := c.api.Do(ctx, &apiclient.Request{
		Method: http.MethodGet,
		Path:   mePath,
		Header: http.Header{"Content-Type": {"application/json"}},
	}, u)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DownloadFile streams the file at fileURL (a FileURL from Details) into w
// and returns the number of bytes written. The Bearer token is never sent
// to the file's host unless it is the resource host. The body is capped
// (WithMaxFileBytes): beyond the cap it stops with an error matching
// ErrResponseTooLarge, after writing the bytes up to the cap.
//
// File URLs expire a few hours after Me returned them: a 403, 404 or 410
// from a storage host (or a 400 that says the request expired) gives an
// *APIError that matches ErrFileURLExpired; call Me again for fresh URLs.
//
// Each attempt, body included, is bounded by WithTimeout (default 30s):
// raise it for large files on slow links.
func (c *Client) DownloadFile(ctx context.Context, fileURL string, w io.Writer) (int64, error) {
	if w == nil {
		return 0, fmt.Errorf("fractalid: %w: nil writer", ErrInvalidArgument)
	}
	u, err := url.Parse(fileURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return 0, fmt.Errorf("fractalid: %w: file URL must be an absolute http(s) URL", ErrInvalidArgument)
	}
	if u.Scheme == "http" && !c.set.insecureHTTP && !apiclient.IsLoopback(u.Hostname()) {
		return 0, fmt.Errorf("fractalid: %w: file URL must use https", ErrInvalidArgument)
	}
	resp, err := c.api.Stream(ctx, &apiclient.Request{
		Method: http.MethodGet,
		URL:    fileURL,
		Header: http.Header{"Accept": {"*/*"}},
	}, c.maxFileBytes)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && fileURLExpired(ae, u.Host != c.api.BaseURL().Host) {
			ae.Kinds = append(ae.Kinds, ErrFileURLExpired)
		}
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return n, fmt.Errorf("fractalid: download %s: %w (cap %d bytes)", u.Path, ErrResponseTooLarge, c.maxFileBytes)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return n, fmt.Errorf("fractalid: download %s: %w", u.Path, ctxErr)
		}
		return n, fmt.Errorf("fractalid: download %s: %w", u.Path, err)
	}
	return n, nil
}

// fileURLExpired tells whether a storage host's refusal means the
// pre-signed URL expired (or was revoked).
func fileURLExpired(e *APIError, storageHost bool) bool {
	if !storageHost {
		return false
	}
	switch e.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return true
	case http.StatusBadRequest:
		b := strings.ToLower(string(e.Body))
		return strings.Contains(b, "expired")
	}
	return false
}
