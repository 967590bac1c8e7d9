package kyc_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycgo/kyc/fractalid/kraken"
	"github.com/kycgo/kyc/fractalid/kraken/krakentest"
	"github.com/kycgo/kyc/option"
	"github.com/kycgo/kyc/webhooks"
)

// krakenFlow drives the Kraken link, return, exchange, status, data,
// file and webhook paths, and their refusals, with sentinel personal data
// in the fake's outcome.
func krakenFlow(t *testing.T, h *harness) {
	o := krakentest.DefaultOutcome()
	o.Note = sKrakenNote
	o.Person = krakentest.Person{
		FirstName: sGivenName, LastName: sFamilyName, DOB: sDOB, PlaceOfBirth: sBirthPlace,
		Nationality: "DEU", Email: sEmail, Phone: sPhone,
	}
	o.Person.Document.Number = sDocNumber
	srv := krakentest.NewServer(t, krakentest.WithOutcome(o), krakentest.WithWebhookSecret(sKrakenSecret), krakentest.WithStateInRedirect())
	k := srv.SigningKey()
	h.s.addDynamic("Kraken private scalar", hex.EncodeToString(k.D.Bytes())) //nolint:staticcheck // the scalar, to look for it
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	h.s.addDynamic("Kraken private key PEM body", strings.Split(string(keyPEM), "\n")[1])
	key, err := kraken.ParsePrivateKey(keyPEM)
	h.ok("ParsePrivateKey", err)
	h.value("*kraken.PrivateKey", key)
	cfg := srv.Config()
	cfg.Key = key
	h.value("kraken.Config", cfg)

	link, err := cfg.KYCURL(kraken.LevelBasicLivenessIDOS, sState, kraken.WithWalletAddress(sWallet))
	h.ok("KYCURL", err)
	h.s.addDynamic("Kraken link", link)
	h.s.addDynamic("Kraken link token", link[strings.Index(link, "token=")+6:strings.Index(link, "&")])
	done, err := srv.Complete(h.ctx, link, krakentest.Redirect)
	h.ok("Complete", err)
	ott := done.RedirectURL.Query().Get("oneTimeToken")
	h.s.addDynamic("Kraken one-time token", ott)
	h.value("krakentest.Completion", done)
	r := httptest.NewRequest(http.MethodGet, done.RedirectURL.String(), nil)
	_, err = kraken.ParseRedirect(r, sOtherState)
	h.failed("ParseRedirect with another state", err)
	ret, err := kraken.ParseRedirect(r, sState)
	h.ok("ParseRedirect", err)
	h.value("*kraken.Redirect", ret)
	h.value("kraken.Redirect", *ret)

	c, err := kraken.NewClient(cfg, option.WithHTTPClient(h.capture(srv.HTTPClient())), option.WithLogger(h.logger))
	h.ok("NewClient", err)
	h.value("*kraken.Client", c)
	sess, err := c.Session(h.ctx, ret.OneTimeToken)
	h.ok("Session", err)
	h.value("*kraken.Session", sess)
	_, err = c.Session(h.ctx, ret.OneTimeToken)
	h.failed("Session with a used one-time token", err)
	cctx, cancel := context.WithCancel(h.ctx)
	cancel()
	_, err = c.Session(cctx, ret.OneTimeToken)
	h.failed("Session with a cancelled context", err)
	st, err := c.Status(h.ctx, sess.UserID)
	h.ok("Status", err)
	h.value("*kraken.Status", st)
	d, err := c.Data(h.ctx, sess.UserID)
	h.ok("Data", err)
	if d.Email != sEmail || d.Info.IDDocs[0].Number != sDocNumber {
		t.Fatalf("data did not carry the sentinels")
	}
	h.value("*kraken.Data", d)
	h.value("kraken.Data", *d)
	var img bytes.Buffer
	_, err = c.File(h.ctx, sess.UserID, kraken.FileSelfie, &img)
	h.ok("File", err)
	_, err = c.File(h.ctx, sess.UserID, kraken.FileProofOfResidence, &img)
	h.failed("File not there", err)

	// Another key: the fake refuses the API token.
	other, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	otherKey, _ := kraken.NewPrivateKey(other)
	bad := cfg
	bad.Key = otherKey
	bc, err := kraken.NewClient(bad, option.WithHTTPClient(h.capture(srv.HTTPClient())), option.WithLogger(h.logger))
	h.ok("NewClient (other key)", err)
	_, err = bc.Status(h.ctx, sess.UserID)
	h.failed("Status with another key", err)

	// Key refusals.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256der, _ := x509.MarshalPKCS8PrivateKey(p256)
	p256PEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p256der})
	h.s.addDynamic("P-256 key PEM body", strings.Split(string(p256PEM), "\n")[1])
	_, err = kraken.ParsePrivateKey(p256PEM)
	h.failed("ParsePrivateKey P-256", err)

	// Iframe messages with free text.
	for _, data := range []string{
		`{"response":"rejected","error":"` + sKrakenNote + `"}`,
		`{"oneTimeToken":"` + ott + `","state":"` + sOtherState + `"}`,
	} {
		m, err := srv.Environment().ParseMessage(srv.URL(), []byte(data), sState)
		if err != nil {
			h.failed("ParseMessage", err)
			continue
		}
		h.value("*kraken.Message", m)
		h.value("kraken.Message", *m)
		h.failed("Message.Err", m.Err())
	}

	// The webhook, through the handler.
	if err := srv.SetState(sess.UserID, kraken.StateRejected, sKrakenNote); err != nil {
		t.Fatal(err)
	}
	v, err := kraken.NewWebhookVerifier(sKrakenSecret)
	h.ok("NewWebhookVerifier", err)
	var got []*webhooks.Event
	recv := httptest.NewServer(webhooks.NewHandler(v, func(_ context.Context, ev *webhooks.Event) error {
		got = append(got, ev)
		return nil
	}, webhooks.WithLogger(h.logger)))
	defer recv.Close()
	dl, err := srv.SendWebhook(h.ctx, recv.URL, sess.UserID)
	h.ok("SendWebhook", err)
	h.s.addDynamic("Kraken webhook signature", dl.Signature)
	h.value("*krakentest.Delivery", dl)
	dl, err = srv.SendWebhook(h.ctx, recv.URL, sess.UserID, krakentest.WithBadSignature())
	h.ok("SendWebhook (bad signature)", err)
	if dl.StatusCode == http.StatusOK || len(got) != 1 {
		t.Fatalf("webhook: %d, %d events", dl.StatusCode, len(got))
	}
	h.value("*webhooks.Event (Kraken)", got[0])
	h.value("kraken.WebhookEvent", *got[0].Kraken)
	h.value("krakentest.Users", srv.Users())
	h.value("krakentest.Refusals", srv.Refusals())
}
