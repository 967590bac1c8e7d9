package ekycadmin

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
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

// TokenRefreshMargin is how long before its expiry a cached access token is
// renewed.
const TokenRefreshMargin = time.Minute

// settings is the ekycadmin configuration the package's own client
// options write to; the shared ones (package option) go to the
// apiclient.Settings that holds it.
type settings struct {
	clientID, clientSecret string
	tokenURL               string
	scopes                 []string
	scopesSet              bool
	apiKey                 string
}

// vendorOption is a client option over the ekycadmin settings.
func vendorOption(name string, f func(*settings) error) option.ClientOption {
	return apiclient.VendorOption("ekycadmin."+name, f)
}

// WithCredentials authenticates with a service credential's client ID and
// secret: the client-credentials grant, with the ID and secret sent by
// HTTP Basic authentication to the token URL (DefaultTokenURL unless
// WithTokenURL). Either this or option.WithTokenSource is required.
func WithCredentials(clientID, clientSecret string) option.ClientOption {
	return vendorOption("WithCredentials", func(s *settings) error {
		if err := apiclient.CheckClientCredentials(clientID, clientSecret); err != nil {
			return err
		}
		s.clientID, s.clientSecret = clientID, clientSecret
		return nil
	})
}

// WithTokenURL sets the token endpoint used with WithCredentials.
func WithTokenURL(rawURL string) option.ClientOption {
	return vendorOption("WithTokenURL", func(s *settings) error {
		if rawURL == "" {
			return errors.New("empty token URL")
		}
		s.tokenURL = rawURL
		return nil
	})
}

// WithScopes replaces the scopes requested with WithCredentials (default
// DefaultScope). No argument requests no scope. The ekyc.session.*
// permissions are not scopes and cannot be requested.
func WithScopes(scopes ...string) option.ClientOption {
	return vendorOption("WithScopes", func(s *settings) error {
		for _, sc := range scopes {
			if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
				return fmt.Errorf("invalid scope %q", sc)
			}
		}
		s.scopes, s.scopesSet = append([]string(nil), scopes...), true
		return nil
	})
}

// WithAPIKey sends key in the X-API-Key header of every API request (the
// gateway of some deployments asks for it). It is never sent to the token
// endpoint and never logged.
func WithAPIKey(key string) option.ClientOption {
	return vendorOption("WithAPIKey", func(s *settings) error {
		if err := apiclient.CheckAPIKey(key); err != nil {
			return err
		}
		s.apiKey = key
		return nil
	})
}

// Client calls the EKYC admin API. It is safe for concurrent use.
type Client struct {
	api  *apiclient.Client
	base string
}

// NewClient builds a Client. WithCredentials or option.WithTokenSource is
// required. No request is sent until the first call.
//
// With WithCredentials, tokens come from the token URL through the same
// retry, timeout and logging layers as API calls, from a token source built
// on context.Background() (a later refresh never depends on a request's
// context); a token request that may have reached the server is never
// retried. Tokens are reused until shortly before they expire.
//
// It takes the options of package option (option.WithBaseURL for another
// deployment than DefaultBaseURL, timeouts, retries, HTTP client, logger,
// tracing) and this package's WithCredentials, WithTokenURL, WithScopes and
// WithAPIKey. Whatever the retry policy, CreateSession is never sent again
// once it may have reached the server.
func NewClient(opts ...option.ClientOption) (*Client, error) {
	v := &settings{tokenURL: DefaultTokenURL}
	s, err := apiclient.Configure("ekycadmin", v, opts)
	if err != nil {
		return nil, err
	}
	var ts oauth2.TokenSource
	switch {
	case s.TokenSource != nil && v.clientID != "":
		return nil, fmt.Errorf("ekycadmin: %w: WithCredentials and option.WithTokenSource are exclusive", kyc.ErrInvalidArgument)
	case s.TokenSource != nil:
		ts = s.TokenSource
	case v.clientID != "":
		thc, err := s.TokenHTTPClient(v.tokenURL)
		if err != nil {
			return nil, err
		}
		scopes := []string{DefaultScope}
		if v.scopesSet {
			scopes = v.scopes
		}
		cc := &clientcredentials.Config{
			ClientID:     v.clientID,
			ClientSecret: v.clientSecret,
			TokenURL:     v.tokenURL,
			Scopes:       scopes,
			AuthStyle:    oauth2.AuthStyleInHeader,
		}
		// Non-caching: the core caches the token and fetches a new one when the API refuses it.
		ts = apiclient.ClientCredentialsSource(context.WithValue(context.Background(), oauth2.HTTPClient, thc), cc)
	default:
		return nil, fmt.Errorf("ekycadmin: %w: WithCredentials or option.WithTokenSource is required", kyc.ErrInvalidArgument)
	}
	base := s.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	core := append(s.CoreOptions(),
		apiclient.WithBaseURL(base),
		apiclient.WithTokenSource(ts),
		// Renew a minute before expiry, as Klustr's own client does: the
		// API introspects every token and caches the answer.
		apiclient.WithTokenRefreshMargin(TokenRefreshMargin),
		apiclient.WithErrorDecoder(decodeError))
	if v.apiKey != "" {
		core = append(core, apiclient.WithHeader(APIKeyHeader, v.apiKey))
	}
	api, err := apiclient.New(core...)
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
		return "", fmt.Errorf("ekycadmin: %w: empty user ID", kyc.ErrInvalidArgument)
	}
	return apiclient.JoinPath("ekyc", "admin", userID, leaf)
}

// Route templates of the per-user calls, for traces: never a real user ID.
const (
	sessionsRoute = "/ekyc/admin/{userId}/sessions"
	statusRoute   = "/ekyc/admin/{userId}/status"
)

// prepare builds a per-user path and the per-call settings.
func prepare(userID, leaf string, opts []option.CallOption) (string, *apiclient.CallSettings, error) {
	p, err := userPath(userID, leaf)
	if err != nil {
		return "", nil, err
	}
	call, err := apiclient.Call("ekycadmin", opts)
	if err != nil {
		return "", nil, err
	}
	return p, call, nil
}

func (o *ListOptions) validate() error {
	if o.Start < 0 || o.Start > math.MaxInt32 {
		return fmt.Errorf("ekycadmin: %w: start %d out of range", kyc.ErrInvalidArgument, o.Start)
	}
	if o.Limit < 0 || o.Limit > math.MaxInt32 {
		return fmt.Errorf("ekycadmin: %w: limit %d out of range", kyc.ErrInvalidArgument, o.Limit)
	}
	return nil
}

// ListSessions reads one page of every user's sessions
// (GET /ekyc/admin; permission ekyc.session.list). list may be nil: the
// server then starts at 0 with DefaultPageSize. The server has no ordering,
// so pages may overlap or skip users when data changes between calls.
func (c *Client) ListSessions(ctx context.Context, list *ListOptions, opts ...option.CallOption) (Page, error) {
	call, err := apiclient.Call("ekycadmin", opts)
	if err != nil {
		return nil, err
	}
	req := &apiclient.Request{Method: http.MethodGet, Path: adminPath, Permission: PermissionList,
		Operation: "ekycadmin.ListSessions", Route: adminPath, Call: call}
	if list != nil {
		if err := list.validate(); err != nil {
			return nil, err
		}
		q := *list
		req.Query = &q
	}
	var out Page
	if _, err := c.api.Do(ctx, req, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = Page{}
	}
	return out, nil
}

// AllSessions walks every page of ListSessions from list.Start (default 0)
// with page size list.Limit (default DefaultPageSize), adding the page size
// to the offset until a page holds fewer items. list is not modified.
//
// Only one page is held at a time. The sequence stops after yielding the
// first error, which is a request error or a *PaginationError when the
// server returns the same page twice (it would otherwise loop forever) or
// more items than asked for. Breaking out of the loop stops it without
// further requests.
//
// opts apply to every page's request; with option.WithResponseInto the
// response describes the last page's.
func (c *Client) AllSessions(ctx context.Context, list *ListOptions, opts ...option.CallOption) iter.Seq2[UserSessions, error] {
	var o ListOptions
	if list != nil {
		o = *list
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
			page, err := c.ListSessions(ctx, &ListOptions{Start: start, Limit: limit}, opts...)
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
// error matching kyc.ErrNotFound and ErrNoSessions. An empty userID is refused
// with kyc.ErrInvalidArgument before any request.
func (c *Client) UserSessions(ctx context.Context, userID string, opts ...option.CallOption) (*UserSessions, error) {
	p, call, err := prepare(userID, "sessions", opts)
	if err != nil {
		return nil, err
	}
	var out UserSessions
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, Path: p, Permission: PermissionGet,
		Operation: "ekycadmin.UserSessions", Route: sessionsRoute, Call: call}, &out); err != nil {
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
// absolute http(s) URL is refused with kyc.ErrInvalidArgument before any request.
func (c *Client) CreateSession(ctx context.Context, userID string, req *CreateSessionRequest, opts ...option.CallOption) (*Session, error) {
	p, call, err := prepare(userID, "sessions", opts)
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
			return nil, fmt.Errorf("ekycadmin: %w: callback must be an absolute http(s) URL", kyc.ErrInvalidArgument)
		}
	}
	var out Session
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodPost, Path: p, Body: &body, Permission: PermissionCreate,
		Operation: "ekycadmin.CreateSession", Route: sessionsRoute, Call: call}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UserStatus returns a user's verification status
// (GET /ekyc/admin/{userId}/status; permission ekyc.session.get). The
// server answers an unknown user with TotalSessions 0 and no verdict, not
// with an error. An empty userID is refused with kyc.ErrInvalidArgument before
// any request.
func (c *Client) UserStatus(ctx context.Context, userID string, opts ...option.CallOption) (*UserStatus, error) {
	p, call, err := prepare(userID, "status", opts)
	if err != nil {
		return nil, err
	}
	var out UserStatus
	if _, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, Path: p, Permission: PermissionGet,
		Operation: "ekycadmin.UserStatus", Route: statusRoute, Call: call}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
