package apiclient

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
)

// Settings is what the client options of package option (and each
// vendor's own options) write to: the settings every client shares, plus
// Vendor, a pointer to the vendor package's own configuration. A vendor
// constructor builds one with Configure and turns it into core options
// with CoreOptions.
type Settings struct {
	// Package is the vendor package's name, for error messages.
	Package string
	// Vendor is the vendor's own configuration (a pointer); VendorOption
	// funcs write to it.
	Vendor any

	BaseURL        string
	InsecureHTTP   bool
	HTTPClient     *http.Client
	TokenSource    oauth2.TokenSource
	UserAgent      string
	Timeout        time.Duration // 0: DefaultTimeout
	Retry          *RetryPolicy  // nil: the client's default
	MaxBody        int64         // 0: the client's default
	Logger         *slog.Logger
	Header         http.Header
	TracerProvider trace.TracerProvider
}

// ClientOptionFunc is a client option: it implements option.ClientOption.
type ClientOptionFunc func(*Settings) error

// ApplyClient applies the option.
func (f ClientOptionFunc) ApplyClient(s *Settings) error { return f(s) }

// CallSettings is what the per-call options of package option write to.
// A nil *CallSettings means no per-call option.
type CallSettings struct {
	// Timeout replaces the client's per-attempt timeout for this call.
	Timeout time.Duration
	// Retry replaces the client's retry policy for this call.
	Retry *RetryPolicy
	// Header holds headers added to this call's requests.
	Header http.Header
	// Response, when set, receives the reply's metadata.
	Response *kyc.Response
}

// CallOptionFunc is a per-call option: it implements option.CallOption.
type CallOptionFunc func(*CallSettings) error

// ApplyCall applies the option.
func (f CallOptionFunc) ApplyCall(c *CallSettings) error { return f(c) }

// BothOption is an option that works in a constructor and per call: it
// implements option.ClientOption and option.CallOption.
type BothOption struct {
	Client ClientOptionFunc
	Call   CallOptionFunc
}

// ApplyClient applies the option to a client's settings.
func (o BothOption) ApplyClient(s *Settings) error { return o.Client(s) }

// ApplyCall applies the option to one call's settings.
func (o BothOption) ApplyCall(c *CallSettings) error { return o.Call(c) }

// ClientApplier is the method set of option.ClientOption.
type ClientApplier interface{ ApplyClient(*Settings) error }

// CallApplier is the method set of option.CallOption.
type CallApplier interface{ ApplyCall(*CallSettings) error }

// VendorOption builds a client option from a func over a vendor package's
// own configuration type T. Given to another vendor's client (whose Vendor
// is not a *T) it fails with an error naming the option.
func VendorOption[T any](name string, f func(*T) error) ClientOptionFunc {
	return func(s *Settings) error {
		v, ok := s.Vendor.(*T)
		if !ok {
			return fmt.Errorf("%s is not an option of this client", name)
		}
		if err := f(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}

// Configure applies opts, in order, to a new Settings whose Vendor is
// vendor. A nil option is skipped. The first failing option gives an
// error matching kyc.ErrInvalidArgument, prefixed with pkg.
func Configure[O ClientApplier](pkg string, vendor any, opts []O) (*Settings, error) {
	s := &Settings{Package: pkg, Vendor: vendor}
	for _, o := range opts {
		if any(o) == nil {
			continue
		}
		if err := o.ApplyClient(s); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", pkg, kyc.ErrInvalidArgument, err)
		}
	}
	return s, nil
}

// Call applies per-call opts. It returns nil (no allocation) when there is
// none; an invalid option gives an error matching kyc.ErrInvalidArgument.
func Call[O CallApplier](pkg string, opts []O) (*CallSettings, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	c := &CallSettings{}
	for _, o := range opts {
		if any(o) == nil {
			continue
		}
		if err := o.ApplyCall(c); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", pkg, kyc.ErrInvalidArgument, err)
		}
	}
	return c, nil
}

// CoreOptions turns the shared settings into core options: HTTP client,
// timeout, retry policy, size cap, logger, User-Agent, plain HTTP, extra
// headers and tracing. The base URL, the token source and the error
// decoder are the vendor's to add, since each resolves them its own way.
func (s *Settings) CoreOptions() []Option {
	opts := s.TokenClientOptions()
	if s.MaxBody > 0 {
		opts = append(opts, WithMaxResponseBytes(s.MaxBody))
	}
	for k, vs := range s.Header {
		for _, v := range vs {
			opts = append(opts, WithHeader(k, v))
		}
	}
	if s.TracerProvider != nil {
		opts = append(opts, WithTracerProvider(s.TracerProvider))
	}
	return opts
}

// TokenClientOptions are the core options a token endpoint's HTTP client
// gets (see NewHTTPClient): the shared settings without the API's extra
// headers (an API key never goes to the token endpoint) and without the
// API's size cap.
func (s *Settings) TokenClientOptions() []Option {
	var opts []Option
	if s.HTTPClient != nil {
		opts = append(opts, WithHTTPClient(s.HTTPClient))
	}
	if s.Timeout > 0 {
		opts = append(opts, WithTimeout(s.Timeout))
	}
	if s.Retry != nil {
		opts = append(opts, WithRetryPolicy(*s.Retry))
	}
	if s.Logger != nil {
		opts = append(opts, WithLogger(s.Logger))
	}
	if s.UserAgent != "" {
		opts = append(opts, WithUserAgent(s.UserAgent))
	}
	if s.InsecureHTTP {
		opts = append(opts, WithInsecureHTTP())
	}
	return opts
}

// CheckHeader validates an extra header's name and value.
func CheckHeader(key, value string) error {
	if key == "" || strings.ContainsAny(key, " \t\r\n:") || strings.ContainsAny(value, "\r\n") {
		return errors.New("invalid header")
	}
	return nil
}

// CheckRetryPolicy validates a retry policy.
func CheckRetryPolicy(p RetryPolicy) error { return p.validate() }

// TokenHTTPClient checks a token endpoint's URL (https unless loopback or
// InsecureHTTP) and returns the HTTP client for its requests (see
// NewHTTPClient and TokenClientOptions).
func (s *Settings) TokenHTTPClient(tokenURL string) (*http.Client, error) {
	if _, err := ParseBaseURL(tokenURL, s.InsecureHTTP); err != nil {
		return nil, fmt.Errorf("%s: token URL: %w", s.Package, err)
	}
	return NewHTTPClient(s.TokenClientOptions()...)
}

// CheckClientCredentials validates a client ID and secret pair.
func CheckClientCredentials(clientID, clientSecret string) error {
	if strings.TrimSpace(clientID) == "" || clientSecret == "" {
		return errors.New("client ID and client secret are required")
	}
	return nil
}

// CheckAPIKey validates an API key sent in a header.
func CheckAPIKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("empty API key")
	}
	if strings.ContainsAny(key, "\r\n") {
		return errors.New("API key must not contain line breaks")
	}
	return nil
}
