// Package option holds the options every kyc-go client shares, declared
// once: the same option.WithTimeout configures fractalid, ekycadmin and
// incode clients, in a constructor and per call.
//
// # Design
//
// Two option kinds travel in variadic lists:
//
//   - A ClientOption configures a client when it is built
//     (fractalid.NewClient, fractalid.NewStatsClient, ekycadmin.NewClient,
//     incode.NewClient, credentials.NewClient, kraken.NewClient, and every
//     client added later). Options a single vendor needs (its environment,
//     credentials, API key, IDs) are declared in that vendor's package but
//     are ClientOption values too, so they travel in the same list; given
//     to another vendor's client they fail at construction with an error
//     naming the option.
//   - A CallOption changes one call only: every method that does I/O takes
//     a trailing opts ...option.CallOption. A per-call option never
//     changes the client for other callers, concurrent or later.
//
// WithTimeout, WithRetryPolicy, NoRetries and WithHeader return an Option,
// which is both: the client's default when given to a constructor, an
// override for one call when given to a method.
//
// Both interfaces have a method whose argument is a type internal to this
// module, so only this module can implement them: the set of options is
// closed, and a new option never breaks a user's code. Every option reaches
// the one HTTP core (internal/apiclient), which applies it: the client's
// settings to its transport stack when the client is built, a call's
// settings to that call's requests only (a call with its own timeout or
// retry policy gets a retry engine of its own over the client's connection
// pool). As everywhere in kyc-go, options validate themselves: a
// constructor or call given an invalid one fails before sending anything,
// with an error matching kyc.ErrInvalidArgument.
//
// Options apply in order; for a setting given twice the last one wins.
package option

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/internal/apiclient"
)

// ClientOption configures a client when it is built. Only this module
// implements it: the options of this package and those of each vendor
// package.
type ClientOption interface {
	ApplyClient(*apiclient.Settings) error
}

// CallOption configures one call. Only this module implements it.
type CallOption interface {
	ApplyCall(*apiclient.CallSettings) error
}

// Option works both in a constructor (a client's default) and in a call
// (an override for that call only).
type Option interface {
	ClientOption
	CallOption
}

// RetryPolicy says how failed attempts are retried.
//
// Whatever the policy, only safe attempts are retried: GET and HEAD on
// transport errors and on 408, 429, 502, 503 and 504; any other method
// (creating an EKYC session, starting an Incode onboarding, a token
// request) only when the request never left the machine (a dial or DNS
// error). 401 and other 4xx replies are never retried.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt, 0 to 20
	// (0 disables retries).
	MaxRetries int
	// MinWait is the first backoff; each later one doubles, with jitter.
	// It must be positive when MaxRetries is.
	MinWait time.Duration
	// MaxWait caps the exponential backoff (at least MinWait).
	MaxWait time.Duration
	// MaxRetryAfter caps how long a server's Retry-After is honoured. A
	// Retry-After longer than this is not waited for: the call fails at once
	// with the server's reply.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the policy a client uses unless told
// otherwise: 2 retries, 500ms doubling to at most 8s with jitter,
// Retry-After honoured up to 30s.
func DefaultRetryPolicy() RetryPolicy { return RetryPolicy(apiclient.DefaultRetryPolicy) }

// both builds an Option from one check-and-set for each kind.
func both(client func(*apiclient.Settings) error, call func(*apiclient.CallSettings) error) Option {
	return apiclient.BothOption{Client: client, Call: call}
}

// failed is an option that reports err wherever it is given.
func failed(err error) Option {
	return both(func(*apiclient.Settings) error { return err }, func(*apiclient.CallSettings) error { return err })
}

// WithTimeout bounds each HTTP attempt, reading the body included
// (default 30s). Per call, it replaces the client's timeout for that call,
// for example for one large download. The context's deadline still bounds
// the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	if d <= 0 {
		return failed(errors.New("option.WithTimeout: timeout must be positive"))
	}
	return both(
		func(s *apiclient.Settings) error { s.Timeout = d; return nil },
		func(c *apiclient.CallSettings) error { c.Timeout = d; return nil },
	)
}

// WithRetryPolicy replaces the retry policy (DefaultRetryPolicy unless a
// client documents another): per call, for that call only.
func WithRetryPolicy(p RetryPolicy) Option {
	ap := apiclient.RetryPolicy(p)
	if err := apiclient.CheckRetryPolicy(ap); err != nil {
		return failed(errors.New("option.WithRetryPolicy: " + err.Error()))
	}
	return both(
		func(s *apiclient.Settings) error { s.Retry = &ap; return nil },
		func(c *apiclient.CallSettings) error { c.Retry = &ap; return nil },
	)
}

// NoRetries turns retries off: every call (or, per call, this call) makes
// one attempt, plus at most one resend when the server refuses an access
// token that a fresh one may replace.
func NoRetries() Option { return WithRetryPolicy(RetryPolicy{}) }

// WithHeader adds a header to every request of the client or, per call, to
// that call's requests. A client's header goes only to the API's own
// origin (never to a redirect target elsewhere or a file's storage host);
// a per-call header goes with that call's requests wherever they go (a
// DownloadFile to a storage host, say). Neither reaches a token endpoint.
// The client sets Authorization itself. A header the core sets
// (User-Agent, Accept, Content-Type) is replaced by this one. The vendor's
// API key (ekycadmin.WithAPIKey, incode.WithAPIKey) is replaced only by a
// per-call WithHeader: given to a constructor, the vendor option wins.
func WithHeader(key, value string) Option {
	if err := apiclient.CheckHeader(key, value); err != nil {
		return failed(errors.New("option.WithHeader: invalid header name or value"))
	}
	if strings.EqualFold(key, "Authorization") {
		return failed(errors.New("option.WithHeader: Authorization is set by the client"))
	}
	key = http.CanonicalHeaderKey(key)
	return both(
		func(s *apiclient.Settings) error {
			if s.Header == nil {
				s.Header = http.Header{}
			}
			s.Header.Set(key, value)
			return nil
		},
		func(c *apiclient.CallSettings) error {
			if c.Header == nil {
				c.Header = http.Header{}
			}
			c.Header.Set(key, value)
			return nil
		},
	)
}

// WithResponseInto makes the call store its reply's metadata (status,
// header, the server's request ID, attempts) in *r when a reply arrives:
// on success, and on an API error too. r stays as it was when no reply
// arrived.
func WithResponseInto(r *kyc.Response) CallOption {
	return apiclient.CallOptionFunc(func(c *apiclient.CallSettings) error {
		if r == nil {
			return errors.New("option.WithResponseInto: nil *kyc.Response")
		}
		c.Response = r
		return nil
	})
}

// client builds a ClientOption.
func client(f func(*apiclient.Settings) error) ClientOption { return apiclient.ClientOptionFunc(f) }

// WithHTTPClient sends requests (token requests included) through hc. Its
// transport is wrapped (authentication, retries, timeouts), never
// replaced; its Jar is kept. Its CheckRedirect is kept for redirects on
// the API's own origin and decides about a redirect to another origin
// (which the client refuses on its own), but such a redirect loses every
// header except User-Agent and Accept (API keys, Authorization, cookies,
// per-call headers, Referer), and one from https to http, or one carrying
// a request body to another origin, is refused whatever hc says.
func WithHTTPClient(hc *http.Client) ClientOption {
	return client(func(s *apiclient.Settings) error {
		if hc == nil {
			return errors.New("option.WithHTTPClient: nil *http.Client")
		}
		s.HTTPClient = hc
		return nil
	})
}

// WithBaseURL replaces the API's base URL (the vendor environment's, or
// its documented default). It must be https unless its host is loopback or
// WithInsecureHTTP is given.
func WithBaseURL(rawURL string) ClientOption {
	return client(func(s *apiclient.Settings) error {
		if rawURL == "" {
			return errors.New("option.WithBaseURL: empty URL")
		}
		s.BaseURL = rawURL
		return nil
	})
}

// WithInsecureHTTP allows plain http URLs on non-loopback hosts (tests
// only; loopback hosts may always use http).
func WithInsecureHTTP() ClientOption {
	return client(func(s *apiclient.Settings) error { s.InsecureHTTP = true; return nil })
}

// WithTokenSource authenticates the API's requests with Bearer tokens from
// ts, for the clients that take one in options (fractalid.NewStatsClient,
// ekycadmin.NewClient, incode.NewClient); it excludes the vendor's
// credentials option. Build ts from a long-lived context. The client
// caches its tokens and sends them only to the API's host.
func WithTokenSource(ts oauth2.TokenSource) ClientOption {
	return client(func(s *apiclient.Settings) error {
		if ts == nil {
			return errors.New("option.WithTokenSource: nil oauth2.TokenSource")
		}
		s.TokenSource = ts
		return nil
	})
}

// WithLogger logs one line per HTTP attempt (method, host, path, status,
// attempt, duration): debug level, warn for failures. Nothing is logged
// without it; tokens, secrets, keys, headers, query values and bodies
// never are. A nil logger turns logging off.
func WithLogger(l *slog.Logger) ClientOption {
	return client(func(s *apiclient.Settings) error { s.Logger = l; return nil })
}

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) ClientOption {
	return client(func(s *apiclient.Settings) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("option.WithUserAgent: line break in user agent")
		}
		s.UserAgent = strings.TrimSpace(suffix)
		return nil
	})
}

// WithMaxResponseBytes caps JSON response bodies (default 10 MiB; the
// Fractal ID statistics client 64 MiB). A larger body fails with an error
// matching kyc.ErrResponseTooLarge, and no partly decoded result.
func WithMaxResponseBytes(n int64) ClientOption {
	return client(func(s *apiclient.Settings) error {
		if n <= 0 {
			return errors.New("option.WithMaxResponseBytes: must be positive")
		}
		s.MaxBody = n
		return nil
	})
}

// WithTracerProvider traces the client's calls with tp (an OpenTelemetry
// SDK's provider, say): one span per call named after the operation
// ("fractalid.Me", "ekycadmin.CreateSession", "incode.StartOnboarding"),
// and a child span per HTTP attempt with the method, the route template
// (never an ID or a query), the server host, the status code, the attempt
// number, the retry reason and the server's request ID. No token, secret,
// header, body or personal data is ever an attribute. Without it (the
// default, or with nil) nothing is traced and tracing costs nothing.
func WithTracerProvider(tp trace.TracerProvider) ClientOption {
	return client(func(s *apiclient.Settings) error { s.TracerProvider = tp; return nil })
}
