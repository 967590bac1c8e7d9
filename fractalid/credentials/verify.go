package credentials

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kycgo/kyc"
)

// Verifier checks proofs off chain, as Fractal's CredentialVerifier.sol
// does on chain: Fractal's signature over the proof's fields, the expiry
// and an optional maximum age of the approval. It is safe for concurrent
// use. Unlike the contract it does not remember used proofs: a back end
// that must accept each proof once keeps Proof.Hash() itself.
type Verifier struct {
	signers []Address
	now     func() time.Time
	maxAge  time.Duration
}

// VerifierOption configures a Verifier. Options check their arguments.
type VerifierOption func(*Verifier) error

// WithEnvironmentSigner accepts the signing address of env (Production() or
// Staging()); it may be combined with WithSigners.
func WithEnvironmentSigner(env Environment) VerifierOption {
	return func(v *Verifier) error {
		if env.Signer.IsZero() {
			return errors.New("environment has no signing address")
		}
		v.signers = append(v.signers, env.Signer)
		return nil
	}
}

// WithSigners accepts proofs signed by any of addrs (for a signing
// address other than the documented ones, or during a key rotation).
func WithSigners(addrs ...Address) VerifierOption {
	return func(v *Verifier) error {
		if len(addrs) == 0 {
			return errors.New("no signing address")
		}
		for _, a := range addrs {
			if a.IsZero() {
				return errors.New("zero signing address")
			}
		}
		v.signers = append(v.signers, addrs...)
		return nil
	}
}

// WithClock makes the verifier read the time from now (default time.Now).
func WithClock(now func() time.Time) VerifierOption {
	return func(v *Verifier) error {
		if now == nil {
			return errors.New("nil clock")
		}
		v.now = now
		return nil
	}
}

// WithMaxAge refuses proofs whose user was approved d or longer ago
// (ErrProofTooOld), as the contract's maxAge does. 0 (the default) means no limit.
func WithMaxAge(d time.Duration) VerifierOption {
	return func(v *Verifier) error {
		if d < 0 {
			return errors.New("negative maximum age")
		}
		v.maxAge = d
		return nil
	}
}

// NewVerifier builds a Verifier. At least one signing address is required
// (WithEnvironmentSigner or WithSigners).
func NewVerifier(opts ...VerifierOption) (*Verifier, error) {
	v := &Verifier{now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(v); err != nil {
			return nil, fmt.Errorf("credentials: %w: %w", kyc.ErrInvalidArgument, err)
		}
	}
	if len(v.signers) == 0 {
		return nil, fmt.Errorf("credentials: %w: no signing address (WithEnvironmentSigner or WithSigners)", kyc.ErrInvalidArgument)
	}
	v.signers = slices.Compact(v.signers)
	return v, nil
}

// Verify checks that p is a proof for wallet, signed by an accepted
// Fractal signing address, not expired and (WithMaxAge) recent enough.
// wallet is the address the caller knows the user controls (for example
// from a sign-in with the wallet): a proof is public once used on chain,
// so a proof for another wallet must be refused, and Verify refuses it
// (ErrWalletMismatch). Errors are *ProofError.
//
// The check, as Fractal's contracts compute it: hash =
// Keccak-256(p.SignedMessage()); the signature must recover, on
// secp256k1, to an accepted address over Keccak-256("\x19Ethereum Signed
// Message:\n32" || hash); then now < ValidUntil and, with a maximum age,
// now < ApprovedAt + maxAge.
func (v *Verifier) Verify(p *Proof, wallet Address) error {
	if wallet.IsZero() {
		return &ProofError{Reason: "no expected wallet given", Err: kyc.ErrInvalidArgument}
	}
	if err := v.check(p); err != nil {
		return err
	}
	if p.Wallet != wallet {
		return &ProofError{Reason: "the proof is for another wallet", Err: ErrWalletMismatch}
	}
	return nil
}

// check verifies everything but the wallet binding.
func (v *Verifier) check(p *Proof) error {
	if p == nil {
		return malformed("nil proof")
	}
	if p.Wallet.IsZero() || p.FractalID == "" || p.Credential.Raw == "" || p.ApprovedAt.IsZero() || p.ValidUntil.IsZero() {
		return malformed("a field is missing")
	}
	signer, err := RecoverSigner(p.Digest(), p.Signature)
	if err != nil {
		return &ProofError{Reason: "the signature is not a valid secp256k1 signature", Err: ErrMalformedProof}
	}
	if !slices.Contains(v.signers, signer) {
		return &ProofError{Reason: "the signature is not by an accepted Fractal signing address (a field was changed, or another key signed)", Err: ErrWrongSigner}
	}
	now := v.now()
	if !now.Before(p.ValidUntil) {
		return &ProofError{Reason: "validUntil has passed", Err: ErrProofExpired}
	}
	if v.maxAge > 0 && !now.Before(p.ApprovedAt.Add(v.maxAge)) {
		return &ProofError{Reason: "the approval is older than the maximum age", Err: ErrProofTooOld}
	}
	return nil
}

// String lists how many signing addresses are accepted and the maximum age.
func (v *Verifier) String() string {
	return fmt.Sprintf("credentials.Verifier{signers: %d, maxAge: %s}", len(v.signers), v.maxAge)
}

// VerifyProof checks that p is signed by expectedSigner (Fractal's
// signing address, for example Production().Signer) over its fields and
// has not expired, with time.Now. It does not know which wallet the caller
// expects: compare p.Wallet with it, or use Verifier.Verify, which does.
// Errors are *ProofError (ErrMalformedProof, ErrWrongSigner, ErrProofExpired).
func VerifyProof(p *Proof, expectedSigner Address) error {
	if expectedSigner.IsZero() {
		return &ProofError{Reason: "no expected signer given", Err: kyc.ErrInvalidArgument}
	}
	v := &Verifier{signers: []Address{expectedSigner}, now: time.Now}
	return v.check(p)
}
