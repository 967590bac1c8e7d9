package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kycgo/kyc/webhooks"
)

// Benchmarks of the signature check beside a plain crypto/hmac baseline
// doing the same work: hmac.New(sha1.New, key) + Write + Sum, hex decoding
// of the header and hmac.Equal.
//
//	go test -run='^$' -bench=. -benchmem -count=5 ./webhooks/

var benchSizes = []struct {
	name string
	n    int
}{
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
}

const benchSecret = "9d7e80c0f169ab94d34392d64617b7517fb07c40"

func benchBody(n int) []byte {
	prefix := []byte(`{"type":"unknown_type","data":{"pad":"`)
	body := append(prefix, bytes.Repeat([]byte("a"), n-len(prefix)-3)...)
	return append(body, `"}}`...)
}

func BenchmarkVerify(b *testing.B) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig := webhooks.Sign(body, benchSecret)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := webhooks.Verify(body, sig, benchSecret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawHMACSHA1(b *testing.B) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig := webhooks.Sign(body, benchSecret)
		key := []byte(benchSecret)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !strings.HasPrefix(sig, "sha1=") {
					b.Fatal("prefix")
				}
				got, err := hex.DecodeString(sig[len("sha1="):])
				if err != nil {
					b.Fatal(err)
				}
				m := hmac.New(sha1.New, key)
				m.Write(body)
				if !hmac.Equal(got, m.Sum(nil)) {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

func BenchmarkVerifyKraken(b *testing.B) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig := webhooks.SignKraken(body, benchSecret)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := webhooks.VerifyKraken(body, sig, benchSecret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawHMACSHA256(b *testing.B) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig := webhooks.SignKraken(body, benchSecret)
		key := []byte(benchSecret)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				got, err := hex.DecodeString(sig)
				if err != nil {
					b.Fatal(err)
				}
				m := hmac.New(sha256.New, key)
				m.Write(body)
				if !hmac.Equal(got, m.Sum(nil)) {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

// BenchmarkVerifierVerify includes choosing the secret by type and
// parsing the event; the difference to BenchmarkVerify is the JSON work.
func BenchmarkVerifierVerify(b *testing.B) {
	v, err := webhooks.NewVerifier(
		webhooks.WithSecret(webhooks.EventVerificationApproved, "other"),
		webhooks.WithDefaultSecrets(benchSecret),
	)
	if err != nil {
		b.Fatal(err)
	}
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		sig := webhooks.Sign(body, benchSecret)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(body, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
