package krakentest

import "github.com/kycgo/kyc/internal/fakeserver"

// Fault describes how the next matching requests fail: Kind, Status,
// RetryAfter, Body, ContentType, Delay, Times (default 1) and Size.
type Fault = fakeserver.Fault

// FaultKind says what a fault does to a request.
type FaultKind = fakeserver.FaultKind

// Request is one request as the server received it, with the Authorization
// header redacted.
type Request = fakeserver.Request

// Fault kinds.
const (
	// FaultNone marks a request that ran normally (request log only).
	FaultNone = fakeserver.FaultNone
	// FaultStatus answers Status (default 503), with Retry-After when set;
	// the fake does not act on the request.
	FaultStatus = fakeserver.FaultStatus
	// FaultHTMLError answers Status (default 502) with an HTML error page, as
	// a proxy in front of the API would.
	FaultHTMLError = fakeserver.FaultHTMLError
	// FaultHang waits Delay (until the client gives up when 0) before
	// serving the request normally.
	FaultHang = fakeserver.FaultHang
	// FaultResetBeforeRead resets the connection before reading the request.
	FaultResetBeforeRead = fakeserver.FaultResetBeforeRead
	// FaultResetAfterRead serves the request (its state changes happen) and
	// then resets the connection instead of replying.
	FaultResetAfterRead = fakeserver.FaultResetAfterRead
	// FaultTruncate serves the request but sends only half of the body.
	FaultTruncate = fakeserver.FaultTruncate
	// FaultOversize answers 200 with a valid JSON array of Size bytes
	// (default 16 MiB).
	FaultOversize = fakeserver.FaultOversize
)

// InjectFault makes the next f.Times (default 1) requests whose method is
// method ("" = any) and whose path matches pathPattern (exact, or a prefix
// when it ends in "*", such as "/public/kyc/*") fail as f says. Faults are
// consumed oldest first. It panics on an invalid Fault (a test bug).
func (s *Server) InjectFault(method, pathPattern string, f Fault) {
	s.fake.InjectFault(method, pathPattern, f)
}

// PendingFaults is the number of fault uses not yet consumed.
func (s *Server) PendingFaults() int { return s.fake.PendingFaults() }

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() { s.fake.ClearFaults() }

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request { return s.fake.Requests() }

// Count is the number of logged requests with this method ("" = any) whose
// path matches path (exact, or a prefix when it ends in "*").
func (s *Server) Count(method, path string) int { return s.fake.Count(method, path) }

// ResetLog empties the request log.
func (s *Server) ResetLog() { s.fake.ResetLog() }

// ConnectionCount is the number of TCP connections the server accepted.
func (s *Server) ConnectionCount() int { return s.fake.ConnectionCount() }
