package ekycadmin

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/kycgo/kyc/internal/apiclient"
)

// newTokenHTTPClient returns the client the oauth2 package uses for token
// requests: the core's timeout and logging layers, with retries limited to
// attempts that never left the machine (a dial or DNS error). A token
// request is a POST; one that reached the server is never sent again.
//
// The core's retry layer cannot tell a token POST from a GET (it learns the
// method from per-call state that only apiclient.Client.Do sets), so it is
// given no retries here and tokenTransport retries dial failures itself.
func newTokenHTTPClient(s *settings) (*http.Client, error) {
	opts := append([]apiclient.Option{}, s.core...)
	if s.hc != nil {
		opts = append(opts, apiclient.WithHTTPClient(s.hc))
	}
	opts = append(opts, apiclient.WithRetryPolicy(apiclient.NoRetries))
	hc, err := apiclient.NewHTTPClient(opts...)
	if err != nil {
		return nil, err
	}
	hc.Transport = &tokenTransport{next: hc.Transport, policy: s.retry}
	return hc, nil
}

// tokenTransport retries a request only when it was never sent.
type tokenTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			if req.Body != nil && req.GetBody == nil {
				return nil, errors.New("ekycadmin: token request body cannot be replayed")
			}
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.next.RoundTrip(r)
		if err == nil || attempt >= t.policy.MaxRetries || !neverSent(err) {
			return resp, err
		}
		wait := t.policy.MinWait << min(attempt, 30)
		if wait <= 0 || wait > t.policy.MaxWait {
			wait = t.policy.MaxWait
		}
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
}

// neverSent reports whether err proves the request never left the machine.
func neverSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
