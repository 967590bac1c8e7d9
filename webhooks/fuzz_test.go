package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/kycgo/kyc/webhooks"
)

// FuzzVerify checks the signature code against crypto/hmac and that a
// signature made over one payload never verifies another.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(vec1Body), []byte(vec1Body+" "), vec1Secret, vec1Sig)
	f.Add([]byte(vec2Body), []byte(strings.Replace(vec2Body, "basic", "plus", 1)), vec2Secret, vec2Sig)
	f.Add([]byte(""), []byte("\x00"), "k", "sha1=")
	f.Add([]byte("x"), []byte("x"), strings.Repeat("s", 65), "SHA1=00")
	f.Add([]byte(docEmail), []byte(docApproved), "", "sha1="+strings.Repeat("A", 40))
	f.Fuzz(func(t *testing.T, payload, mutated []byte, secret, sig string) {
		// Sign agrees with crypto/hmac for every key length.
		m := hmac.New(sha1.New, []byte(secret))
		m.Write(payload)
		want := "sha1=" + hex.EncodeToString(m.Sum(nil))
		if got := webhooks.Sign(payload, secret); got != want {
			t.Fatalf("Sign = %s, crypto/hmac = %s", got, want)
		}
		m2 := hmac.New(sha256.New, []byte(secret))
		m2.Write(payload)
		wantK := hex.EncodeToString(m2.Sum(nil))
		if got := webhooks.SignKraken(payload, secret); got != wantK {
			t.Fatalf("SignKraken = %s, crypto/hmac = %s", got, wantK)
		}

		// The signer's own signature verifies, unless the secret is empty.
		err := webhooks.Verify(payload, want, secret)
		if secret == "" {
			if !errors.Is(err, webhooks.ErrNoSecret) {
				t.Fatalf("empty secret: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Verify(own signature) = %v", err)
		}
		if err := webhooks.VerifyKraken(payload, wantK, secret); err != nil {
			t.Fatalf("VerifyKraken(own signature) = %v", err)
		}

		// It never verifies another payload.
		if !bytes.Equal(mutated, payload) {
			if err := webhooks.Verify(mutated, want, secret); !errors.Is(err, webhooks.ErrSignatureMismatch) {
				t.Fatalf("Verify(mutated payload) = %v", err)
			}
			if err := webhooks.VerifyKraken(mutated, wantK, secret); !errors.Is(err, webhooks.ErrSignatureMismatch) {
				t.Fatalf("VerifyKraken(mutated payload) = %v", err)
			}
		}

		// An arbitrary header is accepted only if it is the signature
		// (hex digits in any case), and errors never echo it.
		err = webhooks.Verify(payload, sig, secret)
		if err == nil && (!strings.HasPrefix(sig, "sha1=") || !strings.EqualFold(sig, want)) {
			t.Fatalf("Verify accepted %q, want %q", sig, want)
		}
		if err != nil && len(sig) > 8 && strings.Contains(err.Error(), sig) {
			t.Fatalf("error echoes the signature: %v", err)
		}
		err = webhooks.VerifyKraken(payload, sig, secret)
		if err == nil && !strings.EqualFold(sig, wantK) {
			t.Fatalf("VerifyKraken accepted %q, want %q", sig, wantK)
		}
	})
}

// FuzzParse checks that Parse never panics, that what it accepts is
// consistent, and that a Verifier accepts exactly the signed body.
func FuzzParse(f *testing.F) {
	for _, s := range []string{docApproved, docContacted, docRejected, docCredential, docEmail, docRevoked, docUnknown,
		`{"type":"verification_approved","data":{"timestamp":1585834535}}`, `{"type":"x"}`, `[]`, `{"type":1}`, ""} {
		f.Add([]byte(s))
	}
	v, err := webhooks.NewVerifier(
		webhooks.WithSecret(webhooks.EventVerificationApproved, "approved"),
		webhooks.WithDefaultSecrets("default"),
	)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := webhooks.Parse(payload)
		if err != nil {
			if ev != nil || !errors.Is(err, webhooks.ErrInvalidPayload) {
				t.Fatalf("Parse error %v with event %v", err, ev)
			}
		} else {
			if ev.Type == "" {
				t.Fatal("event without type")
			}
			if ev.Type.Known() != (ev.Verification != nil || ev.CredentialShared != nil || ev.EmailChanged != nil || ev.AuthorizationRevoked != nil) {
				t.Fatalf("typed data does not match type %q", ev.Type)
			}
			k := ev.DedupKey()
			if !strings.HasPrefix(k, string(ev.Type)+":") {
				t.Fatalf("DedupKey %q", k)
			}
			again, err := webhooks.Parse(payload)
			if err != nil || again.DedupKey() != k {
				t.Fatal("Parse not deterministic")
			}
			_ = ev.String()
			if ev.EmailChanged != nil && len(ev.EmailChanged.Email) >= 6 && strings.Contains(ev.String(), ev.EmailChanged.Email) &&
				!strings.Contains(string(ev.Type)+ev.EmailChanged.UserID, ev.EmailChanged.Email) {
				t.Fatalf("String shows the email: %s", ev)
			}
		}
		_, _ = webhooks.ParseKraken(payload)

		// Verifier: signed with the right secret, it returns what Parse
		// returns; signed with nothing it knows, it returns no event.
		secret := "default"
		if err == nil && ev.Type == webhooks.EventVerificationApproved {
			secret = "approved"
		}
		vev, verr := v.Verify(payload, webhooks.Sign(payload, secret))
		if (verr == nil) != (err == nil) {
			t.Fatalf("Verifier.Verify = %v, Parse = %v", verr, err)
		}
		if verr == nil && (vev.Type != ev.Type || vev.DedupKey() != ev.DedupKey()) {
			t.Fatalf("Verifier event %v, Parse event %v", vev, ev)
		}
		if vev, verr := v.Verify(payload, webhooks.Sign(payload, "unknown")); vev != nil || verr == nil {
			t.Fatalf("unknown secret accepted: %v", vev)
		}
	})
}
