package credentials_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
)

// vector is testdata/vector.json. It was computed with ethers 6.17.0 on
// Node 20 by testdata/make-vector.cjs (the file says how to run it),
// independently of this package: the Go code below only reads it.
type vector struct {
	WalletPrivateKey  string `json:"walletPrivateKey"`
	WalletAddress     string `json:"walletAddress"`
	Message           string `json:"message"`
	MessageDigest     string `json:"messageDigest"`
	WalletSignature   string `json:"walletSignature"`
	FractalPrivateKey string `json:"fractalPrivateKey"`
	FractalAddress    string `json:"fractalAddress"`
	FractalID         string `json:"fractalId"`
	ApprovedAt        int64  `json:"approvedAt"`
	ValidUntil        int64  `json:"validUntil"`
	Credential        string `json:"credential"`
	ProofMessage      string `json:"proofMessage"`
	ProofHash         string `json:"proofHash"`
	ProofDigest       string `json:"proofDigest"`
	Proof             string `json:"proof"`
}

func loadVector(t *testing.T) vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func hex32(b [32]byte) string { return "0x" + hex.EncodeToString(b[:]) }

// TestKnownAnswerVector checks every step against values ethers computed:
// addresses from keys (EIP-55), the EIP-191 digest and signature of the
// documentation's example message, the string a proof signs, its
// Keccak-256 hash and EIP-191 digest, Fractal's signature, and
// recovery and verification of both signatures.
func TestKnownAnswerVector(t *testing.T) {
	v := loadVector(t)

	wallet, err := credentials.ParsePrivateKey(v.WalletPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := wallet.Address().Checksum(); got != v.WalletAddress {
		t.Errorf("wallet address = %s, ethers says %s", got, v.WalletAddress)
	}
	fractal, err := credentials.ParsePrivateKey(v.FractalPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := fractal.Address().Checksum(); got != v.FractalAddress {
		t.Errorf("Fractal address = %s, ethers says %s", got, v.FractalAddress)
	}

	// The message BuildMessage writes is the one ethers signed.
	msg, err := credentials.BuildMessage(credentials.MessageSpec{
		ApplicationName: "Defistarter",
		ClientID:        "dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd",
		Type:            credentials.KYC,
		Level:           fractalid.ParseLevel("plus+liveness"),
		NotCitizenOf:    []credentials.Country{"DE"},
		NotResidentOf:   []credentials.Country{"CA", "DE", "US"},
		DataAccess:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg != v.Message {
		t.Fatalf("BuildMessage differs from the vector's message:\n%q\n%q", msg, v.Message)
	}
	if got := hex32(credentials.PersonalMessageHash([]byte(msg))); got != v.MessageDigest {
		t.Errorf("EIP-191 digest = %s, ethers says %s", got, v.MessageDigest)
	}
	if got := wallet.SignPersonal([]byte(msg)).Hex(); got != v.WalletSignature {
		t.Errorf("wallet signature = %s, ethers says %s", got, v.WalletSignature)
	}
	walletSig, err := credentials.ParseSignature(v.WalletSignature)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := credentials.RecoverPersonalSigner([]byte(v.Message), walletSig)
	if err != nil || signer.Checksum() != v.WalletAddress {
		t.Errorf("recovered wallet %s, %v; want %s", signer.Checksum(), err, v.WalletAddress)
	}

	// The proof, as the API would return it.
	body := `{"approvedAt":` + strconv.FormatInt(v.ApprovedAt, 10) + `,"address":"` + v.WalletAddress + `","fractalId":"` + v.FractalID +
		`","validUntil":` + strconv.FormatInt(v.ValidUntil, 10) + `,"proof":"` + v.Proof + `","credential":"` + v.Credential + `"}`
	p, err := credentials.ParseProof([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SignedMessage(); got != v.ProofMessage {
		t.Errorf("signed message = %q, want %q", got, v.ProofMessage)
	}
	if got := hex32(p.Hash()); got != v.ProofHash {
		t.Errorf("proof hash = %s, ethers says %s", got, v.ProofHash)
	}
	if got := hex32(p.Digest()); got != v.ProofDigest {
		t.Errorf("proof digest = %s, ethers says %s", got, v.ProofDigest)
	}
	if got := fractal.Sign(p.Digest()).Hex(); got != v.Proof {
		t.Errorf("proof signature = %s, ethers says %s", got, v.Proof)
	}
	fractalAddr := credentials.MustParseAddress(v.FractalAddress)
	// The vector's validUntil is in 2022: verify at a time before it.
	ver, err := credentials.NewVerifier(credentials.WithSigners(fractalAddr),
		credentials.WithClock(func() time.Time { return time.Unix(v.ValidUntil-60, 0) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := ver.Verify(p, credentials.MustParseAddress(v.WalletAddress)); err != nil {
		t.Errorf("Verify refused the vector's proof: %v", err)
	}
	if err := credentials.VerifyProof(p, fractalAddr); err == nil {
		t.Error("VerifyProof accepted a proof whose validUntil (2022) has passed")
	}
}
