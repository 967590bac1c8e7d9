// Package kyctest is what every in-process fake of this module shares:
// the faults a test injects (error statuses, HTML error pages, hangs,
// connection resets before and after the request is read, truncated and
// oversized bodies), the request log, the connection count and a manual
// clock. The fakes themselves live beside their clients
// (fractalid/fractalidtest, ekycadmin/ekycadmintest,
// integrations/incode/incodetest, ...); each one's Server embeds Fake, so a
// test or a helper written against Fake works with any of them:
//
//	srv := ekycadmintest.NewServer(t)
//	srv.InjectFault(http.MethodGet, "/ekyc/admin", kyctest.Fault{Kind: kyctest.FaultStatus, Status: 503})
//	...
//	for _, r := range srv.Requests() { ... }
package kyctest

// Fake is the fault injection, request log and connection count that
// every fake server of this module offers besides its own API. Its
// methods are safe for concurrent use, including while requests are being
// served.
type Fake interface {
	// InjectFault makes the next f.Times (default 1) requests whose method
	// is method ("" = any) and whose path matches pathPattern (exact, or a
	// prefix when it ends in "*", such as "/v2/stats/*") fail as f says.
	// Faults are consumed oldest first. It panics on an invalid Fault (a
	// test bug).
	InjectFault(method, pathPattern string, f Fault)
	// PendingFaults is the number of fault uses not yet consumed.
	PendingFaults() int
	// ClearFaults drops every pending fault.
	ClearFaults()
	// Requests returns a copy of the request log, oldest first. An entry is
	// in the log before the client can see any reply to it.
	Requests() []Request
	// Count is the number of logged requests with this method ("" = any)
	// whose path matches path (exact, or a prefix when it ends in "*").
	Count(method, path string) int
	// ResetLog empties the request log.
	ResetLog()
	// ConnectionCount is the number of TCP connections the server accepted.
	ConnectionCount() int
}
