package incode

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// Headers and values every Omni call carries.
const (
	// APIKeyHeader carries the tenant API key on every Omni call.
	APIKeyHeader = "x-api-key"
	// APIVersionHeader carries APIVersion on every Omni call.
	APIVersionHeader = "api-version"
	// APIVersion is the only Omni API version the reference documents.
	APIVersion = "1.0"
	// DefaultScope is the scope requested with the client-credentials grant.
	DefaultScope = "openid"
	// FallbackTokenLifetime is how long a token is reused when the token
	// endpoint does not say (no expires_in): Incode does not document the
	// lifetime, so the client refreshes conservatively.
	FallbackTokenLifetime = 5 * time.Minute
)

// settings is the incode configuration the package's own client options
// write to; the shared ones (package option) go to the apiclient.Settings
// that holds it.
type settings struct {
	env                    Environment
	apiKey                 string
	clientID, clientSecret string
	tokenURL               string
	integrationID          string
	configurationID        string
	lifetimeField          string
	// The hosted flow.
	orgClientID  string
	routes       SessionRoutes
	execEmail    string
	execPassword Secret
	execTS       oauth2.TokenSource
	execLifetime time.Duration
	execMargin   time.Duration
	now          func() time.Time
}

// vendorOption is a client option over the incode settings.
func vendorOption(name string, f func(*settings) error) option.ClientOption {
	return apiclient.VendorOption("incode."+name, f)
}

// WithEnvironment selects the Incode hosts (default Production()).
func WithEnvironment(env Environment) option.ClientOption {
	return vendorOption("WithEnvironment", func(s *settings) error {
		if env.APIURL == "" || env.AuthURL == "" {
			return errors.New("environment needs an APIURL and an AuthURL")
		}
		s.env = env
		return nil
	})
}

// WithTokenURL overrides the token endpoint (default the environment's
// AuthURL + "/oauth2/token").
func WithTokenURL(rawURL string) option.ClientOption {
	return vendorOption("WithTokenURL", func(s *settings) error {
		if rawURL == "" {
			return errors.New("empty token URL")
		}
		s.tokenURL = rawURL
		return nil
	})
}

// WithAPIKey sets the tenant API key sent in x-api-key on every Omni call
// (Dashboard → Configuration → API Keys). It is required. It is never sent
// to the token endpoint and never logged.
func WithAPIKey(key string) option.ClientOption {
	return vendorOption("WithAPIKey", func(s *settings) error {
		if err := apiclient.CheckAPIKey(key); err != nil {
			return err
		}
		s.apiKey = key
		return nil
	})
}

// WithClientCredentials sets the OIDC client id and secret of the
// "client credentials" integration (the secret is shown once in the
// Dashboard). Tokens are requested from the token URL with
// grant_type=client_credentials, scope=openid and the credentials in the
// form body (client_secret_post). RequestNewOnboarding needs this or
// option.WithTokenSource.
func WithClientCredentials(clientID, clientSecret string) option.ClientOption {
	return vendorOption("WithClientCredentials", func(s *settings) error {
		if err := apiclient.CheckClientCredentials(clientID, clientSecret); err != nil {
			return err
		}
		s.clientID, s.clientSecret = clientID, clientSecret
		return nil
	})
}

// WithIntegrationID sets the Integration ID (Dashboard → Integrations →
// Copy ID) that RequestNewOnboarding sends as integrationReference when the
// request names none.
func WithIntegrationID(id string) option.ClientOption {
	return vendorOption("WithIntegrationID", func(s *settings) error {
		if err := checkID(id); err != nil {
			return fmt.Errorf("integration ID: %w", err)
		}
		s.integrationID = id
		return nil
	})
}

// WithConfigurationID sets the Configuration ID (the Flow or Workflow ID)
// that StartOnboarding sends as configurationId when the request names none.
func WithConfigurationID(id string) option.ClientOption {
	return vendorOption("WithConfigurationID", func(s *settings) error {
		if err := checkID(id); err != nil {
			return fmt.Errorf("configuration ID: %w", err)
		}
		s.configurationID = id
		return nil
	})
}

// WithLinkLifetimeField sets the JSON name under which RequestNewOnboarding
// sends the link lifetime when the request names none (default
// DefaultLinkLifetimeField). The public sources disagree:
// "linkValidityInMinutes" (LinkValidityField) or "linkExpiryMinutes"
// (LinkExpiryField).
func WithLinkLifetimeField(name string) option.ClientOption {
	return vendorOption("WithLinkLifetimeField", func(s *settings) error {
		if err := checkFieldName(name); err != nil {
			return err
		}
		s.lifetimeField = name
		return nil
	})
}

// WithClock makes the client read time from now when it judges how long
// an executive token has left (default time.Now). For tests with a fake
// clock.
func WithClock(now func() time.Time) option.ClientOption {
	return vendorOption("WithClock", func(s *settings) error {
		if now == nil {
			return errors.New("nil clock")
		}
		s.now = now
		return nil
	})
}

// Client calls Incode's Omni API. It is safe for concurrent use.
type Client struct {
	omni            *apiclient.Client // x-api-key + api-version
	bare            *apiclient.Client // api-version only: the /0/ routes, authenticated by the session token alone
	b2b             *apiclient.Client // the same, plus the Bearer token; nil without credentials
	exec            *executiveSource  // nil without executive credentials
	orgClientID     string
	routes          SessionRoutes
	ts              oauth2.TokenSource
	env             Environment
	integrationID   string
	configurationID string
	lifetimeField   string
}

// NewClient builds a Client. WithAPIKey is required; WithClientCredentials
// (or option.WithTokenSource) is required for RequestNewOnboarding only. No
// request is sent until the first call.
//
// Tokens come from a source built on context.Background() (a later refresh
// never depends on a request's context), through the same retry, timeout
// and logging layers as API calls, and are reused until shortly before they
// expire (FallbackTokenLifetime when the endpoint gives no expires_in).
//
// It takes the options of package option (option.WithBaseURL replaces the
// environment's Omni API URL; timeouts, retries, HTTP client, logger,
// tracing) and this package's own (WithEnvironment, WithAPIKey,
// WithClientCredentials, WithTokenURL, WithIntegrationID,
// WithConfigurationID, WithLinkLifetimeField, WithExecutiveLogin, ...).
// Whatever the retry policy, a POST (starting or approving a session, a
// token request, ...) is sent again only when it never left the machine.
func NewClient(opts ...option.ClientOption) (*Client, error) {
	v := &settings{env: Production(), lifetimeField: DefaultLinkLifetimeField,
		execLifetime: DefaultExecutiveTokenLifetime, execMargin: DefaultExecutiveRenewMargin, now: time.Now}
	s, err := apiclient.Configure("incode", v, opts)
	if err != nil {
		return nil, err
	}
	if s.BaseURL != "" {
		v.env.APIURL = s.BaseURL
	}
	if v.apiKey == "" {
		return nil, fmt.Errorf("incode: %w: WithAPIKey is required", kyc.ErrInvalidArgument)
	}
	if s.TokenSource != nil && v.clientID != "" {
		return nil, fmt.Errorf("incode: %w: WithClientCredentials and option.WithTokenSource are exclusive", kyc.ErrInvalidArgument)
	}
	if v.execTS != nil && v.execEmail != "" {
		return nil, fmt.Errorf("incode: %w: WithExecutiveLogin and WithExecutiveTokenSource are exclusive", kyc.ErrInvalidArgument)
	}
	if v.execMargin >= v.execLifetime {
		return nil, fmt.Errorf("incode: %w: the executive renew margin must be shorter than the token lifetime", kyc.ErrInvalidArgument)
	}
	base := append(s.CoreOptions(),
		apiclient.WithBaseURL(v.env.APIURL),
		apiclient.WithHeader(APIKeyHeader, v.apiKey),
		apiclient.WithHeader(APIVersionHeader, APIVersion),
		apiclient.WithErrorDecoder(decodeError))
	omni, err := apiclient.New(base...)
	if err != nil {
		return nil, fmt.Errorf("incode: API URL: %w", err)
	}
	// The /0/ routes authenticate with the session token alone: the API
	// key is not sent there.
	bareOpts := append(s.CoreOptions(),
		apiclient.WithBaseURL(v.env.APIURL),
		apiclient.WithHeader(APIVersionHeader, APIVersion),
		apiclient.WithErrorDecoder(decodeError))
	bare, err := apiclient.New(bareOpts...)
	if err != nil {
		return nil, fmt.Errorf("incode: API URL: %w", err)
	}
	c := &Client{omni: omni, bare: bare, env: v.env, integrationID: v.integrationID, configurationID: v.configurationID,
		lifetimeField: v.lifetimeField, orgClientID: v.orgClientID, routes: v.routes}
	switch {
	case v.execEmail != "":
		login := &executiveLogin{api: omni, email: v.execEmail, password: v.execPassword, lifetime: v.execLifetime, now: v.now}
		c.exec = newExecutiveSource(login, login, v.execMargin, omni.TokenFetchTimeout(), v.now)
	case v.execTS != nil:
		c.exec = newExecutiveSource(v.execTS, nil, v.execMargin, omni.TokenFetchTimeout(), v.now)
	}
	ts := s.TokenSource
	if v.clientID != "" {
		tokenURL := v.tokenURL
		if tokenURL == "" {
			tokenURL = v.env.TokenURL()
		}
		thc, err := s.TokenHTTPClient(tokenURL)
		if err != nil {
			return nil, err
		}
		cc := &clientcredentials.Config{
			ClientID:     v.clientID,
			ClientSecret: v.clientSecret,
			TokenURL:     tokenURL,
			Scopes:       []string{DefaultScope},
			AuthStyle:    oauth2.AuthStyleInParams,
		}
		ts = &fallbackExpiry{cc: cc, ctx: context.WithValue(context.Background(), oauth2.HTTPClient, thc), now: time.Now}
	}
	if ts != nil {
		// The core caches the token itself and, when Incode refuses it with
		// an invalid_token challenge, asks this source again: give it the
		// non-caching source. TokenSource() hands callers a cached one.
		c.ts = &wrapErrors{next: oauth2.ReuseTokenSource(nil, ts)}
		b2b, err := apiclient.New(append(base, apiclient.WithTokenSource(ts))...)
		if err != nil {
			return nil, err
		}
		c.b2b = b2b
	}
	return c, nil
}

// TokenSource returns the client's token source (client credentials
// against {auth}/oauth2/token, reused until shortly before expiry), or nil
// when the client has no credentials. Its errors are *kyc.TokenError, or
// *kyc.ReauthorizationRequiredError for invalid_grant.
func (c *Client) TokenSource() oauth2.TokenSource {
	if c.ts == nil {
		return nil
	}
	return c.ts
}

// Environment returns the client's environment (with overrides applied).
func (c *Client) Environment() Environment { return c.env }

// String describes the client without its key or credentials.
func (c *Client) String() string {
	return fmt.Sprintf("incode.Client{API: %s, credentials: %t, executive: %t}", c.omni.BaseURL(), c.ts != nil, c.exec != nil)
}

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// fallbackExpiry gives tokens without expires_in a conservative lifetime,
// so that a token Incode has expired is not reused forever.
// It asks the token endpoint on every call (clientcredentials.Config.Token);
// the core (and, for TokenSource, an oauth2.ReuseTokenSource) caches.
type fallbackExpiry struct {
	cc  *clientcredentials.Config
	ctx context.Context // long-lived: context.Background() plus the HTTP client
	now func() time.Time
}

func (f *fallbackExpiry) Token() (*oauth2.Token, error) { return f.token(f.ctx) }

// TokenContext fetches a token bounded by ctx as well as the source's own
// context (apiclient.ContextTokenSource): the client's token cache gives
// each fetch a deadline of its own.
func (f *fallbackExpiry) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	fctx, cancel := apiclient.FetchContext(f.ctx, ctx)
	defer cancel()
	return f.token(fctx)
}

func (f *fallbackExpiry) token(ctx context.Context) (*oauth2.Token, error) {
	tok, err := f.cc.Token(ctx)
	if err != nil {
		return nil, err
	}
	if tok.Expiry.IsZero() {
		t := *tok
		t.Expiry = f.now().Add(FallbackTokenLifetime)
		return &t, nil
	}
	return tok, nil
}

// wrapErrors turns oauth2 errors into the SDK's typed token errors.
type wrapErrors struct{ next oauth2.TokenSource }

func (w *wrapErrors) Token() (*oauth2.Token, error) {
	tok, err := w.next.Token()
	if err != nil {
		return nil, apiclient.WrapTokenError(err)
	}
	return tok, nil
}

// checkID accepts any non-empty identifier without spaces or control
// characters: Incode documents no format for Integration and Configuration IDs.
func checkID(id string) error {
	if id == "" {
		return errors.New("empty")
	}
	if len(id) > 256 {
		return errors.New("longer than 256 bytes")
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f {
			return errors.New("contains whitespace or control characters")
		}
	}
	return nil
}

// checkFieldName accepts a plain JSON member name.
func checkFieldName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("link lifetime field must be 1 to 64 characters")
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return errors.New("link lifetime field must be letters, digits and underscores")
		}
	}
	return nil
}
