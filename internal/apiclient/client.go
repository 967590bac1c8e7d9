// Package apiclient is the one HTTP core every kyc-go client uses: base URL
// handling, authentication, retries, size limits, JSON decoding, error
// mapping and logging.
//
// The transport stack of a client is, outermost first:
//
//	auth (Bearer from a reusable token source, only to the API's own host)
//	-> retries (go-retryablehttp with RetryPolicy)
//	-> per-attempt timeout and logging
//	-> the caller's base transport (never replaced)
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kycgo/kyc"
)

// DefaultMaxResponseBytes caps a response body unless WithMaxResponseBytes says otherwise.
const DefaultMaxResponseBytes = 10 << 20

// DefaultTimeout is the per-attempt timeout unless WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// UserAgent is the User-Agent every client sends (a suffix may be added).
const UserAgent = "kyc-go/" + kyc.Version

// Option configures a Client. Options validate their arguments.
type Option func(*config) error

type config struct {
	baseURL      string
	allowHTTP    bool
	httpClient   *http.Client
	tokenSource  oauth2.TokenSource
	uaSuffix     string
	timeout      time.Duration
	retry        RetryPolicy
	maxBody      int64
	logger       *slog.Logger
	header       http.Header
	errorDecoder ErrorDecoder
	authHosts    []string
	// refreshMargin is how long before expiry a cached token is renewed.
	refreshMargin time.Duration
	// renew decides whether a 401 blames the token.
	renew RenewRule
}

// ErrorDecoder turns a non-2xx reply into the error a caller sees. It gets
// an *APIError already filled with status, method, path, request ID,
// headers and a body excerpt, and may fill vendor fields (Code, Message,
// MissingPermissions, Kinds) from body. It returns the error to surface,
// usually e itself.
type ErrorDecoder func(e *APIError, body []byte) error

// WithBaseURL sets the API's base URL. It must be https unless its host is
// a loopback address or WithInsecureHTTP is given.
func WithBaseURL(raw string) Option {
	return func(c *config) error { c.baseURL = raw; return nil }
}

// WithInsecureHTTP allows a plain http base URL on any host (tests only).
func WithInsecureHTTP() Option {
	return func(c *config) error { c.allowHTTP = true; return nil }
}

// WithHTTPClient makes the client send through hc. Its transport is wrapped,
// never replaced; its Timeout, Jar and CheckRedirect are kept.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTokenSource authenticates every request with a Bearer token from ts.
// Tokens are cached until they expire, and concurrent calls share one
// fetch. When the API answers 401 with an RFC 6750 invalid_token challenge
// (the token was revoked or expired early), the cached token is dropped and the call is sent once more, only if ts
// then yields a different token: give a non-caching source (see
// ClientCredentialsSource) so a fresh token can be fetched.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("nil oauth2.TokenSource")
		}
		c.tokenSource = ts
		return nil
	}
}

// WithTokenRefreshMargin makes the client fetch a new token when the cached
// one has less than d left (default 10s, as oauth2.ReuseTokenSource).
func WithTokenRefreshMargin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Hour {
			return errors.New("token refresh margin must be between 0 and 1h")
		}
		c.refreshMargin = d
		return nil
	}
}

// RenewRule decides whether a 401 reply means the access token itself was
// refused (so a fresh token may succeed). It sees the reply's header and
// up to 8 KiB of its body.
type RenewRule func(header http.Header, body []byte) bool

// WithRenewRule replaces the default rule (an RFC 6750 invalid_token
// challenge in WWW-Authenticate) for when a 401 leads to one more attempt
// with a fresh token.
func WithRenewRule(r RenewRule) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("nil renew rule")
		}
		c.renew = r
		return nil
	}
}

// InvalidChallenge is the default RenewRule: the 401 carries an RFC 6750
// invalid_token challenge.
func InvalidChallenge(h http.Header, _ []byte) bool {
	return strings.Contains(h.Get("WWW-Authenticate"), "invalid_token")
}

// TokenInvalidator is implemented by token sources that cache tokens
// themselves: after a 401 that the renew rule blames on the token, the
// client calls InvalidateToken with the refused access token so the next
// Token call fetches (or refreshes to) a new one.
type TokenInvalidator interface {
	InvalidateToken(access string)
}

// WithUserAgent appends suffix to the kyc-go User-Agent.
func WithUserAgent(suffix string) Option {
	return func(c *config) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("user agent must not contain line breaks")
		}
		c.uaSuffix = strings.TrimSpace(suffix)
		return nil
	}
}

// WithTimeout sets the timeout of each attempt, body included (default 30s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("timeout must be positive")
		}
		c.timeout = d
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithMaxResponseBytes caps response bodies (default 10 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("max response bytes must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger logs one line per attempt (method, host, path, status,
// attempt, duration) at debug level, and failures at warn level. Nothing is
// logged without it. Headers, query values, bodies and tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithHeader adds a header to every request (for example an API key).
func WithHeader(key, value string) Option {
	return func(c *config) error {
		if key == "" || strings.ContainsAny(key+value, "\r\n") {
			return errors.New("invalid header")
		}
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set(key, value)
		return nil
	}
}

// WithErrorDecoder installs the vendor's error decoder.
func WithErrorDecoder(d ErrorDecoder) Option {
	return func(c *config) error { c.errorDecoder = d; return nil }
}

// WithAuthHosts adds hosts, beyond the base URL's, that may receive the Bearer token.
func WithAuthHosts(hosts ...string) Option {
	return func(c *config) error { c.authHosts = append(c.authHosts, hosts...); return nil }
}

// Client sends requests to one API.
type Client struct {
	base      *url.URL
	hc        *http.Client
	ua        string
	maxBody   int64
	logger    *slog.Logger
	header    http.Header
	decodeErr ErrorDecoder
	ts        *cachingSource
}

// New builds a Client. A base URL is required.
func New(opts ...Option) (*Client, error) {
	cfg := config{timeout: DefaultTimeout, retry: DefaultRetryPolicy, maxBody: DefaultMaxResponseBytes, refreshMargin: defaultRefreshMargin}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("kyc: invalid option: %w", err)
		}
	}
	base, err := ParseBaseURL(cfg.baseURL, cfg.allowHTTP)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, maxBody: cfg.maxBody, logger: cfg.logger, header: cfg.header, decodeErr: cfg.errorDecoder}
	c.ua = UserAgent
	if cfg.uaSuffix != "" {
		c.ua += " " + cfg.uaSuffix
	}
	rt := newRetryTransport(cfg)
	if cfg.tokenSource != nil {
		c.ts = newCachingSource(cfg.tokenSource, cfg.refreshMargin)
		hosts := map[string]bool{base.Host: true}
		for _, h := range cfg.authHosts {
			hosts[h] = true
		}
		renew := cfg.renew
		if renew == nil {
			renew = InvalidChallenge
		}
		rt = &authTransport{ts: c.ts, hosts: hosts, next: rt, renew: renew}
	}
	hc := &http.Client{}
	if cfg.httpClient != nil {
		*hc = *cfg.httpClient
	}
	hc.Transport = rt
	c.hc = hc
	return c, nil
}

// NewHTTPClient returns an *http.Client with the retry, timeout and logging
// layers of a Client but no base URL and no authentication: the client the
// oauth2 package should use for token requests. Token requests are POSTs,
// so they are retried only when they never left the machine.
func NewHTTPClient(opts ...Option) (*http.Client, error) {
	cfg := config{timeout: DefaultTimeout, retry: DefaultRetryPolicy, maxBody: DefaultMaxResponseBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("kyc: invalid option: %w", err)
		}
	}
	hc := &http.Client{}
	if cfg.httpClient != nil {
		*hc = *cfg.httpClient
	}
	hc.Transport = newRetryTransport(cfg)
	return hc, nil
}

// ParseBaseURL checks a base URL: absolute, https unless the host is
// loopback or allowHTTP, no query, fragment or user info.
func ParseBaseURL(raw string, allowHTTP bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("kyc: %w: base URL is required", ErrInvalidArgument)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("kyc: %w: base URL does not parse", ErrInvalidArgument)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("kyc: %w: base URL must be an absolute http(s) URL", ErrInvalidArgument)
	}
	if u.Scheme == "http" && !allowHTTP && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("kyc: %w: base URL must use https (host %q is not loopback)", ErrInvalidArgument, u.Hostname())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("kyc: %w: base URL must not carry user info, query or fragment", ErrInvalidArgument)
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

// HTTPClient returns the client's *http.Client (with all layers).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Request describes one API call.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is an already escaped path below the base URL (build it with
	// JoinPath). Ignored when URL is set.
	Path string
	// URL is an absolute URL to call instead of base URL + Path.
	URL string
	// Query is a go-querystring struct or url.Values.
	Query any
	// Body is marshalled as JSON, unless it is url.Values (form-encoded)
	// or an io.Reader (sent as is with Header's Content-Type).
	Body any
	// Header holds extra headers.
	Header http.Header
	// Permission names the permission this call needs, for error messages.
	Permission string
}

// Response describes a successful reply.
type Response struct {
	StatusCode int
	Header     http.Header
	RequestID  string
	Attempts   int
}

// JoinPath joins path segments, escaping each one. An empty segment is
// refused, and "." and ".." are escaped so they can never move up a level.
func JoinPath(segments ...string) (string, error) {
	var b strings.Builder
	for _, s := range segments {
		if s == "" {
			return "", fmt.Errorf("kyc: %w: empty path parameter", ErrInvalidArgument)
		}
		b.WriteByte('/')
		switch s {
		case ".":
			b.WriteString("%2E")
		case "..":
			b.WriteString("%2E%2E")
		default:
			b.WriteString(url.PathEscape(s))
		}
	}
	return b.String(), nil
}

// Do sends req and decodes a 2xx JSON body into out (out may be nil).
// A non-2xx reply becomes an *APIError (through the vendor's ErrorDecoder).
func (c *Client) Do(ctx context.Context, req *Request, out any) (*Response, error) {
	resp, hreq, st, err := c.send(ctx, req) //nolint:bodyclose // closed by closeBody below
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)
	meta := &Response{StatusCode: resp.StatusCode, Header: resp.Header, RequestID: requestID(resp.Header), Attempts: st.attempts}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return meta, nil
	}
	if err := c.decode(resp, out); err != nil {
		return nil, c.decodeFailure(ctx, hreq, resp, err)
	}
	return meta, nil
}

// Stream sends req and, on a 2xx reply, returns the body for the caller to
// read and close; reads beyond the size cap fail with ErrResponseTooLarge.
// A non-2xx reply becomes an error as in Do.
func (c *Client) Stream(ctx context.Context, req *Request, limit int64) (*http.Response, error) {
	resp, _, _, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = c.maxBody
	}
	resp.Body = &limitedBody{rc: resp.Body, remaining: limit}
	return resp, nil
}

func (c *Client) send(ctx context.Context, req *Request) (*http.Response, *http.Request, *callState, error) {
	if ctx == nil {
		return nil, nil, nil, fmt.Errorf("kyc: %w: nil context", ErrInvalidArgument)
	}
	hreq, err := c.newRequest(ctx, req)
	if err != nil {
		return nil, nil, nil, err
	}
	st := &callState{idempotent: IsIdempotentMethod(hreq.Method)}
	hreq = hreq.WithContext(context.WithValue(ctx, callKey, st))
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, hreq, st, c.transportFailure(ctx, hreq, st, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer closeBody(resp.Body)
		return nil, hreq, st, c.apiError(hreq, resp, st, req.Permission)
	}
	return resp, hreq, st, nil
}

func (c *Client) newRequest(ctx context.Context, req *Request) (*http.Request, error) {
	var u *url.URL
	if req.URL != "" {
		pu, err := url.Parse(req.URL)
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("kyc: %w: invalid URL", ErrInvalidArgument)
		}
		u = pu
	} else {
		u = c.BaseURL()
		raw := c.base.EscapedPath() + req.Path
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: invalid path", ErrInvalidArgument)
		}
		u.Path, u.RawPath = p, raw
	}
	switch q := req.Query.(type) {
	case nil:
	case url.Values:
		u.RawQuery = q.Encode()
	default:
		v, err := query.Values(q)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: cannot encode query: %w", ErrInvalidArgument, err)
		}
		u.RawQuery = v.Encode()
	}
	var body io.Reader
	contentType := ""
	switch b := req.Body.(type) {
	case nil:
	case url.Values:
		body = strings.NewReader(b.Encode())
		contentType = "application/x-www-form-urlencoded"
	case io.Reader:
		body = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("kyc: %w: cannot encode request body: %w", ErrInvalidArgument, err)
		}
		body = bytes.NewReader(buf)
		contentType = "application/json"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("kyc: %w: cannot build request", ErrInvalidArgument)
	}
	hreq.Header.Set("User-Agent", c.ua)
	hreq.Header.Set("Accept", "application/json")
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	for k, vs := range c.header {
		hreq.Header[k] = vs
	}
	for k, vs := range req.Header {
		hreq.Header[http.CanonicalHeaderKey(k)] = vs
	}
	return hreq, nil
}

func (c *Client) decode(resp *http.Response, out any) error {
	lr := &limitedBody{rc: resp.Body, remaining: c.maxBody}
	dec := json.NewDecoder(lr)
	if err := dec.Decode(out); err != nil {
		if lr.exceeded {
			return ErrResponseTooLarge
		}
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return sanitizeJSONError(err)
	}
	// Only whitespace may follow the value.
	var extra [1]byte
	buffered := dec.Buffered()
	for {
		n, err := buffered.Read(extra[:])
		if n == 1 {
			if !isSpace(extra[0]) {
				return errors.New("unexpected data after JSON value")
			}
			continue
		}
		if err != nil {
			break
		}
	}
	for {
		n, err := lr.Read(extra[:])
		if n == 1 && !isSpace(extra[0]) {
			return errors.New("unexpected data after JSON value")
		}
		if err != nil {
			if lr.exceeded {
				return ErrResponseTooLarge
			}
			break
		}
	}
	return nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// sanitizeJSONError keeps the kind and offset of a JSON error, never the bytes.
func sanitizeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at offset %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("JSON %s where field %q expects %s", typ.Value, typ.Field, typ.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	// A read error (timeout, reset): keep it for errors.Is, it holds no body bytes.
	return fmt.Errorf("reading response body: %w", err)
}

func (c *Client) decodeFailure(ctx context.Context, hreq *http.Request, resp *http.Response, err error) error {
	if errors.Is(err, ErrResponseTooLarge) {
		return &SizeError{Method: hreq.Method, Path: hreq.URL.Path, Limit: c.maxBody}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: reading response: %w", hreq.Method, hreq.URL.Path, ctxErr)
	}
	return &DecodeError{Method: hreq.Method, Path: hreq.URL.Path, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Err: err}
}

func (c *Client) apiError(hreq *http.Request, resp *http.Response, st *callState, perm string) error {
	e := &APIError{
		StatusCode:         resp.StatusCode,
		Method:             hreq.Method,
		Path:               hreq.URL.Path,
		RequestID:          requestID(resp.Header),
		Attempts:           st.attempts,
		Header:             resp.Header,
		RequiredPermission: perm,
	}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = ra
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e.Body = body
	if c.decodeErr != nil {
		if err := c.decodeErr(e, body); err != nil {
			return err
		}
	}
	return e
}

func (c *Client) transportFailure(ctx context.Context, hreq *http.Request, st *callState, err error) error {
	var re *ReauthorizationRequiredError
	var te *TokenError
	if errors.As(err, &re) {
		return re
	}
	if errors.As(err, &te) {
		return te
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("kyc: %s %s: %w", hreq.Method, hreq.URL.Path, ctxErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	attempts := ""
	if st.attempts > 1 {
		attempts = fmt.Sprintf(" after %d attempts", st.attempts)
	}
	return &TransportError{Method: hreq.Method, Path: hreq.URL.Path, Attempts: st.attempts, msg: attempts, Err: err}
}

// TransportError is a failure to get any HTTP reply (connection refused,
// reset, timeout). errors.Is works through it (for example with
// context.DeadlineExceeded or syscall.ECONNRESET).
type TransportError struct {
	Method, Path string
	Attempts     int
	msg          string
	Err          error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("kyc: %s %s: transport error%s: %s", e.Method, e.Path, e.msg, safeTransportError(e.Err))
}

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout.
func (e *TransportError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id"} {
		if v := h.Get(k); v != "" {
			if len(v) > 128 {
				v = v[:128]
			}
			return v
		}
	}
	return ""
}

// maxDrain is how much of an unread body is read before closing it, so
// its connection can be reused; a longer body costs the connection.
const maxDrain = 64 << 10

// closeBody drains a little of the body so the connection can be reused, then closes it.
func closeBody(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, maxDrain))
	_ = rc.Close()
}

// limitedBody reads at most remaining bytes and reports ErrResponseTooLarge beyond.
type limitedBody struct {
	rc        io.ReadCloser
	remaining int64
	exceeded  bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, ErrResponseTooLarge
	}
	if l.remaining <= 0 {
		// Probe for one more byte: exactly at the cap is fine.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.remaining {
		p = p[:l.remaining]
	}
	n, err := l.rc.Read(p)
	l.remaining -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// retryTransport runs retries through go-retryablehttp.
func newRetryTransport(cfg config) http.RoundTripper {
	base := http.DefaultTransport
	if cfg.httpClient != nil && cfg.httpClient.Transport != nil {
		base = cfg.httpClient.Transport
	}
	p := cfg.retry
	rc := &retryablehttp.Client{
		// attemptTransport hides CloseIdleConnections so the retry engine
		// never closes the caller's pooled connections.
		HTTPClient: &http.Client{
			Transport:     &attemptTransport{next: base, logger: cfg.logger},
			Timeout:       cfg.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Logger:       nil,
		RetryWaitMin: p.MinWait,
		RetryWaitMax: p.MaxWait,
		RetryMax:     p.MaxRetries,
		CheckRetry:   p.checkRetry,
		Backoff:      p.backoff,
		ErrorHandler: passLastResponse,
	}
	return &stateTransport{next: &retryablehttp.RoundTripper{Client: rc}}
}

// passLastResponse is the retry engine's ErrorHandler: the last response
// reaches our error decoder (retryablehttp's default drops it). A response
// is never returned together with an error: when the context ended, the
// response is closed and only the error returned.
func passLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil && err != nil {
		closeBody(resp.Body)
		return nil, err
	}
	return resp, err
}

// stateTransport makes sure every request entering the retry layer carries
// its call state, so requests sent through NewHTTPClient (token requests)
// get the same method-aware policy as those sent through Do.
type stateTransport struct{ next http.RoundTripper }

func (t *stateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if stateFrom(req.Context()) == nil {
		st := &callState{idempotent: IsIdempotentMethod(req.Method)}
		req = req.WithContext(context.WithValue(req.Context(), callKey, st))
	}
	return t.next.RoundTrip(req)
}

// attemptTransport counts and logs each attempt.
type attemptTransport struct {
	next   http.RoundTripper
	logger *slog.Logger
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	attempt := 1
	if st != nil {
		st.attempts++
		attempt = st.attempts
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if t.logger != nil {
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("host", req.URL.Host),
			slog.String("path", req.URL.Path),
			slog.Int("attempt", attempt),
			slog.Duration("duration", time.Since(start)),
		}
		level := slog.LevelDebug
		if err != nil {
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("error", safeTransportError(err)))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
				level = slog.LevelWarn
			}
		}
		t.logger.LogAttrs(req.Context(), level, "kyc: http attempt", attrs...)
	}
	return resp, err
}

// authTransport adds the Bearer token, only for the API's own hosts.
type authTransport struct {
	ts    *cachingSource
	hosts map[string]bool
	next  http.RoundTripper
	renew RenewRule
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.hosts[req.URL.Host] {
		return t.next.RoundTrip(req)
	}
	tok, err := t.ts.Token()
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, WrapTokenError(err)
	}
	r2 := req.Clone(req.Context())
	tok.SetAuthHeader(r2)
	resp, err := t.next.RoundTrip(r2)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// A request refused for its token (revoked, or expired before its
	// stated expiry) was not processed, so it is safe to send it once more
	// with a new token. Only a 401 the renew rule blames on the token (by
	// default an RFC 6750 invalid_token challenge) is tried again; others
	// (missing permissions, say) would fail again.
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !replayable {
		return resp, nil
	}
	peek, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(peek), resp.Body), c: resp.Body}
	if !t.renew(resp.Header, peek) {
		return resp, nil
	}
	t.ts.invalidate(tok.AccessToken)
	fresh, ferr := t.ts.Token()
	if ferr != nil {
		var re *ReauthorizationRequiredError
		if werr := WrapTokenError(ferr); errors.As(werr, &re) {
			// The grant behind the token is gone: say so rather than 401.
			closeBody(resp.Body)
			return nil, werr
		}
		return resp, nil //nolint:nilerr // no better token: the caller gets the server's 401
	}
	if fresh.AccessToken == tok.AccessToken {
		return resp, nil
	}
	r3 := req.Clone(req.Context())
	if req.GetBody != nil {
		body, gerr := req.GetBody()
		if gerr != nil {
			return resp, nil //nolint:nilerr // cannot replay: the caller gets the server's 401
		}
		r3.Body = body
	}
	closeBody(resp.Body)
	fresh.SetAuthHeader(r3)
	return t.next.RoundTrip(r3)
}

// defaultRefreshMargin is oauth2.ReuseTokenSource's expiry margin.
const defaultRefreshMargin = 10 * time.Second

// cachingSource caches a token until it is within margin of its expiry,
// shares one fetch among concurrent callers and can drop a token the
// server refused.
type cachingSource struct {
	mu     sync.Mutex
	base   oauth2.TokenSource
	margin time.Duration
	tok    *oauth2.Token
}

func newCachingSource(base oauth2.TokenSource, margin time.Duration) *cachingSource {
	return &cachingSource{base: base, margin: margin}
}

// Token returns the cached token while it is fresh, else a new one from base.
func (s *cachingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > s.margin) {
		return s.tok, nil
	}
	tok, err := s.base.Token()
	if err != nil {
		return nil, err
	}
	s.tok = tok
	return tok, nil
}

// invalidate drops the cached token if it is still access, and tells a
// base source that caches too.
func (s *cachingSource) invalidate(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.tok = nil
	}
	if inv, ok := s.base.(TokenInvalidator); ok {
		inv.InvalidateToken(access)
	}
}

// peekedBody is a response body whose first bytes were read ahead.
type peekedBody struct {
	io.Reader
	c io.Closer
}

func (b *peekedBody) Close() error { return b.c.Close() }

// TokenSourceFunc adapts a function to oauth2.TokenSource.
type TokenSourceFunc func() (*oauth2.Token, error)

// Token calls f.
func (f TokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// ClientCredentialsSource returns a non-caching source that fetches a new
// token from cfg on every call, with ctx (a long-lived context carrying the
// token HTTP client, never a request context). A Client caches it.
func ClientCredentialsSource(ctx context.Context, cfg *clientcredentials.Config) oauth2.TokenSource {
	return TokenSourceFunc(func() (*oauth2.Token, error) { return cfg.Token(ctx) })
}

// WrapTokenError turns an error from a token source into a *TokenError or,
// for invalid_grant, a *ReauthorizationRequiredError. Errors that already
// are one of those are returned unchanged.
func WrapTokenError(err error) error {
	if err == nil {
		return nil
	}
	var re *ReauthorizationRequiredError
	var te *TokenError
	if errors.As(err, &re) {
		return re
	}
	if errors.As(err, &te) {
		return te
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		status := 0
		if rerr.Response != nil {
			status = rerr.Response.StatusCode
		}
		code := rerr.ErrorCode
		if code == "" {
			code = oauthErrorCode(rerr.Body)
		}
		t := TokenError{Code: code, StatusCode: status, Err: err}
		if code == "invalid_grant" {
			return &ReauthorizationRequiredError{TokenError: t}
		}
		return &t
	}
	return &TokenError{Err: err}
}

func oauthErrorCode(body []byte) string {
	var v struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Error) < 64 {
		return v.Error
	}
	return ""
}
