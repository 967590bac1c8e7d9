package kraken_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
)

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// secp521r1's OID as openssl ecparam writes it in "EC PARAMETERS".
var ecParams = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}

func TestParsePrivateKeyForms(t *testing.T) {
	k := p521(t)
	pk8, _ := x509.MarshalPKCS8PrivateKey(k)
	sec1, _ := x509.MarshalECPrivateKey(k)
	pkcs8 := pemOf(t, "PRIVATE KEY", pk8)
	ec := pemOf(t, "EC PRIVATE KEY", sec1)
	cases := map[string]string{
		"PKCS#8":                     pkcs8,
		"SEC1":                       ec,
		"SEC1 after EC PARAMETERS":   pemOf(t, "EC PARAMETERS", ecParams) + ec,
		"literal \\n escapes":        strings.ReplaceAll(strings.TrimSpace(pkcs8), "\n", `\n`),
		"quoted with \\n escapes":    `"` + strings.ReplaceAll(pkcs8, "\n", `\n`) + `"`,
		"CRLF line ends":             strings.ReplaceAll(ec, "\n", "\r\n"),
		"leading and trailing space": "\n\n  " + pkcs8 + "\n\n",
	}
	for name, in := range cases {
		got, err := kraken.ParsePrivateKey([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Public().Equal(&k.PublicKey) {
			t.Errorf("%s: another key", name)
		}
	}
}

func TestParsePrivateKeyRefusals(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256der, _ := x509.MarshalPKCS8PrivateKey(p256)
	p384sec1, _ := x509.MarshalECPrivateKey(p384)
	rk, _ := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a throwaway key for a refusal test
	rsader, _ := x509.MarshalPKCS8PrivateKey(rk)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	edder, _ := x509.MarshalPKCS8PrivateKey(edk)
	pubder, _ := x509.MarshalPKIXPublicKey(&p521(t).PublicKey)
	cases := []struct {
		name  string
		in    string
		curve string
	}{
		{"P-256 PKCS#8", pemOf(t, "PRIVATE KEY", p256der), "P-256"},
		{"P-384 SEC1", pemOf(t, "EC PRIVATE KEY", p384sec1), ""},
		{"RSA", pemOf(t, "PRIVATE KEY", rsader), ""},
		{"Ed25519", pemOf(t, "PRIVATE KEY", edder), ""},
		{"public key", pemOf(t, "PUBLIC KEY", pubder), ""},
		{"encrypted", pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), ""},
		{"garbage in block", pemOf(t, "PRIVATE KEY", []byte("not der")), ""},
		{"no PEM", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", ""},
		{"empty", "", ""},
		{"only parameters", pemOf(t, "EC PARAMETERS", ecParams), ""},
	}
	for _, c := range cases {
		_, err := kraken.ParsePrivateKey([]byte(c.in))
		var ke *kraken.KeyError
		if !errors.Is(err, kraken.ErrInvalidKey) || !errors.As(err, &ke) {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if c.curve != "" && (ke.Curve != c.curve || !errors.Is(err, kraken.ErrUnsupportedCurve) || !strings.Contains(err.Error(), c.curve)) {
			t.Errorf("%s: curve %q, err %v", c.name, ke.Curve, err)
		}
		if strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: error shows key bytes: %v", c.name, err)
		}
	}
	// SEC1 on P-384 is refused as wrong curve too.
	p384k, _ := x509.ParseECPrivateKey(p384sec1)
	if _, err := kraken.NewPrivateKey(p384k); !errors.Is(err, kraken.ErrUnsupportedCurve) {
		t.Errorf("NewPrivateKey(P-384) = %v", err)
	}
	if _, err := kraken.NewPrivateKey(nil); !errors.Is(err, kraken.ErrInvalidKey) {
		t.Errorf("NewPrivateKey(nil) = %v", err)
	}
}

func TestPrivateKeyNeverPrints(t *testing.T) {
	k := p521(t)
	pk, _ := kraken.NewPrivateKey(k)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	secretHex := fmt.Sprintf("%x", k.D.Bytes()) //nolint:staticcheck // the private scalar, to look for it
	secretDec := k.D.String()                   //nolint:staticcheck // idem
	secretB64 := strings.Split(pemOf(t, "PRIVATE KEY", der), "\n")[2]
	cfg := kraken.Config{ClientID: "client-1", Key: pk}
	var out bytes.Buffer
	for _, v := range []any{pk, *pk, cfg, &cfg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	l := slog.New(slog.NewJSONHandler(&out, nil))
	l.Info("key", "key", pk, "cfg", cfg)
	l.Info("text", slog.Any("key", pk))
	slog.New(slog.NewTextHandler(&out, nil)).Info("key", "key", pk, "cfg", cfg)
	b, err := json.Marshal(struct {
		K *kraken.PrivateKey
		C kraken.Config
	}{pk, cfg})
	if err != nil || !bytes.Contains(b, []byte(`"clientId":"client-1"`)) {
		t.Errorf("JSON %s, %v", b, err)
	}
	out.Write(b)
	s := out.String()
	for _, secret := range []string{secretHex, secretDec, secretB64} {
		if strings.Contains(s, secret) {
			t.Fatalf("the private key leaked:\n%s", s)
		}
	}
	if !strings.Contains(s, "[redacted]") {
		t.Errorf("no redaction marker:\n%s", s)
	}
	pubPEM, err := pk.PublicKeyPEM()
	if err != nil || !bytes.Contains(pubPEM, []byte("BEGIN PUBLIC KEY")) {
		t.Errorf("PublicKeyPEM: %s, %v", pubPEM, err)
	}
}

// Keys on curves Go's x509 does not know, as openssl writes them (the
// files are throwaway keys): refused as on the wrong curve, named.
func TestParsePrivateKeyUnknownCurves(t *testing.T) {
	cases := []struct{ file, curve string }{
		{"secp256k1-sec1.pem", "secp256k1"}, // openssl ecparam -genkey: with its EC PARAMETERS block
		{"secp256k1-pkcs8.pem", "secp256k1"},
		{"brainpoolP384r1-sec1.pem", "brainpoolP384r1"},
		{"brainpoolP384r1-pkcs8.pem", "brainpoolP384r1"},
		{"secp224k1-sec1.pem", "OID 1.3.132.0.32"},
		{"secp224k1-pkcs8.pem", "OID 1.3.132.0.32"},
	}
	for _, c := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = kraken.ParsePrivateKey(b)
		var ke *kraken.KeyError
		if !errors.As(err, &ke) || ke.Curve != c.curve || !errors.Is(err, kraken.ErrUnsupportedCurve) || !errors.Is(err, kraken.ErrInvalidKey) ||
			!strings.Contains(err.Error(), c.curve) {
			t.Errorf("%s: err = %v", c.file, err)
		}
	}
	// A broken key on P-256 is still on the wrong curve.
	_, err := kraken.ParsePrivateKey([]byte(pemOf(t, "PRIVATE KEY", pkcs8Of(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}))))
	var ke *kraken.KeyError
	if !errors.As(err, &ke) || ke.Curve != "P-256" || !errors.Is(err, kraken.ErrUnsupportedCurve) {
		t.Errorf("broken P-256: %v", err)
	}
	// The curve OID is read from a key that Go could not parse, never
	// invented: a PKCS#8 key of another algorithm, or SEC1 garbage, stays
	// a plain invalid key.
	for name, in := range map[string]string{
		"SEC1 garbage":            pemOf(t, "EC PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x01}),
		"PKCS#8 unknown algo":     pemOf(t, "PRIVATE KEY", pkcs8Of(t, asn1.ObjectIdentifier{1, 3, 101, 113}, nil)),
		"PKCS#8 EC no curve":      pemOf(t, "PRIVATE KEY", pkcs8Of(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, nil)),
		"PKCS#8 broken P-521":     pemOf(t, "PRIVATE KEY", pkcs8Of(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 3, 132, 0, 35})),
		"PKCS#8 trailing garbage": pemOf(t, "PRIVATE KEY", append(pkcs8Of(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 3, 132, 0, 10}), 0)),
	} {
		_, err := kraken.ParsePrivateKey([]byte(in))
		if !errors.Is(err, kraken.ErrInvalidKey) || errors.Is(err, kraken.ErrUnsupportedCurve) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// pkcs8Of builds a PrivateKeyInfo with algorithm algo, curve parameters
// (omitted when nil) and a private key that is no key.
func pkcs8Of(t *testing.T, algo, curve asn1.ObjectIdentifier) []byte {
	t.Helper()
	ai := pkix.AlgorithmIdentifier{Algorithm: algo}
	if curve != nil {
		p, err := asn1.Marshal(curve)
		if err != nil {
			t.Fatal(err)
		}
		ai.Parameters = asn1.RawValue{FullBytes: p}
	}
	der, err := asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, ai, []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
