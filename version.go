// Package kyc is the root of kyc-go, the Go SDK for identity verification
// (KYC) services: Fractal ID (package fractalid), Fractal ID's signed
// webhooks (package webhooks), the EKYC admin sessions API (package
// ekycadmin) and Incode integrations (package integrations).
//
// This package holds the module version and Response, the metadata of a
// call's reply (see option.WithResponseInto); the clients live in the
// subpackages and share the options of package option.
package kyc

// Version is the version of this module. It is sent in the User-Agent
// header as "kyc-go/<Version>".
const Version = "0.1.0"
