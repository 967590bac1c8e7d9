// Package flaky is a test transport that makes chosen requests fail as a
// refused dial would (the request never leaves the machine, so the core may
// retry it whatever its method) or wait before they are sent. Requests are
// chosen by their request URI (path and query), so calls on one client can
// be given different fates and run concurrently with deterministic
// outcomes.
package flaky

import (
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// Plan is the fate of the requests to one request URI.
type Plan struct {
	// Fail is how many attempts fail with a dial error before one is sent.
	Fail int
	// Delay is how long each attempt waits before it is sent (or until its
	// context ends: the client's per-attempt timeout, say).
	Delay time.Duration
}

// Transport applies a Plan per request URI, then sends through Next
// (http.DefaultTransport when nil). It is safe for concurrent use.
type Transport struct {
	Next http.RoundTripper

	mu    sync.Mutex
	plans map[string]Plan
	seen  map[string]int
}

// New returns a Transport with the given plans, keyed by request URI
// ("/v2/users/me", "/ekyc/admin?start=0").
func New(next http.RoundTripper, plans map[string]Plan) *Transport {
	p := make(map[string]Plan, len(plans))
	for k, v := range plans {
		p[k] = v
	}
	return &Transport{Next: next, plans: p, seen: map[string]int{}}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	key := r.URL.RequestURI()
	t.mu.Lock()
	t.seen[key]++
	plan := t.plans[key]
	if plan.Fail > 0 {
		p := plan
		p.Fail--
		t.plans[key] = p
	}
	t.mu.Unlock()
	if plan.Fail > 0 {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	if plan.Delay > 0 {
		timer := time.NewTimer(plan.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			if r.Body != nil {
				_ = r.Body.Close()
			}
			return nil, r.Context().Err()
		}
	}
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// Attempts is the number of attempts seen for a request URI, failed ones
// included.
func (t *Transport) Attempts(requestURI string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[requestURI]
}
