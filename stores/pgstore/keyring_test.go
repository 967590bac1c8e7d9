package pgstore_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
	"github.com/kycgo/kyc/stores/pgstore"
)

func TestParseKeyring(t *testing.T) {
	k1, k2 := randomKey(t), randomKey(t)
	spec := "k2:" + base64.RawURLEncoding.EncodeToString(k2) + ", k1:" + base64.StdEncoding.EncodeToString(k1)
	k, err := pgstore.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	if k.Current() != "k2" || strings.Join(k.IDs(), ",") != "k1,k2" {
		t.Fatalf("parsed %v", k)
	}
	secret := base64.StdEncoding.EncodeToString([]byte("SHORTSECRET"))
	for _, bad := range []string{"", "k1", ":" + secret, "k1:" + secret, "k1:" + base64.StdEncoding.EncodeToString(k1) + ",k1:" + base64.StdEncoding.EncodeToString(k2), "k1:!!!"} {
		_, err := pgstore.ParseKeyring(bad)
		if !errors.Is(err, kyc.ErrInvalidArgument) {
			t.Errorf("ParseKeyring(%q) = %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error reveals the key: %v", err)
		}
	}
}

// FuzzParseKeyring: any text gives a Keyring or ErrInvalidArgument, never
// a panic, and the error never quotes the input.
func FuzzParseKeyring(f *testing.F) {
	f.Add("k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("k2:AAAA,k1:BBBB")
	f.Add(",:,")
	f.Fuzz(func(t *testing.T, spec string) {
		k, err := pgstore.ParseKeyring(spec)
		if err != nil {
			if !errors.Is(err, kyc.ErrInvalidArgument) {
				t.Fatalf("error %v is not ErrInvalidArgument", err)
			}
			if len(spec) >= 8 && strings.Contains(err.Error(), spec) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		if k.Current() == "" {
			t.Fatal("keyring without a current key")
		}
	})
}
