package kyc_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid"
	"github.com/kycgo/kyc/fractalid/credentials"
	"github.com/kycgo/kyc/fractalid/credentials/credentialstest"
	"github.com/kycgo/kyc/kyctest"
	"github.com/kycgo/kyc/option"
)

// sCredWallet is a wallet address the Credentials API names in a 404
// reply; with a KYC result it is personal data.
const sCredWallet = "0x5e171e15e171e15e171e15e171e15e171e15e1d5"

// credentialsProofs drives the Credentials API client, the verifier and
// the fake with a debug logger: a proof obtained and verified, every
// refusal (local and from the server), decode failures, and the models.
// The wallet addresses (both spellings) and the Fractal id are sentinels.
func credentialsProofs(t *testing.T, h *harness) {
	srv := credentialstest.NewServer(t)
	w := credentialstest.NewWallet(t)
	other := credentialstest.NewWallet(t)
	named := credentials.MustParseAddress(sCredWallet)
	for name, a := range map[string]credentials.Address{"credentials wallet": w.Address(), "other wallet": other.Address(), "wallet named in a 404": named} {
		h.s.add(t, name, a.Hex())
		h.s.add(t, name+" (EIP-55)", a.Checksum())
		h.s.add(t, name+" (no 0x)", a.Hex()[2:])
	}
	fractalID := "0x" + strings.Repeat("5e7e", 16)
	h.s.add(t, "Fractal id", fractalID)
	srv.AddUser(credentialstest.User{Wallet: w.Address(), FractalID: fractalID, Level: fractalid.ParseLevel("plus+liveness"), Citizenship: []credentials.Country{"DE"}})

	c, err := credentials.NewClient(append(srv.ClientOptions(), option.WithLogger(h.logger), option.WithRetryPolicy(fastRetries))...)
	h.ok("NewClient", err)
	spec := srv.MessageSpec(fractalid.ParseLevel("plus+liveness"))
	spec.NotCitizenOf = []credentials.Country{"US"}
	msg, err := credentials.BuildMessage(spec)
	h.ok("BuildMessage", err)
	sig := w.SignMessage(msg)

	p, err := c.GetProof(h.ctx, msg, sig, w.Address())
	h.ok("GetProof", err)
	h.value("Proof", p)
	h.value("Proof (value)", *p)
	h.value("Credential", p.Credential)
	h.value("Address", p.Wallet)
	h.value("Signature", p.Signature)
	h.value("Client", c)
	h.value("Wallet", w)
	h.value("Issued", srv.Issued())
	h.value("fake", srv)
	h.value("User", credentialstest.User{Wallet: w.Address(), FractalID: fractalID})
	key, err := credentials.GeneratePrivateKey()
	h.ok("GeneratePrivateKey", err)
	h.value("PrivateKey", key)

	v, err := credentials.NewVerifier(credentials.WithEnvironmentSigner(srv.Environment()))
	h.ok("NewVerifier", err)
	h.value("Verifier", v)
	h.ok("Verify", v.Verify(p, w.Address()))
	h.failed("Verify for another wallet", v.Verify(p, other.Address()))
	q := *p
	q.FractalID += "0"
	h.failed("Verify tampered", v.Verify(&q, w.Address()))
	q = *p
	q.ValidUntil = time.Unix(1, 0)
	q.Signature = srv.SignProof(&q)
	h.failed("Verify expired", v.Verify(&q, w.Address()))
	h.failed("VerifyProof wrong signer", credentials.VerifyProof(p, credentials.Production().Signer))
	b, _ := json.Marshal(p)
	_, err = credentials.ParseProof(b[:len(b)/2])
	h.failed("ParseProof truncated", err)
	_, err = credentials.ParseProof([]byte(strings.Replace(string(b), w.Address().Checksum(), w.Address().Checksum()[:41], 1)))
	h.failed("ParseProof bad address", err)

	// Refusals before any request.
	_, err = c.GetProof(h.ctx, msg, other.SignMessage(msg), w.Address())
	h.failed("GetProof signed by another wallet", err)
	_, err = c.GetProof(h.ctx, msg+" ", sig, w.Address())
	h.failed("GetProof changed message", err)
	bad := spec
	bad.NotResidentOf = []credentials.Country{}
	_, err = credentials.BuildMessage(bad)
	h.failed("BuildMessage empty list", err)

	// Refusals from the server.
	_, err = c.GetProof(h.ctx, msg, other.SignMessage(msg), other.Address())
	h.failed("GetProof user_not_found", err)
	srv.ScriptError(credentials.CodeUserPending, 1)
	_, err = c.GetProof(h.ctx, msg, sig, w.Address())
	h.failed("GetProof user_pending", err)
	for where, body := range map[string]string{
		"404 naming another wallet": `{"address":"` + sCredWallet + `","error":"user_not_found"}`,
		"400 with free text":        `{"error":"signature of ` + w.Address().Checksum() + ` is invalid"}`,
		"200 half a proof":          `{"address":"` + w.Address().Checksum() + `","fractalId":"` + fractalID + `"}`,
		"200 for another wallet": `{"approvedAt":1,"address":"` + sCredWallet + `","fractalId":"` + fractalID + `","validUntil":2,"proof":"` +
			p.Signature.Hex() + `","credential":"level:plus"}`,
	} {
		status := http.StatusNotFound
		if strings.HasPrefix(where, "400") {
			status = http.StatusBadRequest
		} else if strings.HasPrefix(where, "200") {
			status = http.StatusOK
		}
		srv.InjectFault(http.MethodGet, "/", kyctest.Fault{Kind: kyctest.FaultStatus, Status: status, Body: body})
		_, err = c.GetProof(h.ctx, msg, sig, w.Address())
		h.failed("GetProof "+where, err)
		if where == "404 naming another wallet" && !errors.Is(err, credentials.ErrWalletMismatch) {
			t.Errorf("%s: %v", where, err)
		}
	}
	srv.InjectFault(http.MethodGet, "/", kyctest.Fault{Kind: kyctest.FaultTruncate, Times: 3})
	_, err = c.GetProof(h.ctx, msg, sig, w.Address())
	h.failed("GetProof truncated", err)
}
