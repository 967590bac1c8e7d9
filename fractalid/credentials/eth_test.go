package credentials_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/credentials"
)

func TestParseAddress(t *testing.T) {
	const sum = "0xacD08d6714ADba531beFF582e6FD5DA1AFD6bc65" // the production signer, EIP-55
	a, err := credentials.ParseAddress(sum)
	if err != nil {
		t.Fatal(err)
	}
	if a.Checksum() != sum || a.Hex() != strings.ToLower(sum) {
		t.Errorf("Checksum %s Hex %s", a.Checksum(), a.Hex())
	}
	for _, s := range []string{strings.ToLower(sum), "0x" + strings.ToUpper(sum[2:])} {
		b, err := credentials.ParseAddress(s)
		if err != nil || b != a {
			t.Errorf("ParseAddress(%s) = %v, %v: case must not matter without a checksum", s, b.Hex(), err)
		}
	}
	for _, bad := range []string{
		"0xacd08d6714ADba531beFF582e6FD5DA1AFD6bc65", // one letter's case changed: a wrong checksum
		sum[2:], "0x" + sum[3:], sum + "00", "0xzcD08d6714ADba531beFF582e6FD5DA1AFD6bc65", "",
	} {
		if _, err := credentials.ParseAddress(bad); !errors.Is(err, credentials.ErrMalformedAddress) {
			t.Errorf("ParseAddress(%q) = %v, want ErrMalformedAddress", bad, err)
		}
	}
	if got := fmt.Sprintf("%v %+v %#v %s %x %q", a, a, a, a, a, a); strings.Contains(strings.ToLower(got), "acd08d") {
		t.Errorf("an address printed its value: %s", got)
	}
}

func TestParseSignature(t *testing.T) {
	k, err := credentials.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("hello")
	sig := k.SignPersonal(msg)
	if v := sig[64]; v != 27 && v != 28 {
		t.Fatalf("v = %d", v)
	}
	// v as 0/1 (some wallets and hardware signers) is normalised.
	raw := sig
	raw[64] -= 27
	got, err := credentials.ParseSignature(hex.EncodeToString(raw[:]))
	if err != nil || got != sig {
		t.Fatalf("v in {0,1}: %v", err)
	}
	if a, err := credentials.RecoverPersonalSigner(msg, got); err != nil || a != k.Address() {
		t.Fatalf("recovered %s, %v", a.Hex(), err)
	}
	// The high-s twin of a valid signature recovers the same key on a
	// bare ecrecover, but OpenZeppelin (and this package) refuse it.
	high := highS(sig)
	if _, err := credentials.ParseSignature(hex.EncodeToString(high[:])); !errors.Is(err, credentials.ErrMalformedSignature) {
		t.Errorf("high s accepted: %v", err)
	}
	if _, err := credentials.RecoverSigner([32]byte{}, high); !errors.Is(err, credentials.ErrMalformedSignature) {
		t.Errorf("RecoverSigner took a high-s signature: %v", err)
	}
	for name, s := range map[string]string{
		"short":   sig.Hex()[:128],
		"long":    sig.Hex() + "00",
		"not hex": "0x" + strings.Repeat("zz", 65),
		"v = 29":  sig.Hex()[:130] + "1d",
		"r = 0":   "0x" + strings.Repeat("00", 32) + sig.Hex()[66:],
		"s = 0":   sig.Hex()[:66] + strings.Repeat("00", 32) + sig.Hex()[130:],
		"r >= n":  "0x" + strings.Repeat("ff", 32) + sig.Hex()[66:],
	} {
		if _, err := credentials.ParseSignature(s); !errors.Is(err, credentials.ErrMalformedSignature) {
			t.Errorf("%s: %v, want ErrMalformedSignature", name, err)
		}
	}
	if s := fmt.Sprintf("%v %+v %#v %s %x", sig, sig, sig, sig, sig); strings.Contains(s, sig.Hex()[2:20]) {
		t.Errorf("a signature printed more than its fingerprint: %s", s)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); strings.Contains(s, "0x") || !strings.Contains(s, "redacted") {
		t.Errorf("a private key printed: %s", s)
	}
}

// highS returns the signature with s replaced by n - s and v flipped.
func highS(sig credentials.Signature) credentials.Signature {
	n, _ := hex.DecodeString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	var out credentials.Signature
	copy(out[:], sig[:])
	borrow := 0
	for i := 31; i >= 0; i-- {
		d := int(n[i]) - int(sig[32+i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		out[32+i] = byte(d)
	}
	out[64] = 55 - sig[64] // 27 <-> 28
	return out
}

func TestKeccak256IsLegacyKeccak(t *testing.T) {
	// Keccak-256 of the empty string (SHA3-256 would give a7ffc6f8...).
	got := credentials.Keccak256()
	if hex.EncodeToString(got[:]) != "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" {
		t.Errorf("Keccak256() = %x", got)
	}
}
