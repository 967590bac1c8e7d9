package webhooks_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycgo/kyc/webhooks"
)

func mustVerifier(t *testing.T, opts ...webhooks.VerifierOption) *webhooks.Verifier {
	t.Helper()
	v, err := webhooks.NewVerifier(opts...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestNewVerifierValidates(t *testing.T) {
	tests := []struct {
		name string
		opts []webhooks.VerifierOption
		want error // nil: any non-nil error
	}{
		{"no options", nil, webhooks.ErrNoSecret},
		{"empty type", []webhooks.VerifierOption{webhooks.WithSecret("", "s")}, nil},
		{"type without secrets", []webhooks.VerifierOption{webhooks.WithSecret(webhooks.EventEmailChanged)}, webhooks.ErrNoSecret},
		{"empty per-type secret", []webhooks.VerifierOption{webhooks.WithSecret(webhooks.EventEmailChanged, "a", "")}, webhooks.ErrNoSecret},
		{"no default secrets", []webhooks.VerifierOption{webhooks.WithDefaultSecrets()}, webhooks.ErrNoSecret},
		{"empty default secret", []webhooks.VerifierOption{webhooks.WithDefaultSecrets("")}, webhooks.ErrNoSecret},
		{"bad size", []webhooks.VerifierOption{webhooks.WithDefaultSecrets("s"), webhooks.WithMaxPayloadSize(0)}, nil},
		{"kraken with per-type secret", []webhooks.VerifierOption{webhooks.WithKrakenScheme(), webhooks.WithSecret(webhooks.EventEmailChanged, "s")}, nil},
		{"kraken without secret", []webhooks.VerifierOption{webhooks.WithKrakenScheme()}, webhooks.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhooks.NewVerifier(tt.opts...)
			if err == nil || v != nil {
				t.Fatalf("NewVerifier = %v, %v; want error", v, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := webhooks.NewVerifier(nil, webhooks.WithDefaultSecrets("s")); err != nil {
		t.Errorf("nil option: %v", err)
	}
}

func TestVerifierPrintsNoSecret(t *testing.T) {
	v := mustVerifier(t, webhooks.WithSecret(webhooks.EventEmailChanged, "TOPSECRET-1"), webhooks.WithDefaultSecrets("TOPSECRET-2"))
	for _, out := range []string{fmt.Sprint(v), fmt.Sprintf("%+v %#v %s", v, v, v), v.LogValue().String()} {
		if strings.Contains(out, "TOPSECRET") {
			t.Errorf("Verifier output leaks a secret: %s", out)
		}
	}
	if got := v.String(); got != "webhooks.Verifier{scheme:sha1 types:1 defaults:1 secrets:2}" {
		t.Errorf("String = %q", got)
	}
}

func TestVerifierVectors(t *testing.T) {
	v := mustVerifier(t, webhooks.WithSecret(webhooks.EventVerificationApproved, vec2Secret))
	ev, err := v.Verify([]byte(vec2Body), vec2Sig)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if ev.Type != webhooks.EventVerificationApproved || ev.UserID() != "b5c5a2cd-643e-444b-9591-e7b25fec997d" || ev.Level() != "basic" {
		t.Errorf("event = %v", ev)
	}
	// Vector 1 is not JSON: it verifies with a default secret, then fails to parse.
	v1 := mustVerifier(t, webhooks.WithDefaultSecrets(vec1Secret))
	if _, err := v1.Verify([]byte(vec1Body), vec1Sig); !errors.Is(err, webhooks.ErrInvalidPayload) {
		t.Errorf("vector 1 through a Verifier = %v, want ErrInvalidPayload", err)
	}
	if _, err := v1.Verify([]byte(vec1Body), webhooks.Sign([]byte(vec1Body), "x")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("vector 1 forged = %v, want ErrSignatureMismatch", err)
	}
}

func TestVerifierRotation(t *testing.T) {
	const oldS, newS = "old-secret", "new-secret"
	v := mustVerifier(t, webhooks.WithSecret(webhooks.EventVerificationApproved, oldS, newS))
	body := []byte(docApproved)
	for _, s := range []string{oldS, newS} {
		if _, err := v.Verify(body, webhooks.Sign(body, s)); err != nil {
			t.Errorf("secret %s: %v", s, err)
		}
	}
	if _, err := v.Verify(body, webhooks.Sign(body, "retired")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("unknown secret = %v", err)
	}
	// WithSecret twice for one type adds to the list.
	v2 := mustVerifier(t, webhooks.WithSecret(webhooks.EventVerificationApproved, oldS), webhooks.WithSecret(webhooks.EventVerificationApproved, newS))
	if _, err := v2.Verify(body, webhooks.Sign(body, oldS)); err != nil {
		t.Errorf("first WithSecret: %v", err)
	}
	if _, err := v2.Verify(body, webhooks.Sign(body, newS)); err != nil {
		t.Errorf("second WithSecret: %v", err)
	}
}

func TestVerifierPerTypeSecrets(t *testing.T) {
	v := mustVerifier(t,
		webhooks.WithSecret(webhooks.EventVerificationApproved, "approved-secret"),
		webhooks.WithSecret(webhooks.EventEmailChanged, "email-secret"),
	)
	approved, email := []byte(docApproved), []byte(docEmail)
	if ev, err := v.Verify(approved, webhooks.Sign(approved, "approved-secret")); err != nil || ev.Verification == nil {
		t.Errorf("approved: %v", err)
	}
	if ev, err := v.Verify(email, webhooks.Sign(email, "email-secret")); err != nil || ev.EmailChanged == nil {
		t.Errorf("email: %v", err)
	}
	// A type's secret does not verify another type.
	if _, err := v.Verify(email, webhooks.Sign(email, "approved-secret")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("cross-type secret = %v", err)
	}
	// A type with no secret and no default: ErrNoSecret, even when signed.
	rej := []byte(docRejected)
	if _, err := v.Verify(rej, webhooks.Sign(rej, "approved-secret")); !errors.Is(err, webhooks.ErrNoSecret) {
		t.Errorf("unconfigured type = %v, want ErrNoSecret", err)
	}
	// Unparseable body: no type, no default secret.
	if _, err := v.Verify([]byte("nope"), webhooks.Sign([]byte("nope"), "approved-secret")); !errors.Is(err, webhooks.ErrNoSecret) {
		t.Errorf("unparseable = %v, want ErrNoSecret", err)
	}

	// Defaults apply to every type, after the type's own secrets.
	vd := mustVerifier(t,
		webhooks.WithSecret(webhooks.EventVerificationApproved, "approved-secret"),
		webhooks.WithDefaultSecrets("shared"),
	)
	for _, body := range [][]byte{approved, email, rej, []byte(docUnknown)} {
		if _, err := vd.Verify(body, webhooks.Sign(body, "shared")); err != nil {
			t.Errorf("default secret for %s: %v", body[:30], err)
		}
	}
	if _, err := vd.Verify(approved, webhooks.Sign(approved, "approved-secret")); err != nil {
		t.Errorf("own secret with defaults: %v", err)
	}
	if _, err := vd.Verify(email, webhooks.Sign(email, "approved-secret")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("other type's secret with defaults = %v", err)
	}
	// Verified but malformed JSON: 400-class error, not a mismatch.
	bad := []byte(`{"type":"verification_approved","data":"x"}`)
	if _, err := vd.Verify(bad, webhooks.Sign(bad, "approved-secret")); !errors.Is(err, webhooks.ErrInvalidPayload) {
		t.Errorf("verified malformed = %v", err)
	}
}

func TestVerifierErrorsBeforeParsing(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets("s"), webhooks.WithMaxPayloadSize(256))
	long := bytes.Repeat([]byte("a"), 257)
	tests := []struct {
		name string
		body []byte
		sig  string
		want error
	}{
		{"too large", long, webhooks.Sign(long, "s"), webhooks.ErrPayloadTooLarge},
		{"missing", []byte(docApproved), "", webhooks.ErrMissingSignature},
		{"malformed", []byte(docApproved), "sha1=xyz", webhooks.ErrSignatureLength},
		{"kraken-shaped", []byte(docApproved), webhooks.SignKraken([]byte(docApproved), "s"), webhooks.ErrSignaturePrefix},
		{"mismatch on garbage", []byte("}{"), webhooks.Sign([]byte("x"), "s"), webhooks.ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := v.Verify(tt.body, tt.sig)
			if ev != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want %v", ev, err, tt.want)
			}
			checkNoEcho(t, err, tt.sig, "s", string(tt.body))
		})
	}
}

func TestVerifierKraken(t *testing.T) {
	v := mustVerifier(t, webhooks.WithKrakenScheme(), webhooks.WithDefaultSecrets("k-old", "k-new"))
	body := []byte(docKraken)
	for _, s := range []string{"k-old", "k-new"} {
		ev, err := v.Verify(body, webhooks.SignKraken(body, s))
		if err != nil {
			t.Fatalf("Kraken %s: %v", s, err)
		}
		if ev.Type != webhooks.EventKrakenStatus || ev.Kraken.UserID != "USER_ID" || ev.UserID() != "USER_ID" {
			t.Errorf("event = %v", ev)
		}
	}
	// The legacy scheme is refused: the sender does not choose the algorithm.
	if _, err := v.Verify(body, webhooks.Sign(body, "k-old")); !errors.Is(err, webhooks.ErrSignaturePrefix) {
		t.Errorf("legacy signature on a Kraken verifier = %v", err)
	}
	if _, err := v.Verify(body, webhooks.SignKraken(body, "other")); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Errorf("wrong secret = %v", err)
	}
	// And the default verifier refuses the Kraken scheme.
	legacy := mustVerifier(t, webhooks.WithDefaultSecrets("k-old"))
	if _, err := legacy.Verify(body, webhooks.SignKraken(body, "k-old")); !errors.Is(err, webhooks.ErrMalformedSignature) {
		t.Errorf("Kraken signature on a legacy verifier = %v", err)
	}
}

func TestVerifyRequest(t *testing.T) {
	v := mustVerifier(t, webhooks.WithDefaultSecrets("s"), webhooks.WithMaxPayloadSize(1024))
	body := []byte(docApproved)
	req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	req.Header.Set("x-fractal-signature", webhooks.Sign(body, "s")) // any case
	ev, err := v.VerifyRequest(req)
	if err != nil || ev.Type != webhooks.EventVerificationApproved {
		t.Fatalf("VerifyRequest = %v, %v", ev, err)
	}
	again, _ := io.ReadAll(req.Body)
	if !bytes.Equal(again, body) {
		t.Errorf("body not restored: %q", again)
	}

	// Unknown length, over the limit.
	big := bytes.Repeat([]byte(" "), 2000)
	req = httptest.NewRequest(http.MethodPost, "/hook", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(big, "s"))
	if _, err := v.VerifyRequest(req); !errors.Is(err, webhooks.ErrPayloadTooLarge) {
		t.Errorf("big body = %v", err)
	}

	// Declared length over the limit: refused without reading.
	req = httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(big))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(big, "s"))
	if _, err := v.VerifyRequest(req); !errors.Is(err, webhooks.ErrPayloadTooLarge) {
		t.Errorf("declared big body = %v", err)
	}

	req = httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	req.Header.Add(webhooks.SignatureHeader, webhooks.Sign(body, "s"))
	req.Header.Add(webhooks.SignatureHeader, webhooks.Sign(body, "s"))
	if _, err := v.VerifyRequest(req); !errors.Is(err, webhooks.ErrMultipleSignatures) || !errors.Is(err, webhooks.ErrMalformedSignature) {
		t.Errorf("two headers = %v", err)
	}

	req = httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
	if _, err := v.VerifyRequest(req); !errors.Is(err, webhooks.ErrMissingSignature) {
		t.Errorf("no header = %v", err)
	}

	req = httptest.NewRequest(http.MethodPost, "/hook", errReader{})
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(body, "s"))
	if _, err := v.VerifyRequest(req); !errors.Is(err, errBrokenConn) {
		t.Errorf("read error = %v", err)
	}
}

var errBrokenConn = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBrokenConn }
