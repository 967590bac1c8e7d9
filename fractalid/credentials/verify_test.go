package credentials_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
)

// fakeProof gets a proof from the fake through the client.
func fakeProof(t *testing.T) (*credentialstest.Server, func() time.Time, *credentials.Proof, *credentialstest.Wallet) {
	t.Helper()
	srv, clk, c, w := setup(t)
	msg := message(t, srv, nil)
	p, err := c.GetProof(context.Background(), msg, w.SignMessage(msg), w.Address())
	if err != nil {
		t.Fatal(err)
	}
	return srv, clk.Now, p, w
}

func TestVerifyAcceptsAProofSignedByTheFake(t *testing.T) {
	srv, now, p, w := fakeProof(t)
	v, err := credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(now), credentials.WithMaxAge(90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(p, w.Address()); err != nil {
		t.Fatal(err)
	}
	// Through JSON, as a front end hands it over.
	b, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	q, err := credentials.ParseProof(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(q, w.Address()); err != nil {
		t.Fatalf("after a JSON round trip: %v", err)
	}
	// A signature with v as 0/1 is the same signature.
	q.Signature[64] -= 27
	if err := v.Verify(q, w.Address()); err != nil {
		t.Fatalf("v in {0,1}: %v", err)
	}
}

func TestVerifyRefusesATamperedField(t *testing.T) {
	srv, now, p, w := fakeProof(t)
	v, err := credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	other := credentialstest.NewWallet(t).Address()
	for name, edit := range map[string]func(*credentials.Proof){
		"wallet": func(p *credentials.Proof) { p.Wallet = other },
		"fractalId": func(p *credentials.Proof) {
			p.FractalID = strings.Replace(p.FractalID, p.FractalID[2:4], "ff", 1) + "0"
		},
		"approvedAt": func(p *credentials.Proof) { p.ApprovedAt = p.ApprovedAt.Add(time.Second) },
		"validUntil": func(p *credentials.Proof) { p.ValidUntil = p.ValidUntil.Add(24 * time.Hour) },
		"credential": func(p *credentials.Proof) {
			p.Credential = credentials.ParseCredential("level:plus+liveness;citizenship_not:;residency_not:us")
		},
		"signature r": func(p *credentials.Proof) { p.Signature[5] ^= 1 },
		"signature v": func(p *credentials.Proof) { p.Signature[64] = 55 - p.Signature[64] },
	} {
		t.Run(name, func(t *testing.T) {
			q := *p
			edit(&q)
			err := v.Verify(&q, q.Wallet)
			if !errors.Is(err, credentials.ErrWrongSigner) && !errors.Is(err, credentials.ErrMalformedProof) {
				t.Fatalf("Verify = %v, want ErrWrongSigner", err)
			}
			var pe *credentials.ProofError
			if !errors.As(err, &pe) {
				t.Errorf("%v is not a *ProofError", err)
			}
		})
	}
	if err := v.Verify(p, w.Address()); err != nil {
		t.Errorf("the original no longer verifies: %v", err)
	}
}

func TestVerifyRefusesAWrongSigner(t *testing.T) {
	srv, now, p, w := fakeProof(t)
	// The real environments' addresses did not sign the fake's proof.
	for _, env := range []credentials.Environment{credentials.Production(), credentials.Staging()} {
		v, err := credentials.NewVerifier(credentials.WithEnvironmentSigner(env), credentials.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(p, w.Address()); !errors.Is(err, credentials.ErrWrongSigner) {
			t.Errorf("%s signer: %v", env.Name, err)
		}
	}
	// A proof signed by another fake (another key) over the same fields.
	other := credentialstest.NewServer(t)
	q := *p
	q.Signature = other.SignProof(&q)
	v, _ := credentials.NewVerifier(credentials.WithSigners(credentials.Production().Signer, p.Wallet), credentials.WithClock(now))
	if err := v.Verify(&q, w.Address()); !errors.Is(err, credentials.ErrWrongSigner) {
		t.Errorf("other key: %v", err)
	}
	// Accepted when that key is one of the signers (rotation).
	v, _ = credentials.NewVerifier(credentials.WithSigners(credentials.Production().Signer, other.SignerAddress()), credentials.WithClock(now))
	if err := v.Verify(&q, w.Address()); err != nil {
		t.Errorf("rotation: %v", err)
	}
	// VerifyProof reads time.Now, years after the fake's clock: the
	// signature is right and the proof has expired.
	if err := credentials.VerifyProof(&q, other.SignerAddress()); !errors.Is(err, credentials.ErrProofExpired) {
		t.Errorf("VerifyProof: %v", err)
	}
	if err := credentials.VerifyProof(&q, srv.SignerAddress()); !errors.Is(err, credentials.ErrWrongSigner) {
		t.Errorf("VerifyProof, wrong signer: %v", err)
	}
}

func TestVerifyRefusesAnExpiredOrOldProof(t *testing.T) {
	srv, now, p, w := fakeProof(t)
	at := func(d time.Duration) func() time.Time { return func() time.Time { return now().Add(d) } }
	v, _ := credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(at(24*time.Hour)))
	if err := v.Verify(p, w.Address()); !errors.Is(err, credentials.ErrProofExpired) {
		t.Errorf("at validUntil: %v", err)
	}
	v, _ = credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(at(24*time.Hour-time.Second)))
	if err := v.Verify(p, w.Address()); err != nil {
		t.Errorf("a second before validUntil: %v", err)
	}
	// The user was approved 30 days before the proof was issued.
	v, _ = credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(now), credentials.WithMaxAge(30*24*time.Hour))
	if err := v.Verify(p, w.Address()); !errors.Is(err, credentials.ErrProofTooOld) {
		t.Errorf("max age 30 days: %v", err)
	}
	// A proof the fake signs with a validUntil in the past.
	q := *p
	q.ValidUntil = now().Add(-time.Minute)
	q.Signature = srv.SignProof(&q)
	v, _ = credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(now))
	if err := v.Verify(&q, w.Address()); !errors.Is(err, credentials.ErrProofExpired) {
		t.Errorf("expired proof: %v", err)
	}
	if err := credentials.VerifyProof(&q, srv.SignerAddress()); !errors.Is(err, credentials.ErrProofExpired) {
		t.Errorf("VerifyProof, expired proof: %v", err)
	}
}

func TestVerifyBindsTheWallet(t *testing.T) {
	srv, now, p, w := fakeProof(t)
	v, _ := credentials.NewVerifier(credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(now))
	other := credentialstest.NewWallet(t).Address()
	err := v.Verify(p, other)
	if !errors.Is(err, credentials.ErrWalletMismatch) {
		t.Fatalf("a proof for another wallet: %v", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), other.Hex()[2:]) || strings.Contains(strings.ToLower(err.Error()), w.Address().Hex()[2:]) {
		t.Errorf("the error prints an address: %v", err)
	}
	if err := v.Verify(p, credentials.Address{}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("zero wallet: %v", err)
	}
	if err := v.Verify(nil, w.Address()); !errors.Is(err, credentials.ErrMalformedProof) {
		t.Errorf("nil proof: %v", err)
	}
	if err := v.Verify(&credentials.Proof{}, w.Address()); !errors.Is(err, credentials.ErrMalformedProof) {
		t.Errorf("empty proof: %v", err)
	}
	if err := credentials.VerifyProof(p, credentials.Address{}); !errors.Is(err, kyc.ErrInvalidArgument) {
		t.Errorf("VerifyProof without a signer: %v", err)
	}
	for name, opts := range map[string][]credentials.VerifierOption{
		"no signer":       nil,
		"zero signer":     {credentials.WithSigners(credentials.Address{})},
		"empty signers":   {credentials.WithSigners()},
		"nil clock":       {credentials.WithSigners(srv.SignerAddress()), credentials.WithClock(nil)},
		"negative maxAge": {credentials.WithSigners(srv.SignerAddress()), credentials.WithMaxAge(-time.Second)},
		"signerless env":  {credentials.WithEnvironmentSigner(credentials.Environment{})},
	} {
		if _, err := credentials.NewVerifier(opts...); !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
