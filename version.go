// Package kyc is the root of kyc-go, the Go SDK for identity verification
// (KYC) services: Fractal ID (package fractalid), Fractal ID's signed
// webhooks (package webhooks), the EKYC admin sessions API (package
// ekycadmin) and Incode integrations (package integrations).
//
// This package holds only the module version; the clients live in the
// subpackages.
package kyc

// Version is the version of this module. It is sent in the User-Agent
// header as "kyc-go/<Version>".
const Version = "0.1.0"
