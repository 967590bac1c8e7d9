package apiclient

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"go.opentelemetry.io/otel/trace"
)

// retryTransport runs retries through go-retryablehttp: with the
// client's policy, or, for a call that carries its own
// (option.WithRetryPolicy per call), with an engine built for that call
// alone over the same base transport, so the client's settings never
// change for other callers. The per-attempt timeout, the client's or the
// call's own (option.WithTimeout per call), is applied by attemptTransport.
type retryTransport struct {
	base    http.RoundTripper
	logger  *slog.Logger
	tracer  trace.Tracer
	timeout time.Duration
	dflt    http.RoundTripper
}

func newRetryTransport(cfg config) http.RoundTripper {
	base := http.DefaultTransport
	if cfg.httpClient != nil && cfg.httpClient.Transport != nil {
		base = cfg.httpClient.Transport
	}
	t := &retryTransport{base: base, logger: cfg.logger, tracer: cfg.tracer, timeout: cfg.timeout}
	t.dflt = t.engine(cfg.retry)
	return t
}

// engine is a retry engine with policy p. The per-attempt timeout is not
// the inner http.Client's Timeout (a timer, a goroutine and a copy of the
// request per attempt) but a deadline on each attempt's context, set by
// attemptTransport and kept until the attempt's body is closed, so it
// still covers reading the body.
func (t *retryTransport) engine(p RetryPolicy) http.RoundTripper {
	rc := &retryablehttp.Client{
		// attemptTransport hides CloseIdleConnections so the retry engine
		// never closes the caller's pooled connections.
		HTTPClient: &http.Client{
			Transport:     &attemptTransport{next: t.base, logger: t.logger, tracer: t.tracer, timeout: t.timeout},
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
	return &retryablehttp.RoundTripper{Client: rc}
}

// RoundTrip makes sure every request entering the retry layer carries its
// call state, so requests sent through NewHTTPClient (token requests) get
// the same method-aware policy as those sent through Do, and picks the
// engine of the call.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil {
		st = &callState{idempotent: IsIdempotentMethod(req.Method)}
		req = req.WithContext(context.WithValue(req.Context(), callKey, st))
	}
	if st.call == nil || st.call.Retry == nil {
		// A per-call timeout is applied by attemptTransport.
		return t.dflt.RoundTrip(req)
	}
	return t.engine(*st.call.Retry).RoundTrip(req)
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
