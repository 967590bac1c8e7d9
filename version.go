// Package kyc is the root of kyc-go, the Go SDK for identity verification
// (KYC) services: Fractal ID (package fractalid), Fractal ID's signed
// webhooks (package webhooks), the EKYC admin sessions API (package
// ekycadmin) and Incode integrations (package integrations).
//
// This package holds the module version, Response, the metadata of a
// call's reply (see option.WithResponseInto), and the errors every client
// returns: the types [APIError], [DecodeError], [TokenError],
// [ReauthorizationRequiredError], [TransportError], [SizeError] and
// [RedirectError], and the sentinels ([ErrNotFound], [ErrUnauthorized],
// [ErrRateLimited], ...) they match with errors.Is. Each is declared here
// only, whichever client returned it:
//
//	var apiErr *kyc.APIError
//	switch {
//	case errors.Is(err, kyc.ErrNotFound): // from fractalid, ekycadmin, incode, ...
//	case errors.As(err, &apiErr):
//		log.Printf("status %d, request ID %s", apiErr.StatusCode, apiErr.RequestID)
//	}
//
// Errors of one vendor only (fractalid.ErrInsufficientScope,
// ekycadmin.ErrNoSessions, incode.Error, ...) are declared in its package.
// The clients live in the subpackages and share the options of package
// option.
package kyc

// Version is the version of this module. It is sent in the User-Agent
// header as "kyc-go/<Version>".
const Version = "0.1.0"
