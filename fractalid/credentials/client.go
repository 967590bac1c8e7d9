package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
	"github.com/kycgo/kyc/option"
)

// DefaultMaxResponseBytes caps replies unless option.WithMaxResponseBytes says
// otherwise: a proof is a few hundred bytes.
const DefaultMaxResponseBytes = 1 << 20

// settings is the credentials configuration the package's own client
// options write to; the shared ones (package option) go to the
// apiclient.Settings that holds it.
type settings struct {
	env            Environment
	noMessageCheck bool
}

// vendorOption is a client option over the credentials settings.
func vendorOption(name string, f func(*settings) error) option.ClientOption {
	return apiclient.VendorOption("credentials."+name, f)
}

// WithEnvironment selects the deployment (default Production()).
func WithEnvironment(env Environment) option.ClientOption {
	return vendorOption("WithEnvironment", func(s *settings) error {
		if env.URL == "" {
			return errors.New("environment needs a URL")
		}
		s.env = env
		return nil
	})
}

// WithoutMessageCheck sends messages that ParseMessage refuses instead of
// failing before the request (for a message format this package does not
// know yet). The wallet check still runs.
func WithoutMessageCheck() option.ClientOption {
	return vendorOption("WithoutMessageCheck", func(s *settings) error { s.noMessageCheck = true; return nil })
}

// Client asks the Credentials API for proofs. It needs no credentials:
// the wallet's signature is the authorisation. It is safe for concurrent use.
type Client struct {
	api            *apiclient.Client
	env            Environment
	noMessageCheck bool
}

// NewClient builds a Client for Production() unless WithEnvironment or
// option.WithBaseURL (for example StagingSandboxURL or a fake's URL,
// whatever the order of the options) says otherwise. It takes the options
// of package option; a proof request is a GET that changes nothing, so it
// is retried on transport errors and on 408/429/502/503/504. No request is
// sent until GetProof.
func NewClient(opts ...option.ClientOption) (*Client, error) {
	v := &settings{env: Production()}
	s, err := apiclient.Configure("credentials", v, opts)
	if err != nil {
		return nil, err
	}
	if s.BaseURL != "" {
		v.env.URL = s.BaseURL
	}
	core := append([]apiclient.Option{apiclient.WithMaxResponseBytes(DefaultMaxResponseBytes)}, s.CoreOptions()...)
	core = append(core,
		apiclient.WithBaseURL(v.env.URL),
		apiclient.WithErrorDecoder(decodeError))
	api, err := apiclient.New(core...)
	if err != nil {
		return nil, fmt.Errorf("credentials: URL: %w", err)
	}
	v.env.URL = api.BaseURL().String()
	return &Client{api: api, env: v.env, noMessageCheck: v.noMessageCheck}, nil
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
// *kyc.APIError for other replies, *kyc.DecodeError when a 200 body is not a
// whole proof (no partial proof is ever returned), *kyc.TransportError.
func (c *Client) GetProof(ctx context.Context, message string, signature Signature, wallet Address, opts ...option.CallOption) (*Proof, error) {
	if ctx == nil {
		return nil, fmt.Errorf("credentials: %w: nil context", kyc.ErrInvalidArgument)
	}
	call, err := apiclient.Call("credentials", opts)
	if err != nil {
		return nil, err
	}
	if message == "" {
		return nil, fmt.Errorf("credentials: %w: empty message", kyc.ErrInvalidArgument)
	}
	if wallet.IsZero() {
		return nil, fmt.Errorf("credentials: %w: no expected wallet", kyc.ErrInvalidArgument)
	}
	if !c.noMessageCheck {
		if _, err := ParseMessage(message); err != nil {
			return nil, err
		}
	}
	signer, err := RecoverPersonalSigner([]byte(message), signature)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w: %w", kyc.ErrInvalidArgument, err)
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
	// The query holds the message and signature: traces get the route only.
	resp, err := c.api.Do(ctx, &apiclient.Request{Method: http.MethodGet, URL: u.String(),
		Operation: "credentials.GetProof", Route: "/", Call: call}, &w)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) && !ce.Address.IsZero() && ce.Address != wallet {
			return nil, &WalletMismatchError{Expected: wallet, Got: ce.Address, FromServer: true, Err: err}
		}
		return nil, err
	}
	p, perr := w.proof()
	if perr != nil {
		return nil, &kyc.DecodeError{Method: http.MethodGet, Path: u.Path, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Err: perr}
	}
	if p.Wallet != wallet {
		return nil, &WalletMismatchError{Expected: wallet, Got: p.Wallet, FromServer: true}
	}
	return p, nil
}
