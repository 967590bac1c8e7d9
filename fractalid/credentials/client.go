package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycgo/kyc/internal/apiclient"
)

// DefaultMaxResponseBytes caps replies unless WithMaxResponseBytes says
// otherwise: a proof is a few hundred bytes.
const DefaultMaxResponseBytes = 1 << 20

// RetryPolicy says how failed attempts are retried. A proof request is a
// GET that changes nothing, so it is retried on transport errors and on
// 408/429/502/503/504.
type RetryPolicy = apiclient.RetryPolicy

// DefaultRetryPolicy returns the policy used unless WithRetryPolicy says otherwise.
func DefaultRetryPolicy() RetryPolicy { return apiclient.DefaultRetryPolicy }

// NoRetries returns a policy that never retries.
func NoRetries() RetryPolicy { return apiclient.NoRetries }

// Option configures a Client. Options check their arguments; NewClient
// reports the first invalid one.
type Option func(*settings) error

type settings struct {
	env            Environment
	url            string
	noMessageCheck bool
	hc             *http.Client
	core           []apiclient.Option
}

// WithEnvironment selects the deployment (default Production()).
func WithEnvironment(env Environment) Option {
	return func(s *settings) error {
		if env.URL == "" {
			return errors.New("environment needs a URL")
		}
		s.env = env
		return nil
	}
}

// WithURL overrides the environment's base URL (whatever the order of the
// options), for example StagingSandboxURL or a fake's URL.
func WithURL(rawURL string) Option {
	return func(s *settings) error {
		if rawURL == "" {
			return errors.New("empty URL")
		}
		s.url = rawURL
		return nil
	}
}

// WithoutMessageCheck sends messages that ParseMessage refuses instead of
// failing before the request (for a message format this package does not
// know yet). The wallet check still runs.
func WithoutMessageCheck() Option {
	return func(s *settings) error { s.noMessageCheck = true; return nil }
}

// WithHTTPClient sends requests through hc. Its transport is wrapped
// (retries, timeouts), never replaced.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		s.hc = hc
		return nil
	}
}

// WithInsecureHTTP allows a plain http URL on a non-loopback host. For tests only.
func WithInsecureHTTP() Option { return coreOption(apiclient.WithInsecureHTTP()) }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return coreOption(apiclient.WithRetryPolicy(p)) }

// WithTimeout sets the timeout of each attempt, body included (default 30s).
func WithTimeout(d time.Duration) Option { return coreOption(apiclient.WithTimeout(d)) }

// WithMaxResponseBytes caps response bodies (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) Option { return coreOption(apiclient.WithMaxResponseBytes(n)) }

// WithLogger logs one line per HTTP attempt (method, host, path, status,
// attempt, duration). Nothing is logged without it; the query (message and
// signature) and bodies are never logged.
func WithLogger(l *slog.Logger) Option { return coreOption(apiclient.WithLogger(l)) }

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) Option { return coreOption(apiclient.WithUserAgent(suffix)) }

func coreOption(o apiclient.Option) Option {
	return func(s *settings) error {
		if _, err := apiclient.NewHTTPClient(o); err != nil {
			return err
		}
		s.core = append(s.core, o)
		return nil
	}
}

// Client asks the Credentials API for proofs. It needs no credentials:
// the wallet's signature is the authorisation. It is safe for concurrent use.
type Client struct {
	api            *apiclient.Client
	env            Environment
	noMessageCheck bool
}

// NewClient builds a Client for Production() unless WithEnvironment or
// WithURL says otherwise. No request is sent until GetProof.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{env: Production()}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("credentials: %w: %w", ErrInvalidArgument, err)
		}
	}
	if s.url != "" {
		s.env.URL = s.url
	}
	core := []apiclient.Option{
		apiclient.WithBaseURL(s.env.URL),
		apiclient.WithErrorDecoder(decodeError),
		apiclient.WithMaxResponseBytes(DefaultMaxResponseBytes),
	}
	core = append(core, s.core...)
	if s.hc != nil {
		core = append(core, apiclient.WithHTTPClient(s.hc))
	}
	api, err := apiclient.New(core...)
	if err != nil {
		return nil, fmt.Errorf("credentials: URL: %w", err)
	}
	s.env.URL = api.BaseURL().String()
	return &Client{api: api, env: s.env, noMessageCheck: s.noMessageCheck}, nil
}

// Environment returns the client's environment (with overrides applied).
func (c *Client) Environment() Environment { return c.env }

// String describes the client.
func (c *Client) String() string { return "credentials.Client{URL: " + c.env.URL + "}" }

// GetProof asks Fractal for a proof that wallet belongs to a user who
// passed what message says: GET <URL>/?message=...&signature=..., with
// message the exact text the wallet signed with personal_sign (see
// BuildMessage) and signature that signature.
//
// Before any request it checks the message's format (unless
// WithoutMessageCheck; errors are *MessageError) and that signature
// recovers to wallet over message: if not, the message was changed after
// signing and Fractal would answer user_not_found, so it returns a
// *WalletMismatchError at once. After the reply it checks that the address
// Fractal recovered is wallet (*WalletMismatchError with FromServer, also
// on a 404 naming another address).
//
// Errors: *Error for the documented codes (errors.Is with ErrUserNotFound,
// ErrUserPending, ErrInvalidSignature, ErrInvalidClientID, ...),
// *APIError for other replies, *DecodeError when a 200 body is not a
// whole proof (no partial proof is ever returned), *TransportError.
func (c *Client) GetProof(ctx context.Context, message string, signature Signature, wallet Address) (*Proof, error) {
	if ctx == nil {
		return nil, fmt.Errorf("credentials: %w: nil context", ErrInvalidArgument)
	}
	if message == "" {
		return nil, fmt.Errorf("credentials: %w: empty message", ErrInvalidArgument)
	}
	if wallet.IsZero() {
		return nil, fmt.Errorf("credentials: %w: no expected wallet", ErrInvalidArgument)
	}
	if !c.noMessageCheck {
		if _, err := ParseMessage(message); err != nil {
			return nil, err
		}
	}
	signer, err := RecoverPersonalSigner([]byte(message), signature)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w: %w", ErrInvalidArgument, err)
	}
	if signer != wallet {
		return nil, &WalletMismatchError{Expected: wallet, Got: signer}
	}
	u := c.api.BaseURL()
	if u.Path == "" {
		u.Path = "/"
	}
	// Spaces as %20, as encodeURIComponent writes them in Fractal's demo:
	// a "+" could be read as a plus sign by a non-form decoder, and a
	// message that changed in transit recovers to another wallet.
	u.RawQuery = "message=" + strings.ReplaceAll(url.QueryEscape(message), "+", "%20") + "&signature=" + signature.Hex()
	var w wireProof
	resp, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, URL: u.String()}, &w)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) && !ce.Address.IsZero() && ce.Address != wallet {
			return nil, &WalletMismatchError{Expected: wallet, Got: ce.Address, FromServer: true, Err: err}
		}
		return nil, err
	}
	p, perr := w.proof()
	if perr != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: u.Path, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Err: perr}
	}
	if p.Wallet != wallet {
		return nil, &WalletMismatchError{Expected: wallet, Got: p.Wallet, FromServer: true}
	}
	return p, nil
}
