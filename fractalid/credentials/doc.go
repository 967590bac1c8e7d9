// Package credentials is a client for Fractal ID's Credentials API (listed
// by Fractal under "Legacy Integrations"): a dApp asks for a signed proof
// that the wallet which signed a message belongs to a user who passed a
// KYC or KYB level, optionally not a citizen or resident of some
// countries; and a back end verifies such a proof off chain, without
// calling Fractal.
//
// The flow:
//
//  1. BuildMessage writes the exact message (a protocol string) from a
//     MessageSpec; it refuses what the API would refuse before any request.
//  2. The user's wallet signs it with personal_sign (EIP-191).
//  3. Client.GetProof sends message and signature and returns a *Proof,
//     after checking that the signature is by the wallet the caller expects.
//  4. Verifier.Verify (or VerifyProof) checks Fractal's signature over the
//     proof (Keccak-256 and EIP-191 on secp256k1), its expiry and an
//     optional maximum age, and that it is for the expected wallet.
//
// Personal data: a wallet address together with a KYC result is personal
// data. Address, Proof, the errors and the verifier print no address and no
// Fractal id (String, every fmt verb, slog); Address.Hex,
// Address.Checksum and Proof.MarshalJSON give the values where they are
// needed. Signatures are not secrets but print as a short fingerprint.
//
// # Errors
//
// The error types and sentinels every client shares are declared in
// package kyc; the Credentials API's own codes (ErrUserNotFound,
// ErrUserPending, ErrInvalidSignature, ...) and *Error here. Any non-2xx
// reply is a *kyc.APIError; one in the API's error shape comes as an
// *Error that wraps it (errors.As finds both). kyc.ErrBadRequest matches
// every 400 reply and kyc.ErrNotFound every 404 (ErrUserNotFound and
// ErrUserPending included); a *kyc.DecodeError is a 2xx body that is not
// a complete proof; kyc.ErrInvalidArgument is an invalid option, message
// or signature refused before any request is sent.
//
// Package credentialstest is an in-process fake of the API that checks
// the message and the wallet signature and signs proofs with its own key.
package credentials
