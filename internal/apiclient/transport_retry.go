package apiclient

import (
	"context"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
)

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
