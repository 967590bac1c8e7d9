package fakeserver

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
}

// String prints the method, path, status and fault, never headers or body.
func (r Request) String() string {
	s := fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status)
	if r.Fault != FaultNone {
		s += " (" + r.Fault.String() + ")"
	}
	return s
}

// Requests returns a copy of the request log, oldest first. An entry is in
// the log before the client can see any reply to it.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Header = r.Header.Clone()
		r.Body = append([]byte(nil), r.Body...)
		out[i] = r
	}
	return out
}

// Count is the number of logged requests with this method ("" = any) whose
// path matches path (exact, or a prefix when it ends in "*").
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if (method == "" || method == r.Method) && matchPath(path, r.Path) {
			n++
		}
	}
	return n
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base += uint64(len(s.log))
	s.log = nil
}
