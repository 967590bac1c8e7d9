package kraken

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ErrInvalidKey is matched by every *KeyError: the private key could not
// be loaded (no PEM block, an encrypted or unparsable key, not an ECDSA
// key, or an ECDSA key on a curve other than P-521).
var ErrInvalidKey = errors.New("kraken: invalid private key")

// ErrUnsupportedCurve is matched by a *KeyError for an ECDSA key on a
// curve other than P-521: Kraken accepts ES512 only.
var ErrUnsupportedCurve = errors.New("kraken: unsupported curve (Kraken needs ES512: ECDSA P-521)")

// KeyError says why a private key was refused. It never holds key bytes.
type KeyError struct {
	// Reason describes the problem in words safe to print.
	Reason string
	// Curve names the curve of an EC key on the wrong curve ("P-256",
	// "secp256k1", "brainpoolP256r1", or "OID 1.3.132.0.32" for a curve
	// without a name here), "" otherwise.
	Curve string
}

// Error implements error.
func (e *KeyError) Error() string {
	if e.Curve != "" {
		return "kraken: invalid private key: ECDSA key on " + e.Curve + ", Kraken needs P-521 (ES512)"
	}
	return "kraken: invalid private key: " + e.Reason
}

// Is makes errors.Is match ErrInvalidKey, and ErrUnsupportedCurve for a key
// on the wrong curve.
func (e *KeyError) Is(target error) bool {
	return target == ErrInvalidKey || (target == ErrUnsupportedCurve && e.Curve != "")
}

// PrivateKey is the integrator's ES512 signing key (ECDSA on P-521), whose
// public half Fractal registered for the client ID. It signs the KYC link
// and API tokens. It never prints: String, GoString, LogValue and every fmt
// verb show "[redacted]".
type PrivateKey struct {
	k *ecdsa.PrivateKey
}

// NewPrivateKey wraps an ECDSA key; it must be on P-521.
func NewPrivateKey(k *ecdsa.PrivateKey) (*PrivateKey, error) {
	if k == nil || k.Curve == nil || k.D == nil {
		return nil, &KeyError{Reason: "nil or incomplete ECDSA key"}
	}
	if k.Curve != elliptic.P521() {
		return nil, &KeyError{Reason: "wrong curve", Curve: curveName(k.Curve)}
	}
	return &PrivateKey{k: k}, nil
}

// ParsePrivateKey loads a P-521 private key from PEM: PKCS#8 ("PRIVATE
// KEY", what the Kraken docs convert to) or SEC1 ("EC PRIVATE KEY", what
// `openssl ecparam -genkey` writes, with or without its "EC PARAMETERS"
// block). A PEM stored in an environment variable with literal `\n`
// sequences instead of line breaks is accepted too, as are Windows line
// ends. Encrypted keys are refused. Keys on other curves give an error
// matching ErrUnsupportedCurve.
func ParsePrivateKey(pemData []byte) (*PrivateKey, error) {
	s := strings.TrimSpace(string(pemData))
	s = strings.Trim(s, `"'`)
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	s = strings.ReplaceAll(s, `\r`, "")
	s = strings.ReplaceAll(s, "\r", "")
	rest := []byte(s)
	sawBlock := false
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		sawBlock = true
		switch b.Type {
		case "EC PARAMETERS":
			continue
		case "ENCRYPTED PRIVATE KEY":
			return nil, &KeyError{Reason: "encrypted PEM keys are not supported; decrypt it first (openssl pkcs8 -nocrypt)"}
		case "EC PRIVATE KEY":
			if _, enc := b.Headers["Proc-Type"]; enc {
				return nil, &KeyError{Reason: "encrypted PEM keys are not supported"}
			}
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				if ke := unknownCurve(sec1CurveOID(b.Bytes)); ke != nil {
					return nil, ke
				}
				return nil, &KeyError{Reason: "SEC1 EC PRIVATE KEY does not parse (P-521 expected)"}
			}
			return NewPrivateKey(k)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				if ke := unknownCurve(pkcs8CurveOID(b.Bytes)); ke != nil {
					return nil, ke
				}
				return nil, &KeyError{Reason: "PKCS#8 PRIVATE KEY does not parse"}
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, &KeyError{Reason: fmt.Sprintf("PKCS#8 key is %s, not ECDSA P-521", keyKind(k))}
			}
			return NewPrivateKey(ek)
		default:
			return nil, &KeyError{Reason: fmt.Sprintf("PEM block %q is not a private key", b.Type)}
		}
	}
	if sawBlock {
		return nil, &KeyError{Reason: "PEM holds no private key block"}
	}
	return nil, &KeyError{Reason: "no PEM block found"}
}

// OIDs of the EC key structures (RFC 5480, RFC 5915).
var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidP521        = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// curveNames names the curves an integrator's key may be on: the NIST
// curves (x509 parses these, so they come here only when the key itself
// is broken) and common ones x509 does not know.
var curveNames = map[string]string{
	"1.3.132.0.33":          "P-224",
	"1.2.840.10045.3.1.7":   "P-256",
	"1.3.132.0.34":          "P-384",
	"1.3.132.0.10":          "secp256k1",
	"1.3.132.0.31":          "secp192k1",
	"1.2.840.10045.3.1.1":   "P-192",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.9":  "brainpoolP320r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	"1.2.156.10197.1.301":   "SM2",
}

// unknownCurve returns the error for an EC key on the named curve oid
// that x509 refused, or nil when there is no OID or it is P-521 (then the
// key is broken, not on the wrong curve).
func unknownCurve(oid asn1.ObjectIdentifier, ok bool) *KeyError {
	if !ok || len(oid) == 0 || oid.Equal(oidP521) {
		return nil
	}
	name, known := curveNames[oid.String()]
	if !known {
		name = "OID " + oid.String()
	}
	return &KeyError{Reason: "wrong curve", Curve: name}
}

// pkcs8CurveOID reads the namedCurve of a PKCS#8 PrivateKeyInfo whose
// algorithm is id-ecPublicKey (RFC 5208, RFC 5480 section 2.1.1).
func pkcs8CurveOID(der []byte) (asn1.ObjectIdentifier, bool) {
	var info struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
		// The optional attributes and public key that may follow are
		// not read.
	}
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 || !info.Algo.Algorithm.Equal(oidECPublicKey) {
		return nil, false
	}
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &oid); err != nil || len(rest) != 0 {
		return nil, false
	}
	return oid, true
}

// sec1CurveOID reads the [0] parameters (a namedCurve) of a SEC1
// ECPrivateKey (RFC 5915 section 3).
func sec1CurveOID(der []byte) (asn1.ObjectIdentifier, bool) {
	var key struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if rest, err := asn1.Unmarshal(der, &key); err != nil || len(rest) != 0 {
		return nil, false
	}
	return key.Curve, len(key.Curve) > 0
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA"
	default:
		name := fmt.Sprintf("%T", k)
		switch {
		case strings.Contains(name, "rsa"):
			return "RSA"
		case strings.Contains(name, "ed25519"):
			return "Ed25519"
		case strings.Contains(name, "ecdh"):
			return "ECDH"
		}
		return "another key type"
	}
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil || c.Params().Name == "" {
		return "an unknown curve"
	}
	return c.Params().Name
}

// Public returns the public key to register with Fractal.
func (k *PrivateKey) Public() *ecdsa.PublicKey { return &k.k.PublicKey }

// PublicKeyPEM returns the public key as a PKIX "PUBLIC KEY" PEM block, the
// form Fractal's onboarding asks for.
func (k *PrivateKey) PublicKeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.k.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("kraken: cannot encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// String returns "[redacted]".
func (k *PrivateKey) String() string { return "[redacted]" }

// GoString returns a redacted form.
func (k *PrivateKey) GoString() string { return "kraken.PrivateKey{[redacted]}" }

// LogValue logs "[redacted]".
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Format prints "[redacted]" for every verb (GoString for %#v).
func (k *PrivateKey) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, "[redacted]")
}

// MarshalText returns "[redacted]", so encoding a struct holding the key
// as JSON never writes it.
func (k *PrivateKey) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }
