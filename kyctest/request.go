package kyctest

import (
	"fmt"
	"net/http"
	"time"
)

// Request is one request as the server received it.
type Request struct {
	// Method, Path (decoded) and RawQuery of the request.
	Method, Path, RawQuery string
	// Header is a copy of the request headers with the values of
	// Authorization, Proxy-Authorization and Cookie replaced by "[redacted]".
	Header http.Header
	// HasAuth reports whether the request carried an Authorization header.
	HasAuth bool
	// Body is a copy of the first 64 KiB of the request body (nil for a
	// FaultResetBeforeRead request, whose body is never read).
	Body []byte
	// Status is the status the handler or fault wrote; 0 when no reply was
	// sent (resets, hangs the client gave up on, truncated bodies keep the
	// status they promised).
	Status int
	// Fault is the fault applied to the request, or 0 (FaultNone).
	Fault FaultKind
	// Time is when the request arrived, by the server's clock.
	Time time.Time
	// RequestID is the request ID the fake sent in the reply's
	// X-Request-Id header (the one a client reports in kyc.Response and
	// errors).
	RequestID string
}

// String prints the method, path, status and fault, never headers or body.
func (r Request) String() string {
	s := fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status)
	if r.Fault != FaultNone {
		s += " (" + r.Fault.String() + ")"
	}
	return s
}
