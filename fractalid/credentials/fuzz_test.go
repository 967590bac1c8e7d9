package credentials_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/credentials"
)

// FuzzParseProof feeds arbitrary bodies to the proof decoder (the one
// GetProof uses on a 200 reply): it never panics, returns a whole proof or
// nothing, never quotes the input in its error, and what it accepts
// survives MarshalJSON and ParseProof unchanged (same signed message,
// same signature).
func FuzzParseProof(f *testing.F) {
	f.Add([]byte(docResponse))
	f.Add([]byte(`{"approvedAt":"1654693829","address":"0xc61ba26e1c0f463cd1bb57c962c6e7e411e79cb4","fractalId":"x","validUntil":1,"proof":"0x` + strings.Repeat("11", 64) + `1b","credential":"level:basic;citizenship_not:"}`))
	f.Add([]byte(`{"approvedAt":1e9,"address":null}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := credentials.ParseProof(body)
		if err != nil {
			if p != nil {
				t.Fatal("a proof with an error")
			}
			if !errors.Is(err, credentials.ErrMalformedProof) {
				t.Fatalf("error %v is not ErrMalformedProof", err)
			}
			return
		}
		if p.Wallet.IsZero() || p.FractalID == "" || p.Credential.Raw == "" || p.Signature.IsZero() {
			t.Fatalf("half-filled proof accepted: %v", p)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := credentials.ParseProof(b)
		if err != nil {
			t.Fatalf("re-encoded proof refused: %v", err)
		}
		if q.SignedMessage() != p.SignedMessage() || q.Signature != p.Signature {
			t.Fatal("the round trip changed the proof")
		}
		_ = p.String()
	})
}

// FuzzVerifyProofInput feeds arbitrary input to what a back end does with
// a proof from a front end: ParseProof then Verify. It never panics and
// never accepts anything but the seed signed with the vector's key (a
// fuzzer cannot forge a secp256k1 signature); a mutated copy of that seed
// that still verifies must sign the same message.
func FuzzVerifyProofInput(f *testing.F) {
	v := loadVectorF(f)
	valid := `{"approvedAt":` + itoa(v.ApprovedAt) + `,"address":"` + v.WalletAddress + `","fractalId":"` + v.FractalID +
		`","validUntil":` + itoa(v.ValidUntil) + `,"proof":"` + v.Proof + `","credential":"` + v.Credential + `"}`
	f.Add([]byte(valid), v.WalletAddress)
	f.Add([]byte(strings.Replace(valid, "plus", "basic", 1)), v.WalletAddress)
	f.Add([]byte(docResponse), "0xC61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4")
	f.Add([]byte(`{}`), "0x0")
	signer := credentials.MustParseAddress(v.FractalAddress)
	verifier, err := credentials.NewVerifier(credentials.WithSigners(signer),
		credentials.WithClock(func() time.Time { return time.Unix(v.ValidUntil-1, 0) }))
	if err != nil {
		f.Fatal(err)
	}
	want, _ := credentials.ParseProof([]byte(valid))
	f.Fuzz(func(t *testing.T, body []byte, wallet string) {
		p, err := credentials.ParseProof(body)
		if err != nil {
			return
		}
		w, werr := credentials.ParseAddress(wallet)
		if werr != nil {
			w = p.Wallet
		}
		if err := verifier.Verify(p, w); err != nil {
			var pe *credentials.ProofError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *ProofError", err)
			}
			return
		}
		if p.SignedMessage() != want.SignedMessage() || w != want.Wallet {
			t.Fatalf("accepted a proof that is not the signed one: %v", p)
		}
	})
}

// FuzzParseMessage: ParseMessage never panics, and what it accepts
// BuildMessage writes back byte for byte when the country names are the
// built-in ones.
func FuzzParseMessage(f *testing.F) {
	f.Add(docExample)
	f.Add("I authorize A (b) to get a proof from Fractal that:\n- I passed KYB level basic\n- I am not a citizen of the following countries: Taiwan, Province of China (TW)")
	f.Add("I authorize A (b) (c) to get a proof from Fractal that:\n- I passed KYC level uniqueness\nI also allow access to my data that was used to pass this level.")
	f.Fuzz(func(t *testing.T, text string) {
		spec, err := credentials.ParseMessage(text)
		if err != nil {
			if spec != nil || !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Fatalf("%v, %v", spec, err)
			}
			return
		}
		out, err := credentials.BuildMessage(*spec)
		if err != nil {
			t.Fatalf("BuildMessage refused what ParseMessage accepted: %v", err)
		}
		again, err := credentials.ParseMessage(out)
		if err != nil {
			t.Fatalf("ParseMessage refused what BuildMessage wrote: %v", err)
		}
		if rebuilt, _ := credentials.BuildMessage(*again); rebuilt != out {
			t.Fatal("not stable")
		}
	})
}

func loadVectorF(f *testing.F) vector {
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		f.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	return v
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
