// Package fractalid is the client for Fractal ID: environments, the OAuth
// 2.0 authorization-code flow, scopes and KYC levels, the user's
// verification data (GET /v2/users/me), file downloads and the back-office
// statistics API.
package fractalid
