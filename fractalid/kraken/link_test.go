package kraken_test

import (
	"crypto/ecdsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
)

func testConfig(t *testing.T) (kraken.Config, *ecdsa.PrivateKey) {
	t.Helper()
	k := p521(t)
	pk, err := kraken.NewPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z
	return kraken.Config{ClientID: "client-123", Key: pk, Now: func() time.Time { return at }}, k
}

// splitJWT returns the decoded header, payload and signature of a JWS.
func splitJWT(t *testing.T, tok string) (header, payload string, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d parts", len(parts))
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	p, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	s, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal("not unpadded base64url")
	}
	return string(h), string(p), s
}

func TestKYCURL(t *testing.T) {
	cfg, k := testConfig(t)
	link, err := cfg.KYCURL(kraken.LevelBasicLivenessIDOS, "state-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "kraken.fractal.id" || u.Path != "/kyc" || len(u.Query()) != 1 {
		t.Fatalf("link %s", link)
	}
	tok := u.Query().Get("token")
	h, p, sig := splitJWT(t, tok)
	if h != `{"alg":"ES512","typ":"JWT"}` {
		t.Errorf("header %s", h)
	}
	if p != `{"clientId":"client-123","kyc":true,"level":"basic+liveness+idos","state":"state-1","iat":1767225600}` {
		t.Errorf("payload %s", p)
	}
	if len(sig) != 132 {
		t.Fatalf("signature %d bytes", len(sig))
	}
	signing := tok[:strings.LastIndexByte(tok, '.')]
	d := sha512.Sum512([]byte(signing))
	if !ecdsa.Verify(&k.PublicKey, d[:], new(big.Int).SetBytes(sig[:66]), new(big.Int).SetBytes(sig[66:])) {
		t.Error("R||S signature does not verify")
	}

	// No state: no state claim. Provider and wallet come after the token.
	link, err = cfg.KYCURL("basic", "", kraken.WithProvider("sumsub"), kraken.WithWalletAddress("0xAbC+1"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(link)
	if !strings.HasPrefix(u.RawQuery, "token=") || u.Query().Get("provider") != "sumsub" || u.Query().Get("walletAddress") != "0xAbC+1" {
		t.Errorf("query %s", u.RawQuery)
	}
	if _, p, _ := splitJWT(t, u.Query().Get("token")); strings.Contains(p, "state") || strings.Contains(p, "exp") {
		t.Errorf("payload %s", p)
	}
	// Staging and an overridden host.
	cfg.Environment = kraken.Staging
	link, _ = cfg.KYCURL("basic", "")
	if !strings.HasPrefix(link, "https://kraken.staging.sandbox.fractal.id/kyc?token=") {
		t.Errorf("staging link %s", link)
	}
	env := kraken.Production
	env.KYCURL = "https://kyc.example.test/base/"
	cfg.Environment = env
	link, _ = cfg.KYCURL("basic", "")
	if !strings.HasPrefix(link, "https://kyc.example.test/base/kyc?token=") {
		t.Errorf("overridden link %s", link)
	}
}

func TestKYCURLRefusals(t *testing.T) {
	cfg, _ := testConfig(t)
	for name, f := range map[string]func() (string, error){
		"empty level":   func() (string, error) { return cfg.KYCURL("", "") },
		"spaced level":  func() (string, error) { return cfg.KYCURL("basic liveness", "") },
		"state newline": func() (string, error) { return cfg.KYCURL("basic", "a\nb") },
		"provider":      func() (string, error) { return cfg.KYCURL("basic", "", kraken.WithProvider("")) },
		"wallet":        func() (string, error) { return cfg.KYCURL("basic", "", kraken.WithWalletAddress(" ")) },
		"no key": func() (string, error) {
			c := cfg
			c.Key = nil
			return c.KYCURL("basic", "")
		},
		"no client": func() (string, error) {
			c := cfg
			c.ClientID = ""
			return c.KYCURL("basic", "")
		},
		"bad environment": func() (string, error) {
			c := cfg
			c.Environment = kraken.Environment{KYCURL: "ftp://x", APIURL: "https://x"}
			return c.KYCURL("basic", "")
		},
	} {
		if link, err := f(); !errors.Is(err, kyc.ErrInvalidArgument) || link != "" {
			t.Errorf("%s: %q, %v", name, link, err)
		}
	}
}

// The signature format checked by an independent implementation: Node's
// built-in crypto, verifying ES512 as jsonwebtoken does (IEEE P1363 R||S).
// It skips without node unless KYC_REQUIRE_NODE=1.
func TestSignatureVerifiesInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("KYC_REQUIRE_NODE") == "1" {
			t.Fatal("node not found and KYC_REQUIRE_NODE=1")
		}
		t.Skip("node not found")
	}
	cfg, _ := testConfig(t)
	link, err := cfg.KYCURL(kraken.LevelBasic, "s")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	pub, err := cfg.Key.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(pubFile, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	tampered := tok[:len(tok)-3] + "AAA"
	const script = `
const crypto = require("crypto");
const fs = require("fs");
const key = crypto.createPublicKey(fs.readFileSync(process.argv[1]));
if (key.asymmetricKeyDetails.namedCurve !== "secp521r1") { console.log("curve " + key.asymmetricKeyDetails.namedCurve); process.exit(2); }
for (const tok of process.argv.slice(2)) {
  const [h, p, s] = tok.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  const sig = Buffer.from(s, "base64url");
  const ok = header.alg === "ES512" && sig.length === 132 &&
    crypto.verify("sha512", Buffer.from(h + "." + p), { key, dsaEncoding: "ieee-p1363" }, sig);
  console.log(ok ? "valid" : "invalid");
}`
	out, err := exec.Command(node, "-e", script, pubFile, tok, tampered).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != "valid" || got[1] != "invalid" {
		t.Fatalf("node says %q", out)
	}
}

// The other direction: an API token signed by Node's crypto the way
// jsonwebtoken signs ES512 is accepted by the fake, so the fake's checks
// match what integrators' Node code sends.
func TestFakeAcceptsNodeSignedToken(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("KYC_REQUIRE_NODE") == "1" {
			t.Fatal("node not found and KYC_REQUIRE_NODE=1")
		}
		t.Skip("node not found")
	}
	srv := krakentest.NewServer(t)
	der, err := x509.MarshalPKCS8PrivateKey(srv.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
const crypto = require("crypto");
const fs = require("fs");
const key = crypto.createPrivateKey(fs.readFileSync(process.argv[1]));
const now = Number(process.argv[3]);
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const input = b64({ alg: "ES512", typ: "JWT" }) + "." + b64({ api: true, clientId: process.argv[2], iat: now, exp: now + 600 });
const sig = crypto.sign("sha512", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
process.stdout.write(input + "." + sig.toString("base64url"));`
	out, err := exec.Command(node, "-e", script, keyFile, srv.ClientID(), strconv.FormatInt(srv.Now().Unix(), 10)).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if code := callWith(t, srv, "/public/kyc/nobody/status", string(out)); code != http.StatusNotFound {
		t.Fatalf("status %d, refusals %v", code, srv.Refusals())
	}
}
