package fractalid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// DefaultMaxFileBytes caps a DownloadFile body unless WithMaxFileBytes says otherwise.
const DefaultMaxFileBytes = 50 << 20

// settings is the fractalid configuration the package's own client
// options write to; the shared ones (package option) go to the
// apiclient.Settings that holds it.
type settings struct {
	env                    Environment
	maxFileBytes           int64
	clientID, clientSecret string
}

// vendorOption is a client option over the fractalid settings.
func vendorOption(name string, f func(*settings) error) option.ClientOption {
	return apiclient.VendorOption("fractalid."+name, f)
}

// configure applies opts over the defaults.
func configure(opts []option.ClientOption) (*apiclient.Settings, *settings, error) {
	v := &settings{env: Production, maxFileBytes: DefaultMaxFileBytes}
	s, err := apiclient.Configure("fractalid", v, opts)
	if err != nil {
		return nil, nil, err
	}
	return s, v, nil
}

// resourceURL is the resource server URL: option.WithBaseURL, else the environment's.
func resourceURL(s *apiclient.Settings, v *settings) string {
	if s.BaseURL != "" {
		return s.BaseURL
	}
	return v.env.ResourceURL
}

// WithEnvironment selects the Fractal ID hosts (default Production), for
// NewClient and NewStatsClient. option.WithBaseURL overrides its
// ResourceURL. The URLs a client uses are checked when it is built (https
// unless loopback or option.WithInsecureHTTP).
func WithEnvironment(env Environment) option.ClientOption {
	return vendorOption("WithEnvironment", func(s *settings) error {
		if env.AuthURL == "" || env.ResourceURL == "" {
			return errors.New("environment needs AuthURL and ResourceURL")
		}
		s.env = env
		return nil
	})
}

// WithMaxFileBytes caps the bodies DownloadFile copies (default 50 MiB).
func WithMaxFileBytes(n int64) option.ClientOption {
	return vendorOption("WithMaxFileBytes", func(s *settings) error {
		if n <= 0 {
			return errors.New("max file bytes must be positive")
		}
		s.maxFileBytes = n
		return nil
	})
}

// WithCredentials authenticates a StatsClient with the application's
// client ID and secret (client-credentials grant, scope
// client.stats:read). NewStatsClient needs this or option.WithTokenSource;
// NewClient refuses it (it acts for a user).
func WithCredentials(clientID, clientSecret string) option.ClientOption {
	return vendorOption("WithCredentials", func(s *settings) error {
		if err := apiclient.CheckClientCredentials(clientID, clientSecret); err != nil {
			return err
		}
		s.clientID, s.clientSecret = clientID, clientSecret
		return nil
	})
}

// Client calls the Fractal ID resource server on behalf of one user (one
// token source). Build one per user; it is safe for concurrent use.
type Client struct {
	api          *apiclient.Client
	set          *apiclient.Settings
	maxFileBytes int64
}

// NewClient returns a client that authenticates with ts (for example
// Config.TokenSource). The token is sent only to the resource host.
//
// It takes the options of package option (timeout, retries, HTTP client,
// logger, tracing, option.WithBaseURL for the resource host, ...) and
// WithEnvironment and WithMaxFileBytes.
func NewClient(ts oauth2.TokenSource, opts ...option.ClientOption) (*Client, error) {
	if ts == nil {
		return nil, fmt.Errorf("fractalid: %w: nil token source", kyc.ErrInvalidArgument)
	}
	s, v, err := configure(opts)
	if err != nil {
		return nil, err
	}
	switch {
	case s.TokenSource != nil:
		return nil, fmt.Errorf("fractalid: %w: NewClient takes its token source as an argument, not option.WithTokenSource", kyc.ErrInvalidArgument)
	case v.clientID != "":
		return nil, fmt.Errorf("fractalid: %w: WithCredentials is an option of NewStatsClient", kyc.ErrInvalidArgument)
	}
	return newClient(ts, s)
}

func newClient(ts oauth2.TokenSource, s *apiclient.Settings) (*Client, error) {
	v := s.Vendor.(*settings)
	// A Config.TokenSource source implements apiclient.TokenInvalidator: a
	// 401 the resource server blames on the token makes the core invalidate
	// it, refresh, and send the call once more.
	core := append(s.CoreOptions(),
		apiclient.WithBaseURL(resourceURL(s, v)),
		apiclient.WithErrorDecoder(decodeResourceError),
		apiclient.WithTokenSource(ts),
		apiclient.WithRenewRule(renewOnRefusedToken))
	api, err := apiclient.New(core...)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, set: s, maxFileBytes: v.maxFileBytes}, nil
}

// renewOnRefusedToken is the resource server's RenewRule: the reference
// leaves its 401 shape unknown, so any 401 whose error code (from
// WWW-Authenticate or the body) is absent or invalid_token blames the token.
func renewOnRefusedToken(h http.Header, body []byte) bool {
	e := &kyc.APIError{StatusCode: http.StatusUnauthorized, Header: h}
	_ = decodeResourceError(e, body)
	return e.Code == "" || e.Code == "invalid_token"
}

// ForToken returns a client with the same options that authenticates with
// ts: one client per user in a multi-user server.
func (c *Client) ForToken(ts oauth2.TokenSource) (*Client, error) {
	if ts == nil {
		return nil, fmt.Errorf("fractalid: %w: nil token source", kyc.ErrInvalidArgument)
	}
	return newClient(ts, c.set)
}

// mePath is the path of the user-information endpoint.
const mePath = "/v2/users/me"

// meHeader is the extra header of every Me request, shared by all of
// them: the core only reads it, and its value's capacity is its length,
// so an append copies it.
var meHeader = http.Header{"Content-Type": []string{"application/json"}[:1:1]}

// Me returns the user's data: GET /v2/users/me. Which fields are set
// depends on the scopes granted. An expired or revoked token gives an
// error matching kyc.ErrUnauthorized, a missing scope one matching
// kyc.ErrForbidden; a body that does not decode gives a *kyc.DecodeError and no user.
//
// With a token source from Config.TokenSource, a 401 forces one refresh
// and one retry; if the refresh token is refused too, Me returns a
// *kyc.ReauthorizationRequiredError.
func (c *Client) Me(ctx context.Context, opts ...option.CallOption) (*User, error) {
	call, err := apiclient.Call("fractalid", opts)
	if err != nil {
		return nil, err
	}
	u := new(User)
	_, err = c.api.Do(ctx, &apiclient.Request{
		Method:    http.MethodGet,
		Path:      mePath,
		Header:    meHeader,
		Operation: "fractalid.Me",
		Route:     mePath,
		Call:      call,
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
// kyc.ErrResponseTooLarge, after writing the bytes up to the cap.
//
// File URLs expire a few hours after Me returned them: a 403, 404 or 410
// from a storage host (or a 400 that says the request expired) gives an
// *kyc.APIError that matches ErrFileURLExpired; call Me again for fresh URLs.
//
// Each attempt, body included, is bounded by option.WithTimeout (default
// 30s): raise it for large files on slow links, for this call only with
// c.DownloadFile(ctx, u, w, option.WithTimeout(10*time.Minute)).
func (c *Client) DownloadFile(ctx context.Context, fileURL string, w io.Writer, opts ...option.CallOption) (int64, error) {
	call, err := apiclient.Call("fractalid", opts)
	if err != nil {
		return 0, err
	}
	if w == nil {
		return 0, fmt.Errorf("fractalid: %w: nil writer", kyc.ErrInvalidArgument)
	}
	u, err := url.Parse(fileURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return 0, fmt.Errorf("fractalid: %w: file URL must be an absolute http(s) URL", kyc.ErrInvalidArgument)
	}
	if u.Scheme == "http" && !c.set.InsecureHTTP && !apiclient.IsLoopback(u.Hostname()) {
		return 0, fmt.Errorf("fractalid: %w: file URL must use https", kyc.ErrInvalidArgument)
	}
	resp, err := c.api.Stream(ctx, &apiclient.Request{
		Method: http.MethodGet,
		URL:    fileURL,
		Header: http.Header{"Accept": {"*/*"}},
		// The URL is pre-signed: its path and query never reach a trace.
		Operation: "fractalid.DownloadFile",
		Route:     "{fileURL}",
		Call:      call,
	}, c.maxFileBytes)
	if err != nil {
		var ae *kyc.APIError
		if errors.As(err, &ae) && fileURLExpired(ae, u.Host != c.api.BaseURL().Host) {
			ae.Kinds = append(ae.Kinds, ErrFileURLExpired)
		}
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		if errors.Is(err, kyc.ErrResponseTooLarge) {
			return n, fmt.Errorf("fractalid: download %s: %w (cap %d bytes)", u.Path, kyc.ErrResponseTooLarge, c.maxFileBytes)
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
func fileURLExpired(e *kyc.APIError, storageHost bool) bool {
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
