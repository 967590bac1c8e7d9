// Package apiclient is the one HTTP core every kyc-go client uses: base URL
// handling, authentication, retries, size limits, JSON decoding, error
// mapping and logging.
//
// The transport stack of a client is, outermost first:
//
//	auth (Bearer from a reusable token source and the configured headers,
//	      only to the base URL's origin: scheme, host and port)
//	-> retries (go-retryablehttp with RetryPolicy; a call with its own
//	   timeout or policy gets an engine of its own over the same base)
//	-> per-attempt timeout, logging and, when on, the attempt's span
//	-> the caller's base transport (never replaced)
//
// Do and Stream open the call's span (named after Request.Operation) when
// tracing is on, apply the per-call settings (Request.Call) and fill the
// caller's kyc.Response.
//
// Each layer is one file: options.go (Option and the client settings),
// client.go (New, Do, Stream), request.go (building the *http.Request),
// decode.go (size caps and JSON decoding of a 2xx body), errors.go (error
// types and the mapping of a failed call to them), auth.go (the auth
// transport), token.go (the token cache and token errors), retry.go and
// transport_retry.go (the retry policy and the retry transport), and
// transport_attempt.go (per-attempt counting and logging), redirect.go
// (the redirect policy: credentials never follow a redirect to another
// origin), settings.go (what the public package option writes to: the
// shared client settings, the per-call settings and the vendor-option
// helper) and trace.go (the spans and their attributes).
package apiclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/kycgo/kyc"
)

// DefaultMaxResponseBytes caps a response body unless WithMaxResponseBytes says otherwise.
const DefaultMaxResponseBytes = 10 << 20

// DefaultTimeout is the per-attempt timeout unless WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// UserAgent is the User-Agent every client sends (a suffix may be added).
const UserAgent = "kyc-go/" + kyc.Version

// Client sends requests to one API.
type Client struct {
	base      *url.URL
	hc        *http.Client
	uaHeader  []string // {User-Agent}, shared by every request
	maxBody   int64
	header    http.Header
	decodeErr ErrorDecoder
	tracer    trace.Tracer  // nil: tracing off
	fetchMax  time.Duration // bound of one shared token fetch
}

// New builds a Client. A base URL is required.
func New(opts ...Option) (*Client, error) {
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	base, err := ParseBaseURL(cfg.baseURL, cfg.allowHTTP)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, maxBody: cfg.maxBody, header: cfg.header, decodeErr: cfg.errorDecoder, tracer: cfg.tracer,
		fetchMax: tokenFetchTimeout(cfg)}
	ua := UserAgent
	if cfg.uaSuffix != "" {
		ua += " " + cfg.uaSuffix
	}
	c.uaHeader = []string{ua}[:1:1]
	rt := newRetryTransport(cfg)
	var ts *cachingSource
	if cfg.tokenSource != nil {
		ts = newCachingSource(cfg.tokenSource, cfg.refreshMargin, c.fetchMax, cfg.tokenClock)
	}
	if ts != nil || len(cfg.header) > 0 {
		renew := cfg.renew
		if renew == nil {
			renew = InvalidChallenge
		}
		at := &authTransport{ts: ts, origin: originOf(base), next: rt, renew: renew}
		for k := range cfg.header {
			at.headers = append(at.headers, k)
		}
		rt = at
	}
	c.hc = httpClient(cfg, rt)
	return c, nil
}

// configure applies opts, in order, to the default settings. A nil option
// is skipped.
func configure(opts []Option) (config, error) {
	cfg := config{timeout: DefaultTimeout, retry: DefaultRetryPolicy, maxBody: DefaultMaxResponseBytes, refreshMargin: defaultRefreshMargin}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return config{}, fmt.Errorf("kyc: invalid option: %w", err)
		}
	}
	return cfg, nil
}

// httpClient is a copy of the caller's *http.Client (WithHTTPClient), or a
// new one, sending through rt under the client's redirect policy.
func httpClient(cfg config, rt http.RoundTripper) *http.Client {
	hc := &http.Client{}
	if cfg.httpClient != nil {
		*hc = *cfg.httpClient
	}
	hc.Transport = rt
	hc.CheckRedirect = redirectPolicy(hc.CheckRedirect)
	return hc
}

// NewHTTPClient returns an *http.Client with the retry, timeout and logging
// layers of a Client but no base URL and no authentication: the client the
// oauth2 package should use for token requests. Token requests are POSTs,
// so they are retried only when they never left the machine. Its redirect
// policy is a Client's: a token request never follows a redirect to
// another origin or from https to http, so the client credentials in its
// header or body never leave the token endpoint's origin.
func NewHTTPClient(opts ...Option) (*http.Client, error) {
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	return httpClient(cfg, newRetryTransport(cfg)), nil
}

// ParseBaseURL checks a base URL: absolute, https unless the host is
// loopback or allowHTTP, no query, fragment or user info.
func ParseBaseURL(raw string, allowHTTP bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("kyc: %w: base URL is required", kyc.ErrInvalidArgument)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kyc: %w: base URL does not parse", kyc.ErrInvalidArgument)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("kyc: %w: base URL must be an absolute http(s) URL", kyc.ErrInvalidArgument)
	}
	if u.Scheme == "http" && !allowHTTP && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("kyc: %w: base URL must use https (host %q is not loopback)", kyc.ErrInvalidArgument, u.Hostname())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("kyc: %w: base URL must not carry user info, query or fragment", kyc.ErrInvalidArgument)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL returns a copy of the client's base URL.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// TokenFetchTimeout bounds one token fetch that a TokenCache shares among
// the calls of this client (twice its per-attempt timeout).
func (c *Client) TokenFetchTimeout() time.Duration { return c.fetchMax }

// HTTPClient returns the client's *http.Client (with all layers).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Do sends req and decodes a 2xx JSON body into out (out may be nil).
// A non-2xx reply becomes a *kyc.APIError (through the vendor's ErrorDecoder).
func (c *Client) Do(ctx context.Context, req *Request, out any) (*Response, error) {
	if ctx == nil {
		return nil, fmt.Errorf("kyc: %w: nil context", kyc.ErrInvalidArgument)
	}
	if c.tracer == nil {
		meta, _, err := c.do(ctx, req, out)
		return meta, err
	}
	ctx, span := c.startCall(ctx, req)
	meta, st, err := c.do(ctx, req, out)
	endCall(span, st, meta, err)
	return meta, err
}

func (c *Client) do(ctx context.Context, req *Request, out any) (*Response, *callState, error) {
	resp, hreq, st, err := c.send(ctx, req) //nolint:bodyclose // closed by closeBody below
	if err != nil {
		return nil, st, err
	}
	defer closeBody(resp.Body)
	meta := &Response{StatusCode: resp.StatusCode, Header: resp.Header, RequestID: requestID(resp.Header), Attempts: st.attempts}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return meta, st, nil
	}
	if err := c.decode(resp, out); err != nil {
		return nil, st, c.decodeFailure(ctx, hreq, resp, err)
	}
	return meta, st, nil
}

// Stream sends req and, on a 2xx reply, returns the body for the caller to
// read and close; reads beyond the size cap fail with kyc.ErrResponseTooLarge.
// A non-2xx reply becomes an error as in Do. With tracing on, the call's
// span ends when the body is closed.
func (c *Client) Stream(ctx context.Context, req *Request, limit int64) (*http.Response, error) {
	if ctx == nil {
		return nil, fmt.Errorf("kyc: %w: nil context", kyc.ErrInvalidArgument)
	}
	var span trace.Span
	if c.tracer != nil {
		ctx, span = c.startCall(ctx, req)
	}
	resp, _, st, err := c.send(ctx, req)
	if err != nil {
		if span != nil {
			endCall(span, st, nil, err)
		}
		return nil, err
	}
	if limit <= 0 {
		limit = c.maxBody
	}
	lb := &limitedBody{rc: resp.Body, remaining: limit}
	resp.Body = lb
	if span != nil {
		meta := &Response{StatusCode: resp.StatusCode, RequestID: requestID(resp.Header)}
		resp.Body = &tracedBody{limitedBody: lb, span: span, st: st, meta: meta}
	}
	return resp, nil
}

func (c *Client) send(ctx context.Context, req *Request) (*http.Response, *http.Request, *callState, error) {
	// The call state rides on the request's context from the start, so
	// the request is built once.
	st := &callState{call: req.Call, route: req.Route, shown: req.ShownPath}
	hreq, err := c.newRequest(context.WithValue(ctx, callKey, st), req)
	if err != nil {
		return nil, nil, nil, err
	}
	st.idempotent = IsIdempotentMethod(hreq.Method)
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, hreq, st, c.transportFailure(ctx, hreq, st, err)
	}
	if req.Call != nil && req.Call.Response != nil {
		*req.Call.Response = Response{StatusCode: resp.StatusCode, Header: resp.Header, RequestID: requestID(resp.Header), Attempts: st.attempts}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer closeBody(resp.Body)
		return nil, hreq, st, c.apiError(hreq, resp, st, req.Permission)
	}
	return resp, hreq, st, nil
}
