package credentials

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kycgo/kyc"
)

// FuzzDecodeError feeds arbitrary error bodies to the error decoder: it
// never panics, always returns an error with the reply's status, keeps
// only plain codes, and never prints the address.
func FuzzDecodeError(f *testing.F) {
	f.Add(404, []byte(`{"address":"0xC61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4","error":"user_not_found"}`))
	f.Add(400, []byte(`{"error":"invalid_signature"}`))
	f.Add(400, []byte(`{"error":"Signature of 0xC61bA26E1C0F463Cd1BB57C962c6e7E411E79cb4 is bad"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(404, []byte(`{"error":null,"address":7}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			status = 400 + (status&0x7fffffff)%200
		}
		e := &kyc.APIError{StatusCode: status, Method: http.MethodGet, Path: "/", Body: body}
		err := decodeError(e, body)
		if err == nil {
			t.Fatal("nil error")
		}
		var api *kyc.APIError
		if !errors.As(err, &api) || api.StatusCode != status {
			t.Fatalf("no *APIError with status %d", status)
		}
		var ce *Error
		if errors.As(err, &ce) {
			if ce.Code != "" && !isPlainCode(ce.Code) {
				t.Fatalf("code %q kept", ce.Code)
			}
			if !ce.Address.IsZero() && strings.Contains(strings.ToLower(err.Error()+ce.GoString()), ce.Address.Hex()[2:]) {
				t.Fatal("the address is printed")
			}
		}
	})
}
