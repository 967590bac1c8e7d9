package apiclient

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kycgo/kyc"
)

// RetryPolicy says how failed attempts are retried.
//
// Only safe attempts are retried: GET and HEAD on transport errors and on
// 408, 429, 502, 503 and 504; any other method only when the request never
// left the machine (a dial or DNS error). 401 and other 4xx are never
// retried.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt (0 disables retries).
	MaxRetries int
	// MinWait is the first backoff; each later one doubles, with full jitter.
	MinWait time.Duration
	// MaxWait caps the exponential backoff.
	MaxWait time.Duration
	// MaxRetryAfter caps how long a server's Retry-After is honoured. A
	// Retry-After longer than this is not waited for: the call fails at once
	// with the server's reply (its RetryAfter field set).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is 2 retries, 500ms doubling to at most 8s, Retry-After honoured up to 30s.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 2, MinWait: 500 * time.Millisecond, MaxWait: 8 * time.Second, MaxRetryAfter: 30 * time.Second}

// NoRetries disables retries.
var NoRetries = RetryPolicy{}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0 || p.MaxRetries > 20:
		return errors.New("retry policy: MaxRetries must be between 0 and 20")
	case p.MinWait < 0 || p.MaxWait < 0 || p.MaxRetryAfter < 0:
		return errors.New("retry policy: waits must not be negative")
	case p.MaxRetries > 0 && p.MinWait == 0:
		return errors.New("retry policy: MinWait must be positive when retries are enabled")
	case p.MaxWait < p.MinWait:
		return errors.New("retry policy: MaxWait must be at least MinWait")
	}
	return nil
}

type ctxKey int

const callKey ctxKey = 0

// callState travels with one logical call through the retry layer.
type callState struct {
	idempotent bool
	attempts   int
	// call holds the per-call options (nil: none).
	call *CallSettings
	// route is the call's path template, for traces.
	route string
	// reason says why the next attempt is sent again, for traces.
	reason string
	// shown is Request.ShownPath: what errors and log lines name instead
	// of the real path ("" for the real path).
	shown string
}

// pathOf is the path errors and log lines name for req: its call's
// ShownPath when the call has one (a path that holds a secret), else the
// URL's path.
func pathOf(req *http.Request) string {
	if st := stateFrom(req.Context()); st != nil && st.shown != "" {
		return st.shown
	}
	return req.URL.Path
}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(callKey).(*callState)
	return s
}

// setReason records why the next attempt is sent.
func setReason(ctx context.Context, reason string) {
	if st := stateFrom(ctx); st != nil {
		st.reason = reason
	}
}

// IsIdempotentMethod reports whether a request with this method may be
// retried after it reached the server.
func IsIdempotentMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// checkRetry is the retryablehttp CheckRetry of the policy.
func (p RetryPolicy) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	idempotent := true
	if s := stateFrom(ctx); s != nil {
		idempotent = s.idempotent
	}
	if err != nil {
		if neverSent(err) {
			setReason(ctx, "connection not made")
			return true, nil
		}
		if !idempotent || !retryableTransportError(err) {
			return false, nil
		}
		setReason(ctx, "transport error")
		return true, nil
	}
	if !idempotent {
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > p.MaxRetryAfter {
			return false, nil
		}
		drainForRetry(ctx, resp, p.MaxRetries)
		setReason(ctx, "status "+strconv.Itoa(resp.StatusCode))
		return true, nil
	}
	return false, nil
}

// drainForRetry reads the rest of a reply that is about to be retried (up
// to maxDrain), so its connection can be reused: the retry engine reads
// only 4 KiB of it before closing it. The reply of the last allowed attempt
// is left unread: it becomes the caller's error.
func drainForRetry(ctx context.Context, resp *http.Response, maxRetries int) {
	st := stateFrom(ctx)
	if st == nil || st.attempts > maxRetries || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
}

// backoff is the retryablehttp Backoff of the policy: Retry-After when the
// server sent one (capped), else exponential with full jitter.
func (p RetryPolicy) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(ra, p.MaxRetryAfter)
		}
	}
	d := minWait << min(attempt, 30)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	// Full jitter between d/2 and d keeps the wait meaningful.
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads both forms of Retry-After: delay seconds and an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// ParseRetryAfter parses a Retry-After header value (seconds or HTTP date)
// relative to now.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) { return parseRetryAfter(v, now) }

// neverSent reports whether err proves the request never left the machine:
// a DNS failure or a failure to dial.
func neverSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return false
}

func retryableTransportError(err error) bool {
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return false
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg := uerr.Err.Error()
		if strings.Contains(msg, "stopped after") || strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "invalid header") {
			return false
		}
	}
	if errors.Is(err, kyc.ErrResponseTooLarge) {
		return false
	}
	return true
}

// safeTransportError describes a transport error without the URL's query.
func safeTransportError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err.Error()
	}
	return err.Error()
}
