package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/kycgo/kyc/webhooks"
)

// The two vectors of the Fractal ID docs (reference section 5.5).
const (
	vec1Secret = "SUP3RS3CR3T"
	vec1Body   = "my-payload"
	vec1Sig    = "sha1=6a89633e5f131bfb5f0b5826b33b3bab4bf52068"

	vec2Secret = "9d7e80c0f169ab94d34392d64617b7517fb07c40" // used as ASCII, not hex-decoded
	vec2Body   = `{"type":"verification_approved","data":{"level":"basic","user_id":"b5c5a2cd-643e-444b-9591-e7b25fec997d","timestamp":"2020-10-09T10:50:32Z"}}`
	vec2Sig    = "sha1=9e581dd775e5ba87e9839b595d6eb0d784ecfdb6"
)

func refSHA1(payload []byte, secret string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(payload)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

func refSHA256(payload []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(payload)
	return hex.EncodeToString(m.Sum(nil))
}

func TestFractalVectors(t *testing.T) {
	tests := []struct{ name, secret, body, sig string }{
		{"docs vector 1", vec1Secret, vec1Body, vec1Sig},
		{"docs vector 2", vec2Secret, vec2Body, vec2Sig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webhooks.Sign([]byte(tt.body), tt.secret); got != tt.sig {
				t.Errorf("Sign = %s, want %s", got, tt.sig)
			}
			if err := webhooks.Verify([]byte(tt.body), tt.sig, tt.secret); err != nil {
				t.Errorf("Verify = %v, want nil", err)
			}
			if err := webhooks.Verify([]byte(tt.body), strings.ToUpper(tt.sig[:5])+tt.sig[5:], tt.secret); !errors.Is(err, webhooks.ErrSignaturePrefix) {
				t.Errorf("Verify(upper-case prefix) = %v, want ErrSignaturePrefix", err)
			}
			if err := webhooks.Verify([]byte(tt.body), tt.sig[:5]+strings.ToUpper(tt.sig[5:]), tt.secret); err != nil {
				t.Errorf("Verify(upper-case hex digits) = %v, want nil", err)
			}
		})
	}
	// The second vector's secret looks like hex; decoding it gives the wrong key.
	key, _ := hex.DecodeString(vec2Secret)
	if err := webhooks.Verify([]byte(vec2Body), vec2Sig, string(key)); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("hex-decoded secret: got %v, want ErrSignatureMismatch", err)
	}
	// A re-serialised body (here: pretty-printed) does not verify.
	pretty := strings.ReplaceAll(vec2Body, ",", ", ")
	if err := webhooks.Verify([]byte(pretty), vec2Sig, vec2Secret); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("re-serialised body: got %v, want ErrSignatureMismatch", err)
	}
}

func TestSignMatchesCryptoHMAC(t *testing.T) {
	secrets := []string{"k", vec1Secret, strings.Repeat("s", 63), strings.Repeat("s", 64), strings.Repeat("s", 65), strings.Repeat("long-secret/", 40)}
	bodies := []string{"", "x", vec2Body, strings.Repeat("0123456789", 1000)}
	for _, s := range secrets {
		for _, b := range bodies {
			if got, want := webhooks.Sign([]byte(b), s), refSHA1([]byte(b), s); got != want {
				t.Errorf("Sign(len %d, secret len %d) = %s, want %s", len(b), len(s), got, want)
			}
			if got, want := webhooks.SignKraken([]byte(b), s), refSHA256([]byte(b), s); got != want {
				t.Errorf("SignKraken(len %d, secret len %d) = %s, want %s", len(b), len(s), got, want)
			}
			if err := webhooks.Verify([]byte(b), refSHA1([]byte(b), s), s); err != nil {
				t.Errorf("Verify(len %d, secret len %d) = %v", len(b), len(s), err)
			}
			if err := webhooks.VerifyKraken([]byte(b), refSHA256([]byte(b), s), s); err != nil {
				t.Errorf("VerifyKraken(len %d, secret len %d) = %v", len(b), len(s), err)
			}
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	body := []byte(vec1Body)
	digest := vec1Sig[5:]
	tests := []struct {
		name, sig, secret string
		want              error
	}{
		{"empty secret", vec1Sig, "", webhooks.ErrNoSecret},
		{"empty secret, signed with empty secret", webhooks.Sign(body, ""), "", webhooks.ErrNoSecret},
		{"missing", "", vec1Secret, webhooks.ErrMissingSignature},
		{"no prefix", digest, vec1Secret, webhooks.ErrSignaturePrefix},
		{"sha256 prefix", "sha256=" + digest, vec1Secret, webhooks.ErrSignaturePrefix},
		{"upper-case prefix", "SHA1=" + digest, vec1Secret, webhooks.ErrSignaturePrefix},
		{"leading space", " " + vec1Sig, vec1Secret, webhooks.ErrSignaturePrefix},
		{"prefix only", "sha1=", vec1Secret, webhooks.ErrSignatureLength},
		{"short", vec1Sig[:len(vec1Sig)-2], vec1Secret, webhooks.ErrSignatureLength},
		{"long hex", vec1Sig + "00", vec1Secret, webhooks.ErrSignatureLength},
		{"sha256 length", "sha1=" + strings.Repeat("ab", 32), vec1Secret, webhooks.ErrSignatureLength},
		{"non-hex", "sha1=" + strings.Repeat("zz", 20), vec1Secret, webhooks.ErrSignatureEncoding},
		{"one non-hex", vec1Sig[:len(vec1Sig)-1] + "g", vec1Secret, webhooks.ErrSignatureEncoding},
		{"trailing newline", vec1Sig + "\n", vec1Secret, webhooks.ErrSignatureTrailingData},
		{"trailing space", vec1Sig + " ", vec1Secret, webhooks.ErrSignatureTrailingData},
		{"second value", vec1Sig + ",sha1=" + digest, vec1Secret, webhooks.ErrSignatureTrailingData},
		{"mismatch", "sha1=" + strings.Repeat("0", 40), vec1Secret, webhooks.ErrSignatureMismatch},
		{"wrong secret", vec1Sig, vec1Secret + "x", webhooks.ErrSignatureMismatch},
		{"other body's signature", vec2Sig, vec1Secret, webhooks.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.Verify(body, tt.sig, tt.secret)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			checkNoEcho(t, err, tt.sig, tt.secret, string(body))
		})
	}
}

func TestMalformedSentinelsAreDistinct(t *testing.T) {
	fine := []error{webhooks.ErrSignaturePrefix, webhooks.ErrSignatureLength, webhooks.ErrSignatureEncoding,
		webhooks.ErrSignatureTrailingData, webhooks.ErrMultipleSignatures}
	top := []error{webhooks.ErrNoSecret, webhooks.ErrMissingSignature, webhooks.ErrMalformedSignature,
		webhooks.ErrSignatureMismatch, webhooks.ErrPayloadTooLarge, webhooks.ErrInvalidPayload}
	for i, a := range fine {
		if !errors.Is(a, webhooks.ErrMalformedSignature) {
			t.Errorf("%v does not match ErrMalformedSignature", a)
		}
		for j, b := range fine {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
	for i, a := range top {
		for j, b := range top {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}

func TestVerifyKrakenErrors(t *testing.T) {
	body := []byte(`{"id":"u1","status":"approved","note":""}`)
	sig := webhooks.SignKraken(body, "kraken-secret")
	tests := []struct {
		name, sig, secret string
		want              error
	}{
		{"ok", sig, "kraken-secret", nil},
		{"upper-case", strings.ToUpper(sig), "kraken-secret", nil},
		{"empty secret", sig, "", webhooks.ErrNoSecret},
		{"missing", "", "kraken-secret", webhooks.ErrMissingSignature},
		{"sha256 prefix", "sha256=" + sig, "kraken-secret", webhooks.ErrSignaturePrefix},
		{"legacy signature", webhooks.Sign(body, "kraken-secret"), "kraken-secret", webhooks.ErrSignaturePrefix},
		{"bare sha1 digest", webhooks.Sign(body, "kraken-secret")[5:], "kraken-secret", webhooks.ErrSignatureLength},
		{"non-hex", strings.Repeat("x", 64), "kraken-secret", webhooks.ErrSignatureEncoding},
		{"trailing", sig + "\r\n", "kraken-secret", webhooks.ErrSignatureTrailingData},
		{"mismatch", sig, "other", webhooks.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.VerifyKraken(body, tt.sig, tt.secret)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("VerifyKraken = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation changes inlining")
	}
	body := make([]byte, 4096)
	longSecret := strings.Repeat("k", 100)
	sig := webhooks.Sign(body, vec1Secret)
	longSig := webhooks.Sign(body, longSecret)
	kr := webhooks.SignKraken(body, vec1Secret)
	cases := map[string]func(){
		"Verify ok":            func() { _ = webhooks.Verify(body, sig, vec1Secret) },
		"Verify long secret":   func() { _ = webhooks.Verify(body, longSig, longSecret) },
		"Verify mismatch":      func() { _ = webhooks.Verify(body, sig, "other") },
		"Verify malformed":     func() { _ = webhooks.Verify(body, "sha1=zz", vec1Secret) },
		"VerifyKraken ok":      func() { _ = webhooks.VerifyKraken(body, kr, vec1Secret) },
		"VerifyKraken missing": func() { _ = webhooks.VerifyKraken(body, "", vec1Secret) },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocs per call, want 0", name, n)
		}
	}
}

// checkNoEcho fails when err's text contains any of the secret inputs.
func checkNoEcho(t *testing.T, err error, inputs ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, in := range inputs {
		if len(in) >= 8 && strings.Contains(msg, in) {
			t.Errorf("error %q echoes input %q", msg, in)
		}
		if strings.HasPrefix(in, "sha1=") && len(in) > 12 && strings.Contains(msg, in[5:12]) {
			t.Errorf("error %q echoes part of the signature", msg)
		}
	}
}
