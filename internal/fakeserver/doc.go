// Package fakeserver is the shared machinery of the SDK's in-process fake
// servers (fractalidtest, ekycadmintest and the others): a real HTTP server on
// 127.0.0.1 closed through t.Cleanup, fault injection (error statuses, HTML
// error pages, hangs, connection resets before and after the request is read,
// truncated and oversized bodies), a request log with the Authorization header
// redacted, an opaque token issuer with an injectable clock, and small helpers
// for JSON replies, RFC 6749 errors and OAuth client authentication.
//
// Nothing in this package is global: every Server and TokenIssuer is
// independent, so fakes built on it are safe in parallel tests.
//
// The types a fake's users handle (Fault and its kinds, Request, Clock) and
// the Fake interface a *Server implements are declared in the public
// package kyctest; each fake's Server embeds kyctest.Fake, so users never
// import this internal package.
package fakeserver
