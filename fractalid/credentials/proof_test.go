package credentials_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kycgo/kyc/fractalid/credentials"
)

// docResponse is the example 200 response of reference §7.1.
const docResponse = `{
  "approvedAt": 1654693829,
  "address": "0xC61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4",
  "fractalId": "0x02f1da55bc94926ef44faa6153cc9ad4f1e0f5ec3844b7c12ef96dea88657fdd",
  "validUntil": 1656080869,
  "proof": "0x8951496d1d0091945647fb425310e66ea766254bf52899bdca6d8fd70cda2e26091ba3fefad64428b07d78caf1f1ed077b6ca1ee1e6682c6838ad73a3d95ace51c",
  "credential": "level:plus+liveness;citizenship_not:de;residency_not:de"
}`

func TestParseProofDocumentationExample(t *testing.T) {
	p, err := credentials.ParseProof([]byte(docResponse))
	if err != nil {
		t.Fatal(err)
	}
	if p.Wallet.Checksum() != "0xC61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4" || p.ApprovedAt.Unix() != 1654693829 || p.ValidUntil.Unix() != 1656080869 ||
		p.FractalID != "0x02f1da55bc94926ef44faa6153cc9ad4f1e0f5ec3844b7c12ef96dea88657fdd" {
		t.Errorf("decoded %s %d %d %s", p.Wallet.Checksum(), p.ApprovedAt.Unix(), p.ValidUntil.Unix(), p.FractalID)
	}
	c := p.Credential
	if c.Level.String() != "plus+liveness" || len(c.CitizenshipNot) != 1 || c.CitizenshipNot[0] != "DE" || len(c.ResidencyNot) != 1 || c.ResidencyNot[0] != "DE" {
		t.Errorf("credential %+v", c)
	}
	// The example's proof is not signed by the production address over
	// these fields (the documentation's values are illustrative).
	if err := credentials.VerifyProof(p, credentials.Production().Signer); !errors.Is(err, credentials.ErrWrongSigner) {
		t.Errorf("VerifyProof(doc example) = %v", err)
	}
	// MarshalJSON round-trips.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := credentials.ParseProof(b)
	if err != nil || q.SignedMessage() != p.SignedMessage() || q.Signature != p.Signature {
		t.Errorf("round trip: %s, %v", b, err)
	}
	var r credentials.Proof
	if err := json.Unmarshal(b, &r); err != nil || r.Digest() != p.Digest() {
		t.Errorf("json.Unmarshal: %v", err)
	}
}

func TestParseCredential(t *testing.T) {
	c := credentials.ParseCredential("level:basic+liveness+uniq+wallet;citizenship_not:;residency_not:;future:x;odd")
	if c.Level.String() != "basic+liveness+uniq+wallet" || c.CitizenshipNot == nil || len(c.CitizenshipNot) != 0 ||
		len(c.ResidencyNot) != 0 || c.Other["future"] != "x" || c.String() != c.Raw {
		t.Errorf("%+v", c)
	}
	if _, ok := c.Other["odd"]; !ok {
		t.Errorf("a part without a colon was dropped: %+v", c.Other)
	}
	c = credentials.ParseCredential("level:plus;residency_not:ca,de, us")
	if fmt.Sprint(c.ResidencyNot) != "[CA DE US]" {
		t.Errorf("lists: %v", c.ResidencyNot)
	}
}

func TestParseProofRefusesIncompleteOrInvalid(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(docResponse), &doc); err != nil {
		t.Fatal(err)
	}
	edit := func(k string, v any) string {
		m := map[string]any{}
		for kk, vv := range doc {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := map[string]string{
		"truncated":            docResponse[:len(docResponse)/2],
		"empty":                "",
		"null":                 "null",
		"array":                "[]",
		"trailing data":        docResponse + "{}",
		"no address":           edit("address", nil),
		"no proof":             edit("proof", nil),
		"no fractalId":         edit("fractalId", nil),
		"no credential":        edit("credential", nil),
		"no approvedAt":        edit("approvedAt", nil),
		"no validUntil":        edit("validUntil", nil),
		"null validUntil":      strings.Replace(docResponse, "1656080869", "null", 1),
		"float validUntil":     strings.Replace(docResponse, "1656080869", "1656080869.5", 1),
		"negative approvedAt":  strings.Replace(docResponse, "1654693829", "-1", 1),
		"exponent approvedAt":  strings.Replace(docResponse, "1654693829", "1.654693829e9", 1),
		"leading zero":         strings.Replace(docResponse, "1654693829", "01654693829", 1),
		"short proof":          edit("proof", "0x8951"),
		"bad address":          edit("address", "0x123"),
		"bad checksum":         edit("address", "0xc61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4"),
		"zero address":         edit("address", "0x0000000000000000000000000000000000000000"),
		"empty fractalId":      edit("fractalId", ""),
		"fractalId with ;":     edit("fractalId", "0x02;1"),
		"empty credential":     edit("credential", ""),
		"credential with LF":   edit("credential", "level:plus\nx"),
		"address as a number":  edit("address", 5),
		"approvedAt as object": edit("approvedAt", map[string]any{}),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := credentials.ParseProof([]byte(body))
			if p != nil || !errors.Is(err, credentials.ErrMalformedProof) {
				t.Fatalf("ParseProof = %v, %v", p, err)
			}
			if strings.Contains(err.Error(), "C61bA") || strings.Contains(err.Error(), "02f1da55") {
				t.Errorf("error quotes the input: %v", err)
			}
		})
	}
	// Lenient: numeric strings for the times, unknown members.
	p, err := credentials.ParseProof([]byte(strings.Replace(strings.Replace(docResponse, "1654693829", `"1654693829"`, 1), "{", `{"extra":[1,2],`, 1)))
	if err != nil || p.ApprovedAt.Unix() != 1654693829 {
		t.Errorf("lenient decode: %v", err)
	}
}

func TestProofPrintsNoPersonalData(t *testing.T) {
	p, err := credentials.ParseProof([]byte(docResponse))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("proof", "p", p, "wallet", p.Wallet, "sig", p.Signature)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("proof", "p", p, "wallet", p.Wallet, "sig", p.Signature)
	out := fmt.Sprintf("%v %+v %#v %s %q %x %d", p, p, p, p, p, p, p) + fmt.Sprintf("%v %+v", *p, *p) + buf.String()
	for _, secret := range []string{"c61ba26e1c0f463cd1bb57c962c6e7e411e79cb4", "02f1da55bc94926ef44faa6153cc9ad4f1e0f5ec3844b7c12ef96dea88657fdd", "8951496d1d0091945647fb425310e66ea766"} {
		if strings.Contains(strings.ToLower(out), secret) {
			t.Errorf("%s leaked:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "plus+liveness") || !strings.Contains(out, "2022-06-24") {
		t.Errorf("the safe fields are missing:\n%s", out)
	}
	_ = time.Now
}
