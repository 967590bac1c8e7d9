package credentials

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
)

// Address is a 20-byte Ethereum (EVM) account address.
//
// An address tied to a KYC result is personal data: String, Format and
// LogValue print it redacted; Hex and Checksum give the value.
type Address [20]byte

// ParseAddress reads "0x" followed by 40 hex digits. All-lower-case and
// all-upper-case digits are accepted as they are; mixed case must be a
// valid EIP-55 checksum (a mixed-case address with a wrong checksum is
// mistyped and refused with ErrMalformedAddress).
func ParseAddress(s string) (Address, error) {
	var a Address
	hexPart, ok := strings.CutPrefix(s, "0x")
	if !ok {
		hexPart, ok = strings.CutPrefix(s, "0X")
	}
	if !ok || len(hexPart) != 40 {
		return Address{}, fmt.Errorf("%w: want 0x and 40 hex digits", ErrMalformedAddress)
	}
	if _, err := hex.Decode(a[:], []byte(hexPart)); err != nil {
		return Address{}, fmt.Errorf("%w: not hex", ErrMalformedAddress)
	}
	if strings.ToLower(hexPart) != hexPart && strings.ToUpper(hexPart) != hexPart {
		if a.Checksum()[2:] != hexPart {
			return Address{}, fmt.Errorf("%w: mixed case that is not a valid EIP-55 checksum", ErrMalformedAddress)
		}
	}
	return a, nil
}

// MustParseAddress is ParseAddress for constants; it panics on an invalid address.
func MustParseAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic("credentials: MustParseAddress: " + err.Error())
	}
	return a
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// Hex is "0x" followed by 40 lower-case hex digits: the form a proof signs.
func (a Address) Hex() string { return "0x" + hex.EncodeToString(a[:]) }

// Checksum is the EIP-55 mixed-case form, as wallets display it.
func (a Address) Checksum() string {
	lower := hex.EncodeToString(a[:])
	h := keccak256([]byte(lower))
	out := []byte("0x" + lower)
	for i := range 40 {
		c := lower[i]
		if c < 'a' {
			continue
		}
		nibble := h[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if nibble&0x0f >= 8 {
			out[2+i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// String prints "0x[redacted]" for any non-zero address: with a KYC
// result, a wallet address is personal data. Use Hex or Checksum for the value.
func (a Address) String() string {
	if a.IsZero() {
		return "0x0"
	}
	return "0x[redacted]"
}

// GoString is String.
func (a Address) GoString() string { return a.String() }

// LogValue is String: slog never reaches MarshalText.
func (a Address) LogValue() slog.Value { return slog.StringValue(a.String()) }

// Format prints String for every verb, so no verb reaches the bytes.
func (a Address) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// MarshalText writes the EIP-55 form, so addresses travel in JSON as wallets write them.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.Checksum()), nil }

// UnmarshalText reads what ParseAddress accepts.
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Signature is a 65-byte Ethereum signature r || s || v, with v 27 or 28.
// Signatures are not secrets (proofs are meant to be published on chain),
// but a signature identifies its signer, so String prints a short
// fingerprint only; Hex gives the value.
type Signature [65]byte

// ParseSignature reads "0x" (optional) followed by 130 hex digits,
// r || s || v, with v 27, 28, 0 or 1 (normalised to 27 or 28). It refuses
// r or s outside [1, n-1] and a "high" s above n/2 (EIP-2; Ethereum's
// signers never produce one and OpenZeppelin's ECDSA.recover, used by
// Fractal's on-chain verifier, refuses it).
func ParseSignature(s string) (Signature, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(h) != 130 {
		return Signature{}, fmt.Errorf("%w: want 65 bytes (130 hex digits), got %d hex digits", ErrMalformedSignature, len(h))
	}
	var raw [65]byte
	if _, err := hex.Decode(raw[:], []byte(h)); err != nil {
		return Signature{}, fmt.Errorf("%w: not hex", ErrMalformedSignature)
	}
	return SignatureFromBytes(raw[:])
}

// SignatureFromBytes checks a 65-byte r || s || v as ParseSignature does.
func SignatureFromBytes(b []byte) (Signature, error) {
	var sig Signature
	if len(b) != 65 {
		return sig, fmt.Errorf("%w: want 65 bytes, got %d", ErrMalformedSignature, len(b))
	}
	copy(sig[:], b)
	switch sig[64] {
	case 0, 1:
		sig[64] += 27
	case 27, 28:
	default:
		return Signature{}, fmt.Errorf("%w: recovery byte v is %d (want 27, 28, 0 or 1)", ErrMalformedSignature, b[64])
	}
	var r, s secp256k1.ModNScalar
	if overflow := r.SetByteSlice(sig[:32]); overflow || r.IsZero() {
		return Signature{}, fmt.Errorf("%w: r out of range", ErrMalformedSignature)
	}
	if overflow := s.SetByteSlice(sig[32:64]); overflow || s.IsZero() {
		return Signature{}, fmt.Errorf("%w: s out of range", ErrMalformedSignature)
	}
	if s.IsOverHalfOrder() {
		return Signature{}, fmt.Errorf("%w: s is above n/2 (malleable form)", ErrMalformedSignature)
	}
	return sig, nil
}

// Hex is "0x" followed by 130 lower-case hex digits.
func (s Signature) Hex() string { return "0x" + hex.EncodeToString(s[:]) }

// IsZero reports whether s is all zeros (no signature).
func (s Signature) IsZero() bool { return s == Signature{} }

// String prints a fingerprint (the first 4 bytes of r), never the whole signature.
func (s Signature) String() string {
	if s.IsZero() {
		return "sig(none)"
	}
	return "sig(" + hex.EncodeToString(s[:4]) + "…)"
}

// GoString is String.
func (s Signature) GoString() string { return s.String() }

// LogValue is String: slog never reaches MarshalText.
func (s Signature) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Format prints String for every verb.
func (s Signature) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalText writes Hex.
func (s Signature) MarshalText() ([]byte, error) { return []byte(s.Hex()), nil }

// UnmarshalText reads what ParseSignature accepts.
func (s *Signature) UnmarshalText(b []byte) error {
	v, err := ParseSignature(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Keccak256 is Ethereum's Keccak-256 (the original Keccak padding, not
// SHA3-256) of the concatenated inputs.
func Keccak256(data ...[]byte) [32]byte { return keccak256(data...) }

func keccak256(data ...[]byte) [32]byte {
	h := sha3.NewLegacyKeccak256()
	for _, d := range data {
		_, _ = h.Write(d)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// PersonalMessageHash is the digest an EIP-191 personal_sign signature
// signs: Keccak-256("\x19Ethereum Signed Message:\n" + len(msg) + msg),
// with the length in decimal.
func PersonalMessageHash(msg []byte) [32]byte {
	return keccak256([]byte("\x19Ethereum Signed Message:\n"+strconv.Itoa(len(msg))), msg)
}

// RecoverSigner returns the address whose key made sig over digest (a
// 32-byte hash, such as PersonalMessageHash's). It fails with
// ErrMalformedSignature when no public key can be recovered.
func RecoverSigner(digest [32]byte, sig Signature) (Address, error) {
	// Check the form again: a Signature built by hand may not be canonical.
	sig, err := SignatureFromBytes(sig[:])
	if err != nil {
		return Address{}, err
	}
	// decred's compact form puts the recovery byte first, as 27 + recid
	// (+4 for a compressed key); Ethereum puts v = 27 + recid last.
	var compact [65]byte
	compact[0] = sig[64]
	copy(compact[1:], sig[:64])
	pub, _, err := ecdsa.RecoverCompact(compact[:], digest[:])
	if err != nil {
		return Address{}, fmt.Errorf("%w: no public key recovers from it", ErrMalformedSignature)
	}
	return addressOf(pub), nil
}

// RecoverPersonalSigner returns the address that signed msg with
// personal_sign (EIP-191), as Fractal's API and ethers' verifyMessage do.
func RecoverPersonalSigner(msg []byte, sig Signature) (Address, error) {
	return RecoverSigner(PersonalMessageHash(msg), sig)
}

func addressOf(pub *secp256k1.PublicKey) Address {
	h := keccak256(pub.SerializeUncompressed()[1:])
	var a Address
	copy(a[:], h[12:])
	return a
}

// PrivateKey is a secp256k1 key that signs the way Ethereum wallets do. It
// exists for tests and fakes (credentialstest signs wallet messages and
// proofs with it); a real wallet key stays in the wallet. It never prints.
type PrivateKey struct {
	k *secp256k1.PrivateKey
}

// GeneratePrivateKey returns a new random key.
func GeneratePrivateKey() (*PrivateKey, error) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	return &PrivateKey{k: k}, nil
}

// ParsePrivateKey reads a 32-byte key as hex ("0x" optional).
func ParsePrivateKey(s string) (*PrivateKey, error) {
	h := strings.TrimPrefix(s, "0x")
	if len(h) != 64 {
		return nil, errors.New("credentials: private key must be 32 bytes (64 hex digits)")
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, errors.New("credentials: private key is not hex")
	}
	var sc secp256k1.ModNScalar
	if overflow := sc.SetByteSlice(b); overflow || sc.IsZero() {
		return nil, errors.New("credentials: private key out of range")
	}
	return &PrivateKey{k: secp256k1.NewPrivateKey(&sc)}, nil
}

// Address is the key's Ethereum address.
func (k *PrivateKey) Address() Address { return addressOf(k.k.PubKey()) }

// Sign signs a 32-byte digest: r || s || v with v 27 or 28, deterministic
// (RFC 6979) and with a low s, as Ethereum wallets sign.
func (k *PrivateKey) Sign(digest [32]byte) Signature {
	compact := ecdsa.SignCompact(k.k, digest[:], false)
	var sig Signature
	copy(sig[:64], compact[1:])
	sig[64] = compact[0] // 27 + recid: uncompressed, so no +4
	return sig
}

// SignPersonal signs msg as personal_sign (EIP-191) does.
func (k *PrivateKey) SignPersonal(msg []byte) Signature { return k.Sign(PersonalMessageHash(msg)) }

// String never prints the key.
func (k *PrivateKey) String() string { return "credentials.PrivateKey([redacted])" }

// GoString never prints the key.
func (k *PrivateKey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k *PrivateKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue never logs the key.
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON refuses to serialise the key.
func (k *PrivateKey) MarshalJSON() ([]byte, error) { return json.Marshal("[redacted]") }
