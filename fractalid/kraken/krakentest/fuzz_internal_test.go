package krakentest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerifyJWT: no input panics the fake's token check, and whatever it
// accepts was signed by the registered key for the registered client.
func FuzzVerifyJWT(f *testing.F) {
	k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1767225600, 0)
	api, _ := jwt.NewWithClaims(jwt.SigningMethodES512, jwt.MapClaims{"api": true, "clientId": "c", "iat": now.Unix(), "exp": now.Unix() + 300}).SignedString(k)
	link, _ := jwt.NewWithClaims(jwt.SigningMethodES512, jwt.MapClaims{"kyc": true, "clientId": "c", "level": "basic", "iat": now.Unix()}).SignedString(k)
	for _, s := range []string{api, link, "a.b.c", "..", "eyJhbGciOiJub25lIn0.e30.", api[:len(api)-4]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, kind := range []tokenKind{kycToken, apiToken} {
			v, err := verifyJWT(tok, &k.PublicKey, "c", kind, now)
			if err == nil && (v == nil || (kind == apiToken && (v.EXP <= now.Unix() || v.EXP > now.Unix()+600))) {
				t.Fatalf("accepted %q as %d: %+v", tok, kind, v)
			}
		}
	})
}
