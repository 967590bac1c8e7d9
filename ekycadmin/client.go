package ekycadmin

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc/internal/apiclient"
)

// Defaults, as documented by the API's publisher.
const (
	// DefaultBaseURL is the API server of the published OpenAPI document.
	DefaultBaseURL = "https://gateway.dev.klustr.io"
	// DefaultTokenURL is the documented client-credentials token endpoint.
	DefaultTokenURL = "https://secure.dev.klustr.io/hydra/oauth2/token"
	// DefaultScope is the scope requested with the client-credentials grant.
	DefaultScope = "openid"
	// DefaultPageSize is the server's default page size, and AllSessions'.
	DefaultPageSize = 1024
	// APIKeyHeader is the header WithAPIKey sets.
	APIKeyHeader = "X-API-Key"
)

// RetryPolicy says how failed attempts are retried (see NewClient).
type RetryPolicy = apiclient.RetryPolicy

// TokenRefreshMargin is how long before its expiry a cached access token is
// renewed.
const TokenRefreshMargin = time.Minute

// DefaultRetryPolicy returns the retry policy used unless WithRetryPolicy
// says otherwise: 2 retries, 500ms doubling to 8s with jitter, Retry-After
// honoured up to 30s.
func DefaultRetryPolicy() RetryPolicy { return apiclient.DefaultRetryPolicy }

// NoRetries returns a policy that never retries.
func NoRetries() RetryPolicy { return apiclient.NoRetries }

// Option configures a Client. Options check their arguments; NewClient
// reports the first invalid one.
type Option func(*settings) error

type settings struct {
	clientID, clientSecret string
	tokenURL               string
	scopes                 []string
	scopesSet              bool
	ts                     oauth2.TokenSource
	baseURL                string
	allowHTTP              bool
	hc                     *http.Client
	retry                  RetryPolicy
	core                   []apiclient.Option
}

// WithCredentials authenticates with a service credential's client ID and
// secret: the client-credentials grant, with the ID and secret sent by
// HTTP Basic authentication to the token URL (DefaultTokenURL unless
// WithTokenURL). Either this or WithTokenSource is required.
func WithCredentials(clientID, clientSecret string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(clientID) == "" || clientSecret == "" {
			return errors.New("client ID and client secret are required")
		}
		s.clientID, s.clientSecret = clientID, clientSecret
		return nil
	}
}

// WithTokenURL sets the token endpoint used with WithCredentials.
func WithTokenURL(rawURL string) Option {
	return func(s *settings) error {
		if rawURL == "" {
			return errors.New("empty token URL")
		}
		s.tokenURL = rawURL
		return nil
	}
}

// WithScopes replaces the scopes requested with WithCredentials (default
// DefaultScope). No argument requests no scope. The ekyc.session.*
// permissions are not scopes and cannot be requested.
func WithScopes(scopes ...string) Option {
	return func(s *settings) error {
		for _, sc := range scopes {
			if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
				return fmt.Errorf("invalid scope %q", sc)
			}
		}
		s.scopes, s.scopesSet = append([]string(nil), scopes...), true
		return nil
	}
}

// WithTokenSource authenticates every request with tokens from ts (for
// example a clientcredentials.Config's token source, built from a
// long-lived context). Tokens are opaque and are never parsed. It excludes
// WithCredentials.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(s *settings) error {
		if ts == nil {
			return errors.New("nil oauth2.TokenSource")
		}
		s.ts = ts
		return nil
	}
}

// WithAPIKey sends key in the X-API-Key header of every API request (the
// gateway of some deployments asks for it). It is never sent to the token
// endpoint and never logged.
func WithAPIKey(key string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("empty API key")
		}
		if strings.ContainsAny(key, "\r\n") {
			return errors.New("API key must not contain line breaks")
		}
		s.core = append(s.core, apiclient.WithHeader(APIKeyHeader, key))
		return nil
	}
}

// WithBaseURL sets the API's base URL (default DefaultBaseURL). It must be
// https unless its host is loopback or WithInsecureHTTP is given.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error {
		if rawURL == "" {
			return errors.New("empty base URL")
		}
		s.baseURL = rawURL
		return nil
	}
}

// WithInsecureHTTP allows plain http base and token URLs on non-loopback
// hosts. For tests only.
func WithInsecureHTTP() Option {
	return func(s *settings) error {
		s.allowHTTP = true
		s.core = append(s.core, apiclient.WithInsecureHTTP())
		return nil
	}
}

// WithHTTPClient sends both token and API requests through hc. Its
// transport is wrapped (auth, retries, timeouts), never replaced.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		s.hc = hc
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy for API and token requests.
// Whatever the policy, only safe attempts are retried: GETs on transport
// errors and 408, 429, 502, 503 and 504; POSTs (CreateSession, token
// requests) only when they never left the machine.
func WithRetryPolicy(p RetryPolicy) Option {
	core := coreOption(apiclient.WithRetryPolicy(p))
	return func(s *settings) error {
		if err := core(s); err != nil {
			return err
		}
		s.retry = p
		return nil
	}
}

// WithTimeout sets the timeout of each attempt, body included (default 30s).
func WithTimeout(d time.Duration) Option { return coreOption(apiclient.WithTimeout(d)) }

// WithMaxResponseBytes caps response bodies (default 10 MiB). A page of
// ListSessions larger than the cap fails with ErrResponseTooLarge; lower
// the page size rather than raising the cap without bound.
func WithMaxResponseBytes(n int64) Option { return coreOption(apiclient.WithMaxResponseBytes(n)) }

// WithLogger logs one line per HTTP attempt (method, host, path, status,
// attempt, duration): debug level, warn for failures. Nothing is logged
// without it; tokens, keys, query values and bodies are never logged.
func WithLogger(l *slog.Logger) Option { return coreOption(apiclient.WithLogger(l)) }

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) Option { return coreOption(apiclient.WithUserAgent(suffix)) }

// coreOption validates a core option at once and keeps it.
func coreOption(o apiclient.Option) Option {
	return func(s *settings) error {
		if _, err := apiclient.NewHTTPClient(o); err != nil {
			return err
		}
		s.core = append(s.core, o)
		return nil
	}
}

// Client calls the EKYC admin API. It is safe for concurrent use.
type Client struct {
	api  *apiclient.Client
	base string
}

// NewClient builds a Client. WithCredentials or WithTokenSource is
// required. No request is sent until the first call.
//
// With WithCredentials, tokens come from the token URL through the same
// retry, timeout and logging layers as API calls, from a token source built
// on context.Background() (a later refresh never depends on a request's
// context); a token request that may have reached the server is never
// retried. Tokens are reused until shortly before they expire.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{baseURL: DefaultBaseURL, tokenURL: DefaultTokenURL, retry: apiclient.DefaultRetryPolicy}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("ekycadmin: %w: %w", ErrInvalidArgument, err)
		}
	}
	var ts oauth2.TokenSource
	switch {
	case s.ts != nil && s.clientID != "":
		return nil, fmt.Errorf("ekycadmin: %w: WithCredentials and WithTokenSource are exclusive", ErrInvalidArgument)
	case s.ts != nil:
		ts = s.ts
	case s.clientID != "":
		if _, err := apiclient.ParseBaseURL(s.tokenURL, s.allowHTTP); err != nil {
			return nil, fmt.Errorf("ekycadmin: token URL: %w", err)
		}
		thc, err := newTokenHTTPClient(&s)
		if err != nil {
			return nil, err
		}
		scopes := []string{DefaultScope}
		if s.scopesSet {
			scopes = s.scopes
		}
		cc := &clientcredentials.Config{
			ClientID:     s.clientID,
			ClientSecret: s.clientSecret,
			TokenURL:     s.tokenURL,
			Scopes:       scopes,
			AuthStyle:    oauth2.AuthStyleInHeader,
		}
		// Non-caching: the core caches the token and fetches a new one when the API refuses it.
		ts = apiclient.ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc)
	default:
		return nil, fmt.Errorf("ekycadmin: %w: WithCredentials or WithTokenSource is required", ErrInvalidArgument)
	}
	coreOpts := []apiclient.Option{
		apiclient.WithBaseURL(s.baseURL),
		apiclient.WithTokenSource(ts),
		// Renew a minute before expiry, as Klustr's own client does: the
		// API introspects every token and caches the answer.
		apiclient.WithTokenRefreshMargin(TokenRefreshMargin),
		apiclient.WithErrorDecoder(decodeError),
	}
	if s.hc != nil {
		coreOpts = append(coreOpts, apiclient.WithHTTPClient(s.hc))
	}
	api, err := apiclient.New(append(coreOpts, s.core...)...)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, base: api.BaseURL().String()}, nil
}

// String describes the client by its base URL; it never prints credentials.
func (c *Client) String() string { return "ekycadmin.Client{" + c.base + "}" }

// GoString is String, so %#v never prints credentials either.
func (c *Client) GoString() string { return c.String() }

const adminPath = "/ekyc/admin"

func userPath(userID, leaf string) (string, error) {
	if userID == "" {
		return "", fmt.Errorf("ekycadmin: %w: empty user ID", ErrInvalidArgument)
	}
	return apiclient.JoinPath("ekyc", "admin", userID, leaf)
}

func (o *ListOptions) validate() error {
	if o.Start < 0 || o.Start > math.MaxInt32 {
		return fmt.Errorf("ekycadmin: %w: start %d out of range", ErrInvalidArgument, o.Start)
	}
	if o.Limit < 0 || o.Limit > math.MaxInt32 {
		return fmt.Errorf("ekycadmin: %w: limit %d out of range", ErrInvalidArgument, o.Limit)
	}
	return nil
}

// ListSessions reads one page of every user's sessions
// (GET /ekyc/admin; permission ekyc.session.list). opts may be nil: the
// server then starts at 0 with DefaultPageSize. The server has no ordering,
// so pages may overlap or skip users when data changes between calls.
func (c *Client) ListSessions(ctx context.Context, opts *ListOptions) ([]UserSessions, error) {
	req := &apiclient.Request{Method: http.MethodGet, Path: adminPath, Permission: PermissionList}
	if opts != nil {
		if err := opts.validate(); err != nil {
			return nil, err
		}
		q := *opts
		req.Query = &q
	}
	var out []UserSessions
	if _, err := c.api.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []UserSessions{}
	}
	return out, nil
}

// AllSessions walks every page of ListSessions from opts.Start (default 0)
// with page size opts.Limit (default DefaultPageSize), adding the page size
// to the offset until a page holds fewer items. opts is not modified.
//
// Only one page is held at a time. The sequence stops after yielding the
// first error, which is a request error or a *PaginationError when the
// server returns the same page twice (it would otherwise loop forever) or
// more items than asked for. Breaking out of the loop stops it without
// further requests.
func (c *Client) AllSessions(ctx context.Context, opts *ListOptions) iter.Seq2[UserSessions, error] {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	return func(yield func(UserSessions, error) bool) {
		if err := o.validate(); err != nil {
			yield(UserSessions{}, err)
			return
		}
		start, limit := o.Start, o.Limit
		if limit == 0 {
			limit = DefaultPageSize
		}
		var prevFirst, prevLast string
		havePrev := false
		for {
			if ctx != nil && ctx.Err() != nil {
				yield(UserSessions{}, fmt.Errorf("ekycadmin: list sessions at start=%d: %w", start, ctx.Err()))
				return
			}
			page, err := c.ListSessions(ctx, &ListOptions{Start: start, Limit: limit})
			if err != nil {
				yield(UserSessions{}, err)
				return
			}
			if len(page) > limit {
				yield(UserSessions{}, &PaginationError{Start: start, Limit: limit, Count: len(page),
					Problem: fmt.Sprintf("page holds %d items, more than the limit", len(page))})
				return
			}
			if len(page) > 0 {
				first, last := page[0].UserID, page[len(page)-1].UserID
				// Ids are unique per user; without ids the check cannot tell.
				if havePrev && first+last != "" && first == prevFirst && last == prevLast {
					yield(UserSessions{}, &PaginationError{Start: start, Limit: limit, Count: len(page), Repeated: true,
						Problem: "page repeats the previous page"})
					return
				}
				prevFirst, prevLast, havePrev = first, last, true
			}
			for i := range page {
				item := page[i]
				page[i] = UserSessions{} // let the consumer's copy be the only reference
				if !yield(item, nil) {
					return
				}
			}
			if len(page) < limit {
				return
			}
			if start > math.MaxInt32-limit {
				yield(UserSessions{}, &PaginationError{Start: start, Limit: limit, Count: limit,
					Problem: "next offset exceeds the server's int32 range"})
				return
			}
			start += limit
		}
	}
}

// UserSessions returns one user's sessions (GET /ekyc/admin/{userId}/sessions;
// permission ekyc.session.get). A user without a session record gives an
// error matching ErrNotFound and ErrNoSessions. An empty userID is refused
// with ErrInvalidArgument before any request.
func (c *Client) UserSessions(ctx context.Context, userID string) (*UserSessions, error) {
	p, err := userPath(userID, "sessions")
	if err != nil {
		return nil, err
	}
	var out UserSessions
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, Path: p, Permission: PermissionGet}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateSession starts a new verification session for a user
// (POST /ekyc/admin/{userId}/sessions; permission ekyc.session.create) and
// returns it; send the user to its URL. req may be nil.
//
// The server is not idempotent: every call creates a new session. This
// call is therefore never retried once the request may have reached the
// server (a 5xx, a timeout or a reset gives an error, and the session may
// or may not exist: check with UserSessions before calling again); it is
// retried only when the connection could not be made.
//
// The server refuses users whose identity is incomplete with 400: the
// error matches ErrInvalidName, ErrInvalidBirthDate or ErrUnderage (and
// ErrPersonIncomplete). An empty userID or a callback that is not an
// absolute http(s) URL is refused with ErrInvalidArgument before any request.
func (c *Client) CreateSession(ctx context.Context, userID string, req *CreateSessionRequest) (*Session, error) {
	p, err := userPath(userID, "sessions")
	if err != nil {
		return nil, err
	}
	body := CreateSessionRequest{}
	if req != nil {
		body = *req
	}
	if body.Callback != "" {
		u, err := url.Parse(body.Callback)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("ekycadmin: %w: callback must be an absolute http(s) URL", ErrInvalidArgument)
		}
	}
	var out Session
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodPost, Path: p, Body: &body, Permission: PermissionCreate}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UserStatus returns a user's verification status
// (GET /ekyc/admin/{userId}/status; permission ekyc.session.get). The
// server answers an unknown user with TotalSessions 0 and no verdict, not
// with an error. An empty userID is refused with ErrInvalidArgument before
// any request.
func (c *Client) UserStatus(ctx context.Context, userID string) (*UserStatus, error) {
	p, err := userPath(userID, "status")
	if err != nil {
		return nil, err
	}
	var out UserStatus
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, Path: p, Permission: PermissionGet}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
